"""Personalisation: turn a :class:`sims.people.Profile` into the files, keys and PKI of a card.

The card holds what a real CCCD holds (cccd-chip.md §3): EF.CardAccess in the MF; EF.COM, EF.SOD, DG1,
DG2 (JPEG in an ISO/IEC 19794-5 record), DG13, DG14 (Chip Authentication key), DG15 (Active Authentication
key) in the LDS1 application; DG3 listed but refused (``6982``).  EF.SOD is signed by a generated test PKI
(CSCA → Document Signer, brainpool ECDSA, SHA-256 data-group hashes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image

from reader.access.bac import BACKeyInput
from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.lds.cardaccess import parse_card_access
from sims import CLONE_VARIANTS, lds_build
from sims.activeauth import ActiveAuthApplet
from sims.card import Access, CardApplet, CardBehaviour, CardOS
from sims.chipauth import ChipAuthApplet
from sims.pace import PACEApplet, PACEThrottle, security_applets
from sims.people import Profile, load_profile
from sims.pki import TestPKI, build_sod

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"  # BSI TR-03111 §5.2.1 ecdsa-plain-SHA256


def _spki(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class CardImage:
    """Everything needed to manufacture identical simulated cards of one profile."""

    profile: Profile
    mf_files: dict[str, bytes]
    lds_files: dict[str, bytes]
    refused: dict[str, Access]
    pki: TestPKI
    ca_key: ec.EllipticCurvePrivateKey | None
    aa_key: PrivateKey | None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"CardImage({self.profile.name})"

    @property
    def bac_key(self) -> BACKeyInput:
        p = self.profile
        return BACKeyInput(p.document_number, p.mrz_birth_date, p.mrz_expiry_date)

    def behaviour(self, **overrides: Any) -> CardBehaviour:
        base: dict[str, Any] = {
            "select_mf_quirk": self.profile.select_mf_quirk,
            "bac_enabled": "BAC" in self.profile.access_protocols,
        }
        base.update(overrides)
        return CardBehaviour(**base)

    def new_card(
        self, *, applets: tuple[CardApplet, ...] | None = None, clone: str | None = None, **behaviour: Any
    ) -> CardOS:
        """A fresh card (its own state) with these files and keys.

        ``applets``: None = the profile's own protocols (:meth:`security_applets`: PACE, Chip and Active
        Authentication as a real CCCD, cccd-chip.md §3); ``()`` = BAC and files only.  ``clone``: one of
        :data:`CLONE_VARIANTS` — the same files on a chip without the issuer's private keys.
        """
        if applets is None:
            applets = self.security_applets(clone=clone)
        elif clone is not None:
            raise ValueError("give either applets or clone")
        return CardOS(
            self.mf_files,
            self.lds_files,
            bac_key=self.bac_key,
            behaviour=self.behaviour(**behaviour),
            applets=applets,
            refused=self.refused,
        )

    def security_applets(
        self, *, clone: str | None = None, throttle: PACEThrottle | None = None, pace_mrz: bool = True
    ) -> tuple[CardApplet, ...]:
        """PACE (the suites of EF.CardAccess, the profile's passwords), CA (DG14 key), AA (DG15 key).

        ``clone="wrong-keys"``: freshly generated CA/AA/CAM keys (a copy of the data onto a chip with its
        own keys); ``clone="missing-keys"``: no CA/AA at all (a copy that cannot run them).
        ``pace_mrz=False``: the chip refuses PACE with the MRZ password (``6A88``), as one CCCD was reported
        to (cccd-chip.md §3) — not conformant, kept to test the reader's fallback to BAC.
        """
        if clone is not None and clone not in CLONE_VARIANTS:
            raise ValueError(f"unknown clone variant {clone!r}; one of {', '.join(CLONE_VARIANTS)}")
        ca_key: ec.EllipticCurvePrivateKey | None = self.ca_key
        aa_key: PrivateKey | None = self.aa_key
        if clone == "wrong-keys":
            ca_key = ec.generate_private_key(ca_key.curve) if ca_key is not None else None
            if isinstance(aa_key, rsa.RSAPrivateKey):
                aa_key = rsa.generate_private_key(public_exponent=65537, key_size=aa_key.key_size)
            elif aa_key is not None:
                aa_key = ec.generate_private_key(aa_key.curve)
        elif clone == "missing-keys":
            ca_key, aa_key = None, None
        pace = self._pace_applet(ca_key, throttle, pace_mrz)
        ca = ChipAuthApplet.from_ec_key(ca_key) if ca_key is not None else None
        aa = ActiveAuthApplet(aa_key) if aa_key is not None else None
        return security_applets(pace, ca, others=(aa,))

    def _pace_applet(
        self, ca_key: ec.EllipticCurvePrivateKey | None, throttle: PACEThrottle | None, pace_mrz: bool = True
    ) -> PACEApplet | None:
        """Every PACE chip accepts the MRZ password (ICAO 9303-11 §4.4.1: the MRZ-derived password is
        mandatory, the CAN optional); the CAN when the profile lists ``PACE-CAN``."""
        raw = self.mf_files.get("EF.CardAccess")
        if raw is None:
            return None
        p = self.profile
        passwords: dict[PasswordType, PACEPassword] = {}
        if "PACE-CAN" in p.access_protocols:
            passwords[PasswordType.CAN] = PACEPassword.can(p.can)
        if pace_mrz:
            passwords[PasswordType.MRZ] = PACEPassword.mrz(
                p.document_number, p.mrz_birth_date, p.mrz_expiry_date
            )
        suites = tuple(PACESuite.from_info(info) for info in parse_card_access(raw).pace_infos)
        cam_key = ca_key.private_numbers().private_value if ca_key is not None else None
        return PACEApplet(suites, passwords, cam_key, throttle or PACEThrottle())

    def add_test_csca_to(self, store: Any) -> None:
        """Trust this card's test CSCA (for ``--sim`` reads and tests only)."""
        store.add(self.pki.csca_der)


def _face(profile: Profile) -> tuple[bytes, int, int]:
    jpeg = profile.face_jpeg()
    with Image.open(io.BytesIO(jpeg)) as img:
        width, height = img.size
    return jpeg, width, height


def personalize(profile: Profile, *, pki: TestPKI | None = None) -> CardImage:
    """Build the card image of ``profile`` (keys are generated here)."""
    pki = pki or shared_test_pki()
    dgs: dict[int, bytes] = {}
    numbers = set(profile.data_groups)
    if 1 in numbers:
        dgs[1] = lds_build.build_dg1(profile.mrz_lines)
    if 2 in numbers:
        jpeg, width, height = _face(profile)
        dgs[2] = lds_build.build_dg2(jpeg, width, height, gender=profile.sex)
    if 13 in numbers:
        dgs[13] = lds_build.build_dg13(profile.dg13_fields())
    aa_key: PrivateKey | None = None
    if 15 in numbers:
        if profile.aa_key_type == "EC":
            aa_key = ec.generate_private_key(ec.BrainpoolP256R1())
        else:
            aa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        dgs[15] = lds_build.build_dg15(_spki(aa_key))
    # An EC Active Authentication key needs its signature algorithm declared in DG14 (ICAO 9303-11 §9.2.4);
    # the simulated chip signs plain r ‖ s with SHA-256 (sims.activeauth).
    aa_infos = (
        (lds_build.aa_info(ECDSA_PLAIN_SHA256),) if isinstance(aa_key, ec.EllipticCurvePrivateKey) else ()
    )
    ca_key: ec.EllipticCurvePrivateKey | None = None
    if 14 in numbers and profile.chip_authentication:
        ca_key = ec.generate_private_key(ec.BrainpoolP256R1())
        dgs[14] = lds_build.build_dg14(_spki(ca_key), extra_infos=aa_infos)
    elif aa_infos:
        dgs[14] = lds_build.build_dg14_infos(*aa_infos)
        numbers.add(14)

    lds_files = {f"DG{n}": raw for n, raw in dgs.items()}
    lds_files["EF.COM"] = lds_build.build_ef_com(sorted(numbers))
    lds_files["EF.SOD"] = build_sod(dgs, pki)
    refused = {f"DG{n}": Access.TERMINAL_AUTHENTICATION for n in (3, 4) if n in numbers}

    mf_files: dict[str, bytes] = {}
    if any(p.startswith("PACE") for p in profile.access_protocols):
        infos = [lds_build.ta_info()]
        if ca_key is not None:
            infos.append(lds_build.ca_info())
        infos.append(lds_build.pace_info())
        mf_files["EF.CardAccess"] = lds_build.build_card_access(*infos)
    return CardImage(profile, mf_files, lds_files, refused, pki, ca_key, aa_key)


@lru_cache(maxsize=1)
def shared_test_pki() -> TestPKI:
    """One test PKI per process: generating brainpool keys and certificates costs tens of ms."""
    return TestPKI.generate()


@lru_cache(maxsize=32)
def card_image(name: str) -> CardImage:
    """The card image of a ready-made profile, built once per process."""
    return personalize(load_profile(name))

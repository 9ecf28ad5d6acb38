"""A simulated card built from a dump (``cccd read --save-dump``): replay a captured or reference card.

The dump's raw files go back where a CCCD keeps them (EF.CardAccess in the MF; EF.COM, EF.SOD and the
data groups in the eMRTD application, ICAO 9303-10 §3); the BAC key comes from DG1's MRZ, the PACE
password CAN from the 12-digit ID in it (cccd-chip.md §3) unless given.  The private keys cannot be
dumped: without ``ca_key``/``aa_key`` the replayed card is a *clone* — Chip and Active Authentication fail
and the verdict is never ``authentic``, which is what a copy of a real card must produce.

The Chip Authentication key may be on any curve DG14 can declare, named or with explicit domain parameters
(:mod:`sims.eckeys`: brainpoolP224r1, brainpoolP320r1 … that ``cryptography`` cannot load); the protocol and
key id the replayed chip answers to are those DG14 pairs with that key (ICAO 9303-11 §9.2.5–9.2.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader.access.bac import BACKeyInput
from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.access.params import ECGroup, GroupError
from reader.auth.chip import choose, parse_chip_auth_public_key
from reader.errors import ParseError
from reader.lds.cardaccess import ca_protocol, parse_card_access
from reader.lds.com import parse_com
from reader.lds.dg1 import parse_dg1
from reader.lds.dg14 import chip_authentication_keys, parse_dg14
from reader.lds.files import BY_NAME
from reader.lds.mrz import cccd_can
from sims.activeauth import ActiveAuthApplet
from sims.card import Access, CardApplet, CardOS
from sims.chipauth import DEFAULT_CA_OID, ChipAuthApplet
from sims.eckeys import ECKeyError, RawECPrivateKey, load_pem, standardized_group
from sims.pace import PACEApplet, security_applets

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | RawECPrivateKey
MF_FILES = frozenset({"EF.CardAccess", "EF.ATR/INFO", "EF.DIR"})


class ReplayError(ValueError):
    """The dump or a key cannot make a card (the message says which file)."""


def load_private_key(path: Path) -> PrivateKey:
    """An unencrypted PEM private key (EC for Chip Authentication; RSA or EC for Active Authentication).

    EC keys ``cryptography`` cannot load (explicit domain parameters, curves OpenSSL does not name) are read
    by :mod:`sims.eckeys`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReplayError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        try:
            return load_pem(data)
        except ECKeyError as ec_exc:
            raise ReplayError(
                f"{path.name}: not an unencrypted PEM private key ({type(exc).__name__}; {ec_exc})"
            ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ReplayError(f"{path.name}: only EC and RSA keys are supported")
    return key


def card_from_dump(
    files: Mapping[str, bytes],
    *,
    ca_key: PrivateKey | None = None,
    aa_key: PrivateKey | None = None,
    can: str | None = None,
) -> CardOS:
    """A card holding ``files`` (by EF name) with the given private keys."""
    unknown = set(files) - set(BY_NAME)
    if unknown:
        raise ReplayError(f"not card files: {sorted(unknown)}")
    if "DG1" not in files:
        raise ReplayError("the dump has no DG1: the access key cannot be derived")
    try:
        mrz = parse_dg1(files["DG1"])
    except ParseError as exc:
        raise ReplayError(f"DG1: {exc}") from None
    bac_key = BACKeyInput(mrz.document_number, mrz.date_of_birth, mrz.date_of_expiry)
    mf = {name: data for name, data in files.items() if name in MF_FILES}
    lds = {name: data for name, data in files.items() if name not in MF_FILES}
    refused: dict[str, Access] = {}
    if "EF.COM" in files:
        try:
            listed = parse_com(files["EF.COM"]).data_groups
        except ParseError:
            listed = ()
        refused = {f"DG{n}": Access.TERMINAL_AUTHENTICATION for n in listed if n in (3, 4)}
        refused = {name: a for name, a in refused.items() if name not in files}
    can = can or (cccd_can(mrz.personal_id) if mrz.personal_id else None)
    applets = _applets(files, ca_key, aa_key, can, bac_key)
    return CardOS(mf, lds, bac_key=bac_key, applets=applets, refused=refused)


def _applets(
    files: Mapping[str, bytes], ca_key: PrivateKey | None, aa_key: PrivateKey | None, can: str | None,
    bac_key: BACKeyInput,
) -> tuple[CardApplet, ...]:  # fmt: skip
    pace = None
    if "EF.CardAccess" in files:
        try:
            infos = parse_card_access(files["EF.CardAccess"]).pace_infos
        except ParseError as exc:
            raise ReplayError(f"EF.CardAccess: {exc}") from None
        suites = []
        for info in infos:
            try:
                suites.append(PACESuite.from_info(info))
            except ParseError:
                continue
        passwords = {PasswordType.MRZ: PACEPassword.mrz(
            bac_key.document_number, bac_key.date_of_birth, bac_key.date_of_expiry)}  # fmt: skip
        if can:
            passwords[PasswordType.CAN] = PACEPassword.can(can)
        if suites:
            pace = PACEApplet(tuple(suites), passwords, _scalar(ca_key))
    ca = _ca_applet(files, ca_key) if ca_key is not None else None
    if isinstance(aa_key, RawECPrivateKey):
        raise ReplayError("the Active Authentication key must be RSA or an EC key on a curve OpenSSL names")
    aa = ActiveAuthApplet(aa_key) if aa_key is not None else None
    return security_applets(pace, ca, others=(aa,))


def _scalar(key: PrivateKey | None) -> int | None:
    """SK_IC for PACE-CAM: the EC Chip Authentication key's scalar."""
    if isinstance(key, RawECPrivateKey):
        return key.d
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_numbers().private_value
    return None


def _group_and_scalar(key: PrivateKey) -> tuple[ECGroup, int]:
    if isinstance(key, RawECPrivateKey):
        return key.group, key.d
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ReplayError("the Chip Authentication key must be an EC key")
    try:
        group = standardized_group(key.curve)
    except GroupError as exc:
        raise ReplayError(f"Chip Authentication key: {exc}") from None
    return group, key.private_numbers().private_value


def _ca_applet(files: Mapping[str, bytes], key: PrivateKey) -> ChipAuthApplet:
    """The chip's CA with ``key`` and the protocol/key id DG14 declares for it (else ECDH-AES-128)."""
    group, d = _group_and_scalar(key)
    public = group.encoded_public_key(d)
    protocol, key_id = ca_protocol(DEFAULT_CA_OID), None
    if "DG14" in files:
        try:
            pairs = chip_authentication_keys(parse_dg14(files["DG14"]))
        except ParseError as exc:
            raise ReplayError(f"DG14: {exc}") from None
        for info, ca_info in pairs:
            try:
                declared = parse_chip_auth_public_key(info.subject_public_key_info, info.key_id)
            except ParseError:
                continue
            if declared.public_key == public:
                choice = choose([(info, ca_info)])
                protocol, key_id = choice.protocol, info.key_id
                break
    return ChipAuthApplet(protocol, group, d, key_id)

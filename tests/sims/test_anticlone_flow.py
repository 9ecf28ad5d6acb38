"""The CCCD path the engine should take, on the personalised ``default`` card (real EF.CardAccess, DG14,
DG15, SOD from ``sims.personalize``): EF.CardAccess → PACE with the CAN → SELECT → files → passive
authentication → Chip Authentication with the DG14 key → Active Authentication with the DG15 key.
Also the clone variants (wrong CA / AA keys) and a card whose PACE fails so that BAC must be used."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader.access.bac import perform_bac
from reader.access.pace import PACEPassword, PasswordType
from reader.access.pace_protocol import PACEPasswordError, choose_suite, perform_pace
from reader.auth.active import perform_active_authentication
from reader.auth.chip import choose, perform_chip_authentication
from reader.engine import run_passive_auth
from reader.filereader import FileReader
from reader.lds.cardaccess import parse_card_access
from reader.lds.dg14 import chip_authentication_keys, parse_dg14
from reader.lds.dg15 import parse_dg15
from reader.lds.files import EF_CARD_ACCESS, EF_COM, EF_SOD, dg
from reader.pki.trust import CSCAStore
from reader.session import CardSession
from reader.transports.base import CallableTransport
from sims.activeauth import ActiveAuthApplet
from sims.card import CardOS
from sims.chipauth import ChipAuthApplet
from sims.pace import PACEApplet, security_applets
from sims.personalize import CardImage, card_image


def _card(
    image: CardImage, *, ca_key: ec.EllipticCurvePrivateKey | None = None, aa_key: object = None
) -> CardOS:
    suites = (choose_suite(parse_card_access(image.mf_files["EF.CardAccess"])),)
    pace = PACEApplet(suites, {PasswordType.CAN: PACEPassword.can(image.profile.can)})
    assert image.ca_key is not None and image.aa_key is not None
    ca = ChipAuthApplet.from_ec_key(ca_key or image.ca_key)
    aa = ActiveAuthApplet(aa_key or image.aa_key)  # type: ignore[arg-type]
    return image.new_card(applets=security_applets(pace, ca, others=(aa,)))


def _read(card: CardOS, can: str) -> tuple[CardSession, dict[str, bytes]]:
    session = CardSession(CallableTransport(card.execute))
    reader = FileReader(session)
    card_access = reader.read_ef(EF_CARD_ACCESS)
    perform_pace(session, choose_suite(parse_card_access(card_access)), PACEPassword.can(can))
    reader.select_application()
    files = (EF_COM, EF_SOD, dg(1), dg(14), dg(15))
    raw = {ef.name: reader.read_ef(ef) for ef in files}
    return session, raw


def _trust(image: CardImage) -> CSCAStore:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


def test_cccd_path_pace_pa_ca_aa() -> None:
    image = card_image("default")
    session, raw = _read(_card(image), image.profile.can)
    assert session.secure_messaging is not None and session.secure_messaging.alg.name == "AES128"
    pa = run_passive_auth(raw, _trust(image), None)
    assert str(pa.result.value) == "passed"
    ca = perform_chip_authentication(session, choose(chip_authentication_keys(parse_dg14(raw["DG14"]))))
    assert ca.passed, ca
    aa = perform_active_authentication(session, parse_dg15(raw["DG15"]).spki)
    assert aa.valid, aa.result
    assert session.stats.apdus < 40


def test_clone_fails_ca_and_aa() -> None:
    image = card_image("default")
    clone = _card(
        image,
        ca_key=ec.generate_private_key(ec.BrainpoolP256R1()),
        aa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if isinstance(image.aa_key, rsa.RSAPrivateKey) else ec.generate_private_key(ec.BrainpoolP256R1()),
    )  # fmt: skip
    session, raw = _read(clone, image.profile.can)
    assert str(run_passive_auth(raw, _trust(image), None).result.value) == "passed"  # data copied verbatim
    aa = perform_active_authentication(session, parse_dg15(raw["DG15"]).spki)
    assert not aa.valid
    ca = perform_chip_authentication(session, choose(chip_authentication_keys(parse_dg14(raw["DG14"]))))
    assert not ca.passed and ca.reason == "NO_SECURE_MESSAGING_UNDER_NEW_KEYS" and not ca.session_intact


def test_wrong_can_then_bac() -> None:
    image = card_image("default")
    card = _card(image)
    session = CardSession(CallableTransport(card.execute))
    reader = FileReader(session)
    suite = choose_suite(parse_card_access(reader.read_ef(EF_CARD_ACCESS)))
    try:
        perform_pace(session, suite, PACEPassword.can("000000"))
    except PACEPasswordError as exc:
        downgrade_reason = exc.reason
    assert downgrade_reason == "PASSWORD_REJECTED"
    reader.select_application()
    session.start_secure_messaging(perform_bac(session, image.bac_key))
    assert reader.read_ef(EF_COM) == image.lds_files["EF.COM"]

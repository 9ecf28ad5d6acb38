"""Fuzz targets: one per parser of untrusted bytes, plus the whole read against a mutated replayed card.

Every target takes the fuzzer's bytes and returns normally, or raises one of the *typed* errors the
parser documents (:data:`TYPED`) — which the target swallows.  Anything else (``IndexError``,
``UnicodeDecodeError``, ``RecursionError``, ...) escapes and is a finding.  See docs/fuzzing.md.

The targets import nothing from ``sims`` except :func:`full_read`, which needs a simulated card.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.keyentry import KeyEntryError, from_mrz, from_qr, parse_qr
from reader import tlv as t
from reader.access.control import AccessMode
from reader.access.params import DHGroup, ECGroup
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.crypto import CipherAlg
from reader.engine import ChipReader, ReadRequest
from reader.errors import ReaderError
from reader.lds.cardaccess import parse_card_access
from reader.lds.com import parse_com
from reader.lds.dg1 import parse_dg1, parse_mrz
from reader.lds.dg2 import parse_dg2
from reader.lds.dg13 import parse_dg13
from reader.lds.dg14 import chip_authentication_keys, parse_dg14
from reader.lds.dg15 import parse_dg15
from reader.lds.sod import SOD
from reader.pki import certs as pki_certs
from reader.pki import cms as pki_cms
from reader.pki.cms import parse_signed_data, verify_signer
from reader.pki.crl import CRL
from reader.pki.masterlist import parse_master_list
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.sm import SecureMessaging
from reader.transports import CallableTransport
from reader.transports.pn532_frames import (
    CardType,
    FrameDecoder,
    FrameKind,
    parse_firmware_version,
    parse_in_data_exchange,
    parse_in_list_passive_target,
)

#: The typed errors a parser may raise on hostile input (all of them are ``ValueError`` subclasses or
#: ``ReaderError``); every other exception is a bug.
TYPED: tuple[type[Exception], ...] = (ReaderError, KeyEntryError)

Target = Callable[[bytes], None]


def tlv(data: bytes) -> None:
    def walk(obj: t.TLV, depth: int) -> None:
        if obj.constructed and depth < 8:
            for child in obj.children():
                walk(child, depth + 1)

    for obj in t.iter_tlv(data):
        walk(obj, 0)
    t.decode(data, allow_trailing=True)


def apdu(data: bytes) -> None:
    r = ResponseAPDU.from_bytes(data)
    assert ResponseAPDU.from_bytes(r.to_bytes()) == r
    c = CommandAPDU.from_bytes(data)
    assert CommandAPDU.from_bytes(c.to_bytes()) == c


@cache
def _sm_keys() -> tuple[bytes, bytes]:
    return bytes(range(16)), bytes(range(16, 32))


def sm_unwrap(data: bytes) -> None:
    """Secure-messaging unwrap.  The first byte chooses 3DES or AES and whether the harness appends a
    *correct* MAC (DO'8E') over the fuzzed objects, so that the code after the MAC check is reached."""
    if not data:
        return
    mode, body = data[0], data[1:]
    enc, mac = _sm_keys()

    def session() -> SecureMessaging:
        if mode & 1:
            return SecureMessaging.tdes(enc, mac, b"\x00" * 8)
        return SecureMessaging.aes(CipherAlg.AES128, enc, mac, 0)

    if mode & 2 and len(body) >= 2:
        objects, sw = body[:-2], body[-2:]
        signer = session()
        signer._ssc += 1  # the unwrap below counts this response
        macced = objects + t.encode(0x8E, signer.mac(objects))
        response = ResponseAPDU(macced, int.from_bytes(sw, "big"))
    else:
        response = ResponseAPDU.from_bytes(body)
    session().unprotect(response)


def ef_com(data: bytes) -> None:
    com = parse_com(data)
    _ = com.lds_version_text, com.unicode_version_text


def card_access(data: bytes) -> None:
    infos = parse_card_access(data)
    for info in infos.pace_infos:
        _ = info.pace
    for ca in infos.ca_infos:
        _ = ca.ca
    for key in infos.ca_public_keys:
        key.key_agreement  # noqa: B018 - the property parses the key


def dg1(data: bytes) -> None:
    mrz = parse_dg1(data)
    _ = mrz.valid, mrz.name, mrz.personal_id, mrz.masked_id, mrz.mrz_information


def dg2(data: bytes) -> None:
    for face in parse_dg2(data).images:
        _ = face.size_consistent


def dg13(data: bytes) -> None:
    pd = parse_dg13(data)
    _ = pd.nfc(), pd.sex_code, pd.birth_date, pd.expiry_date, pd.to_dict()


def dg14(data: bytes) -> None:
    infos = parse_dg14(data)
    chip_authentication_keys(infos)


def dg15(data: bytes) -> None:
    parse_dg15(data)


def sod(data: bytes) -> None:
    s = SOD.from_bytes(data)
    _ = s.signer_info, s.certificates, s.ds_certificate, s.encapsulated_content, s.sha256


def cms(data: bytes) -> None:
    sd = parse_signed_data(data)
    for signer in sd.signer_infos:
        cert = sd.signer_certificate(signer)
        if cert is not None:
            verify_signer(sd, signer, cert)


def master_list(data: bytes) -> None:
    parse_master_list(data).to_dict()


def crl(data: bytes) -> None:
    c = CRL.from_bytes(data)
    _ = c.issuer, c.revoked_serials, c.is_stale(datetime(2026, 3, 1, tzinfo=UTC))


def mrz_text(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    from_mrz(text).bac_key_seeds()
    parse_mrz(text)


def qr_payload(data: bytes) -> None:
    payload = parse_qr(data)
    from_qr(payload, today=date(2026, 3, 1)).bac_key_seeds()


def pn532_frames(data: bytes) -> None:
    decoder = FrameDecoder()
    decoder.feed(data)
    for _ in range(len(data) + 1):
        try:
            frame = decoder.next()
        except ReaderError:
            continue
        if frame is None:
            break
        if frame.kind is FrameKind.INFO:
            for parse in (parse_firmware_version, parse_in_data_exchange):
                try:
                    parse(frame.data)
                except ReaderError:
                    pass
            for card_type in CardType:
                try:
                    parse_in_list_passive_target(frame.data, card_type)
                except ReaderError:
                    pass


@cache
def _genuine() -> Any:
    from sims.personalize import card_image

    return card_image("default")


@cache
def _trust() -> CSCAStore:
    """The trust store of every full read (lookups never change it; a kiosk too keeps one for all reads)."""
    store = CSCAStore()
    _genuine().add_test_csca_to(store)
    return store


@cache
def _genuine_sod() -> SOD:
    return SOD.from_bytes(_genuine().lds_files["EF.SOD"])


FULL_READ_FILES = ("EF.CardAccess", "EF.COM", "EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15")
#: Seeds of the deterministic random sources of one full read: the reader's and the simulated card's.
READER_SEED, CARD_SEED = 1, 2
#: Results kept by :func:`_memoized_crypto` before it starts afresh (fuzzed curves and keys add entries).
MEMO_LIMIT = 4096


def _random(seed: int) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


@contextmanager
def _memoized_crypto() -> Iterator[None]:
    """Within: EC scalar multiplication, DH exponentiation (``reader.access.params``), signature
    verification (``reader.pki.keys.verify_signature`` as the certificate and CMS code call it) and the
    simulated card's RSA private operation (``sims.activeauth``) remember their results by their whole
    input (an exception is not remembered: it is raised again by the computation), and the genuine EF.SOD
    is decoded once (``SOD.from_bytes`` of any other bytes decodes them).

    The read stays the same read: every step runs and gets the very result it would compute, only the
    result for a repeated input is looked up.  With the seeded random sources of :func:`full_read`, a
    read repeats the scalars and messages of the one before wherever the fuzzed file does not reach, so
    most of the crypto and EF.SOD decoding of a read is saved (docs/fuzzing.md).  Restored on exit, so
    no other caller of these functions (tests in the same process) ever sees the memo.
    """
    import sims.activeauth as aa

    ec_exp, dh_exp = ECGroup.exp, DHGroup.exp
    rsa_private: Callable[[Any, int], int] = aa._rsa_private
    verify: Callable[[Any, Any, bytes, bytes], bool] = getattr(pki_certs, "verify_signature")  # noqa: B009

    def remember(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        try:
            return _MEMO[key]
        except KeyError:
            pass
        value = compute()
        if len(_MEMO) >= MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = value
        return value

    def ec_exp_memo(group: ECGroup, base: Any, k: int) -> Any:
        c = group.curve
        key = ("ec", c.p, c.a, c.b, c.q, c.G.x, c.G.y, base.x, base.y, base.z, k)
        return remember(key, lambda: ec_exp(group, base, k))

    def dh_exp_memo(group: DHGroup, base: int, k: int) -> int:
        return int(remember(("dh", group.p, base, k), lambda: dh_exp(group, base, k)))

    def rsa_private_memo(numbers: Any, m: int) -> int:
        key = ("rsa", numbers.p, numbers.q, numbers.d, m)
        return int(remember(key, lambda: rsa_private(numbers, m)))

    def verify_memo(key: Any, algorithm: Any, signature: bytes, message: bytes) -> bool:
        spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        memo_key = ("verify", spki, algorithm, bytes(signature), bytes(message))
        return bool(remember(memo_key, lambda: verify(key, algorithm, signature, message)))

    genuine_sod, parsed_sod = _genuine().lds_files["EF.SOD"], _genuine_sod()  # decoded before the patch
    sod_from_bytes: Callable[[bytes], SOD] = SOD.from_bytes

    def sod_memo(raw: bytes) -> SOD:
        return parsed_sod if raw == genuine_sod else sod_from_bytes(raw)

    patches: list[tuple[object, str, object]] = [
        (SOD, "from_bytes", staticmethod(sod_memo)),  # the genuine EF.SOD decoded once (_genuine_sod)
        (ECGroup, "exp", ec_exp_memo),
        (DHGroup, "exp", dh_exp_memo),
        (aa, "_rsa_private", rsa_private_memo),
        (pki_certs, "verify_signature", verify_memo),  # the name certs.py and cms.py import
        (pki_cms, "verify_signature", verify_memo),
    ]
    originals = [(owner, name, vars(owner)[name]) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


_MEMO: dict[tuple[Any, ...], Any] = {}


def full_read(data: bytes) -> None:
    """The whole read (access, files, PA, CA, AA) against a replayed simulated card one of whose files is
    the fuzzer's bytes.  Byte 0: which file (mod 8), bit 3 of it: BAC instead of PACE; the rest: the file.
    Besides "typed errors only", a read may say ``authentic`` only when every file it read is genuine.

    Deterministic, as libFuzzer asks of a target: the reader and the card draw their nonces and
    ephemeral keys from seeded generators (the reader's ``rng`` hook, the card's ``rng`` attribute; the
    production default of both stays ``os.urandom``), so an input replays exactly (``--repro``) and its
    coverage does not flicker; the repeated arithmetic is then looked up (:func:`_memoized_crypto`)."""
    from sims.replay import ReplayError, card_from_dump

    if not data:
        return
    image = _genuine()
    files = {**image.mf_files, **image.lds_files}
    name = FULL_READ_FILES[data[0] % len(FULL_READ_FILES)]
    files = {k: v for k, v in files.items() if k in FULL_READ_FILES}
    files[name] = data[1:]
    if not data[1:]:
        del files[name]  # an empty mutation: the file is missing
    with _memoized_crypto():
        try:
            card = card_from_dump(files, ca_key=image.ca_key, aa_key=image.aa_key, can=image.profile.can)
        except ReplayError:
            return
        card.rng = _random(CARD_SEED)
        mode = AccessMode.BAC if data[0] & 8 else AccessMode.AUTO
        request = ReadRequest(bac_key=image.bac_key, can=image.profile.can, access=mode, trust=_trust())
        transport = CallableTransport(card.execute, extended_length=True)
        result = ChipReader(transport, rng=_random(READER_SEED)).read(request)
    if result.verdict is Verdict.AUTHENTIC:
        for file, raw in result.raw.items():
            if file.startswith("DG") or file == "EF.SOD":
                assert raw == image.lds_files[file], f"{file} altered but the read says authentic"


TARGETS: dict[str, Target] = {
    "tlv": tlv,
    "apdu": apdu,
    "sm_unwrap": sm_unwrap,
    "ef_com": ef_com,
    "card_access": card_access,
    "dg1": dg1,
    "dg2": dg2,
    "dg13": dg13,
    "dg14": dg14,
    "dg15": dg15,
    "sod": sod,
    "cms": cms,
    "master_list": master_list,
    "crl": crl,
    "mrz_text": mrz_text,
    "qr_payload": qr_payload,
    "pn532_frames": pn532_frames,
    "full_read": full_read,
}


def run_one(name: str, data: bytes) -> None:
    """Run target ``name`` on ``data``; typed errors are the parser's documented answer to bad input."""
    try:
        TARGETS[name](data)
    except TYPED:
        pass

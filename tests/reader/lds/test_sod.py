"""EF.SOD parsing (ICAO 9303-10 §4.6.2): fields, and typed errors on malformed input."""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import cms
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.errors import ParseError
from reader.lds.sod import ID_ICAO_LDS_SECURITY_OBJECT, SOD, LDSSecurityObject, SODParseError
from reader.tlv import encode
from sims.pki import TestPKI, build_sod, signed_content_info

DGS = {1: b"\x61\x03abc", 2: b"\x75\x04face", 14: b"\x6e\x02ca", 15: b"\x6f\x02aa"}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate(seed=b"sod-tests")


@pytest.fixture(scope="module")
def sod_raw(pki: TestPKI) -> bytes:
    return build_sod(DGS, pki, "sha256", lds_version=("0108", "040000"))


def test_fields(pki: TestPKI, sod_raw: bytes) -> None:
    sod = SOD.from_bytes(sod_raw)
    assert sod.version == 1
    assert sod.digest_algorithm == "sha256"
    assert sod.dg_hashes == {n: hashlib.sha256(v).digest() for n, v in DGS.items()}
    assert (sod.lds_version, sod.unicode_version) == ("0108", "040000")
    assert sod.raw == sod_raw
    assert sod.sha256 == hashlib.sha256(sod_raw).hexdigest()
    assert sod.signed_data.econtent_type == ID_ICAO_LDS_SECURITY_OBJECT
    assert sod.signed_data.version == 3
    assert len(sod.certificates) == 1
    assert sod.ds_certificate is not None and sod.ds_certificate.der == pki.ds_der
    signer = sod.signer_info
    assert signer.content_type == ID_ICAO_LDS_SECURITY_OBJECT
    assert signer.message_digest == hashlib.sha256(sod.encapsulated_content).digest()
    assert signer.signed_attrs_der is not None and signer.signed_attrs_der[0] == 0x31
    assert signer.signing_time is not None


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_hash_algorithms_and_v0(pki: TestPKI, hash_alg: str) -> None:
    sod = SOD.from_bytes(build_sod(DGS, pki, hash_alg))
    assert sod.version == 0 and sod.lds_version is None
    assert sod.digest_algorithm == hash_alg
    assert sod.dg_hashes[2] == hashlib.new(hash_alg, DGS[2]).digest()


def test_signer_by_subject_key_identifier(pki: TestPKI) -> None:
    sod = SOD.from_bytes(build_sod(DGS, pki, use_ski=True))
    assert sod.signer_info.subject_key_identifier is not None
    assert sod.signer_info.serial_number is None
    assert sod.ds_certificate is not None and sod.ds_certificate.der == pki.ds_der


def test_repr_shows_no_hashes(sod_raw: bytes) -> None:
    sod = SOD.from_bytes(sod_raw)
    text = repr(sod) + repr(sod.signer_info) + repr(sod.signed_data)
    for value in sod.dg_hashes.values():
        assert value.hex() not in text and repr(value) not in text
    assert "sha256" in text


def _lso(pki: TestPKI, entries: list[tuple[int, bytes]], version: int = 0) -> bytes:
    econtent = LDSSecurityObject(
        {
            "version": version,
            "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": [
                {"data_group_number": n, "data_group_hash_value": h} for n, h in entries
            ],
        }
    ).dump()
    return encode(0x77, signed_content_info(ID_ICAO_LDS_SECURITY_OBJECT, econtent, pki.ds))


@pytest.mark.parametrize(
    ("entries", "version", "message"),
    [
        ([(0, b"\x00" * 32)], 0, "out of range"),
        ([(17, b"\x00" * 32)], 0, "out of range"),
        ([(1, b"\x00" * 32), (1, b"\x01" * 32)], 0, "repeated"),
        ([], 0, "no data group"),
        ([(1, b"\x00" * 32)], 2, "version"),
    ],
)
def test_security_object_violations(
    pki: TestPKI, entries: list[tuple[int, bytes]], version: int, message: str
) -> None:
    with pytest.raises(SODParseError, match=message):
        SOD.from_bytes(_lso(pki, entries, version))


def test_unsupported_hash_algorithm(pki: TestPKI) -> None:
    econtent = LDSSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": "md5"},
            "data_group_hash_values": [{"data_group_number": 1, "data_group_hash_value": b"\x00" * 16}],
        }
    ).dump()
    with pytest.raises(SODParseError, match="hash algorithm"):
        SOD.from_bytes(encode(0x77, signed_content_info(ID_ICAO_LDS_SECURITY_OBJECT, econtent, pki.ds)))


def test_wrong_content_type(pki: TestPKI) -> None:
    with pytest.raises(SODParseError, match="eContentType"):
        SOD.from_bytes(encode(0x77, pki.master_list()))


def test_no_signer(pki: TestPKI) -> None:
    econtent = LDSSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": [{"data_group_number": 1, "data_group_hash_value": b"\x00" * 32}],
        }
    ).dump()
    with pytest.raises(SODParseError, match="one SignerInfo"):
        SOD.from_bytes(encode(0x77, signed_content_info(ID_ICAO_LDS_SECURITY_OBJECT, econtent, None)))


def test_content_info_that_is_not_signed_data() -> None:
    data = cms.ContentInfo({"content_type": "data", "content": b"hello"}).dump()
    with pytest.raises(SODParseError, match="SignedData"):
        SOD.from_bytes(encode(0x77, data))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x77",
        b"\x77\x00",
        b"\x30\x03\x02\x01\x00",
        b"\x77\x05\x30\x03\x02\x01",
        b"\x77\x03\x04\x01\x00",
    ],
)
def test_garbage_raises_typed_error(raw: bytes) -> None:
    with pytest.raises(SODParseError):
        SOD.from_bytes(raw)


def test_truncations_and_trailing_bytes(sod_raw: bytes) -> None:
    for cut in range(len(sod_raw)):
        with pytest.raises(SODParseError):
            SOD.from_bytes(sod_raw[:cut])
    with pytest.raises(SODParseError):
        SOD.from_bytes(sod_raw + b"\x00")


def test_parse_error_is_a_reader_parse_error() -> None:
    assert issubclass(SODParseError, ParseError)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_leak_other_errors(data: bytes) -> None:
    try:
        SOD.from_bytes(b"\x77" + bytes([len(data)]) + data if len(data) < 128 else data)
    except SODParseError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_sod_parses_or_raises_typed_error(sod_raw: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(sod_raw) - 1))
    value = data.draw(st.integers(0, 255))
    mutated = sod_raw[:position] + bytes([value]) + sod_raw[position + 1 :]
    try:
        SOD.from_bytes(mutated)
    except SODParseError:
        pass

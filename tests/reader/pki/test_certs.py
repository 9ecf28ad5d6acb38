"""``reader.pki.certs.comparable_name``: lazy-decoding failures surface at parse time; prepared names are
reused by DER encoding (RFC 5280 §7.1 comparison, RFC 4518 string preparation)."""

from __future__ import annotations

import pytest
from asn1crypto import x509

from reader.pki import certs
from reader.pki.certs import comparable_name


def _name(value: bytes, tag: int = 0x0C) -> x509.Name:
    """A one-attribute Name, commonName = ``value`` as a string of ``tag`` (0x0C: UTF8String)."""
    atv = b"\x06\x03\x55\x04\x03" + bytes([tag, len(value)]) + value
    rdn = b"\x30" + bytes([len(atv)]) + atv
    rdns = b"\x31" + bytes([len(rdn)]) + rdn
    return x509.Name.load(b"\x30" + bytes([len(rdns)]) + rdns)


def test_a_malformed_string_raises_at_every_call() -> None:
    for _ in range(2):  # a failure is never remembered
        with pytest.raises((ValueError, UnicodeDecodeError)):
            comparable_name(_name(b"\xff\xfe"))


def test_an_equal_name_is_answered_with_the_prepared_one() -> None:
    first = comparable_name(_name(b"CSCA Test"))
    again = comparable_name(_name(b"CSCA Test"))
    assert again is first
    assert again == _name(b"csca  test")  # RFC 4518: case folded, spaces collapsed
    other = comparable_name(_name(b"CSCA Other"))
    assert other is not first and other != first


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certs, "_PREPARED_NAMES", {})
    monkeypatch.setattr(certs, "_PREPARED_NAMES_LIMIT", 4)
    for i in range(10):
        comparable_name(_name(f"DS {i}".encode()))
    assert 0 < len(certs._PREPARED_NAMES) <= 4

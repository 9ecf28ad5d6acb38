"""Fuzz-style tests: every LDS parser fed truncated, mis-tagged, corrupted and absurd-length input raises
a :class:`reader.errors.ParseError` subclass — never IndexError, KeyError, struct.error, RecursionError."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from reader.errors import ParseError
from reader.lds.cardaccess import parse_card_access, parse_security_infos
from reader.lds.com import parse_com
from reader.lds.dg1 import parse_dg1, parse_mrz
from reader.lds.dg2 import image_size, parse_dg2
from reader.lds.dg13 import parse_dg13
from reader.lds.dg14 import parse_dg14
from reader.lds.dg15 import parse_dg15
from sims import lds_build
from sims.people import load_profile


def _samples() -> dict[str, tuple[Callable[[bytes], Any], bytes]]:
    profile = load_profile("long_address")
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buf, "JPEG2000")
    spki = (
        ec.generate_private_key(ec.BrainpoolP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return {
        "card_access": (parse_card_access, lds_build.build_card_access()),
        "com": (parse_com, lds_build.build_ef_com([1, 2, 3, 13, 14, 15])),
        "dg1": (parse_dg1, lds_build.build_dg1(profile.mrz_lines)),
        "dg2_19794": (parse_dg2, lds_build.build_dg2(jpeg, 40, 30)),
        "dg2_39794": (
            parse_dg2,
            lds_build.build_dg2_records([(0x7F2E, lds_build.iso39794_5_block(buf.getvalue(), 40, 30))]),
        ),
        "dg13": (parse_dg13, lds_build.build_dg13(profile.dg13_fields())),
        "dg14": (parse_dg14, lds_build.build_dg14(spki, 1)),
        "dg15": (parse_dg15, lds_build.build_dg15(spki)),
    }


SAMPLES = _samples()
NAMES = sorted(SAMPLES)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_parse_errors(parser: Callable[[bytes], Any], data: bytes) -> None:
    try:
        parser(data)
    except ParseError:
        pass


@pytest.mark.parametrize("name", NAMES)
def test_samples_parse(name: str) -> None:
    parser, raw = SAMPLES[name]
    parser(raw)


@pytest.mark.parametrize("name", NAMES)
def test_every_truncation_raises(name: str) -> None:
    parser, raw = SAMPLES[name]
    for cut in range(len(raw)):
        with pytest.raises(ParseError):
            parser(raw[:cut])


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_corruption(name: str, data: st.DataObject) -> None:
    parser, raw = SAMPLES[name]
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
    _only_parse_errors(parser, bytes(buf))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_absurd_lengths_and_splices(name: str, data: st.DataObject) -> None:
    parser, raw = SAMPLES[name]
    at = data.draw(st.integers(0, len(raw)))
    insert = data.draw(
        st.sampled_from(
            [
                b"\x84\xff\xff\xff\xff",
                b"\x83\xff\xff\xff",
                b"\x80",
                b"\x85\x01\x00\x00\x00\x00",
                b"\x30\x82\xff\xff",
                b"\x7f\x61\x81",
                b"\x02\x00",
                b"\x06\x00",
            ]
        )
    )
    replace = data.draw(st.integers(0, 5))
    _only_parse_errors(parser, raw[:at] + insert + raw[at + replace :])


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(tag=st.integers(0, 255))
def test_mis_tagged(name: str, tag: int) -> None:
    parser, raw = SAMPLES[name]
    _only_parse_errors(parser, bytes([tag]) + raw[1:])


@FUZZ
@given(garbage=st.binary(max_size=200))
def test_garbage(garbage: bytes) -> None:
    for name in NAMES:
        _only_parse_errors(SAMPLES[name][0], garbage)
    for prefix in (b"\xff\xd8", b"\xff\x4f\xff\x51", bytes.fromhex("0000000C6A5020200D0A870A")):
        _only_parse_errors(image_size, prefix + garbage)
    _only_parse_errors(lambda b: parse_security_infos(b), b"\x31" + garbage)


@FUZZ
@given(text=st.text(alphabet="ABCXYZ0189<\n é", max_size=100))
def test_mrz_text(text: str) -> None:
    _only_parse_errors(lambda _: parse_mrz(text), b"")


def test_deep_nesting_is_bounded() -> None:
    nested = b""
    for _ in range(400):
        nested = (
            b"\x30" + bytes([len(nested)]) + nested
            if len(nested) < 128
            else b"\x30\x82" + len(nested).to_bytes(2, "big") + nested
        )
    for name in NAMES:
        _only_parse_errors(SAMPLES[name][0], nested)

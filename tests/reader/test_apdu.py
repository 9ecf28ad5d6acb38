"""Command and response APDUs (reader/apdu.py): ISO/IEC 7816-4 §5.1, the seven cases, extended length."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.apdu import CommandAPDU, ResponseAPDU
from reader.errors import ParseError


@pytest.mark.parametrize(
    ("cmd", "hex_"),
    [
        (CommandAPDU(0x00, 0xA4, 0x00, 0x0C), "00A4000C"),  # case 1
        (CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8), "0084000008"),  # case 2S (ICAO Appendix D)
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=256), "00B0000000"),  # case 2S, Le 00 = 256
        (CommandAPDU(0x00, 0xA4, 0x02, 0x0C, data=b"\x01\x1c"), "00A4020C02011C"),  # case 3S
        (
            CommandAPDU(0x00, 0xA4, 0x04, 0x0C, data=bytes.fromhex("A0000002471001"), ne=256),
            "00A4040C07A000000247100100",
        ),  # case 4S
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=0x0300), "00B00000000300"),  # case 2E
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=65536), "00B00000000000"),  # case 2E, 0000 = 65536
        (CommandAPDU(0x00, 0xDA, 0x00, 0x00, data=b"\xaa" * 300), "00DA000000012C" + "AA" * 300),  # case 3E
        (
            CommandAPDU(0x0C, 0xB1, 0x01, 0x01, data=b"\x54\x02\x00\x00", ne=65536),
            "0CB10101000004540200000000",
        ),  # case 4E
    ],
)
def test_known_encodings_round_trip(cmd: CommandAPDU, hex_: str) -> None:
    raw = bytes.fromhex(hex_)
    assert cmd.to_bytes() == raw
    back = CommandAPDU.from_bytes(raw)
    assert (back.cla, back.ins, back.p1, back.p2, back.data, back.ne) == (
        cmd.cla,
        cmd.ins,
        cmd.p1,
        cmd.p2,
        cmd.data,
        cmd.ne,
    )
    assert back.to_bytes() == raw


def test_extended_forced() -> None:
    cmd = CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=16, extended=True)
    assert cmd.to_bytes() == bytes.fromhex("00B00000000010")
    assert cmd.is_extended


@pytest.mark.parametrize(
    "hex_",
    [
        "",
        "00",
        "00A4",
        "00A400",  # shorter than the header
        "00A4000C0501",
        "00A4000C02011C0000",  # short Lc disagrees with size
        "00B0000000FF",  # extended marker then one byte
        "00B000000000000102",  # extended Lc of zero
        "00DA00000000050102",  # extended Lc larger than the data
    ],
)
def test_malformed_commands(hex_: str) -> None:
    with pytest.raises(ParseError):
        CommandAPDU.from_bytes(bytes.fromhex(hex_))


def test_field_ranges() -> None:
    with pytest.raises(ParseError):
        CommandAPDU(0x100, 0, 0, 0)
    with pytest.raises(ParseError):
        CommandAPDU(0, 0, 0, -1)
    with pytest.raises(ParseError):
        CommandAPDU(0, 0, 0, 0, ne=65537)
    with pytest.raises(ParseError):
        CommandAPDU(0, 0, 0, 0, data=bytes(65536))


def test_repr_hides_data() -> None:
    cmd = CommandAPDU(0x00, 0x82, 0x00, 0x00, data=b"KEYMATERIAL" * 3, ne=40)
    assert "KEYMATERIAL" not in repr(cmd)
    assert "4B4559" not in repr(cmd).upper()
    resp = ResponseAPDU(b"personal data", 0x9000)
    assert "personal" not in repr(resp)


def test_response() -> None:
    resp = ResponseAPDU.from_bytes(bytes.fromhex("0102039000"))
    assert (resp.data, resp.sw, resp.sw1, resp.sw2, resp.ok) == (b"\x01\x02\x03", 0x9000, 0x90, 0x00, True)
    assert resp.to_bytes() == bytes.fromhex("0102039000")
    assert not ResponseAPDU.from_bytes(bytes.fromhex("6982")).ok
    with pytest.raises(ParseError):
        ResponseAPDU.from_bytes(b"\x90")


# --- properties ---------------------------------------------------------------------------------------

byte = st.integers(0, 0xFF)


@st.composite
def commands(draw: st.DrawFn) -> CommandAPDU:
    data = draw(st.one_of(st.binary(max_size=300), st.binary(min_size=0, max_size=0)))
    ne = draw(st.one_of(st.just(0), st.integers(1, 256), st.integers(257, 65536)))
    return CommandAPDU(
        draw(byte), draw(byte), draw(byte), draw(byte), data=data, ne=ne, extended=draw(st.booleans())
    )


@given(cmd=commands())
def test_round_trip_all_cases(cmd: CommandAPDU) -> None:
    raw = cmd.to_bytes()
    back = CommandAPDU.from_bytes(raw)
    assert (back.header, back.data, back.ne) == (cmd.header, cmd.data, cmd.ne)
    assert back.to_bytes() == raw
    if cmd.data or cmd.ne:
        assert back.is_extended == cmd.is_extended


@given(cmd=commands())
def test_case_and_size(cmd: CommandAPDU) -> None:
    raw = cmd.to_bytes()
    nc, ne = len(cmd.data), cmd.ne
    if not cmd.is_extended:
        assert len(raw) == 4 + (1 + nc if nc else 0) + (1 if ne else 0)
    elif nc or ne:
        assert len(raw) == 4 + (3 + nc if nc else 0) + ((2 if nc else 3) if ne else 0)


@settings(max_examples=400)
@given(raw=st.binary(max_size=80))
def test_garbage_raises_only_parse_error(raw: bytes) -> None:
    try:
        cmd = CommandAPDU.from_bytes(raw)
    except ParseError:
        return
    assert cmd.to_bytes() == raw  # whatever parses must re-encode to the same bytes


@given(data=st.binary(max_size=300), sw=st.integers(0, 0xFFFF))
def test_response_round_trip(data: bytes, sw: int) -> None:
    assert ResponseAPDU.from_bytes(ResponseAPDU(data, sw).to_bytes()) == ResponseAPDU(data, sw)

"""The PN532 frame codec (reader/transports/pn532_frames.py) against known frames of NXP UM0701-02, and
malformed input: always a typed error (FrameError / ChecksumError, both TransportError), never IndexError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.errors import TransportError
from reader.transports import pn532_frames as pf
from reader.transports.pn532_frames import (
    CardType,
    ChecksumError,
    Frame,
    FrameDecoder,
    FrameError,
    FrameKind,
    decode_frame,
)

H = bytes.fromhex

# --- known answers (UM0701-02 §6.2.1, §7.2, §7.3) ---------------------------------------------------------


def test_get_firmware_version_command_frame() -> None:
    assert pf.command_frame(pf.get_firmware_version()) == H("0000FF02FED4022A00")


def test_get_firmware_version_answer() -> None:
    frame = decode_frame(H("0000FF06FAD50332010607E800"))
    assert frame == Frame(FrameKind.INFO, 0xD5, H("0332010607"))
    version = pf.parse_firmware_version(frame.data[1:])
    assert (version.ic, version.version, version.revision, version.support) == (0x32, 1, 6, 7)
    assert str(version) == "PN532 firmware 1.6"


def test_sam_configuration_normal_mode_frame() -> None:
    # SAMConfiguration, normal mode, as sent after the HSU wake-up (libnfc and the C106 application note)
    assert pf.command_frame(H("1401")) == H("0000FF03FDD414011700")
    # ours also sets the 1 s virtual-card timeout and the IRQ pin: D4+14+01+14+01 = FE → DCS 02
    assert pf.command_frame(pf.sam_configuration()) == H("0000FF05FBD414011401" + "0200")


def test_hsu_wake_up_is_0x55_then_zeros() -> None:
    assert pf.HSU_WAKEUP[:2] == H("5555") and set(pf.HSU_WAKEUP[2:]) == {0}


def test_in_list_passive_target_frames() -> None:
    assert pf.command_frame(pf.in_list_passive_target(CardType.A)) == H("0000FF04FCD44A0100E100")
    # type B at 106 kbps: BrTy 03 and the AFI (00: all families)
    assert pf.command_frame(pf.in_list_passive_target(CardType.B)) == H("0000FF05FBD44A010300DE00")


def test_ack_nack_and_error_frames() -> None:
    assert decode_frame(pf.ACK_FRAME).kind is FrameKind.ACK
    assert decode_frame(pf.NACK_FRAME).kind is FrameKind.NACK
    assert decode_frame(H("0000FF01FF7F8100")).kind is FrameKind.ERROR
    assert (H("0000FF00FF00"), H("0000FFFF0000")) == (pf.ACK_FRAME, pf.NACK_FRAME)


def test_in_data_exchange_and_release_payloads() -> None:
    assert pf.in_data_exchange(1, H("00A4040C")) == H("400100A4040C")
    assert pf.in_data_exchange(1, H("AA"), more=True) == H("4041AA")  # MI: Tg bit 6
    assert pf.in_release(0) == H("5200")
    assert pf.rf_max_retries() == H("3205FF0102")
    assert pf.rf_field(False) == H("320100")


def test_in_list_passive_target_answers() -> None:
    # a MIFARE Classic 1K (UM0701-02 §7.3.5 example shape): SEL_RES 08, no ATS → not ISO-DEP
    classic = pf.parse_in_list_passive_target(H("01 01 0004 08 04 A1B2C3D4".replace(" ", "")), CardType.A)
    assert classic is not None and not classic.iso_dep and classic.uid == H("A1B2C3D4")
    # ISO/IEC 14443-4 type A: SEL_RES 20 and the ATS (TL first)
    a = pf.parse_in_list_passive_target(H("0101000420" + "0408112233" + "0578807002"), CardType.A)
    assert a is not None and a.iso_dep and a.tg == 1 and a.protocol_bytes == H("0578807002")
    # type B: ATQB 50 PUPI(4) application data(4) protocol info(3); ATTRIB_RES length and bytes
    atqb = "50" + "01020304" + "00000000" + "008171"
    b = pf.parse_in_list_passive_target(H("0101" + atqb + "0100"), CardType.B)
    assert b is not None and b.iso_dep and b.uid == H("01020304")
    assert pf.parse_in_list_passive_target(H("00"), CardType.A) is None
    assert "0102" not in repr(b) and "uid" not in repr(b).lower()  # the identifier stays out of logs


def test_in_data_exchange_status() -> None:
    ok = pf.parse_in_data_exchange(H("00 9000".replace(" ", "")))
    assert (ok.error, ok.more, ok.data) == (0, False, H("9000"))
    more = pf.parse_in_data_exchange(H("40AABB"))
    assert (more.error, more.more, more.data) == (0, True, H("AABB"))
    gone = pf.parse_in_data_exchange(H("01"))
    assert gone.error == pf.STATUS_TIMEOUT and pf.status_text(0x01).startswith("the card did not answer")
    assert pf.parse_in_data_exchange(H("C127")).error == 0x01  # NAD bit and MI bit masked off


# --- encoding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 253, 254, 255, 256, 300, 511])
def test_round_trip_normal_and_extended(n: int) -> None:
    data = bytes(range(256)) * 3
    raw = pf.answer_frame(data[:n])
    if n + 1 <= 255:
        assert raw[3] == n + 1 and (raw[3] + raw[4]) & 0xFF == 0
    else:  # extended: FF FF LENM LENL LCS
        assert raw[3:5] == H("FFFF") and int.from_bytes(raw[5:7], "big") == n + 1
        assert (raw[5] + raw[6] + raw[7]) & 0xFF == 0
    assert decode_frame(raw) == Frame(FrameKind.INFO, 0xD5, data[:n])


def test_extended_frame_header() -> None:
    raw = pf.answer_frame(bytes(300))
    assert raw[:9] == H("0000FFFFFF012DD2D5")


# --- the stream decoder --------------------------------------------------------------------------------


def test_decoder_byte_by_byte_with_preamble_garbage_and_two_frames() -> None:
    stream = H("55AA0000") + pf.ACK_FRAME + pf.answer_frame(H("0332010607")) + H("00")
    dec = FrameDecoder()
    frames = []
    for b in stream:
        dec.feed(bytes([b]))
        while (f := dec.next()) is not None:
            frames.append(f)
    assert [f.kind for f in frames] == [FrameKind.ACK, FrameKind.INFO]
    assert frames[1].data == H("0332010607")
    assert dec.garbage == 2  # 55 AA; preamble zeros are not garbage


def test_decoder_goes_on_after_a_bad_frame() -> None:
    good = pf.answer_frame(H("4100" + "9000"))
    bad = bytearray(good)
    bad[-2] ^= 0xFF  # DCS
    dec = FrameDecoder()
    dec.feed(bytes(bad) + good)
    with pytest.raises(ChecksumError) as e:
        dec.next()
    assert e.value.which == "data"
    assert dec.next() == decode_frame(good)


@pytest.mark.parametrize(
    ("raw", "error", "text"),
    [
        (H("0000FF03FCD4140117" + "00"), ChecksumError, "length"),  # LEN + LCS ≠ 0
        (H("0000FF03FDD4140118" + "00"), ChecksumError, "data"),  # DCS off by one
        (H("0000FF03FDD4140117" + "55"), FrameError, "postamble"),
        (H("0000FF00FF55"), FrameError, "postamble"),  # ACK without postamble
        (H("0000FFFFFF0000" + "00"), FrameError, "without data"),  # extended, LEN 0 (LCS 0 ok)
        (H("0000FFFFFF1000F0"), FrameError, "longer than"),  # 4096 bytes: no PN532 frame is that long
        (H("0000FF03FDD414"), FrameError, "incomplete"),
        (H("0000FF02FED4022A00" + "00FF"), FrameError, "after"),
        (H("DEADBEEF"), FrameError, "incomplete"),
        (b"", FrameError, "incomplete"),
    ],
)
def test_malformed_frames_are_typed_errors(raw: bytes, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as e:
        decode_frame(raw)
    assert isinstance(e.value, TransportError)
    assert text in str(e.value)


@pytest.mark.parametrize(
    ("params", "card_type"),
    [
        (b"", CardType.A),
        (H("02"), CardType.A),  # two targets although one was asked for
        (H("0101"), CardType.A),
        (H("01010004200A0102"), CardType.A),  # NFCID longer than what follows
        (H("0101000420040102030405"), CardType.A),  # ATS length byte disagrees with the ATS
        (H("010120"), CardType.A),
        (H("0101" + "51" + "00" * 11 + "00"), CardType.B),  # ATQB must start with 50
        (H("0101" + "50" + "00" * 11 + "05"), CardType.B),  # ATTRIB_RES shorter than its length
        (H("0101" + "50"), CardType.B),
    ],
)
def test_malformed_target_answers_are_typed_errors(params: bytes, card_type: CardType) -> None:
    with pytest.raises(FrameError):
        pf.parse_in_list_passive_target(params, card_type)


def test_short_answers_are_typed_errors() -> None:
    with pytest.raises(FrameError):
        pf.parse_in_data_exchange(b"")
    with pytest.raises(FrameError):
        pf.parse_firmware_version(H("3201"))


def test_frame_repr_never_shows_contents() -> None:
    frame = decode_frame(pf.answer_frame(H("41006F1A5F1F") + b"NGUYEN"))
    assert "NGUYEN" not in repr(frame) and "6F1A" not in repr(frame).upper()


# --- fuzzing: garbage in, typed errors out ----------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=80))
def test_fuzz_decode_frame(raw: bytes) -> None:
    try:
        frame = decode_frame(raw)
    except FrameError:
        return
    assert isinstance(frame, Frame)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.sampled_from(list(CardType)))
def test_fuzz_answer_parsers(params: bytes, card_type: CardType) -> None:
    for parse in (
        lambda: pf.parse_in_list_passive_target(params, card_type),
        lambda: pf.parse_in_data_exchange(params),
        lambda: pf.parse_firmware_version(params),
    ):
        try:
            parse()
        except FrameError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=300), max_size=4), st.binary(max_size=20))
def test_fuzz_stream_decoder_recovers(payloads: list[bytes], noise: bytes) -> None:
    """Noise before valid frames costs at most the frames the noise overlaps; never a crash."""
    dec = FrameDecoder()
    dec.feed(noise.replace(b"\x00\xff", b"\x00\xfe") + b"".join(pf.answer_frame(p) for p in payloads))
    got = []
    for _ in range(50):
        try:
            frame = dec.next()
        except FrameError:
            continue
        if frame is None:
            break
        got.append(frame.data)
    assert got[-len(payloads) :] == payloads if payloads else True

"""The simulated PN532 at the frame level: raw bytes written to its pty, its answers read back (no
transport in between), so its behaviour is pinned independently of the reader's I/O loop."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable, Iterator

import pytest

from reader.transports import pn532_frames as pf
from reader.transports.pn532_frames import CardType, FrameDecoder, FrameKind
from sims.pn532 import PN532SimOptions, SimulatedPN532


class Line:
    """The host end of the pty: raw frames out, decoded frames in."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self.decoder = FrameDecoder()

    def send(self, raw: bytes) -> None:
        os.write(self.fd, raw)

    def frames(self, n: int, timeout: float = 1.0) -> list[pf.Frame]:
        got: list[pf.Frame] = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            frame = self.decoder.next()
            if frame is not None:
                got.append(frame)
                continue
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            self.decoder.feed(os.read(self.fd, 4096))
        return got

    def command(self, payload: bytes) -> pf.Frame:
        self.send(pf.command_frame(payload))
        ack, answer = self.frames(2)
        assert ack.kind is FrameKind.ACK
        return answer


def _card() -> Callable[[bytes], bytes]:
    return lambda apdu: b"\x6a\x82" if apdu[1] == 0xA4 else b"\x90\x00"


@pytest.fixture
def line() -> Iterator[tuple[SimulatedPN532, Line]]:
    sim = SimulatedPN532(_card, PN532SimOptions(answer_chunk=4))
    sim.start()
    host = Line(sim.path)
    yield sim, host
    os.close(host.fd)
    sim.stop()


def test_asleep_until_the_hsu_wake_up(line: tuple[SimulatedPN532, Line]) -> None:
    _, host = line
    host.send(pf.command_frame(pf.get_firmware_version()))
    assert host.frames(1, timeout=0.2) == []  # power-down: no ACK
    host.send(pf.HSU_WAKEUP + pf.command_frame(pf.sam_configuration()))
    ack, answer = host.frames(2)
    assert ack.kind is FrameKind.ACK and answer.data == b"\x15"
    assert host.command(pf.get_firmware_version()).data == bytes.fromhex("0332010607")


def test_nack_repeats_the_last_answer_and_errors(line: tuple[SimulatedPN532, Line]) -> None:
    sim, host = line
    host.send(pf.HSU_WAKEUP)
    first = host.command(pf.get_firmware_version())
    host.send(pf.NACK_FRAME)
    assert host.frames(1) == [first] and sim.counters.nacks == 1
    assert host.command(bytes([0x99])).kind is FrameKind.ERROR  # unknown command: ACK, then error frame
    no_afi = bytes([pf.Command.IN_LIST_PASSIVE_TARGET, 0x01, 0x03])
    assert host.command(no_afi).kind is FrameKind.ERROR
    bad = bytearray(pf.command_frame(pf.get_firmware_version()))
    bad[-2] ^= 1
    host.send(bytes(bad))
    assert host.frames(1, timeout=0.2) == []  # a broken command frame is not acknowledged


def test_exchange_without_a_target_and_mi_both_ways(line: tuple[SimulatedPN532, Line]) -> None:
    sim, host = line
    host.send(pf.HSU_WAKEUP)
    assert host.command(pf.in_data_exchange(1, b"\x00\xb0\x00\x00\x00")).data == b"\x41\x27"
    assert host.command(pf.in_list_passive_target(CardType.B)).data == b"\x4b\x00"  # the card is type A
    target = host.command(pf.in_list_passive_target(CardType.A)).data
    assert target[:2] == b"\x4b\x01" and target[5] == 0x20  # SEL_RES: ISO/IEC 14443-4
    # a command in two MI pieces: the first is answered "ok, go on", the card sees it whole
    assert host.command(pf.in_data_exchange(1, b"\x00\xa4", more=True)).data == b"\x41\x00"
    assert host.command(pf.in_data_exchange(1, b"\x04\x0c")).data == b"\x41\x00\x6a\x82"
    # answer_chunk=4: a longer answer comes in MI pieces, fetched with empty InDataExchanges
    sim._card = lambda: lambda apdu: bytes(range(10)) + b"\x90\x00"
    host.command(pf.in_list_passive_target(CardType.A))
    pieces = [host.command(pf.in_data_exchange(1, b"\x00\xb0\x00\x00\x00")).data]
    while pieces[-1][1] & pf.MI:
        pieces.append(host.command(pf.in_data_exchange(1, b"")).data)
    assert b"".join(p[2:] for p in pieces) == bytes(range(10)) + b"\x90\x00"
    assert [p[1] for p in pieces] == [0x40, 0x40, 0x00]
    host.command(pf.in_release(0))
    assert host.command(pf.in_data_exchange(1, b"\x00")).data == b"\x41\x27"


def test_removed_card_times_out_and_is_not_found_again() -> None:
    sim = SimulatedPN532(_card, PN532SimOptions(remove_after=1, require_wakeup=False))
    with sim:
        host = Line(sim.path)
        host.command(pf.in_list_passive_target(CardType.A))
        assert host.command(pf.in_data_exchange(1, b"\x00\xa4\x00\x00")).data == b"\x41\x00\x6a\x82"
        assert host.command(pf.in_data_exchange(1, b"\x00\xa4\x00\x00")).data == b"\x41\x01"  # time-out
        assert host.command(pf.in_list_passive_target(CardType.A)).data == b"\x4b\x00"
        os.close(host.fd)
    sim.stop()  # idempotent


def test_removing_and_placing_the_card() -> None:
    with SimulatedPN532(_card, PN532SimOptions(require_wakeup=False)) as sim:
        host = Line(sim.path)
        sim.remove_card()
        assert host.command(pf.in_list_passive_target(CardType.A)).data == b"\x4b\x00"
        sim.place_card()
        assert host.command(pf.in_list_passive_target(CardType.A)).data[:2] == b"\x4b\x01"
        os.close(host.fd)

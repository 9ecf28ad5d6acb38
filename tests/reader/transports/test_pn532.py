"""The PN532 serial transport end to end: pyserial on the slave side of a pty, the simulated PN532
(sims/pn532.py) on the master side, the simulated CCCD behind it — the whole engine read, and every fault."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reader.access.control import AccessMode
from reader.engine import ChipReader, ReadRequest
from reader.errors import CardRemovedError, NoCardError, NoReaderError, NotICAOCardError, TransportError
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.transports.base import Transport
from reader.transports.pn532 import PN532Transport
from reader.transports.pn532_frames import CardType
from sims.people import list_profiles
from sims.personalize import card_image
from sims.pn532 import CardFactory, PN532SimOptions, SimulatedPN532, profile_card
from tests.helpers.chip import expected_verdict

Factory = Callable[..., SimulatedPN532]


@pytest.fixture
def pn532() -> Iterator[Factory]:
    """Start simulated PN532s for one test; all are stopped after it."""
    sims: list[SimulatedPN532] = []

    def start(card: CardFactory | None = None, **options: Any) -> SimulatedPN532:
        sim = SimulatedPN532(card or profile_card("default"), PN532SimOptions(**options))
        sim.start()
        sims.append(sim)
        return sim

    yield start
    for sim in sims:
        sim.stop()


def _store(name: str = "default") -> CSCAStore:
    store = CSCAStore()
    card_image(name).add_test_csca_to(store)
    return store


def _request(name: str = "default", access: AccessMode = AccessMode.AUTO) -> ReadRequest:
    image = card_image(name)
    return ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_store(name), access=access)


def _read(transport: Transport, name: str = "default") -> object:
    try:
        return ChipReader(transport).read(_request(name))
    finally:
        transport.close()


# --- the whole read ------------------------------------------------------------------------------------


@pytest.mark.parametrize("card_type", [CardType.A, CardType.B])
@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_full_read_through_the_pty(pn532: Factory, name: str, card_type: CardType) -> None:
    """PACE with the CAN, every file, PA, CA/AA — through pyserial, the tty layer and the PN532 frames."""
    sim = pn532(profile_card(name), card_type=card_type)
    transport = PN532Transport(sim.path)
    assert transport.target.card_type is card_type and transport.target.iso_dep
    assert not transport.supports_extended_length and transport.name == f"PN532 {sim.path}"
    result = ChipReader(transport).read(_request(name))
    transport.close()
    assert result.access.method == "PACE" and not result.access.downgraded
    assert (result.verdict, result.reasons) == expected_verdict(card_image(name).lds_files)
    assert result.raw.get("DG2") == card_image(name).lds_files.get("DG2")  # none on a card for under-6s
    assert sim.counters.apdus == result.stats.apdus
    assert (transport.resends, transport.nacks, sim.counters.nacks) == (0, 0, 0)
    # type B is looked for only after type A found nothing
    expected = ["IN_LIST_PASSIVE_TARGET"] * (1 if card_type is CardType.A else 2)
    assert [c for c in sim.counters.log if c == "IN_LIST_PASSIVE_TARGET"] == expected
    assert sim.counters.log[-2:] == ["IN_RELEASE", "RF_CONFIGURATION"]  # released, field off


def test_bac_read_through_the_pty(pn532: Factory) -> None:
    sim = pn532(profile_card("elderly"))
    result = ChipReader(PN532Transport(sim.path)).read(_request("elderly", AccessMode.BAC))
    assert result.access.method == "BAC" and result.verdict is Verdict.AUTHENTIC


def test_chained_answers_and_commands_mi(pn532: Factory) -> None:
    """MI both ways: answers cut into 64-byte pieces, commands into 100-byte pieces; the read is the same."""
    sim = pn532(answer_chunk=64)
    transport = PN532Transport(sim.path, command_chunk=100)
    result = ChipReader(transport).read(_request())
    transport.close()
    assert result.verdict is Verdict.AUTHENTIC
    assert sim.counters.chained_answers > result.stats.apdus // 2
    assert sim.counters.chained_commands > 0  # PACE/CA public keys are over 100 bytes


def test_longest_short_apdus_both_ways(pn532: Factory) -> None:
    """A 261-byte command (Lc 255 + Le) and a 258-byte answer: chaining out, one extended frame back."""

    def echo() -> Callable[[bytes], bytes]:
        return lambda apdu: (apdu[5:-1] * 2)[:256] + b"\x90\x00"

    sim = pn532(echo)
    transport = PN532Transport(sim.path)
    command = bytes([0x00, 0xDA, 0x00, 0x00, 0xFF]) + bytes(range(255)) + b"\x00"
    response = transport.transmit(command)
    assert response == (bytes(range(255)) * 2)[:256] + b"\x90\x00"
    assert sim.counters.chained_commands == 1 and sim.counters.chained_answers == 0
    transport.close()


# --- absent, removed, not an ID -----------------------------------------------------------------------


def test_no_card(pn532: Factory) -> None:
    sim = pn532(card_type=None)
    with pytest.raises(NoCardError):
        PN532Transport(sim.path)
    assert sim.counters.log.count("IN_LIST_PASSIVE_TARGET") == 2  # type A, then type B


def test_only_the_asked_card_types_are_looked_for(pn532: Factory) -> None:
    sim = pn532(card_type=CardType.B)
    with pytest.raises(NoCardError):
        PN532Transport(sim.path, card_types=(CardType.A,))


def test_card_removed_mid_read_is_never_verified(pn532: Factory) -> None:
    sim = pn532(remove_after=30)  # PACE done, in the middle of the files
    transport = PN532Transport(sim.path)
    with pytest.raises(CardRemovedError):
        ChipReader(transport).read(_request())
    transport.close()
    assert sim.counters.apdus == 30


def test_card_removed_through_the_kiosk_translation(pn532: Factory) -> None:
    from kiosk.runtime.chip import ChipReadError, read_with_transport

    image = card_image("default")
    sim = pn532(remove_after=80)
    with pytest.raises(ChipReadError) as e:
        read_with_transport(PN532Transport(sim.path), image.bac_key, _store(), [], can=image.profile.can)
    assert e.value.kind == "card_removed" and e.value.exit_code == 6


def test_not_an_iso_dep_card(pn532: Factory) -> None:
    sim = pn532(iso_dep=False)
    with pytest.raises(NotICAOCardError):
        PN532Transport(sim.path)
    assert "IN_RELEASE" in sim.counters.log


# --- link faults -----------------------------------------------------------------------------------------


def test_corrupted_answer_is_asked_again_with_a_nack(pn532: Factory) -> None:
    sim = pn532(corrupt_answer=12)  # an InDataExchange answer in the middle of PACE
    transport = PN532Transport(sim.path)
    result = ChipReader(transport).read(_request())
    transport.close()
    assert result.verdict is Verdict.AUTHENTIC
    assert transport.nacks == 1 and sim.counters.nacks == 1


def test_checksum_error_that_persists_is_a_transport_error(pn532: Factory) -> None:
    sim = pn532(corrupt_answer=12, corrupt_times=99)
    transport = PN532Transport(sim.path)
    with pytest.raises(TransportError, match="checksum") as e:
        ChipReader(transport).read(_request())
    transport.close()
    assert type(e.value) is TransportError  # not "card removed", not "no card"
    assert sim.counters.nacks == transport.max_resends


def test_lost_command_frame_is_sent_again(pn532: Factory) -> None:
    sim = pn532(lose_command=9)
    transport = PN532Transport(sim.path)
    result = ChipReader(transport).read(_request())
    transport.close()
    assert result.verdict is Verdict.AUTHENTIC and transport.resends == 1


def test_lost_ack_takes_the_answer_without_sending_twice(pn532: Factory) -> None:
    sim = pn532(lose_ack=9)
    transport = PN532Transport(sim.path)
    result = ChipReader(transport).read(_request())
    transport.close()
    assert result.verdict is Verdict.AUTHENTIC and transport.resends == 0
    assert sim.counters.apdus == result.stats.apdus  # no APDU reached the card twice


def test_slow_answers_within_the_timeout(pn532: Factory) -> None:
    sim = pn532(delay=0.03)
    transport = PN532Transport(sim.path, timeout=1.0)
    assert transport.transmit(bytes.fromhex("00A4040C07A0000002471001"))[-2:] == b"\x90\x00"
    transport.close()


def test_too_slow_answer_is_a_transport_error(pn532: Factory) -> None:
    sim = pn532(delay=0.6)
    with pytest.raises(TransportError, match="no answer from the PN532") as e:
        PN532Transport(sim.path, timeout=0.2)
    assert type(e.value) is TransportError


def test_error_frame_is_a_transport_error(pn532: Factory) -> None:
    sim = pn532()
    transport = PN532Transport(sim.path)
    with pytest.raises(TransportError, match="error frame"):
        transport._command(bytes([0x99]))  # no such command: the PN532 answers the error frame
    transport.close()


def _silent_or_noisy_device(noise: bytes) -> tuple[str, Callable[[], None]]:
    """A pty whose other end answers every write with ``noise`` (or nothing)."""
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    stop = threading.Event()

    def run() -> None:
        import select

        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 4096)
                    if noise:
                        os.write(master, noise)
                except OSError:
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        thread.join(2)
        os.close(master)
        os.close(slave)

    return os.ttyname(slave), close


def test_garbage_on_the_line_is_a_clear_transport_error() -> None:
    path, close = _silent_or_noisy_device(bytes([0x55, 0xAA, 0x13, 0x37]) * 8)  # e.g. a wrong baud rate
    try:
        with pytest.raises(TransportError, match=r"does not acknowledge.*stray bytes.*baud rate"):
            PN532Transport(path, ack_timeout=0.05)
    finally:
        close()


def test_silent_device_is_a_clear_transport_error() -> None:
    path, close = _silent_or_noisy_device(b"")
    try:
        with pytest.raises(TransportError, match=r"does not acknowledge.*no bytes received"):
            PN532Transport(path, ack_timeout=0.05)
    finally:
        close()


def test_missing_port_is_no_reader(tmp_path: object) -> None:
    with pytest.raises(NoReaderError, match="no serial port"):
        PN532Transport("/dev/does-not-exist-pn532")
    with pytest.raises(NoReaderError):
        PN532Transport("/dev/null")  # not a tty: pyserial cannot configure it


def test_port_held_by_another_reader_is_no_reader(pn532: Factory) -> None:
    sim = pn532()
    first = PN532Transport(sim.path)
    try:
        with pytest.raises(NoReaderError):
            PN532Transport(sim.path)  # exclusive: two kiosks must not share one PN532
    finally:
        first.close()


def test_simulator_gone_mid_read_is_a_transport_error(pn532: Factory) -> None:
    sim = pn532()
    transport = PN532Transport(sim.path, timeout=0.3)
    sim.stop()
    with pytest.raises(TransportError):
        transport.transmit(bytes.fromhex("00B0000004"))
    transport.close()  # never raises


def test_close_is_idempotent_and_transmit_after_close_fails(pn532: Factory) -> None:
    sim = pn532()
    transport = PN532Transport(sim.path)
    transport.close()
    transport.close()
    with pytest.raises(TransportError, match="closed"):
        transport.transmit(b"\x00\xb0\x00\x00\x04")
    with pytest.raises(TransportError):
        PN532Transport(sim.path).transmit(b"")


def test_reopening_activates_a_fresh_card(pn532: Factory) -> None:
    sim = pn532()
    for _ in range(3):
        PN532Transport(sim.path).close()
    assert sim.counters.activations == 3


def test_no_apdu_contents_in_logs(pn532: Factory, caplog: pytest.LogCaptureFixture) -> None:
    sim = pn532()
    caplog.set_level(logging.DEBUG)
    _read(PN532Transport(sim.path))
    text = "\n".join(r.getMessage() for r in caplog.records).upper()
    assert "PN532 FIRMWARE 1.6" in text
    profile = card_image("default").profile
    for secret in (profile.can, profile.document_number, "00A4", "0CB0", "7F49"):
        assert secret.upper() not in text

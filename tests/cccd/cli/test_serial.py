"""Serial (PN532) readers in the kiosk: `cccd read --serial` in-process and as a real process against
`cccd sim serve --serial` in another, `cccd readers` listing serial ports, the kiosk's serial card slot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cccd.cli import main
from kiosk.runtime.chip import ChipReadError, read_with_transport
from kiosk.runtime.slots import PCSCCardSlot, SerialCardSlot, card_slot
from reader.errors import NoReaderError
from reader.pki.trust import CSCAStore
from reader.transports.pn532_frames import CardType
from sims.people import load_profile
from sims.personalize import card_image
from sims.pn532 import PN532SimOptions, SimulatedPN532, profile_card

REPO = Path(__file__).resolve().parents[3]
CCCD = [sys.executable, "-m", "cccd"]


def _key_args(name: str = "default") -> list[str]:
    p = load_profile(name).printed_card()
    return ["--id", p["id_number"], "--dob", p["mrz_birth_date"], "--expiry", p["mrz_expiry_date"]]


@pytest.fixture
def sim() -> Iterator[Any]:
    sims: list[SimulatedPN532] = []

    def start(**options: Any) -> SimulatedPN532:
        s = SimulatedPN532(profile_card("default"), PN532SimOptions(**options))
        s.start()
        sims.append(s)
        return s

    yield start
    for s in sims:
        s.stop()


def test_sim_serve_serial_and_read_serial_as_processes(tmp_path: Path) -> None:
    """`cccd sim serve --serial` in one process (a PN532 on a pty), `cccd read --serial` in another."""
    trust = tmp_path / "trust"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = subprocess.Popen(
        [*CCCD, "sim", "serve", "--serial", "--card-type", "B", "--export-trust", str(trust)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert "simulated PN532 (type B)" in line, serve.stderr.read() if serve.stderr else line
        path = line.split(" at ")[1].split(";")[0]
        for _ in range(2):  # the same reader twice: each read activates a fresh card
            done = subprocess.run(
                [*CCCD, "read", "--serial", path, *_key_args(), "--trust", str(trust), "--json"],
                capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            report = json.loads(done.stdout)
            assert report["verdict"] == "authentic", report["reasons"]
            assert report["access"]["method"] == "PACE" and report["checks"]["anticlone"]["method"] == "CA"
            assert f"serial reader: PN532 {path}" in report["notes"]
    finally:
        serve.terminate()
        out, _ = serve.communicate(timeout=10)
    assert serve.returncode == 0 and "card removed after" in out


def test_read_serial_exit_codes(sim: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--serial", "/dev/does-not-exist-pn532", *_key_args()]) == 4
    assert "no serial port" in capsys.readouterr().err
    assert main(["read", "--serial", sim(card_type=None).path, *_key_args()]) == 5
    assert main(["read", "--serial", sim(remove_after=40).path, *_key_args()]) == 6
    assert "removed" in capsys.readouterr().err
    assert main(["read", "--serial", sim(iso_dep=False).path, *_key_args()]) == 7
    assert main(["read", "--serial", sim(corrupt_answer=20, corrupt_times=9).path, *_key_args()]) == 9
    assert "link" in capsys.readouterr().err


def test_read_serial_in_process_json(sim: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--serial", sim(card_type=CardType.B).path, *_key_args(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "inconclusive" and report["reasons"] == ["CSCA_UNKNOWN"]  # no --trust
    assert report["checks"]["passive_auth"]["result"] == "csca_unknown"


def test_read_serial_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", "--baud", "9600", *_key_args()]) == 2
    assert main(["read", "--serial", "/dev/x", "--clone", "wrong-keys", *_key_args()]) == 2
    with pytest.raises(SystemExit):
        main(["read", "--serial", "/dev/x", "--reader", "R", *_key_args()])  # mutually exclusive


def test_readers_lists_serial_ports_without_opening_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reader.transports.pcsc as pcsc
    import reader.transports.pn532 as pn532

    def no_pcsc() -> list[str]:
        raise NoReaderError("the PC/SC service (pcscd) is not running")

    def never_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a listed port must not be opened")

    monkeypatch.setattr(pcsc, "list_readers", no_pcsc)
    monkeypatch.setattr(pn532, "_open_port", never_open)
    monkeypatch.setattr(pn532, "list_serial_ports", lambda: [("/dev/ttyUSB0", "CP2102 USB to UART Bridge")])
    assert main(["readers"]) == 0
    out, err = capsys.readouterr()
    assert "/dev/ttyUSB0\t(serial: CP2102 USB to UART Bridge; a PN532 is read with --serial /dev/ttyUSB0" in (
        out
    )
    assert "note: the PC/SC service" in err
    monkeypatch.setattr(pn532, "list_serial_ports", lambda: [])
    assert main(["readers"]) == 4
    assert "error: the PC/SC service" in capsys.readouterr().err
    monkeypatch.setattr(pcsc, "list_readers", lambda: ["ACS ACR1252 1S CL Reader PICC 0"])
    assert main(["readers"]) == 0
    assert "ACS ACR1252 1S CL Reader PICC 0\t(extended length)" in capsys.readouterr().out


def test_list_serial_ports_shape() -> None:
    from reader.transports.pn532 import list_serial_ports

    ports = list_serial_ports()  # whatever this machine has; never opened
    assert all(isinstance(d, str) and isinstance(desc, str) for d, desc in ports)


# --- the kiosk's serial card slot ------------------------------------------------------------------------


def test_card_slot_picks_the_reader_kind() -> None:
    slot = card_slot("serial:/dev/ttyUSB0")
    assert isinstance(slot, SerialCardSlot) and slot.port == "/dev/ttyUSB0"
    assert isinstance(card_slot("ACS ACR1252 1S CL Reader PICC 0"), PCSCCardSlot)


def test_serial_slot_presence_read_and_removal(sim: Any) -> None:
    from kiosk.runtime.chip import CardSlot

    s = sim()
    slot: CardSlot = SerialCardSlot(s.path, poll_seconds=0.02)  # the flow's slot protocol
    assert slot.wait_for_card(0) and slot.card_present()  # probed at once, even with no time to wait
    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    outcome = read_with_transport(slot.open(), image.bac_key, store, [], can=image.profile.can)
    assert outcome.verdict.value == "authentic"
    assert not slot.wait_for_removal(0.1)  # still on the reader
    s.remove_card()
    assert slot.wait_for_removal(0) and not slot.card_present()
    assert not slot.wait_for_card(0.1)
    s.place_card()
    assert slot.wait_for_card(1.0)
    s.remove_card()
    with pytest.raises(ChipReadError) as e:
        slot.open()
    assert e.value.kind == "no_card"


def test_serial_slot_faults_are_read_failures(sim: Any) -> None:
    with pytest.raises(ChipReadError) as e:
        SerialCardSlot("/dev/does-not-exist-pn532").open()
    assert e.value.kind == "no_reader"
    missing = SerialCardSlot("/dev/does-not-exist-pn532", poll_seconds=0.01)
    assert not missing.card_present() and not missing.wait_for_removal(0.05)  # cannot say: not "empty"
    other = SerialCardSlot(sim(iso_dep=False).path)
    assert other.wait_for_card(1.0)  # a card is there …
    with pytest.raises(ChipReadError) as e:
        other.open()
    assert e.value.kind == "not_icao"  # … that is not a chip ID


def test_ui_serial_and_reader_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ui", "--reader", "R", "--serial", "/dev/ttyUSB0"]) == 2
    assert "not both" in capsys.readouterr().err

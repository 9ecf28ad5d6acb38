"""MRZ scanning through the camera (kiosk.runtime.mrz_ocr, docs/mrz-scanning.md) on card backs that the
simulated card renders (sims.cardback): a handful of images; the read rate is benchmarks/mrz_ocr.py's."""

from __future__ import annotations

import threading
from typing import Any, cast

import numpy as np
import pytest

from biometrics.camera import Frame
from kiosk.flow import events as ev
from kiosk.flow.effects import StartQRScan
from kiosk.keyentry import from_mrz
from kiosk.runtime.mrz_ocr import MRZReader, MRZReadFailure, repair
from kiosk.runtime.qrscan import scan_card
from kiosk.runtime.runner import EffectRunner, Services
from sims.cardback import Degradation, camera_frame, mild, random_people, render_card_back
from sims.people import load_profile

ELDERLY = load_profile("elderly")
LINES = ELDERLY.mrz_lines  # IDVNM0500123458001050012345<<9 / 5003028M9912315VNM<<<<<<<<<<<0 / TRAN<<VAN<PHUC…


@pytest.fixture(scope="module")
def reader() -> Any:
    with MRZReader() as r:
        yield r


def test_a_sharp_card_back_is_read_and_opens_the_same_key_as_the_card(reader: MRZReader) -> None:
    result = reader.read(camera_frame(render_card_back(ELDERLY)))
    assert result.failure is None and result.lines is not None
    assert result.lines[:2] == LINES[:2]
    key = from_mrz(result.text)
    assert key.document_number == ELDERLY.document_number and key.date_of_birth == "500302"
    assert "MRZ hidden" in repr(result) and "0500123458" not in repr(result)


@pytest.mark.parametrize("seed", [4, 9, 14, 23], ids=["blur", "glare", "tilt", "low-light"])
def test_mildly_degraded_card_backs_are_read(reader: MRZReader, seed: int) -> None:
    person = random_people(1, seed=seed)[0]
    result = reader.read(camera_frame(render_card_back(person), mild(seed * 4 + [0, 1, 2, 3][seed % 4])))
    assert result.lines is not None and result.lines[:2] == person.mrz_lines[:2]
    assert result.seconds < 3.0  # the 1 s target is measured by the benchmark, not here


def test_no_card_in_view_says_no_mrz(reader: MRZReader) -> None:
    assert reader.read(np.full((720, 1280, 3), 120, np.uint8)).failure is MRZReadFailure.NO_MRZ


def test_a_heavily_blurred_card_says_blurred(reader: MRZReader) -> None:
    result = reader.read(camera_frame(render_card_back(ELDERLY), Degradation(blur=5.0)))
    assert result.lines is None and result.failure is MRZReadFailure.BLURRED


def test_glare_over_the_code_lines_says_glare(reader: MRZReader) -> None:
    result = reader.read(camera_frame(render_card_back(ELDERLY), Degradation(glare=1.0, seed=7)))
    assert result.lines is None and result.failure is MRZReadFailure.GLARE


# --- repair: letters/digits by position class, fillers by the fixed layout, every check digit ---------


def test_repair_fixes_class_confusions_fillers_and_a_misread_prefix() -> None:
    l1 = "I1DVNMO5OO12345800105OO12345<<9"  # an extra 1 in "ID", O for 0
    l2 = "5OO3O28M991231SVNM<<<<<O"  # O for 0, S for 5, fillers cut short
    assert repair(f"{l1}\n{l2}\nTRAN<<VAN<PHUC")[:2] == LINES[:2]  # type: ignore[index]


def test_repair_puts_back_the_fixed_nationality() -> None:
    """The nationality has no check digit: a misread VNM (seen in the benchmark) is put back, never kept."""
    nnn = LINES[1].replace("VNM", "NNN")
    assert repair(f"{LINES[0]}\n{nnn}\n{LINES[2]}")[:2] == LINES[:2]  # type: ignore[index]


def test_repair_refuses_what_the_check_digits_reject() -> None:
    assert repair(f"{LINES[0]}\n{LINES[1].replace('5003028', '5003029')}\n{LINES[2]}") is None  # birth date
    assert repair(f"{LINES[0][:29]}8\n{LINES[1]}\n{LINES[2]}") is None  # the ID's check digit
    assert repair(f"{LINES[0]}\n{LINES[1]}") is None  # two lines


def test_repair_refuses_an_id_that_disagrees_with_the_birth_year_or_sex() -> None:
    from reader.lds.dg1 import cccd_td1_lines

    lines = cccd_td1_lines("001050012345", "500302", "F", "991231", LINES[2])  # the ID says a man
    assert repair("\n".join(lines)) is None


def test_repair_refuses_other_documents() -> None:
    from reader.lds.dg1 import td1_lines

    name = "ERIKSSON<<ANNA<MARIA".ljust(30, "<")
    lines = td1_lines("I", "UTO", "D23145890", "", "740812", "F", "120415", "UTO", name)
    assert lines[0].startswith("I<UTOD23145890")  # ICAO 9303-5 Appendix A's specimen
    assert repair("\n".join(lines)) is None


# --- the camera loop and the runner -----------------------------------------------------------------------


class CardBackCamera:
    """A camera showing an empty counter, then the back of a card."""

    def __init__(self, image: Any, empty: int = 2, frames: int = 30) -> None:
        self.image, self.empty, self.frames, self.index = image, empty, frames, 0

    def read(self) -> Frame | None:
        if self.index >= self.frames:
            return None
        self.index += 1
        shown = self.image.copy() if self.index > self.empty else np.full_like(self.image, 110)
        return Frame(shown, self.index / 15, self.index)

    def close(self) -> None:
        pass


def test_scan_card_returns_the_mrz_and_reports_problems(reader: MRZReader) -> None:
    camera = CardBackCamera(camera_frame(render_card_back(ELDERLY)))
    found = scan_card(camera, threading.Event(), reader, mrz_interval=0.0)
    assert found is not None and found[0] == "mrz" and found[1].splitlines()[:2] == list(LINES[:2])
    problems: list[str] = []
    picture = camera_frame(render_card_back(ELDERLY), Degradation(blur=5.0))
    blurred = CardBackCamera(picture, empty=0, frames=4)
    assert scan_card(blurred, threading.Event(), reader, problems.append, mrz_interval=0.0) is None
    assert problems == ["blurred"]  # said once, not on every frame


def test_the_runner_posts_enter_mrz_from_the_camera() -> None:
    posted: list[ev.Event] = []
    image = camera_frame(render_card_back(ELDERLY))
    services = Services(profile=cast(Any, None), kiosk=cast(Any, None), store=cast(Any, None),
                        slot=cast(Any, None), trust=None, face=cast(Any, None),
                        qr_camera=lambda: CardBackCamera(image, empty=0))  # fmt: skip
    runner = EffectRunner(services, posted.append)
    try:
        runner._scan_qr(StartQRScan(1))
    finally:
        runner.close()
    assert len(posted) == 1 and isinstance(posted[0], ev.EnterMRZ)
    assert repr(posted[0]) == "EnterMRZ(<hidden>)"


def test_the_reader_camera_says_turn_the_card_over_when_it_sees_no_code(reader: MRZReader) -> None:
    """docs/flow.md "Card on the reader": a card lying with its side without codes down shows the camera
    neither a QR code nor an MRZ — after ``nothing_after`` seconds the person hears "turn it over", once."""
    problems: list[str] = []
    plain = np.full((720, 1280, 3), 200, np.uint8)  # the 2024 card's front: no QR code, no MRZ
    wrong_side = CardBackCamera(plain, empty=0, frames=6)
    assert scan_card(wrong_side, threading.Event(), reader, problems.append, mrz_interval=0.0,
                     nothing_after=0.0) is None  # fmt: skip
    assert problems == ["turn_over"]
    problems.clear()
    picture = camera_frame(render_card_back(ELDERLY), Degradation(blur=5.0))
    blurred = CardBackCamera(picture, empty=0, frames=4)
    assert scan_card(blurred, threading.Event(), reader, problems.append, mrz_interval=0.0,
                     nothing_after=0.0) is None  # fmt: skip
    assert problems == ["blurred"]  # a code in view: what to change instead
    problems.clear()
    held = CardBackCamera(plain, empty=0, frames=6)
    assert scan_card(held, threading.Event(), reader, problems.append, mrz_interval=0.0) is None
    assert problems == []  # a card held up to the camera is not told to turn over


def test_the_runner_waits_for_the_card_on_the_reader_then_guides(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.runtime import runner as runner_module

    monkeypatch.setattr(runner_module, "READER_TURN_OVER_S", 0.0)

    class Slot:
        calls = 0

        def wait_for_card(self, timeout: float) -> bool:
            Slot.calls += 1
            return Slot.calls >= 3  # laid down on the third look

    posted: list[ev.Event] = []
    plain = np.full((720, 1280, 3), 200, np.uint8)
    services = Services(profile=cast(Any, None), kiosk=cast(Any, None), store=cast(Any, None),
                        slot=cast(Any, Slot()), trust=None, face=cast(Any, None),
                        qr_camera=lambda: CardBackCamera(plain, empty=0, frames=8))  # fmt: skip
    runner = EffectRunner(services, posted.append)
    try:
        runner._scan_qr(StartQRScan(4, on_reader=True))
    finally:
        runner.close()
    assert posted[0] == ev.CardPresent(4) and ev.MRZUnreadable("turn_over") in posted
    assert not any(isinstance(p, ev.ScanQR | ev.EnterMRZ) for p in posted)

"""Privacy of the flow: no log line, view repr, effect or event repr names the test citizen."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pytest

from cccd.compose import KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow.model import State
from kiosk.flow.views import ResultView, View, render
from sims.personalize import card_image
from tests.kiosk.flow.helpers import walk_to


def _secrets() -> list[str]:
    p = card_image("default").profile
    return [p.full_name, unicodedata.normalize("NFD", p.full_name), p.id_number, p.id_number[3:],
            p.surname.upper(), p.date_of_birth.strftime("%d/%m/%Y"), p.qr_payload]  # fmt: skip


def test_logs_of_every_scenario_name_nobody(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    views: list[View] = []
    for profile in ("lodging", "bank"):
        for name, sc in SCENARIOS.items():
            kiosk, card = build_scenario_kiosk(sc, profile, KioskConfig(tmp_path / profile / name))
            kiosk.driver.listeners.append(views.append)
            try:
                result = run_flow(kiosk, ScriptedUser(sc, card), sc)
                kiosk.runner.drain_storage()
                print(result.to_dict())
            finally:
                kiosk.close()
    pytest.importorskip("cv2", reason="the face engine needs OpenCV (requirements-face.txt)")
    sc = SCENARIOS["happy"]  # and one flow through the real face engine, whose logs are scanned too
    kiosk, card = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "engine"), face="engine")
    kiosk.driver.listeners.append(views.append)
    try:
        print(run_flow(kiosk, ScriptedUser(sc, card), sc).to_dict())
        kiosk.runner.drain_storage()
    finally:
        kiosk.close()
    out = capsys.readouterr()
    text = "\n".join([caplog.text, out.out, out.err, *map(repr, views)])
    assert "chip read" in caplog.text and "verification" in caplog.text  # the logs are not empty
    assert "face decision" in caplog.text  # the engine logged too
    assert any(v.state == "result" for v in views)
    for secret in _secrets():
        assert secret not in text, f"personal data in the logs: {secret[:3]}…"


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_views_and_sessions_hide_personal_data_in_repr(state: State) -> None:
    w = walk_to(state)
    view = render(w.s, w.c)
    text = repr(view) + repr(w.s) + "".join(map(repr, w.effects))
    for secret in ("Nguyễn Thị Mai Anh", "079303001234", "303001234", "15/06/2003"):
        assert secret not in text


def test_result_view_shows_the_person_their_own_data() -> None:
    w = walk_to(State.RESULT)
    view = render(w.s, w.c)
    assert isinstance(view, ResultView) and view.verified
    assert view.full_name == "Nguyễn Thị Mai Anh"
    assert view.id_masked == "079303***234" and view.birth_date == "15/06/2003"

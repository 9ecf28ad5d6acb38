"""Voice guidance: espeak-ng's Vietnamese voice, mutable, never blocking; no audio device needed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ui.samples import sample_views
from ui.voice import Voice
from ui.window import KioskWindow


def _slow_engine(tmp_path: Path) -> str:
    """A stand-in engine that records its arguments and takes 30 s to 'speak'."""
    script = tmp_path / "slow-tts"
    script.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/said.txt\nexec sleep 30\n')
    script.chmod(0o755)
    return str(script)


def _said(tmp_path: Path, lines: int) -> str:
    """What the stand-in engine recorded, once it has recorded ``lines`` utterances (up to 5 s)."""
    f = tmp_path / "said.txt"
    for _ in range(100):
        if f.exists() and f.read_text().count("\n") >= lines:
            break
        time.sleep(0.05)
    return f.read_text() if f.exists() else ""


def test_say_does_not_wait_and_a_new_utterance_stops_the_old(tmp_path: Path) -> None:
    voice = Voice(_slow_engine(tmp_path))
    t0 = time.monotonic()
    assert voice.say("Xin chào", "vi")
    assert time.monotonic() - t0 < 5.0  # the engine sleeps 30 s: say() never waited for it
    first = voice._proc
    _said(tmp_path, 1)
    assert voice.say("Đặt thẻ lên đầu đọc", "vi")
    assert first is not None and first.wait(5.0) is not None  # the old utterance was stopped
    said = _said(tmp_path, 2)
    voice.stop()
    assert "-v vi" in said and "Xin chào" in said and "Đặt thẻ" in said


def test_muted_voice_and_missing_engine_are_silent(tmp_path: Path) -> None:
    voice = Voice(_slow_engine(tmp_path), muted=True)
    assert not voice.say("Xin chào", "vi")
    assert Voice(str(tmp_path / "no-such-engine")).say("x", "vi") is False
    assert not Voice(_slow_engine(tmp_path)).say("   ", "vi")


NO_ESPEAK = "espeak-ng not installed (scripts/ensure-system.sh installs it)"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason=NO_ESPEAK)
def test_espeak_ng_vietnamese_voice_writes_speech(tmp_path: Path) -> None:
    voice = Voice(wav_dir=tmp_path)
    assert voice.say("Xin mời đặt thẻ căn cước lên đầu đọc.", "vi")
    voice.wait(20.0)
    wav = tmp_path / "utterance-0000.wav"
    assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 10_000


def test_window_speaks_each_screen_and_mute_button_toggles(qtbot: QtBot, tmp_path: Path) -> None:
    voice = Voice(_slow_engine(tmp_path))
    w = KioskWindow(voice=voice)
    qtbot.addWidget(w)
    consent = next(s.view for s in sample_views("vi") if s.name.endswith("consent"))
    w.show_view(consent)
    assert voice.spoken == 1
    said = _said(tmp_path, 1)
    w.mute_button.click()
    assert voice.muted and w.mute_button.text() == w.catalog.text("common.unmute", "vi")
    w.show_view(consent)
    assert voice.spoken == 1
    w.mute_button.click()
    assert not voice.muted
    voice.stop()
    assert consent.document.splitlines()[0] in said


def test_service_and_queue_number_are_spoken(qtbot: QtBot, tmp_path: Path) -> None:
    voice = Voice(_slow_engine(tmp_path))
    w = KioskWindow(voice=voice)
    qtbot.addWidget(w)
    views = {s.name.split("-", 1)[1]: s.view for s in sample_views("vi")}
    w.show_view(views["service"])
    said = _said(tmp_path, 1)
    assert "Chọn khoa khám" in said and "lấy số thứ tự" in said
    w.show_view(views["receipt"])
    said = _said(tmp_path, 2)
    voice.stop()
    assert "Số thứ tự của Quý khách là NOI 17, Khám Nội." in said  # "17", not "017" nor "NOI-017"

"""Recorded voice prompts (ui.recordings): a recording per message key and language is played when it
exists, espeak-ng speaks the rest, in order and without blocking; ``cccd ui --voice-check`` lists what is
missing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cccd.cli import main
from ui.i18n import Catalog
from ui.recordings import missing_recordings, plan, recordable, recording_path
from ui.voice import Voice


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def _record(folder: Path, language: str, key: str) -> Path:
    path = recording_path(folder, language, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF....WAVEfmt ")  # a stand-in: the stand-in player does not decode it
    return path


def test_plan_plays_recordings_and_synthesises_the_rest(tmp_path: Path, catalog: Catalog) -> None:
    title = _record(tmp_path, "vi", "place_card.title")
    _record(tmp_path, "vi", "receipt.queue_spoken")  # has placeholders: never played
    parts = [("place_card.title", "Đặt thẻ"), ("place_card.hint", "Giữ yên"), (None, "văn bản"),
             ("receipt.queue_spoken", "Số thứ tự NOI 17")]  # fmt: skip
    assert plan(parts, "vi", tmp_path, catalog) == [
        ("play", str(title)), ("say", "Giữ yên văn bản Số thứ tự NOI 17")]
    assert plan(parts, "en", tmp_path, catalog)[0][0] == "say"  # recordings are per language
    assert not recordable(catalog, "vi", "receipt.queue_spoken")
    assert recordable(catalog, "vi", "attract.title")


def test_missing_recordings_lists_recordable_keys_without_a_file(tmp_path: Path, catalog: Catalog) -> None:
    before = missing_recordings(catalog, tmp_path)
    _record(tmp_path, "vi", "attract.title")
    after = missing_recordings(catalog, tmp_path)
    assert "attract.title" in before["vi"] and "attract.title" not in after["vi"]
    assert len(after["vi"]) == len(before["vi"]) - 1 and "attract.title" in after["en"]
    assert "receipt.queue_spoken" not in before["vi"]  # carries a value: always synthesised


def _stand_in(tmp_path: Path, name: str) -> str:
    script = tmp_path / name
    script.write_text(f'#!/bin/sh\necho "{name} $@" >> {tmp_path}/log.txt\nsleep 0.2\n')
    script.chmod(0o755)
    return str(script)


def _log(tmp_path: Path, lines: int) -> list[str]:
    f = tmp_path / "log.txt"
    for _ in range(100):
        if f.exists() and f.read_text().count("\n") >= lines:
            break
        time.sleep(0.05)
    return f.read_text().splitlines() if f.exists() else []


def test_voice_plays_then_speaks_in_order_without_waiting(tmp_path: Path, catalog: Catalog) -> None:
    voices = tmp_path / "voice"
    title = _record(voices, "vi", "place_card.title")
    voice = Voice(_stand_in(tmp_path, "tts"), recordings=voices, player=_stand_in(tmp_path, "player"))
    t0 = time.monotonic()
    assert voice.say_parts([("place_card.title", "Đặt thẻ"), (None, "Giữ yên thẻ")], "vi", catalog)
    assert time.monotonic() - t0 < 0.15  # the player sleeps 0.2 s: not waited for
    log = _log(tmp_path, 2)
    voice.stop()
    assert log[0] == f"player {title}" and log[1].startswith("tts -v vi") and log[1].endswith("Giữ yên thẻ")


def test_without_recordings_the_voice_speaks_as_before(tmp_path: Path, catalog: Catalog) -> None:
    voice = Voice(_stand_in(tmp_path, "tts"), recordings=tmp_path / "none", player=_stand_in(tmp_path, "p"))
    assert voice.say_parts([("attract.title", "Chào"), (None, "Quý khách")], "vi", catalog)
    assert _log(tmp_path, 1) == ["tts -v vi -s 140 -- Chào Quý khách"]
    muted = Voice(_stand_in(tmp_path, "tts"), muted=True)
    assert not muted.say_parts([("attract.title", "Chào")], "vi", catalog)


def test_voice_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _record(tmp_path, "vi", "attract.title")
    assert main(["ui", "--voice-check", "--voice-dir", str(tmp_path)]) == 1
    vi, en = capsys.readouterr().out.split("en:")
    assert "missing attract.title.wav" in en and "missing attract.title" not in vi
    assert "missing attract.hint" in vi or "missing language.title.wav" in vi
    monkeypatch.delenv("CCCD_VOICE_DIR", raising=False)
    assert main(["ui", "--voice-check"]) == 2
    assert "--voice-dir" in capsys.readouterr().err

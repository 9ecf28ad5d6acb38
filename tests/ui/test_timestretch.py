"""The slower-speech switch slows recorded prompts too (issue 14): a person's slow reading when there is
one, else the recording stretched in time at the same pitch (ui.timestretch, WSOLA), else espeak-ng at its
slow rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from ui.i18n import Catalog
from ui.recordings import plan, recording_path, slow_path
from ui.timestretch import StretchError, read_wav, slowed_copy, stretch, write_wav
from ui.voice import RATE_WPM, SLOW_RATE_WPM, Voice

RATE = 16_000


def _tone(seconds: float, hz: float) -> NDArray[np.float64]:
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.5 * np.sin(2 * np.pi * hz * t)


def _peak_hz(samples: NDArray[np.float64]) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * RATE / len(samples))


@pytest.mark.parametrize("hz", [220.0, 440.0])
def test_stretch_lengthens_and_keeps_the_pitch(hz: float) -> None:
    factor = RATE_WPM / SLOW_RATE_WPM
    out = stretch(_tone(1.0, hz), factor, RATE)
    assert len(out) == int(RATE * factor)
    assert abs(_peak_hz(out) - hz) < 3.0  # the same note, not a lower one
    steady = out[RATE // 10: -RATE // 10]
    assert 0.4 < np.max(np.abs(steady)) < 0.6  # no gaps or doubled loudness where frames join


def test_a_slowed_copy_is_made_once_and_is_longer(tmp_path: Path) -> None:
    src = tmp_path / "vi" / "place_card.title.wav"
    write_wav(src, _tone(0.5, 300.0), RATE)
    first = slowed_copy(src, 1.5, tmp_path / "cache")
    samples, rate = read_wav(first)
    assert rate == RATE and abs(len(samples) - 0.75 * RATE) <= 1
    mtime = first.stat().st_mtime_ns
    assert slowed_copy(src, 1.5, tmp_path / "cache") == first and first.stat().st_mtime_ns == mtime
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEfmt ")
    with pytest.raises(StretchError):
        slowed_copy(bad, 1.5, tmp_path / "cache")


def test_the_slow_switch_chooses_the_slow_reading_then_a_stretched_copy(tmp_path: Path) -> None:
    catalog = Catalog.load()
    voice_dir, cache = tmp_path / "voice", tmp_path / "cache"
    write_wav(recording_path(voice_dir, "vi", "place_card.title"), _tone(0.4, 250.0), RATE)
    write_wav(recording_path(voice_dir, "vi", "reading.title"), _tone(0.4, 250.0), RATE)
    own = slow_path(voice_dir, "vi", "reading.title")
    write_wav(own, _tone(0.6, 250.0), RATE)
    broken = recording_path(voice_dir, "vi", "face_capture.title")
    broken.write_bytes(b"not a wav")
    parts = [("reading.title", "Đang đọc chip"), ("place_card.title", "Đặt thẻ"),
             ("face_capture.title", "Chụp ảnh"), ("place_card.again", "Đặt lại")]  # fmt: skip
    normal = plan(parts, "vi", voice_dir, catalog, cache=cache)
    assert [k for k, _ in normal] == ["play", "play", "play", "say"]  # as recorded
    slow = plan(parts, "vi", voice_dir, catalog, slow=1.33, cache=cache)
    assert slow[0] == ("play", str(own))  # the person's own slow reading
    assert slow[1][0] == "play" and Path(slow[1][1]).parent == cache / "vi"  # stretched
    assert slow[2] == ("say", "Chụp ảnh Đặt lại")  # cannot be stretched: espeak-ng, at its slow rate


def test_the_voice_passes_the_switch_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float | None] = []

    def fake_plan(*args: object, slow: float | None = None, **kw: object) -> list[tuple[str, str]]:
        seen.append(slow)
        return []

    monkeypatch.setattr("ui.voice.plan", fake_plan)
    v = Voice(command="/bin/true", recordings=tmp_path, player="/bin/true")
    v.say_parts([("attract.title", "Xin chào")], "vi", Catalog.load())
    v.set_slow(True)
    v.say_parts([("attract.title", "Xin chào")], "vi", Catalog.load())
    v.stop()
    assert seen == [None, RATE_WPM / SLOW_RATE_WPM] and v.rate == SLOW_RATE_WPM


def test_the_slowed_copies_go_to_a_private_folder_of_the_process() -> None:
    """Not a fixed /tmp name another local user could prepare: mkdtemp, 0700, the same for the process."""
    import stat

    from ui.recordings import slow_cache

    folder = slow_cache()
    assert folder == slow_cache() and folder.name.startswith("cccd-voice-slow-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

"""Voice guidance: recorded prompts where a recording exists (:mod:`ui.recordings`), else the offline
espeak-ng speech engine (its Vietnamese voice ``vi``).

Speaking never blocks the UI: each utterance is a child process started with :class:`subprocess.Popen`
and not waited for; a new utterance stops the one still playing.  Muting stops it too.  With ``wav_dir``
every utterance is written to a WAV file instead of the sound card (tests; no audio device needed).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ui.i18n import Catalog
from ui.recordings import Part, Playback, find_player, plan

VOICES = {"vi": "vi", "en": "en-gb"}
RATE_WPM = 140  # slower than espeak-ng's 175: easier for elderly listeners
SLOW_RATE_WPM = 105  # the slower-speech mode the person can switch on (issue 14)


class Voice:
    """Speaks texts aloud; a no-op when espeak-ng is not installed (``available`` is then ``False``)."""

    def __init__(self, command: str | None = None, *, muted: bool = False, wav_dir: Path | None = None,
                 recordings: Path | None = None, player: str | None = None) -> None:  # fmt: skip
        self._command = command if command is not None else shutil.which("espeak-ng")
        self.muted = muted
        self._wav_dir = wav_dir
        self.recordings = recordings  # DIR/<language>/<key>.wav (ui.recordings)
        self.rate = RATE_WPM
        self.slow = False
        self._player = player if player is not None else (find_player() if recordings else None)
        self._playback: Playback | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped: list[subprocess.Popen[bytes]] = []
        self.spoken = 0

    @property
    def available(self) -> bool:
        return self._command is not None

    def set_slow(self, slow: bool) -> None:
        """The slower-speech mode: espeak-ng at :data:`SLOW_RATE_WPM`, recordings slowed as much (their
        slow reading, or stretched at the same pitch: ui.recordings)."""
        self.slow = slow
        self.rate = SLOW_RATE_WPM if slow else RATE_WPM

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self.stop()

    def _tts_args(self, text: str, language: str) -> list[str]:
        assert self._command is not None
        args = [self._command, "-v", VOICES.get(language, "vi"), "-s", str(self.rate)]
        if self._wav_dir is not None:
            args += ["-w", str(self._wav_dir / f"utterance-{self.spoken:04d}.wav")]
        return [*args, "--", text]

    def say_parts(self, parts: Sequence[Part], language: str, catalog: Catalog) -> bool:
        """Speak message parts ``(key, text)``: recorded prompts where they exist, espeak-ng for the rest,
        in order (:func:`ui.recordings.plan`); ``False`` when muted or there is nothing to say."""
        if self.muted or not any(text.strip() for _, text in parts):
            return False
        factor = RATE_WPM / SLOW_RATE_WPM if self.slow else None
        steps = plan(parts, language, self.recordings, catalog, slow=factor) if self._player else []
        if not any(kind == "play" for kind, _ in steps):
            return self.say(" ".join(text for _, text in parts if text.strip()), language)
        self.stop()
        assert self._player is not None
        commands = [[self._player, value] if kind == "play" else self._tts_args(value, language)
                    for kind, value in steps if kind == "play" or self._command]  # fmt: skip
        self._playback = Playback(commands)
        self.spoken += 1
        return True

    def say(self, text: str, language: str) -> bool:
        """Start reading ``text`` aloud; ``False`` when muted, unavailable or the text is empty."""
        if self.muted or not self._command or not text.strip():
            return False
        self.stop()
        args = self._tts_args(text, language)[:-2]
        try:
            self._proc = subprocess.Popen([*args, "--", text], stdin=subprocess.DEVNULL,  # noqa: S603
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        except OSError:
            self._command = None  # the engine vanished: stay silent rather than fail the screen
            return False
        self.spoken += 1
        return True

    def stop(self) -> None:
        """Silence the current utterance at once (SIGKILL; the process is reaped later, never waited for)."""
        playback, self._playback = self._playback, None
        if playback is not None:
            playback.stop()
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            self._stopped.append(proc)
        self._stopped = [p for p in self._stopped if p.poll() is None]

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the current utterance (tests only; the UI never waits)."""
        if self._playback is not None:
            self._playback.wait(timeout)
        if self._proc is not None:
            self._proc.wait(timeout=timeout)

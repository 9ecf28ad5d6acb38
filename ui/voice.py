"""Voice guidance from the offline espeak-ng speech engine (its Vietnamese voice ``vi``).

Speaking never blocks the UI: each utterance is a child process started with :class:`subprocess.Popen`
and not waited for; a new utterance stops the one still playing.  Muting stops it too.  With ``wav_dir``
every utterance is written to a WAV file instead of the sound card (tests; no audio device needed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

VOICES = {"vi": "vi", "en": "en-gb"}
RATE_WPM = 140  # slower than espeak-ng's 175: easier for elderly listeners


class Voice:
    """Speaks texts aloud; a no-op when espeak-ng is not installed (``available`` is then ``False``)."""

    def __init__(self, command: str | None = None, *, muted: bool = False,
                 wav_dir: Path | None = None) -> None:  # fmt: skip
        self._command = command if command is not None else shutil.which("espeak-ng")
        self.muted = muted
        self._wav_dir = wav_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped: list[subprocess.Popen[bytes]] = []
        self.spoken = 0

    @property
    def available(self) -> bool:
        return self._command is not None

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self.stop()

    def say(self, text: str, language: str) -> bool:
        """Start reading ``text`` aloud; ``False`` when muted, unavailable or the text is empty."""
        if self.muted or not self._command or not text.strip():
            return False
        self.stop()
        args = [self._command, "-v", VOICES.get(language, "vi"), "-s", str(RATE_WPM)]
        if self._wav_dir is not None:
            args += ["-w", str(self._wav_dir / f"utterance-{self.spoken:04d}.wav")]
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
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            self._stopped.append(proc)
        self._stopped = [p for p in self._stopped if p.poll() is None]

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the current utterance (tests only; the UI never waits)."""
        if self._proc is not None:
            self._proc.wait(timeout=timeout)

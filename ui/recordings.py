"""Recorded voice prompts: a folder of audio files per message key and language, used when present, with
espeak-ng as the fallback (docs/ui.md, "Voice").

Layout: ``DIR/<language>/<message key>.wav`` — e.g. ``voice/vi/place_card.title.wav`` — recorded by a
person reading the catalogue text (ui/i18n/<language>.json).  Only messages without placeholders can be
recorded: a message that carries a value (a queue number, the counter) is always synthesised.

With the slower-speech switch on, ``DIR/<language>/slow/<key>.wav`` (a slower reading by the same
person) is played when present, else the normal recording stretched in time at the same pitch
(:mod:`ui.timestretch`), else espeak-ng at its slow rate.

An utterance is a list of parts, each a message key (or ``None`` for free text such as the consent
document) with its text.  Parts with a recording are played with an audio player (``aplay`` from
alsa-utils, or PipeWire's ``pw-play``, or ``paplay``); the others are spoken by espeak-ng; in order, on a
worker thread, so the UI never waits.  A new utterance or muting stops the one playing.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from ui.i18n import LANGUAGES, Catalog
from ui.timestretch import StretchError, slowed_copy

PLAYERS = ("pw-play", "paplay", "aplay")
EXTENSION = ".wav"
SLOW_FOLDER = "slow"  # DIR/<language>/slow/<key>.wav: a slower reading, for the slower-speech switch
_slow_cache: list[Path] = []  # this process's folder of stretched copies (the recordings may be read-only)


def slow_cache() -> Path:
    """This process's private folder for stretched copies: made by ``mkdtemp`` (0700, a name nobody can
    guess), so no other local user can plant a file the kiosk would play or turn a write into a symlink
    attack — a fixed ``/tmp`` name allowed both.  Removed at exit."""
    if not _slow_cache:
        folder = Path(tempfile.mkdtemp(prefix="cccd-voice-slow-"))
        atexit.register(shutil.rmtree, folder, True)
        _slow_cache.append(folder)
    return _slow_cache[0]
Part = tuple[str | None, str]  # (message key or None, the text shown)


def recordable(catalog: Catalog, language: str, key: str) -> bool:
    """Whether ``key`` can have a recording (its text holds no ``{placeholder}``)."""
    text = catalog.messages.get(language, {}).get(key)
    return text is not None and "{" not in text


def recording_path(directory: Path, language: str, key: str) -> Path:
    return directory / language / f"{key}{EXTENSION}"


def missing_recordings(catalog: Catalog, directory: Path) -> dict[str, list[str]]:
    """Per language, the recordable keys that have no file in ``directory`` (``cccd ui --voice-check``)."""
    out: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        keys = sorted(k for k in catalog.messages.get(lang, {}) if recordable(catalog, lang, k))
        out[lang] = [k for k in keys if not recording_path(directory, lang, k).is_file()]
    return out


def slow_path(directory: Path, language: str, key: str) -> Path:
    """A person's own slower reading of ``key``: ``DIR/<language>/slow/<key>.wav``."""
    return directory / language / SLOW_FOLDER / f"{key}{EXTENSION}"


def _recording(directory: Path, language: str, key: str, slow: float | None,
               cache: Path | None) -> Path | None:  # fmt: skip
    """The file to play for ``key``: with the slower-speech switch on, the slow reading if there is one,
    else the recording stretched to ``slow`` times its length at the same pitch (ui.timestretch); ``None``:
    synthesise it (no recording, or one that cannot be stretched)."""
    path = recording_path(directory, language, key)
    if slow is None:
        return path if path.is_file() else None
    own = slow_path(directory, language, key)
    if own.is_file():
        return own
    if not path.is_file():
        return None
    try:
        return slowed_copy(path, slow, (cache or slow_cache()) / language)
    except (StretchError, OSError):
        return None


def plan(parts: Sequence[Part], language: str, directory: Path | None, catalog: Catalog, *,
         slow: float | None = None, cache: Path | None = None) -> list[tuple[str, str]]:  # fmt: skip
    """The utterance as steps: ``("play", file)`` for a recorded part, ``("say", text)`` for the others
    (consecutive synthesised parts joined into one).  ``slow``: the slower-speech switch is on — recordings
    play that many times slower (their own slow reading, or stretched)."""
    steps: list[tuple[str, str]] = []
    for key, text in parts:
        if not text.strip():
            continue
        path = None
        if directory is not None and key and recordable(catalog, language, key):
            path = _recording(directory, language, key, slow, cache)
        if path is not None:
            steps.append(("play", str(path)))
        elif steps and steps[-1][0] == "say":
            steps[-1] = ("say", steps[-1][1] + " " + text)
        else:
            steps.append(("say", text))
    return steps


class Playback:
    """Runs the steps' processes one after another on a thread; :meth:`stop` ends it at once."""

    def __init__(self, commands: list[list[str]]) -> None:
        self.commands = commands
        self._stopped = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for args in self.commands:
            with self._lock:
                if self._stopped.is_set():
                    return
                quiet = subprocess.DEVNULL
                try:
                    self._proc = subprocess.Popen(args, stdin=quiet, stdout=quiet, stderr=quiet)  # noqa: S603
                except OSError:
                    continue
                proc = self._proc
            proc.wait()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()

    def wait(self, timeout: float) -> None:
        self.thread.join(timeout)


def find_player() -> str | None:
    return next((p for p in (shutil.which(name) for name in PLAYERS) if p), None)


def voice_check(directory: Path, catalog: Catalog | None = None) -> int:
    """``cccd ui --voice-check``: print, per language, the message keys without a recording in
    ``directory``; exit code 0 when every recordable message has one, 1 otherwise."""
    catalog = catalog or Catalog.load()
    missing = missing_recordings(catalog, directory)
    for lang, keys in missing.items():
        total = sum(1 for k in catalog.messages.get(lang, {}) if recordable(catalog, lang, k))
        print(f"{lang}: {total - len(keys)}/{total} recorded in {directory / lang}")
        for k in keys:
            print(f"  missing {k}{EXTENSION}")
    return 1 if any(missing.values()) else 0

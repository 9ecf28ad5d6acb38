"""Face engines, selected by name (configuration: ``FaceConfig.engine`` or ``cccd face-eval --engine``)."""

from __future__ import annotations

import threading

from biometrics.engines.base import Detection, FaceEngine, Template
from biometrics.errors import EngineUnavailableError

DEFAULT_ENGINE = "sface"
ENGINE_NAMES = ("sface", "dlib")

_cache: dict[str, FaceEngine] = {}
_lock = threading.Lock()


def create_engine(name: str = DEFAULT_ENGINE) -> FaceEngine:
    """A new engine instance (weights verified and loaded now)."""
    if name == "sface":
        from biometrics.engines.sface import SFaceEngine

        return SFaceEngine()
    if name == "dlib":
        from biometrics.engines.dlib_fr import DlibEngine

        return DlibEngine()
    raise EngineUnavailableError(f"unknown face engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


def get_engine(name: str = DEFAULT_ENGINE) -> FaceEngine:
    """The process-wide instance of an engine (loaded once; engines are thread-safe)."""
    with _lock:
        if name not in _cache:
            _cache[name] = create_engine(name)
        return _cache[name]


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINE_NAMES",
    "Detection",
    "FaceEngine",
    "Template",
    "create_engine",
    "get_engine",
]

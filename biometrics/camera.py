"""Camera sources: one small interface for webcams, video files, image folders and the simulated camera.

A :class:`CameraSource` hands out :class:`Frame` objects until it has nothing more (``None``); frames carry
their own timestamps so analysis never depends on wall-clock pacing (a simulated camera runs faster than
real time, a file may be read at any speed).  Frames stay in memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import cv2

from biometrics.errors import CameraError
from biometrics.imaging import Image, as_bgr, decode_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".bmp")


@dataclass(frozen=True, slots=True, repr=False)
class Frame:
    """One camera frame (BGR) with its capture time in seconds on the source's own clock."""

    image: Image
    timestamp: float
    index: int

    def __repr__(self) -> str:
        h, w = self.image.shape[:2]
        return f"Frame(index={self.index}, t={self.timestamp:.3f}, {w}x{h}, <pixels hidden>)"


@runtime_checkable
class CameraSource(Protocol):
    """Anything that yields frames: ``read()`` until ``None``, then ``close()``."""

    def read(self) -> Frame | None:
        """The next frame, or ``None`` when the source has ended (raises :class:`CameraError` on failure)."""
        ...

    def close(self) -> None: ...


def frames(source: CameraSource) -> Iterator[Frame]:
    """Iterate a source's frames until it ends."""
    while (frame := source.read()) is not None:
        yield frame


class _Closing:
    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class OpenCVCamera(_Closing):
    """A webcam through ``cv2.VideoCapture`` (V4L2 on Linux); ``max_frames`` bounds a capture."""

    def __init__(self, device: int = 0, width: int = 640, height: int = 480, max_frames: int = 900) -> None:
        self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            raise CameraError(f"camera {device} could not be opened")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._max = max_frames
        self._index = 0

    def read(self) -> Frame | None:
        if self._index >= self._max:
            return None
        ok, img = self._cap.read()
        if not ok or img is None:
            raise CameraError("the camera stopped delivering frames")
        frame = Frame(as_bgr(img), time.monotonic(), self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


class VideoFileSource(_Closing):
    """A video file read frame by frame; timestamps from the container (or the index / fps)."""

    def __init__(self, path: Path) -> None:
        self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            raise CameraError(f"video {path.name} could not be opened")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self._fps = fps if fps and fps > 0 else 30.0
        self._index = 0

    def read(self) -> Frame | None:
        ok, img = self._cap.read()
        if not ok or img is None:
            return None
        frame = Frame(as_bgr(img), self._index / self._fps, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource(_Closing):
    """The images of a folder in name order, as frames ``1/fps`` seconds apart."""

    def __init__(self, folder: Path, fps: float = 15.0) -> None:
        if not folder.is_dir():
            raise CameraError(f"{folder} is not a folder")
        self._paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self._fps = fps
        self._index = 0

    def read(self) -> Frame | None:

        if self._index >= len(self._paths):
            return None
        img = decode_image(self._paths[self._index].read_bytes())
        frame = Frame(img, self._index / self._fps, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._index = len(self._paths)

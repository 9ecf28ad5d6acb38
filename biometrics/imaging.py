"""Decoding of chip photos (JPEG, JPEG 2000: ICAO 9303-10 §4.7.2, ISO/IEC 19794-5 / 39794-5 image data)
and live frames into 8-bit BGR arrays, the layout every engine here takes."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.errors import ImageDecodeError

Image = npt.NDArray[np.uint8]
"""An 8-bit image, ``H×W×3`` BGR (OpenCV's order), in memory only."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 (JP2)"),
    (b"\xff\x4f\xff\x51", "JPEG 2000 (codestream)"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
MAX_SIDE = 8192


def image_format(data: bytes) -> str:
    """The format named by the leading bytes, or raise :class:`ImageDecodeError`."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    raise ImageDecodeError("not a JPEG, JPEG 2000 or PNG image (unknown signature)")


def decode_image(data: bytes) -> Image:
    """Decode JPEG / JPEG 2000 (JP2 or raw codestream) / PNG bytes into a BGR image."""
    image_format(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise ImageDecodeError("the image data is truncated or corrupt")
    return as_bgr(img)


def as_bgr(img: Any) -> Image:
    """Normalise an array (gray, BGR, BGRA; 8 or 16 bit) to contiguous 8-bit BGR."""
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or arr.shape[0] < 8 or arr.shape[1] < 8:
        raise ImageDecodeError("an image must be a 2-D gray or 3-channel array of at least 8×8 pixels")
    if max(arr.shape[:2]) > MAX_SIDE:
        raise ImageDecodeError(f"image larger than {MAX_SIDE} pixels on a side")
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise ImageDecodeError(f"unsupported pixel type {arr.dtype}")
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    elif arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
    elif arr.shape[2] != 3:
        raise ImageDecodeError("an image must have 1, 3 or 4 channels")
    return np.ascontiguousarray(arr)


def encode_jpeg(img: Image, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageDecodeError("JPEG encoding failed")
    return bytes(buf)


def encode_jpeg2000(img: Image, rate_x1000: int = 100) -> bytes:
    """JP2 bytes (OpenJPEG inside OpenCV), e.g. to build chip-photo-like test data."""
    ok, buf = cv2.imencode(".jp2", img, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, rate_x1000])
    if not ok:
        raise ImageDecodeError("JPEG 2000 encoding failed")
    return bytes(buf)

"""Reading the card through the camera at key entry: its QR code (cccd-chip.md §5, OpenCV's QR detector)
on every frame, and the MRZ on its back (kiosk.runtime.mrz_ocr, docs/mrz-scanning.md) a few times a second.

The decoded QR text goes to the machine as a ``ScanQR`` intent (:func:`kiosk.keyentry.parse_qr` parses it);
a validated MRZ as ``EnterMRZ``; an MRZ seen but not readable as ``MRZUnreadable`` (what to change).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

MRZ_INTERVAL_S = 0.4  # an MRZ attempt at most this often (each takes ~0.1–0.4 s, benchmarks/mrz_ocr.py)
MRZ_REPORT_INTERVAL_S = 3.0  # "too dark", "glare"… said at most this often


def scan_card(camera: Any, cancel: threading.Event, mrz: Any | None = None,
              on_mrz_problem: Callable[[str], None] | None = None,
              max_frames: int = 3600,
              mrz_interval: float = MRZ_INTERVAL_S,
              nothing_after: float | None = None) -> tuple[str, str] | None:  # fmt: skip
    """Frames from ``camera`` (a biometrics.camera.CameraSource) until one holds a QR code (``("qr",
    text)``) or, with ``mrz`` (a :class:`kiosk.runtime.mrz_ocr.MRZReader`), a valid MRZ (``("mrz",
    text)``); ``None`` when the camera ends, ``cancel`` is set or ``max_frames`` have been looked at.
    ``on_mrz_problem(reason)`` hears why an MRZ in view could not be read (never "no MRZ"); with
    ``nothing_after`` (seconds), also ``"turn_over"`` once when neither code has been seen by then — the
    reader's own camera looks at a card lying on it, probably with the side without codes down."""
    import cv2

    detector = cv2.QRCodeDetector()
    next_mrz, next_report = 0.0, 0.0
    quiet_until = None if nothing_after is None else time.monotonic() + nothing_after
    for _ in range(max_frames):
        if cancel.is_set():
            return None
        frame = camera.read()
        if frame is None:
            return None
        try:
            text, points, _ = detector.detectAndDecode(frame.image)
            if text:
                return "qr", str(text)
            if points is not None:
                quiet_until = None  # a QR code is in view, not yet decoded: not the wrong side
            now = time.monotonic()
            if mrz is not None and now >= next_mrz:
                next_mrz = now + mrz_interval
                result = mrz.read(frame.image)
                if result.lines is not None:
                    return "mrz", result.text
                reason = result.failure.value if result.failure is not None else "no_mrz"
                if reason != "no_mrz":
                    quiet_until = None  # a code is in view: what to change is said instead
                if reason != "no_mrz" and on_mrz_problem is not None and now >= next_report:
                    next_report = now + MRZ_REPORT_INTERVAL_S
                    on_mrz_problem(reason)
            if quiet_until is not None and now >= quiet_until:
                quiet_until = None
                if on_mrz_problem is not None:
                    on_mrz_problem("turn_over")
        finally:
            frame.image.fill(0)  # a frame may show the card: keep nothing
    return None


"""Reading the card's QR code through the camera (cccd-chip.md §5): OpenCV's QR detector over camera frames.

The decoded text goes to the machine as a ``ScanQR`` intent; :func:`kiosk.keyentry.parse_qr` does the
parsing (7-field, 6-field, BOM and CR/LF, the tolerant 2024 reading).
"""

from __future__ import annotations

import threading
from typing import Any


def scan_qr(camera: Any, cancel: threading.Event, max_frames: int = 3600) -> str | None:
    """Frames from ``camera`` (a biometrics.camera.CameraSource) until one holds a QR code; ``None`` when the
    camera ends, ``cancel`` is set or ``max_frames`` have been looked at."""
    import cv2

    detector = cv2.QRCodeDetector()
    for _ in range(max_frames):
        if cancel.is_set():
            return None
        frame = camera.read()
        if frame is None:
            return None
        try:
            text, _, _ = detector.detectAndDecode(frame.image)
        finally:
            frame.image.fill(0)  # a QR frame may show the card: keep nothing
        if text:
            return str(text)
    return None

"""Every screen saved as a PNG (``cccd ui --screenshots DIR``; works with QT_QPA_PLATFORM=offscreen)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from ui.operator import HealthLine, OperatorStatus
from ui.samples import sample_views
from ui.screens_input import KeyEntryScreen
from ui.screens_service import ServiceScreen
from ui.window import KioskWindow


def _sample_status() -> OperatorStatus:
    """What the live checks (cccd.doctor) and the printer report on a working day: check names in the
    page's language, each check's technical line as the doctor writes it (for the IT person)."""
    checks = (HealthLine("reader", True, "ACS ACR1252U 00 00: extended-length APDUs"),
              HealthLine("camera", True, "/dev/video0 present"),
              HealthLine("outbox", True, "2 pending, 0 dead"),
              HealthLine("endpoint:his", False, "his.benhvien.vn:443: connection refused",
                         "check the HIS address in kiosk.toml, then run cccd doctor"))  # fmt: skip
    return OperatorStatus(reader="", camera="", outbox_backlog=2, recent_errors=("printer: paper_out",),
                          card_left_at="08:52 22/11/2026", checks=checks)  # fmt: skip


def grab(window: KioskWindow, path: Path) -> Path:
    QApplication.processEvents()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def save_screenshots(directory: Path, *, profile: str = "hospital", languages: tuple[str, ...] = ("vi", "en"),
                     photos: tuple[bytes | None, bytes | None] = (None, None)) -> list[Path]:  # fmt: skip
    """Render every sample screen in every language into ``directory`` as ``<nn>-<state>-<lang>.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    window = KioskWindow(status=_sample_status)
    window.show()
    saved: list[Path] = []
    try:
        for lang in languages:
            for sample in sample_views(lang, profile):
                window.card_model = sample.card_model
                window.show_view(sample.view, speak=False,
                                 photos=photos if sample.view.state == "result" else (None, None))
                body = window.screen_body
                if sample.method is not None and isinstance(body, KeyEntryScreen):
                    body.show_method(sample.method)
                if sample.values and isinstance(body, ServiceScreen):
                    body.set_values(sample.values)
                saved.append(grab(window, directory / f"{sample.name}-{lang}.png"))
        window.open_pin()
        saved.append(grab(window, directory / "90-operator-pin.png"))
        window.show_operator()
        saved.append(grab(window, directory / "91-operator-status.png"))
    finally:
        window.close()
        window.deleteLater()
    return saved

"""What a citizen sees and hears (issue 14): no reason codes, no long IDs, no raw profile keys on any
citizen screen; the Vietnamese catalogue speaks to older people as "Quý khách" (docs/ui.md "Register").

Every sample screen (ui.samples, the screenshot set) is rendered offscreen in both languages, with the
counter screen once per reason code, and its visible texts are checked."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel
from pytestqt.qtbot import QtBot

from kiosk.flow.model import Reason, Session, State
from kiosk.flow.servicefields import VISIT_TYPES
from kiosk.flow.views import render
from ui.i18n import Catalog
from ui.samples import SAMPLE_REFERENCE, flow_config, sample_views
from ui.screens_input import KeyEntryScreen
from ui.screens_service import ServiceScreen
from ui.window import KioskWindow

CODE = re.compile(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b")  # FACE_MISMATCH, NO_ANTICLONE_PROOF
LONG_ID = re.compile(r"\b[0-9A-Z]{16,}\b")  # a verification ID (26 characters), a hash, a token
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # patient_registration, visit_type, first_visit
KEY = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b")  # a message key shown untranslated
WORD_BAN = re.compile(r"\bbạn\b", re.IGNORECASE)
PROFILE_KEYS = {p.id for name in ("hospital", "bank", "lodging", "public_service")
                for p in flow_config(name).purposes} | set(VISIT_TYPES)  # fmt: skip


def _counter_views(language: str) -> list[object]:
    c = flow_config()
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    return [render(replace(Session(), state=State.FALLBACK, fallback=reason, language=language,
                           reference=SAMPLE_REFERENCE, card_seen=True, started_at=start,
                           detail=("NO_ANTICLONE_PROOF", "CSCA_UNKNOWN")), c)
            for reason in Reason]  # fmt: skip


LANGS = ("vi", "en")
CASES: list[tuple[str, str, object]] = [(lang, s.name, s) for lang in LANGS for s in sample_views(lang)]
CASES += [(lang, f"fallback-{getattr(v, 'reason', '')}", v) for lang in LANGS for v in _counter_views(lang)]


def _visible_texts(window: KioskWindow) -> list[str]:
    texts = [w.text() for w in window.findChildren(QLabel) if w.isVisibleTo(window) and w.text()]
    return texts + [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window)]


def _problems(text: str) -> list[str]:
    found = CODE.findall(text) + LONG_ID.findall(text) + KEY.findall(text)
    found += [w for w in SNAKE.findall(text) if w in PROFILE_KEYS or "_" in w]
    return found


@pytest.mark.parametrize(("language", "name", "sample"), CASES, ids=[f"{n}-{lang}" for lang, n, _ in CASES])
def test_no_codes_or_long_ids_on_a_citizen_screen(qtbot: QtBot, language: str, name: str,
                                                  sample: object) -> None:  # fmt: skip
    window = KioskWindow(Catalog.load())
    qtbot.addWidget(window)
    window.show()
    view = getattr(sample, "view", sample)
    window.card_model = getattr(sample, "card_model", None)
    window.show_view(view, speak=False)
    method, values = getattr(sample, "method", None), getattr(sample, "values", ())
    if method and isinstance(window.screen_body, KeyEntryScreen):
        window.screen_body.show_method(method)
    if values and isinstance(window.screen_body, ServiceScreen):
        window.screen_body.set_values(values)
    QApplication.processEvents()
    texts = _visible_texts(window)
    assert texts  # the screen shows something
    bad = {t: _problems(t) for t in texts if _problems(t)}
    assert not bad, f"{name}: {bad}"
    assert SAMPLE_REFERENCE not in "\n".join(texts)
    if language == "vi":  # the profile's consent text and purposes too (firmware_configs/profiles)
        assert not [t for t in texts if WORD_BAN.search(t)], name


def test_the_checks_would_catch_what_they_look_for() -> None:
    assert _problems("Mã lý do: FACE_MISMATCH") and _problems(f"Mã giao dịch: {SAMPLE_REFERENCE}")
    assert _problems("[ ] patient_registration:") and _problems("fallback.reason_code")
    assert not _problems("Số thứ tự NOI-017, Khám Nội") and not _problems("Mã tra cứu: Y1B0NC")


def test_the_vietnamese_catalogue_says_quy_khach_not_ban() -> None:
    """The register (docs/ui.md): "Quý khách" for the person, never "bạn"; sentences do not all open with
    "Xin"; a policy refusal is worded calmly."""
    vi = Catalog.load().messages["vi"]
    assert not {k: v for k, v in vi.items() if WORD_BAN.search(v)}
    assert sum(1 for v in vi.values() if v.startswith("Xin")) <= 2  # "Xin chào" and little else
    assert sum(1 for v in vi.values() if "Quý khách" in v) >= 30
    refusal = vi["fallback.chip_not_accepted"]
    assert "không được chấp nhận" not in refusal and "không phải lỗi" in refusal
    en = Catalog.load().messages["en"]
    assert "not accepted" not in en["fallback.chip_not_accepted"]

"""Issue 14: fewer screens and taps for an elderly person — the language on the attract screen, the
verified result moving on by itself, the card taken back from the receipt, nothing preselected."""

from __future__ import annotations

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import State
from kiosk.flow.table import step
from kiosk.flow.views import ReceiptView, ServiceView, render
from tests.kiosk.flow.helpers import NOW, Walk, config, taken, timeout, walk_to


def test_a_language_tapped_on_the_attract_screen_starts_in_it() -> None:
    w = Walk(config())
    view = render(w.s, w.c)
    assert [b.value for b in view.buttons if b.intent == "ChooseLanguage"] == ["vi", "en"]
    w(ev.ChooseLanguage("en"))
    assert w.at() is State.CONSENT and w.s.language == "en" and w.s.started_at == NOW
    assert fx.Speak("consent.prompt", "en") in w.effects


def test_an_unknown_language_on_the_attract_screen_starts_at_the_language_screen() -> None:
    w = Walk(config())(ev.ChooseLanguage("fr"))
    assert w.at() is State.LANGUAGE


def test_the_verified_result_moves_on_by_itself() -> None:
    w = walk_to(State.RESULT, "hospital")
    timers = [e for e in w.effects if isinstance(e, fx.StartTimer)]
    assert timers[-1] == fx.StartTimer(w.s.timer, w.c.timeouts.result_shown)
    assert render(w.s, w.c).timeout_seconds == w.c.timeouts.result_shown
    w(timeout)
    assert w.at() is State.SERVICE
    w2 = walk_to(State.RESULT, "hospital")(ev.Continue())  # a tap still moves on at once
    assert w2.at() is State.SERVICE


def test_the_receipt_asks_for_the_card_and_lifting_it_ends_the_transaction() -> None:
    w = walk_to(State.RECEIPT, "hospital")
    view = render(w.s, w.c)
    assert isinstance(view, ReceiptView) and view.take_card and view.buttons == ()  # nothing to tap
    watch = [e for e in w.effects if isinstance(e, fx.WaitForCardRemoval)]
    assert watch and watch[-1].op == w.s.op != w.s.persist_op
    w(lambda s: ev.Persisted(s.persist_op or 0, "01REF", "verified"), taken)
    assert w.at() is State.RECEIPT and not w.s.card_seen  # the number stays readable a moment
    after = render(w.s, w.c)
    assert isinstance(after, ReceiptView) and not after.take_card and after.reference == "01REF"
    assert w.effects[-1] == fx.StartTimer(w.s.timer, w.c.timeouts.receipt_after_card)
    w(timeout)
    assert w.at() is State.WIPE  # the goodbye, no "take your card" screen


def test_a_receipt_left_with_the_card_on_the_reader_still_asks_for_it() -> None:
    w = walk_to(State.RECEIPT, "hospital")(timeout)
    assert w.at() is State.TAKE_CARD
    assert any(isinstance(e, fx.CancelOperation) for e in w.effects[-5:])  # the receipt's watch stops


def test_an_old_watch_on_the_card_is_stale_after_the_receipt() -> None:
    w = walk_to(State.RECEIPT, "hospital")
    old = w.s.op
    w(ev.Done())
    assert w.at() is State.TAKE_CARD
    assert not step(w.s, ev.CardTaken(old), w.c, NOW).handled


def test_no_visit_type_is_preselected() -> None:
    w = walk_to(State.SERVICE, "hospital")
    view = render(w.s, w.c)
    assert isinstance(view, ServiceView)
    assert {f.id: f.value for f in view.fields} == {"department": "", "visit_type": ""}
    w(ev.SubmitService((("department", "NOI"),)))
    assert w.at() is State.SERVICE and w.s.hint is not None  # the kind of visit must be chosen
    w(ev.SubmitService((("department", "NOI"), ("visit_type", "follow_up"))))
    assert w.at() is State.QUEUE_NUMBER


# --- the birth date from the QR code (issue 14) ---------------------------------------------------------

QR_2024_NO_BIRTH = "079303001234|Nguyễn Thị Mai Anh|Nữ|2025"  # an unknown layout: the ID, no birth date


def test_a_qr_code_with_the_birth_date_skips_the_keypad() -> None:
    w = walk_to(State.PLACE_CARD)  # the 2021 QR code of the helpers: ID, birth and issue dates
    assert w.s.key is not None and w.s.key.source == "qr" and w.s.key_errors == 0


def test_a_qr_code_without_a_birth_date_prefills_the_typed_entry() -> None:
    from tests.kiosk.flow.helpers import to_key_entry

    w = to_key_entry(Walk(config()))
    w(ev.ScanQR(QR_2024_NO_BIRTH))
    assert w.at() is State.KEY_ENTRY and w.s.key_errors == 0  # not the person's mistake
    view = render(w.s, w.c)
    assert view.hint_key == "key_entry.qr_birth_needed"
    assert getattr(view, "prefill_id", None) == "079303001234" and getattr(view, "prefill_year", None) == 2003
    assert "079303001234" not in repr(view) and "079303001234" not in repr(w.s)
    w(ev.EnterIdAndBirth("079303001234", "15/06/2003"))
    assert w.at() is State.PLACE_CARD and w.s.qr_id is None
    assert render(w.s, w.c).state == "place_card"

"""Views: what each screen shows, the intents its buttons send, and the generated diagram in docs/flow.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.flow import events as ev
from kiosk.flow.diagram import BEGIN, END, docs_block, mermaid
from kiosk.flow.model import State
from kiosk.flow.table import TABLE
from kiosk.flow.views import ConsentView, FallbackView, ReadingView, ReceiptView, ServiceView, render
from kiosk.profiles import load_profile
from tests.kiosk.test_flow_helpers import Walk, card, config, walk_to

DOC = Path(__file__).resolve().parents[2] / "docs" / "flow.md"
INTENT_NAMES = {e.__name__ for e in ev.INTENTS}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_every_view_offers_only_intents_its_state_handles(state: State) -> None:
    w = walk_to(state)
    view = render(w.s, w.c)
    assert view.state == state.value and view.timeout_seconds == w.c.timeouts.for_state(state)
    for b in view.buttons:
        assert b.intent in INTENT_NAMES
        assert (state, getattr(ev, b.intent)) in TABLE, (state, b.intent)


def test_consent_view_shows_the_exact_text_and_unticked_purposes() -> None:
    w = walk_to(State.CONSENT)
    view = render(w.s, w.c)
    assert isinstance(view, ConsentView)
    assert view.document == load_profile("lodging").consent_document("vi")
    assert view.purposes and not any(p.checked for p in view.purposes)
    accept, refuse = view.buttons[0], view.buttons[1]
    assert accept.intent == "AcceptConsent" and not accept.enabled
    assert refuse.intent == "RefuseConsent" and refuse.prominent == accept.prominent and refuse.enabled
    for p in w.c.purposes:
        w(ev.TogglePurpose(p.id))
    ticked = render(w.s, w.c)
    assert isinstance(ticked, ConsentView) and ticked.buttons[0].enabled
    assert all(p.checked for p in ticked.purposes)


def test_reading_view_progress_is_monotonic() -> None:
    w = walk_to(State.PLACE_CARD)(card)
    fractions = []
    steps = [("card_access", 0, 0), ("access_control", 0, 0), ("read_files", 10, 100),
             ("read_files", 100, 100), ("passive_auth", 0, 0)]  # fmt: skip
    for phase, done, total in steps:
        w(ev.ReadProgressed(w.s.op, phase, done, total))
        view = render(w.s, w.c)
        assert isinstance(view, ReadingView)
        assert view.key_candidate == 1 and view.key_candidates >= 1
        fractions.append(view.fraction)
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] < 1


def test_service_receipt_and_fallback_views() -> None:
    w = walk_to(State.SERVICE)
    view = render(w.s, w.c)
    assert isinstance(view, ServiceView) and [f.id for f in view.fields] == ["stay_nights", "stay_reason"]
    w(ev.SubmitService(()), lambda s: ev.Persisted(s.op, "01REF", "verified"))
    receipt = render(w.s, w.c)
    assert isinstance(receipt, ReceiptView) and receipt.reference == "01REF"
    w = Walk(config())(ev.Touch(), ev.AskForHelp())
    fallback = render(w.s, w.c)
    assert isinstance(fallback, FallbackView) and fallback.reason == "USER_ASKED_FOR_HELP"
    assert fallback.message_key == "fallback.user_asked_for_help"


def test_the_diagram_in_the_docs_is_generated_from_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert docs_block() in text, "docs/flow.md is stale: run python -m kiosk.flow.diagram --write"
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    for (state, event), rule in TABLE.items():
        if event not in (ev.Cancel, ev.AskForHelp):
            for target in rule.targets:
                assert f"{state.value} --> {target.value}:" in mermaid()

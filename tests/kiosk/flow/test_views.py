"""Views: what each screen shows, the intents its buttons send, and the generated diagram in docs/flow.md."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.flow import events as ev
from kiosk.flow.diagram import BEGIN, END, docs_block, mermaid
from kiosk.flow.model import State
from kiosk.flow.table import TABLE
from kiosk.flow.views import ConsentView, FallbackView, ReadingView, ReceiptView, ServiceView, render
from kiosk.profiles import load_profile
from reader.chipreport import ChipReport
from reader.lds.dg13 import PersonalData
from tests.kiosk.flow.helpers import ID_NUMBER, NAME, Walk, card, chip, config, issued, walk_to

DOC = Path(__file__).resolve().parents[3] / "docs" / "flow.md"
INTENT_NAMES = {e.__name__ for e in ev.INTENTS}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_every_view_offers_only_intents_its_state_handles(state: State) -> None:
    w = walk_to(state)
    view = render(w.s, w.c)
    shown = w.c.timeouts.result_shown if state is State.RESULT else w.c.timeouts.for_state(state)
    assert view.state == state.value and view.timeout_seconds == shown  # the verified result moves on
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
    assert accept.intent == "AcceptConsent" and accept.enabled  # always: pressing it explains what is missing
    assert refuse.intent == "RefuseConsent" and refuse.prominent == accept.prominent and refuse.enabled
    w(ev.AcceptConsent())
    missing = render(w.s, w.c)
    assert missing.state == "consent" and missing.hint_key == "consent.required_missing"
    assert missing.buttons[0].enabled
    for p in w.c.purposes:
        w(ev.TogglePurpose(p.id))
    ticked = render(w.s, w.c)
    assert isinstance(ticked, ConsentView) and ticked.buttons[0].enabled and ticked.hint_key is None
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
    assert isinstance(view, ServiceView) and view.kind == "lodging"
    assert [(f.id, f.kind) for f in view.fields] == [("room", "text"), ("check_in", "date"),
                                                      ("nights", "count"), ("reason", "choice")]  # fmt: skip
    room, check_in, nights, _ = view.fields
    assert room.value == "" and check_in.value == view.today == "2026-11-22"
    assert check_in.choices[0] == "2026-11-21" and check_in.choices[-1] == "2026-12-06"
    assert nights.value == "1" and nights.choices[-1] == "30"
    assert view.title_key == "service.title.lodging"
    w(ev.SubmitService((("room", "305"), ("nights", "2"))),
      lambda s: ev.Persisted(s.persist_op or 0, "01REF", "verified"))
    receipt = render(w.s, w.c)
    assert isinstance(receipt, ReceiptView) and receipt.reference == "01REF" and receipt.queue_number is None
    assert receipt.details == (("room", "305"), ("check_in", "2026-11-22"), ("check_out", "2026-11-24"),
                               ("nights", "2"))  # fmt: skip
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


def test_hospital_service_and_receipt_views() -> None:
    w = walk_to(State.SERVICE, "hospital")
    view = render(w.s, w.c)
    assert isinstance(view, ServiceView) and view.kind == "hospital"
    assert view.title_key == "service.title.hospital"
    department, visit = view.fields
    assert department.value == "" and department.choices[0] == "NOI" and department.labels[0] == "Khám Nội"
    assert len(department.choices) == len(department.labels) <= 8
    assert visit.value == "" and visit.labels == ()  # nothing preselected; translated by the UI's catalogue
    w(ev.SubmitService((("department", "NOI"), ("visit_type", "first_visit"))))
    assert render(w.s, w.c).state == "queue_number"
    w(issued(17))
    receipt = render(w.s, w.c)
    assert isinstance(receipt, ReceiptView)
    assert receipt.queue_number == "NOI-017" and receipt.department == "Khám Nội" and receipt.details == ()
    en = render(replace(w.s, language="en"), w.c)
    assert isinstance(en, ReceiptView) and en.department == "Internal medicine"


def test_bank_confirmation_view_lists_what_is_sent_masked() -> None:
    report = ChipReport.document_only(ID_NUMBER, PersonalData(
        full_name=NAME, date_of_birth="15/06/2003", sex="Nữ", nationality="Việt Nam",
        place_of_residence="12 Nguyễn Trãi, Quận 1", date_of_issue="20/04/2021", ethnicity="Kinh",
        religion="Không"))  # fmt: skip
    w = walk_to(State.RESULT, "bank")
    w.s = replace(w.s, chip=replace(chip("authentic", ()), report=report))
    w(ev.Continue())
    view = render(w.s, w.c)
    assert isinstance(view, ServiceView) and view.kind == "bank" and view.fields == ()
    assert view.title_key == "service.title.bank" and view.recipient == "Ngân hàng mẫu" and view.sends_images
    lines = dict((x.field, x.value) for x in view.summary)
    assert lines["id_number"] == "079303***234" and ID_NUMBER not in str(lines)
    assert lines["full_name"] == NAME and lines["birth_date"] == "15/06/2003" and lines["sex"] == "F"
    assert "ethnicity" not in lines and "religion" not in lines  # the bank does not receive them
    assert set(lines) <= set(load_profile("bank").forwarded_fields)
    confirm, stop = view.buttons[0], view.buttons[1]
    assert (confirm.intent, stop.intent) == ("SubmitService", "Cancel")
    assert confirm.prominent and stop.prominent and confirm.enabled and stop.enabled  # equally prominent
    assert NAME not in repr(view) and ID_NUMBER not in repr(view)


def test_the_architecture_doc_carries_the_same_diagram() -> None:
    text = (DOC.parent / "architecture.md").read_text(encoding="utf-8")
    assert docs_block() in text, "docs/architecture.md is stale: run python -m kiosk.flow.diagram --write"

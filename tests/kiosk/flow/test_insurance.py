"""The hospital's BHYT check in the pure flow (kiosk.flow.insurance; docs/insurance.md "In the flow"):
asked as the identity is verified, answered beside the person's own steps, awaited only after the queue
number, bounded by the flow's own timer; every gateway answer ends in a receipt with the queue number."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.insurance import NO_ANSWER
from kiosk.flow.model import State
from kiosk.flow.outcomes import InsuranceAnswer
from kiosk.flow.table import step
from kiosk.flow.views import ReceiptView, render
from tests.kiosk.flow.helpers import (
    LIVE,
    MATCH,
    NOW,
    QR,
    Walk,
    captured,
    card,
    chip,
    config,
    issued,
    matched,
    read_ok,
    timeout,
    to_key_entry,
)

#: What the runtime hands over for each gateway answer (kiosk.runtime.insurance builds these from
#: kiosk.insurance.step): status, whether the desk settles it, and the sentence's start.
ANSWERS = {
    "valid": InsuranceAnswer("valid", "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: Bệnh viện Chợ Rẫy.",
                             "Health insurance valid until 31/12/2030, registered at: Bệnh viện Chợ Rẫy.",
                             False, (("insurance_status", "valid"),
                                     ("insurance_card_code", "SV4797930300123"))),
    "wrong_facility": InsuranceAnswer("other_facility", "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: X.",
                                      "Health insurance valid until 31/12/2030, registered at: X.", True,
                                      (("insurance_status", "other_facility"),)),
    "expired": InsuranceAnswer("expired", "Thẻ BHYT đã hết hạn (31/12/2025).",
                               "Your health insurance expired (31/12/2025).", True,
                               (("insurance_status", "expired"),)),
    "not_found": InsuranceAnswer("not_found", "Không tìm thấy thẻ BHYT theo số định danh.",
                                 "No health-insurance card was found for your ID number.", True,
                                 (("insurance_status", "not_found"),)),
    "down": InsuranceAnswer("unavailable", "Chưa kiểm tra được thẻ BHYT lúc này.",
                            "Your insurance could not be checked just now.", True,
                            (("insurance_status", "unavailable"),)),
}  # fmt: skip
ANSWERS["slow"] = ANSWERS["malformed"] = ANSWERS["down"]

#: The hospital's service step: a department and a visit type (none is preselected, issue 14).
VISIT = (("department", "NOI"), ("visit_type", "first_visit"))


def hospital(checks: bool = True) -> Walk:
    return Walk(replace(config("hospital"), checks_insurance=checks))


def verified(w: Walk) -> Walk:
    to_key_entry(w)
    return w(ev.ScanQR(QR), card, read_ok(chip("authentic", ())), captured(LIVE), matched(MATCH))


def answered(a: InsuranceAnswer):  # type: ignore[no-untyped-def]
    return lambda s: ev.InsuranceChecked(s.insurance_op, a)


def checks(w: Walk) -> list[fx.CheckInsurance]:
    return [e for e in w.effects if isinstance(e, fx.CheckInsurance)]


def persisted_service(w: Walk) -> dict[str, str]:
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1
    return dict(persists[0].service)


def test_the_check_starts_as_the_identity_is_verified_once() -> None:
    w = verified(hospital())
    assert w.at() is State.RESULT and w.s.verified
    [check] = checks(w)
    assert check.op == w.s.insurance_op and check.chip is w.s.chip
    assert "identity hidden" in repr(check) and "079303001234" not in repr(check)
    assert not checks(verified(hospital(checks=False)))  # no gateway configured: no check
    lodging = Walk(replace(config("lodging"), checks_insurance=False))
    assert not checks(verified(lodging))


@pytest.mark.parametrize("gateway", sorted(ANSWERS))
def test_every_gateway_answer_during_the_service_step_costs_no_wait(gateway: str) -> None:
    answer = ANSWERS[gateway]
    w = verified(hospital())(ev.Continue(), answered(answer))
    assert w.at() is State.SERVICE and w.s.insurance == answer
    w(ev.SubmitService(VISIT), issued(17))
    assert w.at() is State.RECEIPT  # straight to the receipt: the answer was there
    service = persisted_service(w)
    assert service["queue_number"] == "NOI-017"  # the check-in completes whatever the insurance says
    assert service["insurance_status"] == answer.status
    view = render(w.s, w.c)
    assert isinstance(view, ReceiptView)
    assert view.insurance == answer.message_vi and view.insurance_counter is answer.refer_to_counter
    assert view.queue_number == "NOI-017"
    assert "31/12" not in repr(view) and "SV47" not in repr(answer)
    en = render(replace(w.s, language="en"), w.c)
    assert isinstance(en, ReceiptView) and en.insurance == answer.message_en


@pytest.mark.parametrize("gateway", sorted(ANSWERS))
def test_an_answer_after_the_queue_number_is_awaited(gateway: str) -> None:
    answer = ANSWERS[gateway]
    w = verified(hospital())(ev.Continue(), ev.SubmitService(VISIT), issued(5))
    assert w.at() is State.INSURANCE
    assert not [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]  # the record waits for it
    assert render(w.s, w.c).title_key == "insurance.title"
    w(answered(answer))
    assert w.at() is State.RECEIPT and persisted_service(w)["insurance_status"] == answer.status


def test_no_answer_in_time_completes_the_check_in_and_a_late_answer_changes_nothing() -> None:
    w = verified(hospital())
    op = w.s.insurance_op
    w(ev.Continue(), ev.SubmitService(VISIT), issued(5))
    assert w.s.timer and w.c.timeouts.insurance < 10  # a few seconds, never the person's patience
    w(timeout)
    assert w.at() is State.RECEIPT
    service = persisted_service(w)
    assert service["insurance_status"] == "unavailable" and service["insurance_note"] == NO_ANSWER
    view = render(w.s, w.c)
    assert isinstance(view, ReceiptView) and view.insurance_counter


    late = step(w.s, ev.InsuranceChecked(op or 0, ANSWERS["valid"]), w.c, w.s.started_at or NOW)
    assert not late.handled and late.session.insurance == w.s.insurance


def test_stale_and_foreign_answers_are_ignored() -> None:


    w = verified(hospital())
    assert w.s.insurance_op is not None
    stale = step(w.s, ev.InsuranceChecked(w.s.insurance_op - 1, ANSWERS["valid"]), w.c, NOW)
    assert not stale.handled and stale.note == "stale insurance answer"


def test_still_there_keeps_the_answer_and_cancel_in_the_wait_ends_with_take_card() -> None:
    w = verified(hospital())(timeout)
    assert w.at() is State.SERVICE  # the verified result moves on by itself (issue 14)
    w(timeout)
    assert w.at() is State.STILL_THERE
    w(answered(ANSWERS["expired"]), ev.StillHere())
    assert w.at() is State.SERVICE and w.s.insurance == ANSWERS["expired"]
    w = verified(hospital())(ev.Continue(), ev.SubmitService(VISIT), issued(5))
    w(ev.Cancel())
    assert w.at() is State.TAKE_CARD and w.s.chip is None


def test_the_answer_is_merged_into_the_record_once() -> None:
    w = verified(hospital())(answered(ANSWERS["valid"]), ev.Continue(),
                             ev.SubmitService(VISIT), issued(1))  # fmt: skip
    keys = [k for k, _ in next(e for e in w.effects if isinstance(e, fx.PersistAndDeliver)).service]
    assert keys.count("insurance_status") == 1 and "insurance_card_code" in keys




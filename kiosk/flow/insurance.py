"""The hospital's health-insurance (BHYT) check inside the flow (docs/insurance.md, "In the flow").  Pure.

The check starts as the identity is verified (entering ``result``) and runs beside the person's own steps
(result, department, queue number): a gateway that answers within those seconds costs the person no time.
Its answer (``InsuranceChecked``, token ``Session.insurance_op``) is kept in the session and goes into the
record's ``service`` values (``insurance_*``: the HIS webhook and the FHIR Coverage and Encounter are built
from them) and onto the receipt, beside the queue number.  Only when the queue number is issued before the
answer does the person wait, in ``insurance`` ("checking your insurance card"), at most
``Timeouts.insurance`` seconds — the net under the client's own budget — and then the receipt says the card
could not be checked.

An insurance problem (expired, not found, registered elsewhere, gateway down, slow or unreadable) never
undoes the identity check or the queue number: the check-in completes, and the receipt asks the person to
stop at the reception desk, which settles the insurance (renewal, another facility's card, a paying visit).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.flow import events as ev
from kiosk.flow.common import Outcome, enter, stay
from kiosk.flow.effects import CheckInsurance
from kiosk.flow.model import FlowConfig, Session, State
from kiosk.flow.outcomes import InsuranceAnswer
from kiosk.flow.receipt import to_receipt

NO_ANSWER = "no answer within the kiosk's deadline"


def to_result(s: Session, c: FlowConfig) -> Outcome:
    """The identity is verified: the result screen — and, at a hospital checking insurance, the check."""
    if not c.checks_insurance or s.chip is None:
        return enter(s, State.RESULT, c, verified=True)
    op = s.op + 1
    return enter(s, State.RESULT, c, CheckInsurance(op, s.chip), verified=True, op=op, insurance_op=op,
                 insurance=None)  # fmt: skip


def awaiting(s: Session, c: FlowConfig) -> bool:
    """A check was asked for and has not answered."""
    return c.checks_insurance and s.insurance_op is not None and s.insurance is None


def wait_for_answer(s: Session, c: FlowConfig) -> Outcome:
    """The queue number is issued, the gateway has not answered: "checking your insurance card"."""
    return enter(s, State.INSURANCE, c)


def on_answer(s: Session, e: ev.InsuranceChecked, c: FlowConfig, now: datetime) -> Outcome:
    """The answer while the person is busy with their own steps: kept for the record and the receipt."""
    return stay(s, insurance=e.answer)


def on_answer_awaited(s: Session, e: ev.InsuranceChecked, c: FlowConfig, now: datetime) -> Outcome:
    """The answer the person was waiting for: the receipt."""
    return to_receipt(replace(s, insurance=e.answer), c, now)


def on_no_answer(s: Session, e: ev.TimerExpired, c: FlowConfig, now: datetime) -> Outcome:
    """No answer in time: the receipt says the card could not be checked (the desk checks it); a late
    answer is ignored (the record is already made)."""
    return to_receipt(replace(s, insurance=InsuranceAnswer.not_checked(NO_ANSWER)), c, now)

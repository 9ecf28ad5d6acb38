"""The runtime's side of the hospital's BHYT check: ``CheckInsurance`` → the BHXH gateway → an
``InsuranceChecked`` answer for the pure flow (docs/insurance.md, "In the flow").

:class:`InsuranceCheck` runs on a flow worker thread, never on the UI's: the client's own budget
(:attr:`kiosk.insurance.BhxhSettings.budget_seconds`) bounds it, and the flow's ``insurance`` timer is the
net under that.  A missing secret (the deployment, not the gateway, is wrong) is logged as an error and
answered as "could not be checked"; the person's check-in goes on.
"""

from __future__ import annotations

import logging

from kiosk.flow.outcomes import ChipOutcome, InsuranceAnswer
from kiosk.insurance.bhxh import BhxhClient, InsuranceConfigError, InsuranceResult, InsuranceStatus
from kiosk.insurance.step import InsuranceStepOutcome, run_insurance_step
from kiosk.metrics import INSURANCE_CHECK_SECONDS
from kiosk.subject import subject_from_chip

log = logging.getLogger("kiosk.insurance")


def flow_answer(outcome: InsuranceStepOutcome) -> InsuranceAnswer:
    """The step's outcome as the flow keeps it: the sentence without "go to the desk" (the receipt says
    that beside the queue number), the counter flag, the ``insurance_*`` record values."""
    r = outcome.result
    return InsuranceAnswer(r.status.value, r.message("vi", desk=False), r.message("en", desk=False),
                           outcome.refer_to_counter, tuple(sorted(outcome.service.items())))  # fmt: skip


class InsuranceCheck:
    """One kiosk's check: ``check(chip)`` asks the gateway for the chip holder (CCCD number, DG13 name and
    birth date) and never raises."""

    def __init__(self, client: BhxhClient) -> None:
        self.client = client

    def __call__(self, chip: ChipOutcome) -> InsuranceAnswer:
        try:
            outcome = run_insurance_step(self.client, subject_from_chip(chip.report))
        except InsuranceConfigError as exc:
            log.error("insurance check not possible: %s", exc, extra={"event": "insurance.config_error"})
            result = InsuranceResult(InsuranceStatus.UNAVAILABLE, note="kiosk configuration")
            outcome = InsuranceStepOutcome(result, "", "", True, result.service_fields())
        INSURANCE_CHECK_SECONDS.labels(outcome.result.status.value).observe(outcome.result.elapsed_ms / 1000)
        log.info("insurance check: %s (%d attempts, %d ms)", outcome.result.status.value,
                 outcome.result.attempts, outcome.result.elapsed_ms,
                 extra={"event": "insurance.checked", "status": outcome.result.status.value})  # fmt: skip
        return flow_answer(outcome)

    def close(self) -> None:
        self.client.close()

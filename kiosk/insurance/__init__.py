"""Health insurance (BHYT) at the hospital desk: the BHXH gateway client and the FHIR / HIS mapping of its
answer (docs/insurance.md)."""

from __future__ import annotations

from kiosk.insurance.bhxh import (
    BhxhClient,
    BhxhSettings,
    InsuranceConfigError,
    InsuranceResult,
    InsuranceStatus,
)

__all__ = ["BhxhClient", "BhxhSettings", "InsuranceConfigError", "InsuranceResult", "InsuranceStatus"]

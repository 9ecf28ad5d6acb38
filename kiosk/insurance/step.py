"""The hospital profile's insurance step, independent of the flow's machinery (docs/insurance.md).

:func:`run_insurance_step` takes the verified subject, asks the gateway, and returns what the flow needs:
the citizen's sentence in both languages, whether to send them to the counter, and the flat ``insurance_*``
values for the record's ``service`` object (the HIS webhook and FHIR mapping read them from there).  The
identity verification itself is not affected: an expired or unknown insurance card does not make the
identity ``referred`` — the counter handles the insurance.

:func:`settings_from_mapping` reads the ``[insurance]`` table of a configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kiosk.insurance.bhxh import BhxhClient, BhxhSettings, InsuranceResult, InsuranceStatus
from kiosk.secretref import is_secret_ref
from kiosk.subject import SubjectClaims


@dataclass(frozen=True, slots=True)
class InsuranceStepOutcome:
    """Personal data (card code, validity, facility in the sentences and ``service``): the repr shows none
    of it."""

    result: InsuranceResult
    message_vi: str
    message_en: str
    refer_to_counter: bool
    service: dict[str, str] = field(default_factory=dict)

    def message(self, language: str) -> str:
        return self.message_vi if language == "vi" else self.message_en

    def __repr__(self) -> str:
        status = self.result.status.value
        return f"InsuranceStepOutcome({status}, counter={self.refer_to_counter}, <card hidden>)"


def run_insurance_step(client: BhxhClient, subject: SubjectClaims | None) -> InsuranceStepOutcome:
    """Check the subject's insurance; a subject without ID, name or birth date is not checked (counter)."""
    if subject is None or not subject.id_number or not subject.full_name or subject.birth_date is None:
        result = InsuranceResult(InsuranceStatus.UNAVAILABLE, note="identity incomplete: not checked")
    else:
        result = client.check(subject.id_number, subject.full_name, subject.birth_date)
    return InsuranceStepOutcome(result, result.message("vi"), result.message("en"),
                                result.status.needs_counter, result.service_fields())  # fmt: skip


_FLOATS = ("connect_timeout_seconds", "read_timeout_seconds", "budget_seconds")
_SECRETS = ("password", "officer_name", "officer_id")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # as kiosk.profiles and kiosk.config


class InsuranceSettingsError(ValueError):
    """Keys of ``[insurance]`` that are wrong: ``problems`` holds (key, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"[insurance] {key} {what}" for key, what in problems))
        self.problems = tuple(problems)


def settings_from_mapping(table: Mapping[str, Any]) -> BhxhSettings:
    """``[insurance]``: ``base_url`` (https; plain http only to loopback), ``username``, ``password`` /
    ``officer_name`` / ``officer_id`` (secret references ``env:NAME`` / ``file:/absolute/path``),
    ``facility_code``, optional timeouts, ``budget_seconds`` and ``max_attempts``.  :class:`ValueError`
    names what is missing or wrong; :class:`InsuranceSettingsError` (a ValueError) names the keys."""
    required = ("base_url", "username", *_SECRETS, "facility_code")
    missing = [k for k in required if not isinstance(table.get(k), str) or not table[k]]
    if missing:
        raise ValueError(f"[insurance] needs {', '.join(missing)}")
    extra: dict[str, Any] = {}
    for key in _FLOATS:
        if key in table:
            if not isinstance(table[key], int | float):
                raise ValueError(f"[insurance] {key} must be a number")
            extra[key] = float(table[key])
    if "max_attempts" in table:
        extra["max_attempts"] = int(table["max_attempts"])
    settings = BhxhSettings(str(table["base_url"]), str(table["username"]), str(table["password"]),
                            str(table["officer_name"]), str(table["officer_id"]),
                            str(table["facility_code"]), **extra)  # fmt: skip
    problems = [(key, "must be a secret reference (env:NAME or file:/absolute/path)")
                for key in _SECRETS if not is_secret_ref(str(table[key]))]  # fmt: skip
    url = urlsplit(settings.base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        problems.append(("base_url", "must be an http(s) URL"))
    elif url.scheme == "http" and url.hostname not in _LOOPBACK:
        problems.append(("base_url", "plain http is allowed only to loopback; use https"))
    if problems:
        raise InsuranceSettingsError(problems)
    return settings

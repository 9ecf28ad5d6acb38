"""Client of the BHXH health-insurance gateway: the card check by CCCD number, name and birth date
(docs/insurance.md).

Two calls, as public hospital integrations make them: take a token with the facility's account (password
sent as its MD5 hex digest), then the card check ``KQNhanLichSuKCB2024`` naming the officer on whose behalf
the check is made (``hoTenCb``, ``cccdCb``; BHXH official letter 1923/BHXH-CNTT, 2024).  The answer's
``maKetQua`` code decides the typed :class:`InsuranceStatus`.

Time is bounded: every request has connect/read timeouts, and the whole check (token, retries, check) has
a budget (:attr:`BhxhSettings.budget_seconds`, default 4 s) it never exceeds — a citizen waits at most that
long before being sent to the counter.  Only failures that may pass (timeouts, connection errors, 5xx, an
expired token) are retried, and only while the budget lasts.  Credentials are secret references
(``env:NAME`` / ``file:/path``), resolved when used and never logged.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from kiosk.httplog import redact_httpx_logs
from kiosk.secretref import SecretRefError, read_secret
from reader.lds.mrz import mask_id

log = logging.getLogger("kiosk.insurance")

TOKEN_PATH = "/api/token/take"  # noqa: S105 - a URL path
CHECK_PATH = "/api/egw/KQNhanLichSuKCB2024"


class InsuranceConfigError(Exception):
    """The gateway cannot be used as configured (a secret is missing): a person must act."""


class InsuranceStatus(enum.Enum):
    VALID = "valid"  # the card is valid and registered at this facility
    OTHER_FACILITY = "other_facility"  # valid, registered at another primary-care facility
    EXPIRED = "expired"  # 010, or a valid answer whose end date has passed
    NOT_FOUND = "not_found"  # 050, 051-053: no card under this number
    MISMATCH = "mismatch"  # 060/061 name, 070 birth date: the data does not match the card
    REVOKED = "revoked"  # 110, 120-124: withdrawn or reported as reduced
    OTHER_AGENCY = "other_agency"  # 001/002: cards of the Ministries of Defence / Public Security
    UNAVAILABLE = "unavailable"  # down, slow, unreadable, or refused our account: try again / counter

    @property
    def needs_counter(self) -> bool:
        return self is not InsuranceStatus.VALID


#: ``maKetQua`` → status (codes as public integrations of the gateway handle them; docs/insurance.md).
RESULT_CODES: dict[str, InsuranceStatus] = {
    "000": InsuranceStatus.VALID, "003": InsuranceStatus.VALID, "004": InsuranceStatus.VALID,
    "001": InsuranceStatus.OTHER_AGENCY, "002": InsuranceStatus.OTHER_AGENCY,
    "010": InsuranceStatus.EXPIRED,
    "050": InsuranceStatus.NOT_FOUND, "051": InsuranceStatus.NOT_FOUND, "052": InsuranceStatus.NOT_FOUND,
    "053": InsuranceStatus.NOT_FOUND,
    "060": InsuranceStatus.MISMATCH, "061": InsuranceStatus.MISMATCH, "070": InsuranceStatus.MISMATCH,
    "110": InsuranceStatus.REVOKED, "120": InsuranceStatus.REVOKED, "121": InsuranceStatus.REVOKED,
    "122": InsuranceStatus.REVOKED, "123": InsuranceStatus.REVOKED, "124": InsuranceStatus.REVOKED,
}  # fmt: skip
#: The benefit level by the card code's 3rd character (BHXH Decision 1351/QĐ-BHXH, 2015), in percent.
BENEFIT_LEVELS = {"1": 100, "2": 100, "3": 95, "4": 80, "5": 100}


def resolve_text_secret(ref: str) -> str:
    """``env:NAME`` or ``file:/path`` → the secret's text (kiosk.secretref)."""
    try:
        return read_secret(ref)
    except SecretRefError as exc:
        raise InsuranceConfigError(f"secret {exc}") from None


@dataclass(frozen=True, slots=True)
class BhxhSettings:
    """The facility's gateway account and limits (``[insurance]`` of the hospital profile)."""

    base_url: str
    username: str  # the facility's account, e.g. "<facility code>_BV"
    password_ref: str  # secret reference to the account's password
    officer_name_ref: str  # secret references: the officer on whose behalf checks are made
    officer_id_ref: str
    facility_code: str  # maCSKCB of this hospital: compared with the card's registered facility
    connect_timeout_seconds: float = 1.0
    read_timeout_seconds: float = 2.5
    budget_seconds: float = 4.0
    max_attempts: int = 2

    def __post_init__(self) -> None:
        if not (0 < self.connect_timeout_seconds <= self.budget_seconds <= 10):
            raise ValueError("timeouts must be positive and the budget at most 10 s")
        if not 1 <= self.max_attempts <= 3:
            raise ValueError("max_attempts must be 1..3")


@dataclass(frozen=True, slots=True)
class InsuranceResult:
    """The typed outcome of one check.  Personal data: the repr shows none of it."""

    status: InsuranceStatus
    gateway_code: str | None = None  # maKetQua
    note: str | None = None  # ghiChu, or why the gateway could not be used
    card_code: str | None = None  # maThe (BHYT number)
    valid_from: date | None = None
    valid_to: date | None = None
    facility_code: str | None = None  # maDKBD: registered primary-care facility
    facility_name: str | None = None
    benefit_code: str | None = None  # the card code's 3rd character
    benefit_percent: int | None = None
    five_years_from: date | None = None  # ngayDu5Nam: 5 consecutive years of cover reached
    attempts: int = 0
    elapsed_ms: int = 0

    def __repr__(self) -> str:
        return f"InsuranceResult({self.status.value}, code={self.gateway_code}, attempts={self.attempts})"

    def message(self, language: str = "vi", *, desk: bool = True) -> str:
        """The plain sentence the citizen sees (docs/insurance.md); ``desk``: with "please go to the
        reception desk" when the desk must settle the insurance (the kiosk's receipt says that in its own
        words, beside the queue number)."""
        until = self.valid_to.strftime("%d/%m/%Y") if self.valid_to else "?"
        where = self.facility_name or self.facility_code or "?"
        text = (_MESSAGES_VI if language == "vi" else _MESSAGES_EN)[self.status]
        sentence = text.format(until=until, where=where)
        if not (desk and self.status.needs_counter):
            return sentence
        return f"{sentence} {_DESK_VI if language == 'vi' else _DESK_EN}"

    def service_fields(self) -> dict[str, str]:
        """Flat string fields for the record's ``service`` object (no personal data beyond the card)."""
        out = {"insurance_status": self.status.value, "insurance_gateway_code": self.gateway_code or ""}
        for key, value in (
            ("insurance_card_code", self.card_code),
            ("insurance_facility_code", self.facility_code),
            ("insurance_facility_name", self.facility_name),
            ("insurance_benefit_code", self.benefit_code),
        ):
            if value:
                out[key] = value
        for key, day in (("insurance_valid_from", self.valid_from), ("insurance_valid_to", self.valid_to),
                         ("insurance_five_years_from", self.five_years_from)):  # fmt: skip
            if day:
                out[key] = day.isoformat()
        if self.benefit_percent is not None:
            out["insurance_benefit_percent"] = str(self.benefit_percent)
        return out


_DESK_VI = "Vui lòng đến quầy tiếp đón."
_DESK_EN = "Please go to the reception desk."
_MESSAGES_VI = {
    InsuranceStatus.VALID: "Thẻ BHYT còn hạn đến {until}, nơi đăng ký: {where}.",
    InsuranceStatus.OTHER_FACILITY: "Thẻ BHYT còn hạn đến {until}, nơi đăng ký: {where}.",
    InsuranceStatus.EXPIRED: "Thẻ BHYT đã hết hạn ({until}).",
    InsuranceStatus.NOT_FOUND: "Không tìm thấy thẻ BHYT theo số định danh.",
    InsuranceStatus.MISMATCH: "Thông tin thẻ BHYT chưa khớp.",
    InsuranceStatus.REVOKED: "Thẻ BHYT không còn sử dụng được.",
    InsuranceStatus.OTHER_AGENCY: "Thẻ BHYT do cơ quan khác quản lý.",
    InsuranceStatus.UNAVAILABLE: "Chưa kiểm tra được thẻ BHYT lúc này.",
}
_MESSAGES_EN = {
    InsuranceStatus.VALID: "Health insurance valid until {until}, registered at: {where}.",
    InsuranceStatus.OTHER_FACILITY: "Health insurance valid until {until}, registered at: {where}.",
    InsuranceStatus.EXPIRED: "Your health insurance expired ({until}).",
    InsuranceStatus.NOT_FOUND: "No health-insurance card was found for your ID number.",
    InsuranceStatus.MISMATCH: "Your insurance details do not match the card.",
    InsuranceStatus.REVOKED: "This health-insurance card can no longer be used.",
    InsuranceStatus.OTHER_AGENCY: "Your card is managed by another agency.",
    InsuranceStatus.UNAVAILABLE: "Your insurance could not be checked just now.",
}


class _Retry(Exception):
    """A failure worth another attempt while the budget lasts."""


class BhxhClient:
    """One client per kiosk; the token is cached until shortly before it expires."""

    def __init__(self, settings: BhxhSettings, *, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], date] = date.today) -> None:  # fmt: skip
        self.settings = settings
        self._clock, self._today = clock, today
        self._token: tuple[str, str, float] | None = None  # access, id, valid until (clock)
        self._client: httpx.Client | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            redact_httpx_logs()  # the check's query string holds the token and the password digest
            s = self.settings
            self._client = httpx.Client(
                base_url=s.base_url.rstrip("/"), trust_env=False, follow_redirects=False,
                timeout=httpx.Timeout(s.read_timeout_seconds, connect=s.connect_timeout_seconds),
            )  # fmt: skip
        return self._client

    def check(self, cccd: str, full_name: str, birth_date: date) -> InsuranceResult:
        """Check the citizen's insurance; never raises for gateway trouble (that is UNAVAILABLE).

        :class:`InsuranceConfigError` when a secret is missing (the deployment, not the gateway, is wrong).
        """
        s = self.settings
        start = self._clock()
        deadline = start + s.budget_seconds
        password = resolve_text_secret(s.password_ref)
        officer = (resolve_text_secret(s.officer_name_ref), resolve_text_secret(s.officer_id_ref))
        attempts, last = 0, "not attempted"
        while attempts < s.max_attempts and self._clock() < deadline:
            attempts += 1
            try:
                answer = self._attempt(cccd, full_name, birth_date, password, officer, deadline)
            except _Retry as exc:
                last = str(exc)
                continue
            except _Unusable as exc:
                last = str(exc) if attempts == 1 else f"{last}; then {exc}"
                break
            result = self._interpret(answer)
            return _with(result, attempts, start, self._clock())
        log.info(json.dumps({"event": "insurance.unavailable", "id": mask_id(cccd), "reason": last,
                             "attempts": attempts}))  # fmt: skip
        return _with(InsuranceResult(InsuranceStatus.UNAVAILABLE, note=last), attempts, start, self._clock())

    # --- one attempt: token (cached), then the card check ---

    def _remaining(self, deadline: float) -> float:
        left = deadline - self._clock()
        if left <= 0.05:
            raise _Unusable("time budget used up")
        return left

    def _post(self, path: str, body: Mapping[str, Any], deadline: float,
              params: Mapping[str, str] | None = None) -> httpx.Response:  # fmt: skip
        s = self.settings
        left = self._remaining(deadline)
        timeout = httpx.Timeout(
            min(s.read_timeout_seconds, left), connect=min(s.connect_timeout_seconds, left)
        )
        try:
            response = self._http().post(path, json=dict(body), params=params, timeout=timeout)
        except httpx.TimeoutException:
            raise _Retry("gateway timeout") from None
        except httpx.HTTPError as exc:
            raise _Retry(f"gateway unreachable ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _Retry(f"gateway HTTP {response.status_code}")
        return response

    def _token_for(self, password_md5: str, deadline: float) -> tuple[str, str]:
        if self._token is not None and self._token[2] > self._clock():
            return self._token[0], self._token[1]
        response = self._post(TOKEN_PATH, {"username": self.settings.username, "password": password_md5},
                              deadline)  # fmt: skip
        data = _json(response)
        api_key = data.get("APIKey") if isinstance(data, dict) else None
        if not isinstance(data, dict) or str(data.get("maKetQua")) != "200" or not isinstance(api_key, dict):
            code = data.get("maKetQua") if isinstance(data, dict) else None
            raise _Unusable(f"token refused (maKetQua {code})")
        access, id_token = api_key.get("access_token"), api_key.get("id_token")
        if not isinstance(access, str) or not access:
            raise _Unusable("token answer without access_token")
        lifetime = api_key.get("expires_in")
        ttl = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 1800.0
        self._token = (access, str(id_token or ""), self._clock() + max(ttl - 60.0, ttl / 2))
        return self._token[0], self._token[1]

    def _attempt(self, cccd: str, full_name: str, birth_date: date, password: str,
                 officer: tuple[str, str], deadline: float) -> dict[str, Any]:  # fmt: skip
        password_md5 = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        access, id_token = self._token_for(password_md5, deadline)
        params = {"token": access, "id_token": id_token, "username": self.settings.username,
                  "password": password_md5}  # fmt: skip
        body = {"maThe": cccd, "hoTen": full_name, "ngaySinh": birth_date.strftime("%d/%m/%Y"),
                "hoTenCb": officer[0], "cccdCb": officer[1]}  # fmt: skip
        response = self._post(CHECK_PATH, body, deadline, params)
        if response.status_code in (401, 403):
            self._token = None  # expired or revoked token: take a new one on the next attempt
            raise _Retry(f"gateway HTTP {response.status_code} (token)")
        if response.status_code != 200:
            raise _Unusable(f"gateway HTTP {response.status_code}")
        data = _json(response)
        if not isinstance(data, dict) or not isinstance(data.get("maKetQua"), str | int):
            raise _Unusable("gateway answer is not the expected JSON")
        return data

    def _interpret(self, data: Mapping[str, Any]) -> InsuranceResult:
        code = str(data.get("maKetQua")).zfill(3)
        note = _text(data.get("ghiChu"))
        if code in ("401", "205", "100", "101"):
            return InsuranceResult(InsuranceStatus.UNAVAILABLE, code, note or "gateway refused the request")
        status = RESULT_CODES.get(code, InsuranceStatus.UNAVAILABLE)
        card = _text(data.get("maTheMoi")) if code in ("003", "004") else None
        card = card or _text(data.get("maThe"))
        valid_from = _day(data.get("gtTheTuMoi") if code in ("003", "004") else None) or _day(
            data.get("gtTheTu")
        )
        valid_to = _day(data.get("gtTheDenMoi") if code in ("003", "004") else None) or _day(
            data.get("gtTheDen")
        )
        facility = _text(data.get("maDKBDMoi")) if code in ("003", "004") else None
        facility = facility or _text(data.get("maDKBD"))
        facility_name = _text(data.get("tenDKBDMoi")) if code in ("003", "004") else None
        facility_name = facility_name or _text(data.get("tenDKBD"))
        if status is InsuranceStatus.VALID:
            if valid_to is not None and valid_to < self._today():
                status = InsuranceStatus.EXPIRED
            elif facility and facility != self.settings.facility_code:
                status = InsuranceStatus.OTHER_FACILITY
        benefit = card[2] if card and len(card) == 15 and card[2].isdigit() else None
        return InsuranceResult(
            status, code, note, card, valid_from, valid_to, facility, facility_name, benefit,
            BENEFIT_LEVELS.get(benefit or ""), _day(data.get("ngayDu5Nam")),
        )  # fmt: skip


class _Unusable(Exception):
    """A failure another attempt will not fix (refused account, unreadable answer, budget used)."""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _Unusable("gateway answer is not JSON") from None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _day(value: Any) -> date | None:
    """``dd/mm/yyyy`` (the gateway's form) or ``yyyymmdd``."""
    text = _text(value)
    if text is None:
        return None
    for fmt in ("%d/%m/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _with(result: InsuranceResult, attempts: int, start: float, end: float) -> InsuranceResult:
    from dataclasses import replace

    return replace(result, attempts=attempts, elapsed_ms=int((end - start) * 1000))

"""Access control: which protocol opens the chip, and the fallback rules (ICAO 9303-11 §4.2, §4.3, §4.4).

The order of ICAO 9303-11 §4.2: a reader that supports PACE reads EF.CardAccess (in the MF, without
selecting it) and runs PACE when the chip offers it; otherwise it selects the eMRTD application and runs
BAC.  Fallbacks are never silent: when PACE was offered but BAC opened the chip, the returned
:class:`~reader.report.AccessInfo` says ``downgraded`` with the PACE error's reason code.

Rules:

* ``auto`` (the default): PACE with the CAN when one is given, else with the MRZ password; when PACE
  fails for any reason *other than* a rejected password and the BAC inputs are known, BAC with the
  downgrade recorded.  A rejected password is final: the user must check what they entered (trying BAC
  with data typed by the same user would only hide the mistake).
* ``pace``: PACE or nothing (no fallback).
* ``bac``: BAC even when PACE is offered (recorded as ``downgraded`` with reason ``BAC_REQUESTED``).

Card types known to hide EF.CardAccess (cccd-chip.md §7) can be given a configured CardAccess
(:attr:`AccessPlan.card_access_fallback`); the report notes it.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass

from reader.access.bac import BACKeyInput, perform_bac
from reader.access.pace import PACEPassword
from reader.access.pace_protocol import PACEError, PACEPasswordError, PACEResult, choose_suite, perform_pace
from reader.errors import AccessDeniedError, CardStatusError, ParseError
from reader.lds.cardaccess import SecurityInfos, parse_card_access
from reader.report import AccessInfo
from reader.session import CardSession
from reader.sm import SM_ERROR_SW


class AccessMode(enum.Enum):
    AUTO = "auto"
    PACE = "pace"
    BAC = "bac"


@dataclass(frozen=True, slots=True)
class AccessPlan:
    """The inputs of access control.  ``can``: the 6-digit Card Access Number (never logged)."""

    bac_key: BACKeyInput | None = None
    can: str | None = None
    mode: AccessMode = AccessMode.AUTO
    card_access_fallback: bytes | None = None

    def __repr__(self) -> str:
        return f"AccessPlan(mode={self.mode.value}, can={'set' if self.can else 'none'})"

    def pace_password(self) -> PACEPassword | None:
        """CAN first (the CCCD's convention, cccd-chip.md §3), else the MRZ password (§4.4.2)."""
        if self.can:
            return PACEPassword.can(self.can)
        if self.bac_key is not None:
            k = self.bac_key
            return PACEPassword.mrz(k.document_number, k.date_of_birth, k.date_of_expiry)
        return None


class BACDataMissingError(AccessDeniedError):
    """BAC is needed (the chip offers no PACE, or PACE failed) but the document number, birth date and
    expiry were not given — the chip refused nothing."""


class PACERequiredError(AccessDeniedError):
    """``--access pace`` on a chip that offers no usable PACE, or without a password."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CardAccessView:
    """EF.CardAccess as the access step sees it: parsed infos (or None) and where they came from."""

    infos: SecurityInfos | None
    source: str  # "card", "configured", "absent", "unparseable"

    @property
    def offers_pace(self) -> bool:
        return self.infos is not None and bool(self.infos.pace_infos)


def card_access_view(raw: bytes | None, fallback: bytes | None) -> CardAccessView:
    """Parse the EF.CardAccess read from the card; use the configured one when the card hides it."""
    if raw is not None:
        try:
            return CardAccessView(parse_card_access(raw), "card")
        except ParseError:
            if fallback is None:
                return CardAccessView(None, "unparseable")
    if fallback is not None:
        try:
            return CardAccessView(parse_card_access(fallback), "configured")
        except ParseError:
            return CardAccessView(None, "unparseable")
    return CardAccessView(None, "absent")


@dataclass(frozen=True, slots=True)
class AccessOutcome:
    """How the chip was opened; ``pace`` holds the PACE result (for PACE-CAM and the evidence)."""

    info: AccessInfo
    pace: PACEResult | None  # None: BAC opened the chip


def try_pace(
    session: CardSession,
    plan: AccessPlan,
    view: CardAccessView,
    rng: Callable[[int], bytes] = os.urandom,
) -> tuple[AccessOutcome | None, str | None]:
    """Run PACE when the plan and the chip allow it (before SELECT of the application, §4.2).

    Returns ``(outcome, None)`` after PACE; ``(None, reason)`` when BAC must be used — ``reason`` is the
    PACE error code of a permitted fallback (for :func:`open_with_bac`'s downgrade record), else None.
    Raises :class:`PACEPasswordError` for a rejected password, :class:`PACERequiredError` /
    :class:`PACEError` when ``pace`` mode cannot be honoured, :class:`AccessDeniedError` without any key.
    """
    if plan.mode is AccessMode.BAC:
        return None, None
    password = plan.pace_password()
    if not view.offers_pace:
        if plan.mode is AccessMode.PACE:
            raise PACERequiredError("PACE_NOT_OFFERED", "the chip offers no PACE (EF.CardAccess)")
        return None, None
    if password is None:
        if plan.mode is AccessMode.PACE:
            raise PACERequiredError("NO_PASSWORD", "PACE needs the CAN or the MRZ data")
        raise AccessDeniedError("no access key given")
    assert view.infos is not None
    try:
        suite = choose_suite(view.infos)
        result = perform_pace(session, suite, password, rng=rng)
    except PACEPasswordError:
        raise
    except PACEError as exc:
        session.stop_secure_messaging()
        if plan.mode is AccessMode.PACE or plan.bac_key is None:
            raise
        return None, exc.reason
    name = result.protocol_name.removeprefix("id-")
    info = AccessInfo("PACE", protocol=f"{name} ({result.suite.group.name}, {result.password_type.name})")
    return AccessOutcome(info, result), None


def open_with_bac(
    session: CardSession,
    plan: AccessPlan,
    view: CardAccessView,
    downgrade_reason: str | None,
    rng: Callable[[int], bytes] = os.urandom,
) -> AccessOutcome:
    """BAC (ICAO 9303-11 §4.3), after SELECT of the application; the downgrade recorded when PACE was
    offered but not used."""
    if plan.bac_key is None:
        raise BACDataMissingError("BAC needs the document number, birth date and expiry")
    session.start_secure_messaging(perform_bac(session, plan.bac_key, rng=rng))
    reason = downgrade_reason
    if reason is None and view.offers_pace:
        reason = "BAC_REQUESTED" if plan.mode is AccessMode.BAC else "NO_PACE_PASSWORD"
    return AccessOutcome(
        AccessInfo("BAC", protocol="BAC-3DES", downgraded=reason is not None, downgrade_reason=reason), None
    )


def channel_opener(
    session: CardSession,
    plan: AccessPlan,
    access: AccessOutcome,
    select_application: Callable[[], None],
    rng: Callable[[int], bytes] = os.urandom,
) -> Callable[[], None]:
    """How to open the secure channel again with the key that opened it (issue 12, docs/chip-faults.md):
    PACE with the same suite and password, then SELECT of the application; or SELECT, then BAC with the same
    key — the order of the first time (§4.2).  For :meth:`CardSession.set_channel_opener`."""
    pace = access.pace
    if pace is not None:
        password = plan.pace_password()
        if password is None:
            raise AccessDeniedError("no access key given")

        def reopen_pace() -> None:
            try:
                perform_pace(session, pace.suite, password, rng=rng)
            except PACEError as exc:  # a chip still in SM may refuse the first plain command, then leave SM
                if exc.sw not in SM_ERROR_SW:
                    raise
                perform_pace(session, pace.suite, password, rng=rng)
            select_application()

        return reopen_pace
    bac_key = plan.bac_key
    if bac_key is None:
        raise BACDataMissingError("BAC needs the document number, birth date and expiry")

    def reopen_bac() -> None:
        try:
            select_application()
        except CardStatusError as exc:  # as above: refused once, outside secure messaging from now on
            if exc.sw not in SM_ERROR_SW:
                raise
            select_application()
        session.start_secure_messaging(perform_bac(session, bac_key, rng=rng))

    return reopen_bac

"""BAC expiry candidates from the renewal milestones (cccd-chip.md §2, Law on Citizen Identification).

A card expires on the holder's birthday in the year they turn 25, 40 or 60; cards under the 2023 law
(issued from 1 July 2024) also have a milestone at 14.  A card issued within 2 years before a milestone is
valid to the next one; a card issued at 58 or older never expires and its MRZ carries ``991231``.

=================  =========================  ===============================
age at issue       2014 law (before 1/7/2024)  2023 law (from 1/7/2024)
=================  =========================  ===============================
< 12               birthday at 25              birthday at 14
12 ≤ age < 23      birthday at 25              birthday at 25
23 ≤ age < 38      birthday at 40              birthday at 40
38 ≤ age < 58      birthday at 60              birthday at 60
≥ 58               ``991231``                  ``991231``
=================  =========================  ===============================

29 February birthdays in a non-leap milestone year are *uncertain*: both 28 February and 1 March are
tried, 28 February first.
"""

from __future__ import annotations

from datetime import date

from kiosk.keyentry.dates import yymmdd
from kiosk.keyentry.errors import InvalidDateError

NEVER_EXPIRES = "991231"
LAW_2023_IN_FORCE = date(2024, 7, 1)
CHIP_CARDS_FROM = date(2021, 1, 1)
_MILESTONES_2014 = ((23, 25), (38, 40), (58, 60))
_MILESTONES_2023 = ((12, 14), (23, 25), (38, 40), (58, 60))


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birthday_in(birth: date, year: int) -> tuple[date, ...]:
    """The birthday in ``year``; for 29 February in a non-leap year, 28 February then 1 March."""
    try:
        return (birth.replace(year=year),)
    except ValueError:
        return (date(year, 2, 28), date(year, 3, 1))


def milestone_for_issue(birth: date, issue: date) -> int | None:
    """The age at which a card issued on ``issue`` expires; ``None`` when it never expires."""
    table = _MILESTONES_2023 if issue >= LAW_2023_IN_FORCE else _MILESTONES_2014
    age = age_on(birth, issue)
    for below, milestone in table:
        if age < below:
            return milestone
    return None


def _expiries(birth: date, milestone: int | None) -> tuple[str, ...]:
    if milestone is None:
        return (NEVER_EXPIRES,)
    return tuple(yymmdd(d) for d in birthday_in(birth, birth.year + milestone))


def _issue_breakpoints(birth: date, start: date, end: date) -> list[date]:
    """Issue dates at which the expiry rule may change, within [start, end]."""
    points = {start, end, LAW_2023_IN_FORCE}
    for age in (12, 23, 38, 58):
        points.update(birthday_in(birth, birth.year + age))
    return sorted(p for p in points if start <= p <= end)


def expiry_candidates(
    birth: date, issue: date | None = None, *, today: date | None = None
) -> tuple[str, ...]:
    """``YYMMDD`` expiry values to try for BAC, most likely first.

    With the issue date, the rule gives the answer (the neighbouring milestones follow as fallbacks in
    case the card was issued under the other rule).  Without it, every expiry a chip card issued between
    2021 and ``today`` could carry is listed: cards still valid first, nearest expiry first (``991231``
    last among them), then expired cards, most recently expired first.
    """
    today = today or date.today()
    if birth > today:
        raise InvalidDateError("the birth date is in the future")
    if issue is not None:
        if issue < birth or issue > today:
            raise InvalidDateError("the issue date must lie between the birth date and today")
        primary = _expiries(birth, milestone_for_issue(birth, issue))
        others = _possible(birth, max(birth, CHIP_CARDS_FROM), today)
        return _unique(primary + _rank(others, today))
    start = max(birth, CHIP_CARDS_FROM)
    return _rank(_possible(birth, start, max(start, today)), today)


def _possible(birth: date, start: date, end: date) -> tuple[str, ...]:
    found: list[str] = []
    for point in _issue_breakpoints(birth, start, end):
        found += _expiries(birth, milestone_for_issue(birth, point))
    return _unique(tuple(found))


def _rank(values: tuple[str, ...], today: date) -> tuple[str, ...]:
    def as_date(v: str) -> date:
        if v == NEVER_EXPIRES:
            return date.max
        return date(2000 + int(v[:2]), int(v[2:4]), int(v[4:6]))

    valid = sorted((v for v in values if as_date(v) >= today), key=as_date)
    expired = sorted((v for v in values if as_date(v) < today), key=as_date, reverse=True)
    return tuple(valid + expired)


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))

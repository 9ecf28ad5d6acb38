"""BAC expiry candidates when the MRZ was not read (cccd-chip.md §2, Law on Citizen Identification).

The expiry rule itself — renewal milestones at 14 (2023 law), 25, 40 and 60, the 2-year margin, no expiry
from 58 (MRZ ``991231``) — is :func:`reader.lds.mrz.cccd_expiry`; this module only turns it into the
ordered list of values a kiosk tries when it knows the birth date and perhaps the issue date:

* a 29 February birthday in a non-leap milestone year is *uncertain*: 28 February (the reader's answer)
  and then 1 March are tried;
* without the issue date, every expiry a chip card (issued from 2021) could carry is listed, ranked.
"""

from __future__ import annotations

from datetime import date

from kiosk.keyentry.errors import InvalidDateError
from reader.lds.mrz import LAW_2023_IN_FORCE, NO_EXPIRY_MRZ, cccd_expiry, yymmdd

NEVER_EXPIRES = NO_EXPIRY_MRZ
CHIP_CARDS_FROM = date(2021, 1, 1)  # the first chip-based CCCDs


def birthday_in(birth: date, year: int) -> tuple[date, ...]:
    """The birthday in ``year``; for 29 February in a non-leap year, 28 February then 1 March."""
    try:
        return (birth.replace(year=year),)
    except ValueError:
        return (date(year, 2, 28), date(year, 3, 1))


def milestone_for_issue(birth: date, issue: date) -> int | None:
    """The age at which a card issued on ``issue`` expires; ``None`` when it never expires."""
    expiry = cccd_expiry(birth, issue)
    return None if expiry is None else expiry.year - birth.year


def _expiries(birth: date, issue: date) -> tuple[str, ...]:
    """``YYMMDD`` values for a card issued on ``issue``: one, or two for an uncertain 29 February."""
    expiry = cccd_expiry(birth, issue)
    if expiry is None:
        return (NEVER_EXPIRES,)
    return tuple(yymmdd(d) for d in birthday_in(birth, expiry.year))


def _issue_breakpoints(birth: date, start: date, end: date) -> list[date]:
    """Issue dates within [start, end] at which the rule's inputs change: the holder's birthdays (the age
    at issue) and the day the 2023 law took effect.  Between two of them the rule gives one answer."""
    points = {start, end, LAW_2023_IN_FORCE}
    for year in range(start.year, end.year + 1):
        points.update(birthday_in(birth, year))
    return sorted(p for p in points if start <= p <= end)


def expiry_candidates(
    birth: date, issue: date | None = None, *, today: date | None = None
) -> tuple[str, ...]:
    """``YYMMDD`` expiry values to try for BAC, most likely first.

    With the issue date, the rule gives the answer (the other possible values follow as fallbacks in
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
        others = _possible(birth, max(birth, CHIP_CARDS_FROM), today)
        return _unique(_expiries(birth, issue) + _rank(others, today))
    start = max(birth, CHIP_CARDS_FROM)
    return _rank(_possible(birth, start, max(start, today)), today)


def _possible(birth: date, start: date, end: date) -> tuple[str, ...]:
    found: list[str] = []
    for point in _issue_breakpoints(birth, start, end):
        found += _expiries(birth, point)
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

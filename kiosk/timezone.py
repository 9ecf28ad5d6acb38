"""The kiosk's local time: Vietnam (Indochina Time, UTC+7 all year, no daylight saving time).

Local dates decide a hospital queue number's day, a hotel guest's check-in and declaration deadline and
what a receipt prints; every module takes them from here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def local_day(now: datetime) -> date:
    """The kiosk's local date at ``now`` (an aware datetime)."""
    return now.astimezone(VIETNAM).date()

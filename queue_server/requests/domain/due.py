"""Due dates counted in business days: Monday to Friday, public holidays off (the caller gives them, from the
site's calendar: ``platform/calendar.py``). A request received on a day off is counted from the next business
day, as a counter would open its mail then.

Limits: the holidays given must cover the span counted (a few weeks past the start); days beyond them count as
business days."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta

SATURDAY = 5


def business_day(day: date, holidays: Container[date]) -> bool:
    """Whether ``day`` is a working day: a weekday that is no public holiday."""
    return day.weekday() < SATURDAY and day not in holidays


def due_on(received: date, days: int, holidays: Container[date]) -> date:
    """The business day ``days`` business days after ``received`` (``days`` 0: the first business day from
    ``received`` on, itself when it is one). ``days`` may not be negative."""
    if days < 0:
        raise ValueError(f"a delay is counted forward, not {days} days")
    day = received
    while not business_day(day, holidays):
        day += timedelta(days=1)
    left = days
    while left:
        day += timedelta(days=1)
        if business_day(day, holidays):
            left -= 1
    return day


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` months later, on the same day of the month or the month's last when it has fewer days
    (31 January + 1 month: 28 or 29 February), as the CRPA's delays "of two months" are read."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last))

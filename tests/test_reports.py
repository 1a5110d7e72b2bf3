"""The reports' arithmetic without I/O: percentiles, medians, periods, grouping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from queue_server.queue.reports import Stats, median, percentile, period, stats, summarize


@dataclass(frozen=True)
class Row:
    day: str
    service: str
    status: str
    counter: str | None
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def test_percentile_is_nearest_rank() -> None:
    """The 90th percentile is the value of rank ceil(0.9 n): never interpolated."""
    assert percentile([10.0], 90) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90) == 9.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 90) == 10.0
    assert percentile([15.0, 20.0, 35.0, 40.0, 50.0], 30) == 20.0
    assert percentile([15.0, 20.0, 35.0, 40.0, 50.0], 100) == 50.0


def test_percentile_refuses_no_values_and_a_q_out_of_range() -> None:
    """An empty list or a q outside (0, 100] is an error, not a guess."""
    with pytest.raises(ValueError):
        percentile([], 90)
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_median_of_odd_and_even_counts() -> None:
    """The median is the middle value, or the mean of the two middle values."""
    assert median([3.0]) == 3.0
    assert median([1.0, 2.0, 9.0]) == 2.0
    assert median([1.0, 2.0, 4.0, 9.0]) == 3.0
    with pytest.raises(ValueError):
        median([])


def test_stats_of_nothing_are_null() -> None:
    """No values: a count of 0 and no mean, median or percentile."""
    assert stats([]) == Stats(0, None, None, None)
    assert stats([4.0, 1.0, 1.0]) == Stats(3, 2.0, 1.0, 4.0)


def test_a_day_is_itself() -> None:
    """period=day covers the one day."""
    assert period("day", date(2026, 3, 10)) == (date(2026, 3, 10), date(2026, 3, 10))


def test_the_week_of_a_sunday_starts_the_monday_before() -> None:
    """ISO weeks run Monday to Sunday: a Sunday is the last day of its week."""
    assert period("week", date(2026, 3, 15)) == (date(2026, 3, 9), date(2026, 3, 15))
    assert period("week", date(2026, 3, 16)) == (date(2026, 3, 16), date(2026, 3, 22))


def test_february_of_a_leap_year_has_29_days() -> None:
    """period=month covers the calendar month, leap day included; December ends on the 31st."""
    assert period("month", date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period("month", date(2026, 2, 28)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period("month", date(2025, 12, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_an_unknown_period_or_grouping_is_refused() -> None:
    """Only day, week and month; only the known groupings."""
    with pytest.raises(ValueError):
        period("year", date(2026, 1, 1))
    with pytest.raises(ValueError):
        summarize([], "weekday", "Europe/Paris")


def test_a_period_beyond_the_calendar_is_refused() -> None:
    """The week or month of 31 December 9999 would end past the last date: an error, not an overflow."""
    with pytest.raises(ValueError):
        period("week", date(9999, 12, 31))
    with pytest.raises(ValueError):
        period("month", date(9999, 12, 31))
    assert period("day", date(9999, 12, 31)) == (date(9999, 12, 31), date(9999, 12, 31))


def test_hours_are_the_sites_local_hours() -> None:
    """A ticket issued at 07:30 UTC in March is in Paris's 08 hour and in La Réunion's 11 hour."""
    row = Row("2026-03-10", "a", "waiting", None, datetime(2026, 3, 10, 7, 30, tzinfo=UTC))
    assert [g.key for g in summarize([row], "hour", "Europe/Paris")] == ["08"]
    assert [g.key for g in summarize([row], "hour", "Indian/Reunion")] == ["11"]


def test_waits_count_every_called_ticket_and_service_times_only_done_ones() -> None:
    """A no-show has a wait and no service time; a ticket never called has neither; no counter sorts last."""
    t0 = datetime(2026, 3, 10, 8, tzinfo=UTC)
    rows = [
        Row("2026-03-10", "a", "done", "1", t0, t0 + timedelta(seconds=60), t0 + timedelta(seconds=70),
            t0 + timedelta(seconds=370)),
        Row("2026-03-10", "a", "no_show", "1", t0, t0 + timedelta(seconds=120)),
        Row("2026-03-10", "a", "cancelled", None, t0),
    ]
    counter, nobody = summarize(rows, "counter", "Europe/Paris")
    assert (counter.key, counter.issued, counter.served, counter.no_show, counter.cancelled) == ("1", 2, 1, 1, 0)
    assert counter.wait_s == Stats(2, 90.0, 90.0, 120.0)
    assert counter.service_s == Stats(1, 300.0, 300.0, 300.0)
    assert (nobody.key, nobody.cancelled, nobody.wait_s.count) == (None, 1, 0)

"""Arriving for an appointment: early, on time, late, or on another day (the site's days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queue_server.booking.domain.arrival import arrival
from queue_server.booking.domain.motifs import Motif

MOTIF = Motif("passeport", "mairie", "passeports", "Passeport", 20, arrive_before_min=30, arrive_after_min=15)
START = datetime(2027, 3, 1, 9, tzinfo=UTC)  # 10:00 in Paris, 13:00 in Réunion


@pytest.mark.parametrize(("minutes", "expected"), [
    (-31, "early"),
    (-30, "on_time"),  # the window's ends are included
    (0, "on_time"),
    (15, "on_time"),
    (16, "late"),
    (-9 * 60, "early"),  # 01:00 in Paris the same day
])
def test_the_check_in_window_runs_from_before_to_after_the_start(minutes: int, expected: str) -> None:
    assert arrival(MOTIF, START, START + timedelta(minutes=minutes), "Europe/Paris") == expected


def test_another_local_day_is_other_day() -> None:
    """The evening before, and the day after, are not early or late but another day."""
    assert arrival(MOTIF, START, START - timedelta(hours=11), "Europe/Paris") == "other_day"  # 23:00 the day before
    assert arrival(MOTIF, START, START + timedelta(days=1), "Europe/Paris") == "other_day"


def test_the_day_is_the_sites() -> None:
    """At 23:00 UTC it is still Monday in Cayenne but Tuesday in Réunion."""
    start, now = datetime(2027, 3, 1, 18, tzinfo=UTC), datetime(2027, 3, 1, 23, tzinfo=UTC)
    assert arrival(MOTIF, start, now, "America/Cayenne") == "late"
    assert arrival(MOTIF, start, now, "Indian/Reunion") == "other_day"

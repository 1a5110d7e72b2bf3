"""When a citizen arrives for an appointment, as the kiosk sees it: early, on time, late, or on another day.

On time is the motif's check-in window, both ends included: from ``arrive_before_min`` before the start to
``arrive_after_min`` after it. Days are the site's (its time zone): arriving at 23:50 for tomorrow's 08:30
is "other_day", not "early".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from queue_server.booking.domain.motifs import Motif

Arrival = Literal["early", "on_time", "late", "other_day"]


def arrival(motif: Motif, start: datetime, now: datetime, zone: str) -> Arrival:
    """Where ``now`` falls for an appointment of ``motif`` at ``start`` (both aware), in time zone ``zone``."""
    site = ZoneInfo(zone)
    if now.astimezone(site).date() != start.astimezone(site).date():
        return "other_day"
    if now < start - timedelta(minutes=motif.arrive_before_min):
        return "early"
    if now > start + timedelta(minutes=motif.arrive_after_min):
        return "late"
    return "on_time"

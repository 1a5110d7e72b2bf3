"""Public holidays and opening hours as administrators write them, for every module that opens and
closes (the queue's kiosks, appointments): French public holidays by subdivision, from the ``holidays``
library, and weekly hours written ``HH:MM`` read into minutes, with their mistakes named.

Regions are written as in API.md: ``FR`` (metropolitan France), ``FR-57`` (Moselle), ``FR-67`` and
``FR-68`` (Alsace), ``FR-971`` … ``FR-976`` (overseas departments), and the overseas collectivities the
library knows (``FR-BL``, ``FR-PM``…).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import holidays

from queue_server.platform.errors import invalid

# Our names for the library's subdivisions of France where they differ (Alsace is one subdivision there).
_ALIASES = {"67": "6AE", "68": "6AE"}
_HIDDEN = frozenset({"Zone A", "Zone B", "Zone C"})  # school holiday zones, not public holidays
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def regions() -> list[str]:
    """Every region a site may take its public holidays from."""
    subdivisions = [s for s in holidays.country_holidays("FR").subdivisions if s not in _HIDDEN and s != "6AE"]
    return ["FR", *sorted(f"FR-{s}" for s in [*subdivisions, "67", "68"])]


def check_region(region: str | None, field: str = "public_holidays") -> str | None:
    """``region`` if the holidays of it are known (``None``: none); else a 422 naming ``field``."""
    if region is None:
        return None
    if region not in regions():
        raise invalid(field, f"Unknown public holiday region {region!r}: use FR, or FR-57, FR-67, FR-974…")
    return region


def public_holidays(region: str | None, years: range) -> tuple[tuple[date, str], ...]:
    """The public holidays of ``region`` in ``years``, dated and named in French, in date order."""
    if region is None:
        return ()
    code = region.removeprefix("FR").removeprefix("-")
    found = holidays.country_holidays("FR", subdiv=_ALIASES.get(code, code) or None, years=list(years),
                                      language="fr")
    return tuple(sorted((day, str(name)) for day, name in found.items()))


def minutes(text: Any, field: str) -> int:
    """``"08:30"`` → 510; ``"24:00"`` → 1440 (an end only); anything else a 422 naming ``field``."""
    if not isinstance(text, str) or not _TIME.match(text):
        raise invalid(field, f"{text!r} is not a time written HH:MM (00:00 to 24:00).")
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def weekly_hours(value: Any, field: str) -> dict[int, tuple[tuple[int, int], ...]] | None:
    """``{"mon": [["08:30", "12:00"], ["13:30", "17:00"]], …}`` (a missing day: closed) as minutes by
    weekday (0 = Monday); ``None`` stays ``None`` (always open). Ranges must end after they start and
    may not overlap; every mistake is a 422 naming the day and range."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(field, "Weekly hours are an object of days (mon…sun), each a list of [start, end].")
    out: dict[int, tuple[tuple[int, int], ...]] = {}
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise invalid(f"{field}.{day}", f"Unknown day {day!r}: use {', '.join(WEEKDAYS)}.")
        if not isinstance(spans, list):
            raise invalid(f"{field}.{day}", "A day's hours are a list of [start, end] ranges.")
        ranges: list[tuple[int, int]] = []
        for i, span in enumerate(spans):
            where = f"{field}.{day}[{i}]"
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise invalid(where, "A range is [start, end], for example [\"08:30\", \"12:00\"].")
            start, end = minutes(span[0], where), minutes(span[1], where)
            if start >= DAY_END or end <= start:
                raise invalid(where, f"The range {span[0]}–{span[1]} must end after it starts.", "invalid-hours")
            ranges.append((start, end))
        ranges.sort()
        for (a_start, a_end), (b_start, _b_end) in zip(ranges, ranges[1:], strict=False):
            if b_start < a_end:
                raise invalid(f"{field}.{day}", f"The ranges {clock(a_start)}–{clock(a_end)} and one starting at "
                                                     f"{clock(b_start)} overlap.", "invalid-hours")
        if ranges:
            out[WEEKDAYS.index(day)] = tuple(ranges)
    return out


def weekly_text(hours: dict[int, tuple[tuple[int, int], ...]] | None) -> dict[str, list[list[str]]] | None:
    """The inverse of ``weekly_hours``: minutes back to ``HH:MM`` by day name."""
    if hours is None:
        return None
    return {WEEKDAYS[day]: [[clock(a), clock(b)] for a, b in spans] for day, spans in sorted(hours.items())}


DAY_END = 24 * 60

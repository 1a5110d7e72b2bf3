"""The slot engine: the starts a motif offers, and the desks free at each.

A motif's starts lie on its grid: each opening span's start, then every ``motif.step`` minutes, as long as
the appointment (``duration`` minutes, buffers not counted) ends within the span. The spans are the motif's
own weekly hours, else the site's, on the site's wall clock; days in ``Opening.closed`` offer nothing.
A desk (1..``motif.capacity``) is free for a start when no place it holds (``Held``) overlaps the start's
held span: the appointment with ``buffer_before_min`` before it and ``buffer_after_min`` after it. The
buffers may reach outside the opening span (preparing before the doors open, writing up after they close).

Clock changes: the grid is laid on the wall clock. A wall time that does not exist (the spring gap) offers
no slot; one that happens twice (autumn) offers one, its first occurrence (``fold=0``). Durations and
buffers are real minutes, counted in UTC. A span's bounds are read as RFC 5545 reads local times: a bound in
the gap is shifted forward by the gap's length, an ambiguous bound is its first occurrence. Two clock
changes within one opening span that cancel each other out are not seen (no zone does that).

Limits: every datetime is aware (a naive one raises ``ValueError``); times are handled to the second (a
held place is widened to whole seconds, so an overlap is never missed); the spans of one day must not
overlap (the configuration checks it), else starts may repeat; ``Held`` on a desk beyond the capacity are
ignored. Cost: O(days × spans + slots × capacity × log(held)).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from queue_server.booking.domain.errors import Refused
from queue_server.booking.domain.motifs import GRANULE_MIN, Motif, OpeningHours

__all__ = ["Held", "Opening", "Refused", "Slot", "check_start", "free_desks", "granules", "held_span", "slots"]

DAY_MINUTES = 24 * 60
ALL_DAY = ((0, DAY_MINUTES),)  # the span of a day without hours (``None``: always open)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Opening:
    """A site's calendar as booking sees it: its IANA time zone ("Europe/Paris"), its weekly hours (``None``:
    always open; a motif's own hours replace them) and the days it is closed all day, closures and public
    holidays alike, each with its reason or name ("Inventaire", "Lundi de Pâques")."""

    zone: str
    weekly: OpeningHours | None = None
    closed: Mapping[date, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Held:
    """A place taken: desk ``desk`` (1..capacity) from ``start`` to ``end`` (aware, buffers included)."""

    desk: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Slot:
    """A start a citizen may book: ``start`` and ``end`` (UTC, buffers not included), and the desks free for
    its whole held span, ascending (``free`` of them, at least one)."""

    start: datetime
    end: datetime
    free: int
    desks: tuple[int, ...]


def slots(motif: Motif, opening: Opening, held: Sequence[Held], first: date, last: date, now: datetime,
          duration_min: int | None = None) -> list[Slot]:
    """The free slots of ``motif`` whose start's local day (the site's zone) is in [``first``, ``last``], in
    start order: on the grid, from ``min_notice_min`` after ``now`` to ``horizon_days`` after it, with at least
    one desk free. ``duration_min``: the appointment's length (``None``: the motif's; see
    ``Motif.duration_for``). Raises ``ValueError`` for a duration or step that is not positive."""
    duration = _length(motif, duration_min)
    zone = ZoneInfo(opening.zone)
    earliest = _seconds(now, up=True) + motif.min_notice_min * 60
    latest = _seconds(now) + motif.horizon_days * 86400
    day = max(first, _utc(earliest).astimezone(zone).date())
    last = min(last, _utc(latest).astimezone(zone).date())
    desks = _Desks(held, motif.capacity)
    before, until = motif.buffer_before_min * 60, (duration + motif.buffer_after_min) * 60  # the held span
    out: list[Slot] = []
    while day <= last:
        for start in _starts(motif, opening, zone, day, duration):
            if earliest <= start <= latest:
                free = desks.free(start - before, start + until)
                if free:
                    out.append(Slot(_utc(start), _utc(start + duration * 60), len(free), free))
        day += _DAY
    return out


def check_start(motif: Motif, opening: Opening, start: datetime, now: datetime, duration_min: int) -> None:
    """Whether ``start`` may be booked at all, other appointments aside: raises ``Refused`` with kind "closed"
    (a closure or public holiday; ``detail`` names it), "outside-hours" (not a start of the motif's grid that
    day, which includes a wall time skipped or repeated by a clock change), "too-soon" or "too-far" (the
    motif's notice and horizon), checked in that order. Agrees with ``slots``: every slot it lists passes."""
    duration = _length(motif, duration_min)
    at = _seconds(start)
    zone = ZoneInfo(opening.zone)
    day = start.astimezone(zone).date()
    if day in opening.closed:
        raise Refused("closed", f"the site is closed on {day}: {opening.closed[day]}")
    # Not ``_utc(at) != start``: PEP 495 makes an ambiguous wall time unequal to every time of another zone.
    if (start - _EPOCH) % _SECOND or at not in _starts(motif, opening, zone, day, duration):
        raise Refused("outside-hours", f"{start.isoformat()} is not a start motif {motif.id!r} offers on {day} "
                      f"for {duration} minutes")
    if at < _seconds(now, up=True) + motif.min_notice_min * 60:
        raise Refused("too-soon", f"{start.isoformat()} is less than {motif.min_notice_min} minutes after "
                      f"{now.isoformat()}")
    if at > _seconds(now) + motif.horizon_days * 86400:
        raise Refused("too-far", f"{start.isoformat()} is more than {motif.horizon_days} days after "
                      f"{now.isoformat()}")


def free_desks(motif: Motif, held: Sequence[Held], start: datetime, duration_min: int) -> tuple[int, ...]:
    """The desks (ascending) that no ``held`` place overlaps over the held span of an appointment of
    ``duration_min`` minutes at ``start``; grid, hours and notice are not looked at (``check_start`` does)."""
    low, high = held_span(motif, start, duration_min)
    return _Desks(held, motif.capacity).free(_seconds(low), _seconds(high, up=True))


def held_span(motif: Motif, start: datetime, duration_min: int) -> tuple[datetime, datetime]:
    """What a desk holds for an appointment of ``duration_min`` minutes at ``start``: [start - buffer before,
    start + duration + buffer after)."""
    return (start - timedelta(minutes=motif.buffer_before_min),
            start + timedelta(minutes=duration_min + motif.buffer_after_min))


def granules(start: datetime, end: datetime) -> list[datetime]:
    """The ``GRANULE_MIN``-minute marks (UTC, aligned on the epoch) whose granules cover [``start``, ``end``):
    what a desk holds, one row per granule. Empty when ``end`` is not after ``start``."""
    size = GRANULE_MIN * 60
    return [_utc(mark) for mark in range(_seconds(start) // size * size, _seconds(end, up=True), size)]


def _length(motif: Motif, duration_min: int | None) -> int:
    duration = motif.duration_min if duration_min is None else duration_min
    if duration <= 0 or motif.step <= 0:  # a zero step would lay the grid forever
        raise ValueError(f"motif {motif.id!r}: duration {duration} and step {motif.step} must be positive")
    return duration


def _starts(motif: Motif, opening: Opening, zone: ZoneInfo, day: date, duration: int) -> Iterator[int]:
    """The grid's starts on ``day`` (seconds since the epoch, ascending), each ending within its span."""
    if day in opening.closed:
        return
    hours = motif.hours if motif.hours is not None else opening.weekly
    spans = ALL_DAY if hours is None else sorted(hours.get(day.weekday(), ()))
    length, step = duration * 60, motif.step
    for opens_at, closes_at in spans:
        opens, closes = _wall(day, opens_at, zone), _wall(day, closes_at, zone)
        end = _seconds(closes)
        if _exists(opens) and opens.utcoffset() == closes.utcoffset():
            # No clock change within the span: the grid is regular in real time too.
            start = _seconds(opens)
            while start + length <= end:
                yield start
                start += step * 60
            continue
        for minute in range(opens_at, closes_at, step):
            wall = _wall(day, minute, zone)
            if not _exists(wall):
                continue
            start = _seconds(wall)
            if start + length > end:  # the starts that exist grow with the wall clock: none later fits
                break
            yield start


def _wall(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """``minute`` minutes past ``day``'s midnight on the wall clock (1440: the next midnight), first occurrence."""
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)


def _exists(wall: datetime) -> bool:
    """Whether a wall-clock time happens at all (a time in a spring gap does not come back from UTC as itself)."""
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(tzinfo=None)


def _seconds(moment: datetime, *, up: bool = False) -> int:
    """``moment`` in whole seconds since the epoch, rounded down (``up``: up)."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive: booking's datetimes are aware")
    whole, rest = divmod(moment - _EPOCH, _SECOND)
    return int(whole) + (1 if up and rest else 0)


def _utc(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class _Desks:
    """Each desk's held places sorted by start, with the furthest end reached so far: whether a desk is taken
    over [low, high) is one bisection, however many places the month holds."""

    __slots__ = ("_desks",)

    def __init__(self, held: Sequence[Held], capacity: int) -> None:
        taken: list[list[tuple[int, int]]] = [[] for _ in range(capacity)]
        for place in held:
            if 1 <= place.desk <= capacity and place.end > place.start:
                taken[place.desk - 1].append((_seconds(place.start), _seconds(place.end, up=True)))
        self._desks: list[tuple[int, list[int], list[int]]] = []
        for desk, places in enumerate(taken, 1):
            places.sort()
            self._desks.append((desk, [start for start, _ in places], list(accumulate((e for _, e in places), max))))

    def free(self, low: int, high: int) -> tuple[int, ...]:
        """The desks, ascending, with nothing held over [low, high) (seconds since the epoch)."""
        free = []
        for desk, starts, reach in self._desks:
            before = bisect_left(starts, high)  # places starting before ``high``: one overlaps if it ends after low
            if before == 0 or reach[before - 1] <= low:
                free.append(desk)
        return tuple(free)

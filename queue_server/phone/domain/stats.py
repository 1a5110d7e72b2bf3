"""The phone desk's figures over a period of local days (``stats.py`` reads the rows, ``web/report.py`` serves
them): the calls taken, per reason, per hour of the day and per outcome, their mean duration, and what became of
the callbacks they promised.

What each figure counts, for the calls that began during the period (on the collectivity's clock):

- ``calls``: how many; ``mean_duration_s``: their mean duration in seconds (``None`` without calls);
- ``outcomes``: how many ended each way (``calls.OUTCOMES``, every one listed, 0 included);
- per reason (the reason's name now, else the one it had on the call), most calls first, then by name; per local
  hour of the day the call began (0 to 23, every hour listed);
- their callbacks: ``asked`` (the calls whose outcome was a callback), ``done``, ``overdue`` (still to do, their
  time passed at ``now``) and ``pending`` (still to do, not yet due)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from queue_server.phone.domain.callbacks import Status, overdue
from queue_server.phone.domain.calls import OUTCOMES, Outcome, mean_seconds

DAY_HOURS = (8, 18)  # the hours a chart shows at least (a town hall's day), widened to any hour that had calls


@dataclass(frozen=True, slots=True)
class CallbackFacts:
    status: Status
    due_at: datetime


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the figures need of one call."""

    reason: str
    reason_name: str
    outcome: Outcome
    started_at: datetime
    duration_s: int
    callback: CallbackFacts | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    calls: int = 0
    mean_duration_s: float | None = None
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    label: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class Callbacks:
    asked: int = 0
    done: int = 0
    overdue: int = 0
    pending: int = 0


@dataclass(frozen=True, slots=True)
class Report:
    first: date
    last: date
    total: Figures
    reasons: list[Group]
    hours: list[int]  # calls per local hour, hours[0] for midnight to 1 a.m.
    callbacks: Callbacks


def figures(calls: Sequence[CallFacts]) -> Figures:
    outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for call in calls:
        outcomes[call.outcome] += 1
    return Figures(len(calls), mean_seconds([c.duration_s for c in calls]), outcomes)


def summarise(calls: Sequence[CallFacts], first: date, last: date, zone: ZoneInfo, now: datetime,
              names: Mapping[str, str]) -> Report:
    """The report of the calls among ``calls`` that began from ``first`` to ``last`` (local days on ``zone``'s
    clock; others are left out); ``names``: each reason's name now (a reason gone keeps the name of its latest
    call)."""
    kept = sorted((c for c in calls if first <= c.started_at.astimezone(zone).date() <= last),
                  key=lambda c: c.started_at)
    labels: dict[str, str] = {}
    by_reason: dict[str, list[CallFacts]] = {}
    hours = [0] * 24
    for call in kept:
        labels[call.reason] = names.get(call.reason, call.reason_name)
        by_reason.setdefault(call.reason, []).append(call)
        hours[call.started_at.astimezone(zone).hour] += 1
    groups = [Group(key, labels[key], figures(theirs)) for key, theirs in by_reason.items()]
    groups.sort(key=lambda g: (-g.figures.calls, folded(g.label)))
    promised = [c.callback for c in kept if c.callback is not None]
    return Report(first, last, figures(kept), groups, hours, Callbacks(
        asked=len(promised), done=sum(1 for c in promised if c.status == "done"),
        overdue=sum(1 for c in promised if overdue(c.status, c.due_at, now)),
        pending=sum(1 for c in promised if c.status == "todo" and not overdue(c.status, c.due_at, now))))


def folded(text: str) -> str:
    """``text`` as a list of names sorts it: without accents or case ("État civil" before "Urbanisme")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def hours_shown(hours: Sequence[int]) -> range:
    """The hours a chart of ``hours`` (calls per hour, 24 of them) shows: ``DAY_HOURS`` at least, and every hour
    that had calls."""
    busy = [hour for hour, count in enumerate(hours) if count]
    start, end = DAY_HOURS
    return range(min([start, *busy]), max([end, *busy]) + 1)

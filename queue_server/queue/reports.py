"""Reports over the archived ticket history (SQL ``ticket_history``), never over Redis.

The core (``period``, ``summarize``, ``percentile``, ``median``) has no I/O and no clock: the rows and the
site's time zone are arguments. ``load_rows`` is the one query, for one site and a range of local days;
``History.report`` runs it in a session of its own and summarises what it read.

Per group: tickets issued, served (``done``), no-shows and cancelled; waits (``called_at - issued_at``,
every ticket that was called, whatever became of it) and service times (``finished_at - started_at``,
tickets ``done`` only), in seconds, as count, mean, median and 90th percentile.

A report by agent groups tickets by who called them, the id events record (``user:ID`` for a person,
``token:ID`` for a shared counter terminal): two agents with the same name stay two lines, one agent whose
name changed stays one, under the name the directory holds today (the name at their latest call if the
person or the token was deleted since).

Limits: a report holds every row of its period in memory (a month of a busy site is some ten thousand
rows: fine; years are not offered); a ticket counts on the local day the archiver filed it under (its
day of issue), so a wait that crosses midnight stays with the day of issue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken, User
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.tables import TicketRecord

Period = Literal["day", "week", "month"]
Grouping = Literal["service", "counter", "agent", "hour", "day", "all"]
PERIODS: tuple[str, ...] = get_args(Period)
GROUPINGS: tuple[str, ...] = get_args(Grouping)


class TicketRow(Protocol):
    """What a report reads of a ticket (``TicketRecord`` has it all); datetimes aware."""

    @property
    def day(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def counter(self) -> str | None: ...
    @property
    def agent(self) -> str | None: ...
    @property
    def agent_name(self) -> str: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def called_at(self) -> datetime | None: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Stats:
    """Durations in seconds; every figure is ``None`` when ``count`` is 0."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Group:
    """One line of a report. ``key`` is ``None`` for tickets without a counter or agent (never called,
    or called before calls recorded their agent). ``label``: the agent's name at their latest call, for
    a report by agent; ``None`` otherwise (the web layer names services and counters)."""

    key: str | None
    issued: int
    served: int
    no_show: int
    cancelled: int
    wait_s: Stats
    service_s: Stats
    label: str | None = None


def period(kind: str, day: date) -> tuple[date, date]:
    """The first and last local day (inclusive) of ``kind``: the day itself, its ISO week (Monday to
    Sunday) or its calendar month. Raises ``ValueError`` for any other kind, and for a period that
    ``date`` cannot hold (the week of 31 December 9999)."""
    try:
        return _period(kind, day)
    except OverflowError:
        raise ValueError(f"the {kind} of {day} is beyond the calendar") from None


def _period(kind: str, day: date) -> tuple[date, date]:
    if kind == "day":
        return day, day
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=31)).replace(day=1)
        return first, following - timedelta(days=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) of ``ordered`` (sorted ascending, not empty) by the
    nearest-rank method: the smallest value with at least ``q`` % of the values at or below it, i.e.
    the value of rank ``ceil(q / 100 * n)`` (1-based). Always one of the values, never interpolated."""
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[rank - 1]


def median(ordered: Sequence[float]) -> float:
    """The middle value of ``ordered`` (sorted ascending, not empty); the mean of the two middle values
    when their number is even."""
    if not ordered:
        raise ValueError("median of no values")
    n = len(ordered)
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def stats(values: Iterable[float]) -> Stats:
    """Count, mean, median and nearest-rank 90th percentile of ``values`` (seconds)."""
    ordered = sorted(values)
    if not ordered:
        return Stats(0, None, None, None)
    return Stats(len(ordered), sum(ordered) / len(ordered), median(ordered), percentile(ordered, 90))


def _key_of(by: str, zone: ZoneInfo) -> Callable[[TicketRow], str | None]:
    if by == "service":
        return lambda row: row.service
    if by == "counter":
        return lambda row: row.counter
    if by == "agent":
        return lambda row: row.agent
    if by == "hour":  # local hour of issue, "00" to "23"
        return lambda row: f"{row.issued_at.astimezone(zone).hour:02d}"
    if by == "day":
        return lambda row: row.day
    if by == "all":
        return lambda row: "all"
    raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")


def summarize(rows: Iterable[TicketRow], by: str, timezone: str) -> list[Group]:
    """One ``Group`` per value of ``by`` among ``rows``, sorted by key (``None`` last). ``timezone`` is
    the site's (IANA name): it places tickets in their local hour. Raises ``ValueError`` for an unknown
    grouping. Groups without tickets are left out."""
    key_of = _key_of(by, ZoneInfo(timezone))
    buckets: dict[str | None, list[TicketRow]] = {}
    for row in rows:
        buckets.setdefault(key_of(row), []).append(row)
    groups = [_group(key, buckets[key]) for key in sorted(buckets, key=lambda k: (k is None, k or ""))]
    if by == "agent":
        groups = [replace(g, label=_latest_name(buckets[g.key])) for g in groups]
    return groups


def _latest_name(rows: list[TicketRow]) -> str | None:
    named = [r for r in rows if r.agent_name and r.called_at is not None]
    return max(named, key=lambda r: r.called_at).agent_name if named else None  # type: ignore[arg-type,return-value]


def _group(key: str | None, rows: list[TicketRow]) -> Group:
    waits = [(r.called_at - r.issued_at).total_seconds() for r in rows if r.called_at is not None]
    services = [(r.finished_at - r.started_at).total_seconds() for r in rows
                if r.status == "done" and r.started_at is not None and r.finished_at is not None]
    return Group(
        key=key,
        issued=len(rows),
        served=sum(r.status == "done" for r in rows),
        no_show=sum(r.status == "no_show" for r in rows),
        cancelled=sum(r.status == "cancelled" for r in rows),
        wait_s=stats(waits),
        service_s=stats(services),
    )


async def load_rows(session: AsyncSession, site_id: str, first: date, last: date) -> Sequence[TicketRecord]:
    """The archived tickets of ``site_id`` filed under the local days ``first`` to ``last`` inclusive."""
    query = select(TicketRecord).where(
        TicketRecord.site_id == site_id,  # type: ignore[arg-type]
        TicketRecord.day >= first.isoformat(),  # type: ignore[arg-type]
        TicketRecord.day <= last.isoformat(),  # type: ignore[arg-type]
    )
    return (await session.execute(query)).scalars().all()


def agent_kind(key: str | None) -> Literal["person", "terminal"] | None:
    """Who an agent key names: a person (``user:ID``), a shared counter terminal (``token:ID``), or nobody."""
    if key is None:
        return None
    return "terminal" if key.startswith("token:") else "person"


def _numeric_ids(keys: Iterable[str | None], prefix: str) -> list[int]:
    return [int(k.removeprefix(prefix)) for k in keys
            if k is not None and k.startswith(prefix) and k.removeprefix(prefix).isdigit()]


async def current_agent_names(session: AsyncSession, keys: Iterable[str | None]) -> dict[str, str]:
    """The names the directory holds today for agent keys (``user:ID``: the person's name, else their
    login; ``token:ID``: the token's name); keys of people or tokens deleted since are left out."""
    keys = list(keys)
    names: dict[str, str] = {}
    users = _numeric_ids(keys, "user:")
    if users:
        found = await session.execute(select(User.id, User.name, User.login)  # type: ignore[call-overload]
                                      .where(User.id.in_(users)))  # type: ignore[union-attr]
        names.update({f"user:{uid}": name or login for uid, name, login in found.all()})
    tokens = _numeric_ids(keys, "token:")
    if tokens:
        found = await session.execute(select(ApiToken.id, ApiToken.name)  # type: ignore[call-overload]
                                      .where(ApiToken.id.in_(tokens)))  # type: ignore[union-attr]
        names.update({f"token:{tid}": name or f"token {tid}" for tid, name in found.all()})
    return names


class History:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def report(self, config: SiteConfig, first: date, last: date, by: str) -> list[Group]:
        """The site's tickets filed under the local days ``first`` to ``last``, summarised per value of
        ``by`` (``summarize``); services and counters are labelled with their names as the site calls
        them today, agents with the names the directory holds today."""
        async with self.db() as session:
            rows = await load_rows(session, config.id, first, last)
            groups = summarize(rows, by, config.timezone)
            if by == "agent":
                names = await current_agent_names(session, (g.key for g in groups))
                groups = [replace(g, label=names.get(g.key, g.label)) if g.key else g for g in groups]
        if by in ("service", "counter"):
            find = config.service if by == "service" else config.counter
            groups = [replace(g, label=named.name if g.key and (named := find(g.key)) else None) for g in groups]
        return groups

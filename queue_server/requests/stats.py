"""The requests' figures for supervisors over a period of local days (``web/report.py`` serves them as JSON, as a
spreadsheet and as the page ``/demandes/bilan``), grouped by category, service or channel, and in total.

What each figure counts, for the period ``first``..``last`` (local days, on the tenant's first site's clock):

- ``received``: requests received during the period;
- ``closed``: requests closed during the period, whenever they were received;
- ``open``: of those received during the period, the ones not closed now;
- ``overdue``: of those open, the ones whose due date is past today;
- ``first_answer_hours``: the median time from receipt to the first reply staff sent the citizen (internal notes
  do not count), in hours of the clock (nights and weekends included), over the period's received requests that
  have one;
- ``closure_days``: the median time from receipt to closure, in days of the clock, over the period's closed
  requests;
- per day, the received and the closed, for a chart.

One query reads the period's requests (received or closed in it) with their first reply (``MIN`` in SQL); the
counts and medians are worked out here over those rows, by ``summarise``, which reads no clock."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_
from sqlalchemy import select as columns
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site
from queue_server.requests.tables import CategoryRow, RequestMessage, RequestRow

GROUPINGS = ("category", "service", "channel")
MAX_DAYS = 366  # a period of a year at most
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """What the figures need of one request."""

    category: str
    channel: str
    status: str
    received_at: datetime
    received_on: date
    due_on: date
    closed_at: datetime | None
    first_answer_at: datetime | None


@dataclass(frozen=True, slots=True)
class Figures:
    received: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0
    first_answer_hours: float | None = None  # median; None when there is none to count
    closure_days: float | None = None


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    label: str  # a category's or service's name; the channel's id (the page says it in words)
    figures: Figures


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    received: int
    closed: int


@dataclass(frozen=True, slots=True)
class Report:
    first: date
    last: date
    by: str
    groups: list[Group]
    total: Figures
    days: list[Day]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _figures(received: Sequence[PeriodRow], closed: Sequence[PeriodRow], today: date) -> Figures:
    still_open = [r for r in received if r.status != "closed"]
    return Figures(
        received=len(received), closed=len(closed), open=len(still_open),
        overdue=sum(1 for r in still_open if r.due_on < today),
        first_answer_hours=_median([(r.first_answer_at - r.received_at).total_seconds() / 3600
                                    for r in received if r.first_answer_at is not None]),
        closure_days=_median([(r.closed_at - r.received_at).total_seconds() / 86400
                              for r in closed if r.closed_at is not None]))


def summarise(rows: Sequence[PeriodRow], first: date, last: date, by: str, today: date, zone: ZoneInfo,
              categories: Mapping[str, tuple[str, str]]) -> Report:
    """The report of ``rows`` (the requests received or closed in the period, perhaps others: they are left out)
    grouped ``by`` (``GROUPINGS``); ``categories``: each category's (name, service name). Groups come with most
    received first; days run from ``first`` to ``last``, each one there."""
    def closed_on(row: PeriodRow) -> date | None:
        return row.closed_at.astimezone(zone).date() if row.status == "closed" and row.closed_at else None

    def key_of(row: PeriodRow) -> str:
        if by == "channel":
            return row.channel
        name, service = categories.get(row.category, (row.category, ""))
        return service or name if by == "service" else row.category

    received = [r for r in rows if first <= r.received_on <= last]
    closed = [r for r in rows if (day := closed_on(r)) is not None and first <= day <= last]
    keys = sorted({key_of(r) for r in (*received, *closed)})
    groups = [Group(key, categories.get(key, (key, ""))[0] if by == "category" else key,
                    _figures([r for r in received if key_of(r) == key], [r for r in closed if key_of(r) == key],
                             today)) for key in keys]
    groups.sort(key=lambda g: -g.figures.received)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return Report(first, last, by, groups, _figures(received, closed, today), [
        Day(day, sum(1 for r in received if r.received_on == day), sum(1 for r in closed if closed_on(r) == day))
        for day in days])


class RequestStats:
    """One per process, made in the lifespan, with the requests' clock (tests fix it)."""

    def __init__(self, db: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def report(self, tenant: str, first: date, last: date, by: str) -> Report:
        """The tenant's figures for the local days ``first``..``last`` (``ValueError`` past ``MAX_DAYS`` or when
        ``last`` comes before ``first``; the caller says which field is wrong)."""
        if last < first or (last - first).days >= MAX_DAYS:
            raise ValueError("period")
        async with self.db() as session:
            zone = await _zone(session, tenant)
            start = datetime.combine(first, time(), zone)
            end = datetime.combine(last + timedelta(days=1), time(), zone)
            answers = select(RequestMessage.request_id, func.min(RequestMessage.at).label("at")).where(
                col(RequestMessage.author) == "staff", col(RequestMessage.internal).is_(False)).group_by(
                col(RequestMessage.request_id)).subquery()
            found = (await session.execute(  # eight columns: more than sqlmodel's select types
                columns(col(RequestRow.category), col(RequestRow.channel), col(RequestRow.status),
                        col(RequestRow.received_at), col(RequestRow.received_on), col(RequestRow.due_on),
                        col(RequestRow.closed_at), answers.c.at)
                .outerjoin(answers, answers.c.request_id == col(RequestRow.id))
                .where(col(RequestRow.tenant_id) == tenant,
                       or_(and_(col(RequestRow.received_on) >= first, col(RequestRow.received_on) <= last),
                           and_(col(RequestRow.closed_at) >= start, col(RequestRow.closed_at) < end))))).all()
            categories = {c.category: (c.name, c.service_name) for c in (await session.exec(
                select(CategoryRow).where(col(CategoryRow.tenant_id) == tenant))).all()}
        today = self.clock().astimezone(zone).date()
        return summarise([PeriodRow(*row) for row in found], first, last, by, today, zone, categories)

    async def today(self, tenant: str) -> date:
        """Today on the tenant's clock (the periods' "this week", "this month")."""
        async with self.db() as session:
            zone = await _zone(session, tenant)
        return self.clock().astimezone(zone).date()


async def _zone(session: AsyncSession, tenant: str) -> ZoneInfo:
    """The tenant's first site's clock (what the requests' days are counted on), else Paris's."""
    found = (await session.exec(select(Site.timezone).where(col(Site.tenant_id) == tenant).order_by(
        col(Site.id)))).first()
    try:
        return ZoneInfo(found or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")

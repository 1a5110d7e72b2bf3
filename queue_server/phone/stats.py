"""The phone desk's figures for supervisors (``domain/stats.py`` says what each counts), over a period of local
days on the collectivity's clock: one query reads the period's calls with their callbacks; the counting is the
domain's, which reads no clock (``now`` is handed to it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select as columns
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.phone.domain.callbacks import Status
from queue_server.phone.domain.calls import OUTCOMES, Outcome
from queue_server.phone.domain.stats import CallbackFacts, CallFacts, Report, summarise
from queue_server.phone.service import Phone, zone_of
from queue_server.phone.tables import CallbackRow, CallRow

MAX_DAYS = 366  # a period of a year at most
Clock = Callable[[], datetime]


class PhoneStats:
    """One per process, made in the lifespan, with the desk's clock (tests fix it)."""

    def __init__(self, db: async_sessionmaker[AsyncSession], phone: Phone) -> None:
        self.db = db
        self.phone = phone

    async def report(self, tenant: str, first: date, last: date) -> Report:
        """The tenant's figures for the local days ``first``..``last`` (``ValueError`` past ``MAX_DAYS`` or when
        ``last`` comes before ``first``; the caller says which field is wrong)."""
        if last < first or (last - first).days >= MAX_DAYS:
            raise ValueError("period")
        names = {r.id: r.name for r in await self.phone.reasons(tenant)}
        async with self.db() as session:
            zone = await zone_of(session, tenant)
            start = datetime.combine(first, time(), zone)
            end = datetime.combine(last + timedelta(days=1), time(), zone)
            rows = (await session.execute(
                columns(col(CallRow.reason), col(CallRow.reason_name), col(CallRow.outcome), col(CallRow.started_at),
                        col(CallRow.duration_s), col(CallbackRow.status), col(CallbackRow.due_at))
                .outerjoin(CallbackRow, col(CallbackRow.call_id) == col(CallRow.id))
                .where(col(CallRow.tenant_id) == tenant, col(CallRow.started_at) >= start,
                       col(CallRow.started_at) < end))).all()
        calls = [CallFacts(reason, reason_name, _outcome(outcome), at, duration,
                           None if due is None else CallbackFacts(_status(status), due))
                 for reason, reason_name, outcome, at, duration, status, due in rows]
        return summarise(calls, first, last, zone, self.phone.clock(), names)


def _outcome(value: str) -> Outcome:
    return next((o for o in OUTCOMES if o == value), "answered")


def _status(value: str) -> Status:
    return "done" if value == "done" else "todo"

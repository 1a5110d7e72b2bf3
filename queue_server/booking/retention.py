"""Booking's retention: ``[booking] retention_days`` (730 by default) after its day, an appointment goes, with
the person's name and contact, the places it held and the waiting-list wishes that would move it; so do the
wishes for a day that old. One deletion report per tenant that had any (``booking_purges``: when, before which
day, how many appointments and wishes; never a name), readable by supervisors and administrators
(``GET /api/v1/tenants/{tenant}/booking/purges``).

The job runs every ``[booking] purge_every_s`` on one process at a time, whatever the number of processes: the
holder of a Redis key set for the period (a process that finds it held waits for the next round). Days are
the appointments' own (the site's clock), compared with the UTC day of the run: a day's difference at most,
on a span of years."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.booking.tables import Appointment, BookingPurge, Hold, WaitingEntry
from queue_server.platform.audit import note
from queue_server.platform.periodic import every_minute

log = logging.getLogger(__name__)

BATCH = 500  # appointments deleted per statement (SQLite's bound parameters, PostgreSQL's plan sizes)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class BookingRetention:
    def __init__(self, db: async_sessionmaker[AsyncSession], redis: Redis, prefix: str, retention_days: int,
                 every_s: int, *, clock: Clock = _now) -> None:
        self.db, self.redis, self.every_s = db, redis, every_s
        self.retention_days = retention_days
        self.clock = clock
        self.key = f"{prefix}booking:purge"

    async def run_once(self) -> list[dict[str, Any]] | None:
        """Purge now if no process did within the period; the reports, or ``None`` if another process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        reports = await self.purge(self.clock())
        for report in reports:
            log.info("booking retention: %s appointments and %s wishes of %s purged (before %s)",
                     report["appointments"], report["waiting"], report["tenant"], report["before"])
        return reports

    async def run(self) -> None:
        """``run_once`` at start and then every minute (a no-op until the period is over); never raises on a
        failure that may pass (Redis, SQL): it is logged and tried again at the next round."""
        await every_minute(self.run_once, "booking retention")

    async def purge(self, now: datetime) -> list[dict[str, Any]]:
        """Every appointment of every tenant whose day is more than ``retention_days`` before ``now``'s goes,
        with its holds and waiting-list wishes, in one transaction; one report per tenant that had any."""
        before = now.astimezone(UTC).date() - timedelta(days=self.retention_days)
        reports: list[dict[str, Any]] = []
        async with self.db() as session:
            due = (await session.execute(select(col(Appointment.tenant_id), col(Appointment.id)).where(
                col(Appointment.day) < before).order_by(col(Appointment.tenant_id)))).all()
            by_tenant: dict[str, list[str]] = {}
            for tenant, appointment in due:
                by_tenant.setdefault(tenant, []).append(appointment)
            stale = (await session.execute(select(col(WaitingEntry.tenant_id)).where(
                col(WaitingEntry.before) < before))).scalars().all()
            for tenant in sorted(set(by_tenant) | set(stale)):
                report = await self._purge_tenant(session, tenant, by_tenant.get(tenant, []), before, now)
                reports.append(report)
            await session.commit()
        return reports

    async def _purge_tenant(self, session: AsyncSession, tenant: str, ids: list[str], before: date,
                            now: datetime) -> dict[str, Any]:
        waiting = 0
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            await session.execute(delete(Hold).where(col(Hold.appointment_id).in_(batch)))
            gone = await session.execute(delete(WaitingEntry).where(col(WaitingEntry.appointment_id).in_(batch)))
            waiting += int(gone.rowcount or 0)  # type: ignore[attr-defined]
            await session.execute(delete(Appointment).where(col(Appointment.id).in_(batch)))
        old = await session.execute(delete(WaitingEntry).where(
            col(WaitingEntry.tenant_id) == tenant, col(WaitingEntry.before) < before))
        waiting += int(old.rowcount or 0)  # type: ignore[attr-defined]
        session.add(BookingPurge(tenant_id=tenant, at=now, before=before, appointments=len(ids), waiting=waiting))
        note(session, "booking.purged", "retention", tenant=tenant, target=f"{len(ids)} appointments",
             detail=f"dated before {before.isoformat()}; {waiting} waiting-list wishes")
        return {"tenant": tenant, "before": before.isoformat(), "appointments": len(ids), "waiting": waiting}

    async def reports(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's deletion reports, newest first."""
        async with self.db() as session:
            rows = (await session.execute(select(BookingPurge).where(col(BookingPurge.tenant_id) == tenant)
                                          .order_by(col(BookingPurge.at).desc(), col(BookingPurge.id).desc())
                                          )).scalars().all()
        return [{"id": r.id, "at": r.at.isoformat(), "before": r.before.isoformat(), "appointments": r.appointments,
                 "waiting": r.waiting} for r in rows]

"""The calls' retention: ``[phone] retention_days`` (730 by default) after it ended, a call goes with its callback
(the caller's name, the note, the number called back). One deletion report per tenant that had any
(``phone_purges``: when, ended before when, how many calls and callbacks; never a name), readable by
administrators (``GET /api/v1/tenants/{tenant}/phone/purges``). A callback still to do goes with its call: two
years on, nobody waits for it.

The job runs every ``[phone] purge_every_s`` on one process at a time, whatever the number of processes: the
holder of a Redis key set for the period (a process that finds it held waits for the next round). One
transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.phone.tables import CallbackRow, CallRow, PhonePurge
from queue_server.platform.audit import note
from queue_server.platform.periodic import every_minute

log = logging.getLogger(__name__)

BATCH = 500  # calls deleted per statement (SQLite's bound parameters, PostgreSQL's plan sizes)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class PhoneRetention:
    def __init__(self, db: async_sessionmaker[AsyncSession], redis: Redis, prefix: str, retention_days: int,
                 every_s: int, *, clock: Clock = _now) -> None:
        self.db, self.redis, self.every_s = db, redis, every_s
        self.retention_days = retention_days
        self.clock = clock
        self.key = f"{prefix}phone:purge"

    async def run_once(self) -> list[dict[str, Any]] | None:
        """Purge now if no process did within the period; the reports, or ``None`` if another process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        reports = await self.purge(self.clock())
        for report in reports:
            log.info("phone retention: %s calls of %s purged (ended before %s)", report["calls"], report["tenant"],
                     report["before"])
        return reports

    async def run(self) -> None:
        """``run_once`` at start and then every minute (a no-op until the period is over); never raises on a
        failure that may pass (Redis, SQL): it is logged and tried again at the next round."""
        await every_minute(self.run_once, "phone retention")

    async def purge(self, now: datetime) -> list[dict[str, Any]]:
        """Every call of every tenant that ended more than ``retention_days`` before ``now`` goes with its
        callback, in one transaction; one report per tenant that had any."""
        before = now - timedelta(days=self.retention_days)
        reports: list[dict[str, Any]] = []
        async with self.db() as session:
            due = (await session.exec(select(CallRow.tenant_id, CallRow.id).where(
                col(CallRow.ended_at) < before).order_by(col(CallRow.tenant_id), col(CallRow.id)))).all()
            by_tenant: dict[str, list[str]] = {}
            for tenant, call_id in due:
                by_tenant.setdefault(tenant, []).append(call_id)
            for tenant, ids in by_tenant.items():
                callbacks = 0
                for start in range(0, len(ids), BATCH):
                    batch = ids[start:start + BATCH]
                    callbacks += int((await session.exec(select(func.count()).select_from(CallbackRow).where(
                        col(CallbackRow.call_id).in_(batch)))).one())
                    await session.execute(delete(CallbackRow).where(col(CallbackRow.call_id).in_(batch)))
                    await session.execute(delete(CallRow).where(col(CallRow.id).in_(batch)))
                session.add(PhonePurge(tenant_id=tenant, at=now, before=before, calls=len(ids), callbacks=callbacks))
                note(session, "phone.purged", "retention", tenant=tenant, target=f"{len(ids)} calls",
                     detail=f"ended before {before.date().isoformat()}: {len(ids)} calls, {callbacks} callbacks")
                reports.append({"tenant": tenant, "before": before.isoformat(), "calls": len(ids),
                                "callbacks": callbacks})
            await session.commit()
        return reports

    async def reports(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's deletion reports, newest first."""
        async with self.db() as session:
            rows = (await session.exec(select(PhonePurge).where(col(PhonePurge.tenant_id) == tenant).order_by(
                col(PhonePurge.at).desc(), col(PhonePurge.id).desc()))).all()
        return [{"id": r.id, "at": r.at.isoformat(), "before": r.before.isoformat(), "calls": r.calls,
                 "callbacks": r.callbacks} for r in rows]

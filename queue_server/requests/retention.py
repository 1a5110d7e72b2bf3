"""The requests' retention: ``[requests] retention_days`` (730 by default) after its closure, a request goes with
the sender's name and contact, its messages, its attachments (their files under the data directory too), the
Message-IDs of its e-mails and the outbox's copies of the e-mails sent about it. One deletion report per tenant
that had any (``requests_purges``: when, closed before when, how many and their references; never a name),
readable by administrators (``GET /api/v1/tenants/{tenant}/requests/purges``). A request reopened is not closed:
it stays until it is closed again and that closure is old enough.

The job runs every ``[requests] purge_every_s`` on one process at a time, whatever the number of processes: the
holder of a Redis key set for the period (a process that finds it held waits for the next round). The rows go in
one transaction; the files after it commits (a process killed between the two leaves files no row names, never a
row naming no file). Outbox rows still to send (pending) stay: the outbox sends them and purges them itself."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import OutboxMessage
from queue_server.platform.audit import note
from queue_server.platform.periodic import every_minute
from queue_server.requests.notices import key_prefix
from queue_server.requests.tables import RequestAttachment, RequestMail, RequestMessage, RequestPurge, RequestRow

log = logging.getLogger(__name__)

BATCH = 500  # requests deleted per statement (SQLite's bound parameters, PostgreSQL's plan sizes)
OUTBOX_BATCH = 50  # prefixes OR-ed in one statement (SQLite's expression depth)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


async def delete_rows(session: AsyncSession, ids: Sequence[str]) -> None:
    """Every row of these requests (messages, attachments, e-mails read, outbox rows sent or given up), then the
    requests, in the caller's transaction."""
    for start in range(0, len(ids), BATCH):
        batch = list(ids[start:start + BATCH])
        await session.execute(delete(RequestAttachment).where(col(RequestAttachment.request_id).in_(batch)))
        await session.execute(delete(RequestMessage).where(col(RequestMessage.request_id).in_(batch)))
        await session.execute(delete(RequestMail).where(col(RequestMail.request_id).in_(batch)))
        for first in range(0, len(batch), OUTBOX_BATCH):  # the outbox's keys name their request (notices.py)
            await session.execute(delete(OutboxMessage).where(
                col(OutboxMessage.status).in_(("sent", "failed")),
                or_(*(col(OutboxMessage.key).startswith(key_prefix(request_id), autoescape=True)
                      for request_id in batch[first:first + OUTBOX_BATCH]))))
        await session.execute(delete(RequestRow).where(col(RequestRow.id).in_(batch)))


def remove_files(files_dir: Path, tenant: str, ids: Sequence[str]) -> None:
    """The directories of these requests' attachments (``{tenant}/{request}``), once their rows are gone."""
    for request_id in ids:
        shutil.rmtree(files_dir / tenant / request_id, ignore_errors=True)


class RequestsRetention:
    def __init__(self, db: async_sessionmaker[AsyncSession], redis: Redis, prefix: str, files_dir: Path,
                 retention_days: int, every_s: int, *, clock: Clock = _now) -> None:
        self.db, self.redis, self.files_dir, self.every_s = db, redis, files_dir, every_s
        self.retention_days = retention_days
        self.clock = clock
        self.key = f"{prefix}requests:purge"

    async def run_once(self) -> list[dict[str, Any]] | None:
        """Purge now if no process did within the period; the reports, or ``None`` if another process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        reports = await self.purge(self.clock())
        for report in reports:
            log.info("requests retention: %s requests of %s purged (closed before %s)", report["requests"],
                     report["tenant"], report["before"])
        return reports

    async def run(self) -> None:
        """``run_once`` at start and then every minute (a no-op until the period is over); never raises on a
        failure that may pass (Redis, SQL, files): it is logged and tried again at the next round."""
        await every_minute(self.run_once, "requests retention")

    async def purge(self, now: datetime) -> list[dict[str, Any]]:
        """Every closed request of every tenant whose closure is more than ``retention_days`` before ``now`` goes,
        in one transaction; one report per tenant that had any."""
        before = now - timedelta(days=self.retention_days)
        reports: list[dict[str, Any]] = []
        by_tenant: dict[str, list[tuple[str, str]]] = {}
        async with self.db() as session:
            due = (await session.exec(select(RequestRow.tenant_id, RequestRow.id, RequestRow.reference).where(
                col(RequestRow.status) == "closed", col(RequestRow.closed_at) < before).order_by(
                col(RequestRow.tenant_id), col(RequestRow.reference)))).all()
            for tenant, request_id, reference in due:
                by_tenant.setdefault(tenant, []).append((request_id, reference))
            for tenant, gone in by_tenant.items():
                references = [reference for _id, reference in gone]
                await delete_rows(session, [request_id for request_id, _ref in gone])
                session.add(RequestPurge(tenant_id=tenant, at=now, before=before, requests=len(gone),
                                         references=references))
                note(session, "requests.purged", "retention", tenant=tenant, target=f"{len(gone)} requests",
                     detail=f"closed before {before.date().isoformat()}: {' '.join(references)}")
                reports.append({"tenant": tenant, "before": before.isoformat(), "requests": len(gone),
                                "references": references})
            await session.commit()
        for tenant, gone in by_tenant.items():
            remove_files(self.files_dir, tenant, [request_id for request_id, _ref in gone])
        return reports

    async def reports(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's deletion reports, newest first."""
        async with self.db() as session:
            rows = (await session.exec(select(RequestPurge).where(col(RequestPurge.tenant_id) == tenant).order_by(
                col(RequestPurge.at).desc(), col(RequestPurge.id).desc()))).all()
        return [{"id": r.id, "at": r.at.isoformat(), "before": r.before.isoformat(), "requests": r.requests,
                 "references": list(r.references)} for r in rows]

"""The surveys' retention: ``[surveys] retention_days`` (730 by default) after its day, an answer goes, and an
invitation after its due time; one deletion report per tenant that had any (``survey_purges``: when, before when, how
many answers and invitations), readable by administrators (``GET /api/v1/tenants/{tenant}/surveys/purges``).
Meanwhile, an invitation's contact hash is blanked once the 30-day rule no longer needs it (``min_days_between``
after it was due, and its link expired): from then on nothing ties it to a contact at all. Nothing of it is personal
data (the answers name nobody); the purge keeps the figures from growing forever.

The job runs every ``[surveys] purge_every_s`` on one process at a time (a Redis key set for the period), in one
transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.audit import note
from queue_server.platform.periodic import every_minute
from queue_server.surveys.domain.invitations import VALID_DAYS
from queue_server.surveys.tables import SurveyAnswer, SurveyInvitation, SurveyPurge

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class SurveysRetention:
    def __init__(self, db: async_sessionmaker[AsyncSession], redis: Redis, prefix: str, retention_days: int,
                 min_days_between: int, every_s: int, *, clock: Clock = _now) -> None:
        self.db, self.redis, self.every_s = db, redis, every_s
        self.retention_days = retention_days
        self.min_days_between = min_days_between
        self.clock = clock
        self.key = f"{prefix}surveys:purge"

    async def run_once(self) -> list[dict[str, Any]] | None:
        """Purge now if no process did within the period; the reports, or ``None`` if another process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        reports = await self.purge(self.clock())
        for report in reports:
            log.info("surveys retention: %s answers and %s invitations of %s purged", report["answers"],
                     report["invitations"], report["tenant"])
        return reports

    async def run(self) -> None:
        """``run_once`` at start and then every minute; a failure that may pass is logged and tried again."""
        await every_minute(self.run_once, "surveys retention")

    async def purge(self, now: datetime) -> list[dict[str, Any]]:
        """Blank the hashes no rule needs any more, delete what is older than ``retention_days``; one report per
        tenant that lost any answer or invitation."""
        before = now - timedelta(days=self.retention_days)
        forget = now - timedelta(days=max(self.min_days_between, VALID_DAYS))
        reports: list[dict[str, Any]] = []
        async with self.db() as session:
            await session.execute(update(SurveyInvitation).where(
                col(SurveyInvitation.due_at) < forget, col(SurveyInvitation.contact_hash) != "",
            ).values(contact_hash=""))
            answers = dict((await session.exec(select(SurveyAnswer.tenant_id, func.count()).where(
                col(SurveyAnswer.day) < before.date()).group_by(col(SurveyAnswer.tenant_id)))).all())
            invitations = dict((await session.exec(select(SurveyInvitation.tenant_id, func.count()).where(
                col(SurveyInvitation.due_at) < before).group_by(col(SurveyInvitation.tenant_id)))).all())
            await session.execute(delete(SurveyAnswer).where(col(SurveyAnswer.day) < before.date()))
            await session.execute(delete(SurveyInvitation).where(col(SurveyInvitation.due_at) < before))
            for tenant in sorted(set(answers) | set(invitations)):
                counts = int(answers.get(tenant, 0)), int(invitations.get(tenant, 0))
                session.add(SurveyPurge(tenant_id=tenant, at=now, before=before, answers=counts[0],
                                        invitations=counts[1]))
                note(session, "surveys.purged", "retention", tenant=tenant, target=f"{counts[0]} answers",
                     detail=f"before {before.date().isoformat()}: {counts[0]} answers, {counts[1]} invitations")
                reports.append({"tenant": tenant, "before": before.isoformat(), "answers": counts[0],
                                "invitations": counts[1]})
            await session.commit()
        return reports

    async def reports(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's deletion reports, newest first."""
        async with self.db() as session:
            rows = (await session.exec(select(SurveyPurge).where(col(SurveyPurge.tenant_id) == tenant).order_by(
                col(SurveyPurge.at).desc(), col(SurveyPurge.id).desc()))).all()
        return [{"id": r.id, "at": r.at.isoformat(), "before": r.before.isoformat(), "answers": r.answers,
                 "invitations": r.invitations} for r in rows]

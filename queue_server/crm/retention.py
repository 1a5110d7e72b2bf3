"""The retention job: every ``purge_every_s``, the parties with no interaction for ``retention_days`` are
purged (``Record.purge``) and a deletion report is written. One process runs it at a time, whatever the
number of processes: the holder of a Redis key set for the period (a process that finds it held waits)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis.asyncio import Redis

from queue_server.crm.service import Record
from queue_server.platform.periodic import every_minute

log = logging.getLogger(__name__)


class Retention:
    def __init__(self, record: Record, redis: Redis, prefix: str, every_s: int) -> None:
        self.record, self.redis, self.every_s = record, redis, every_s
        self.key = f"{prefix}crm:purge"

    async def run_once(self) -> list[dict[str, object]] | None:
        """Purge now if no process did within the period; the reports, or ``None`` if another process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        reports = await self.record.purge(datetime.now(UTC))
        for report in reports:
            log.info("crm retention: %s parties of %s purged (no interaction since %s)", report["purged"],
                     report["tenant"], report["until"])
        return reports

    async def run(self) -> None:
        """``run_once`` at start and then every minute (a no-op until the period is over); never raises on a
        failure that may pass (Redis, SQL): it is logged and tried again at the next round."""
        await every_minute(self.run_once, "crm retention")

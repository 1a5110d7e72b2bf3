"""The modules' periodic jobs (retention purges, the knowledge base's reminders): each round at the process's start
and then every minute, the job itself deciding whether its period is over (a Redis key held for the period: one
process at a time works, whatever their number). A failure that may pass (Redis, SQL, files) is logged and tried
again at the next round; the loop never ends by itself."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

ROUND_S = 60


async def every_minute(run_once: Callable[[], Awaitable[object]], name: str) -> None:
    """``run_once`` now and then every ``ROUND_S`` seconds, for ever; ``name`` says whose in the log."""
    while True:
        try:
            await run_once()
        except (RedisError, SQLAlchemyError, OSError) as exc:
            log.warning("%s: %s: %s; trying again in a minute", name, type(exc).__name__, exc)
        await anyio.sleep(ROUND_S)

"""What the archiver and the notifier share: reading every site's stream through a consumer group.

A ``StreamWorker`` runs ``tick`` again and again until ``stop``: a failure that may pass (Redis, SQL,
the network) is logged and retried after a growing pause (0.2 s doubling up to ``max_backoff_s``), and
so is any other error (logged with its traceback): a bug in a background worker must not take the
server down with it. Its helpers:

- ``refresh_sites`` lists the sites (at most every ``SITES_EVERY_S``) and creates the consumer group
  ``group`` on each site's stream (from its start: nothing written before the worker first ran is missed);
- ``read`` waits up to ``block_ms`` for entries no consumer of the group has read yet;
- ``claim`` takes over the entries another consumer read and left unacknowledged for ``idle_ms``;
- ``hold_lease`` takes or keeps a short Redis lease, for a worker of which one process at a time works
  (the archiver, the CRM's timeline), so that it handles each stream's entries in log order.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, ClassVar, Literal

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy.exc import SQLAlchemyError

from queue_server.store.keys import SiteKeys, stream_id

log = logging.getLogger(__name__)

BATCH = 500
SITES_EVERY_S = 10.0
SiteLister = Callable[[], Awaitable[Iterable[str]]]
Entries = list[tuple[Any, Any]]  # a stream's entries as redis-py gives them: (id, fields)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class StreamWorker:
    group: ClassVar[str] = ""
    retryable: ClassVar[tuple[type[BaseException], ...]] = (RedisError, SQLAlchemyError, OSError, TimeoutError)
    max_backoff_s: ClassVar[float] = 5.0

    def __init__(self, redis: Redis, prefix: str, list_sites: SiteLister, *, block_ms: int = 1000) -> None:
        self.redis = redis
        self.prefix = prefix
        self.list_sites = list_sites
        self.block_ms = block_ms
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.streams: dict[str, str] = {}  # stream key -> site
        self._sites_at = float("-inf")
        self._stopping = anyio.Event()
        self._stopped = anyio.Event()

    async def tick(self) -> None:
        """One round of the worker's job (``run`` repeats it)."""
        raise NotImplementedError

    async def stop(self, timeout_s: float) -> None:
        """Ask ``run`` to return after its current round; wait for it at most ``timeout_s``."""
        self._stopping.set()
        with anyio.move_on_after(timeout_s):
            await self._stopped.wait()

    async def run(self) -> None:
        """``tick`` until ``stop`` or cancellation; never raises otherwise."""
        try:
            backoff = 0.2
            while not self._stopping.is_set():
                try:
                    await self.tick()
                    backoff = 0.2
                except self.retryable as exc:
                    log.warning("%s: %s: %s; retrying in %.1fs", self.group, type(exc).__name__, exc, backoff)
                    backoff = await self._pause(backoff)
                except Exception:
                    log.exception("%s: unexpected error; retrying in %.1fs", self.group, backoff)
                    backoff = await self._pause(backoff)
        finally:
            self._stopped.set()

    async def _pause(self, backoff: float) -> float:
        await self.sleep(backoff)
        return min(backoff * 2, self.max_backoff_s)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the worker is asked to stop."""
        with anyio.move_on_after(seconds):
            await self._stopping.wait()

    async def refresh_sites(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._sites_at < SITES_EVERY_S:
            return
        for site in await self.list_sites():
            stream = SiteKeys.of(self.prefix, site).stream
            if stream in self.streams:
                continue
            try:
                await self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self.streams[stream] = site
        self._sites_at = time.monotonic()

    async def read(self) -> list[tuple[str, Entries]]:
        """New entries of every site's stream (a batch each), waiting up to ``block_ms`` for some."""
        if not self.streams:
            await self.sleep(self.block_ms / 1000)
            return []
        reply: Any = None
        # A stop does not wait out the blocking read: it cancels it (redis-py drops that connection). Entries the
        # server handed over meanwhile stay pending in the group, and are claimed by the next reader.
        async with anyio.create_task_group() as reading:
            async def stop_reading() -> None:
                await self._stopping.wait()
                reading.cancel_scope.cancel()

            reading.start_soon(stop_reading)
            reply = await self.redis.xreadgroup(self.group, self.consumer, {s: ">" for s in self.streams},
                                                count=BATCH, block=self.block_ms)
            reading.cancel_scope.cancel()
        return [(text(stream), entries) for stream, entries in reply or ()]  # RESP2: [[stream, entries], ...]

    async def hold_lease(self, key: str, ttl_ms: int) -> Literal["taken", "held"] | None:
        """Take or keep the lease ``key`` (a Redis key naming its holder, for ``ttl_ms``): ``"taken"`` when this
        consumer has just taken it (what earlier holders read and left unacknowledged is now its to finish),
        ``"held"`` when it held it already (renewed), ``None`` while another consumer holds it."""
        if await self.redis.set(key, self.consumer, nx=True, px=ttl_ms):
            return "taken"
        holder = await self.redis.get(key)
        if holder is not None and text(holder) == self.consumer:
            await self.redis.pexpire(key, ttl_ms)
            return "held"
        return None

    async def claim(self, idle_ms: int) -> AsyncIterator[tuple[str, Entries]]:
        """Batches of entries other consumers of the group read and left unacknowledged for ``idle_ms``
        or more, now this consumer's."""
        for stream in list(self.streams):
            start = "0-0"
            while True:
                reply = await self.redis.xautoclaim(stream, self.group, self.consumer, idle_ms, start, count=BATCH)
                start, entries = text(reply[0]), reply[1]
                if entries:
                    yield stream, entries
                if stream_id(start) == (0, 0):
                    break


class LeasedWorker(StreamWorker):
    """A stream worker of which one process at a time works, holding a short Redis lease (``lease_key``, renewed each
    round), so that it handles each stream's entries in log order: the citizen record's timelines. A new holder, or
    a holder whose last batch failed, first finishes what was read and left unacknowledged (any consumer's). A
    subclass sets ``lease_key`` and writes a batch in ``record``."""

    lease_ms: ClassVar[int] = 15_000

    def __init__(self, redis: Redis, prefix: str, list_sites: SiteLister, lease_key: str, *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, list_sites, block_ms=block_ms)
        self.lease_key = lease_key
        self._unfinished = True  # read and not acknowledged (a predecessor's, or a batch that failed): finish first

    async def record(self, stream: str, entries: Entries) -> int:
        """Write ``entries`` (one stream's, in log order), then acknowledge them; returns how many entries."""
        raise NotImplementedError

    async def tick(self) -> None:
        """Hold the lease and write what the streams bring; without the lease, wait a third of its life."""
        held = await self.hold_lease(self.lease_key, self.lease_ms)
        if held is None:
            await self.sleep(self.lease_ms / 3000)
            return
        await self.refresh_sites(force=held == "taken")
        if held == "taken" or self._unfinished:
            await self.finish_pending()
        await self.step()

    async def finish_pending(self) -> int:
        """Take over what this group read and left unacknowledged (any consumer's: this one holds the lease) and
        write it; returns how many entries."""
        self._unfinished = True
        total = 0
        async for stream, entries in self.claim(0):
            total += await self.record(stream, entries)
        self._unfinished = False
        return total

    async def step(self) -> int:
        """Write one batch of new entries of every stream (waiting up to ``block_ms`` for them); returns how many."""
        total = 0
        for stream, entries in await self.read():
            self._unfinished = True
            total += await self.record(stream, entries)
        self._unfinished = False
        return total

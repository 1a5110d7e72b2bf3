"""The stream worker the archiver and the notifier share: it reads every site's stream through its
group, takes over what a dead consumer left, and keeps running through failures until stopped."""

from __future__ import annotations

import logging

import anyio
import pytest
from redis.asyncio import Redis

from queue_server.store.keys import SiteKeys
from queue_server.store.worker import StreamWorker, text

pytestmark = pytest.mark.anyio


class Recorder(StreamWorker):
    """Reads new entries and remembers their ids; fails on its first ``failures`` rounds."""

    group = "test-worker"

    def __init__(self, redis: Redis, prefix: str, sites: list[str], failures: list[BaseException]) -> None:
        async def list_sites() -> list[str]:
            return sites

        super().__init__(redis, prefix, list_sites, block_ms=50)
        self.failures = failures
        self.seen: list[tuple[str, str]] = []
        self.rounds = 0

    async def tick(self) -> None:
        self.rounds += 1
        if self.failures:
            raise self.failures.pop(0)
        await self.refresh_sites()
        for stream, entries in await self.read():
            self.seen += [(self.streams[stream], text(entry_id)) for entry_id, _fields in entries]
            await self.redis.xack(stream, self.group, *[entry_id for entry_id, _fields in entries])


async def add(redis: Redis, prefix: str, site: str) -> str:
    return text(await redis.xadd(SiteKeys.of(prefix, site).stream, {"t": "x", "d": "{}"}))


async def test_it_reads_every_sites_stream_and_keeps_going_through_failures(
        redis: Redis, key_prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    """Entries written before it ran (its group starts at the beginning) and after; a Redis failure and
    a bug are logged and retried, never the end of it; stop() ends it promptly."""
    early = await add(redis, key_prefix, "a")
    worker = Recorder(redis, key_prefix, ["a", "b"], [ConnectionError("down"), KeyError("bug")])
    caplog.set_level(logging.WARNING, logger="queue_server.store.worker")
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run)
        later = await add(redis, key_prefix, "b")
        with anyio.fail_after(10):
            while len(worker.seen) < 2:
                await anyio.sleep(0.02)
        with anyio.fail_after(2):
            await worker.stop(2)
    assert sorted(worker.seen) == [("a", early), ("b", later)]
    messages = [r.getMessage() for r in caplog.records]
    assert any("ConnectionError: down; retrying in 0.2s" in m for m in messages), messages
    assert any("unexpected error; retrying in 0.4s" in m for m in messages), messages


async def test_entries_a_dead_consumer_left_are_taken_over(redis: Redis, key_prefix: str) -> None:
    """What another consumer read and never acknowledged is claimed, once idle long enough."""
    dead = Recorder(redis, key_prefix, ["a"], [])
    await dead.refresh_sites()
    entry = await add(redis, key_prefix, "a")
    assert [text(i) for _s, entries in await dead.read() for i, _f in entries] == [entry]  # read, never acked
    heir = Recorder(redis, key_prefix, ["a"], [])
    await heir.refresh_sites()
    claimed = [(stream, [text(i) for i, _f in entries]) async for stream, entries in heir.claim(0)]
    assert claimed == [(SiteKeys.of(key_prefix, "a").stream, [entry])]
    pending = await redis.xpending_range(SiteKeys.of(key_prefix, "a").stream, "test-worker", "-", "+", 10)
    assert [(text(p["message_id"]), text(p["consumer"])) for p in pending] == [(entry, heir.consumer)]

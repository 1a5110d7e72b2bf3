"""Device presence across server processes: a device is online while any process holds its feed."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from queue_server.platform.presence import FORGET_S, STALE_S, Presence

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


async def test_a_device_that_moved_to_another_process_stays_online(redis: Redis, key_prefix: str) -> None:
    """The display reconnected to process B before process A noticed its old connection died: when A
    writes its departure, the display is still online (B's entry), last seen at B's time."""
    a, b = Presence(redis, key_prefix), Presence(redis, key_prefix)
    await a.seen({"demo": [7]}, now=NOW)
    await b.seen({"demo": [7]}, now=NOW + 1)
    await a.left("demo", 7, now=NOW + 2)
    assert await a.status("demo", now=NOW + 3) == {7: (True, NOW + 2)}
    await b.left("demo", 7, now=NOW + 4)
    assert await a.status("demo", now=NOW + 5) == {7: (False, NOW + 4)}


async def test_a_device_whose_process_died_goes_offline_after_stale_s(redis: Redis, key_prefix: str) -> None:
    presence = Presence(redis, key_prefix)
    await presence.seen({"demo": [7, 8], "annexe": [9]}, now=NOW)
    assert await presence.status("demo", now=NOW + STALE_S - 1) == {7: (True, NOW), 8: (True, NOW)}
    assert await presence.status("demo", now=NOW + STALE_S + 1) == {7: (False, NOW), 8: (False, NOW)}
    assert await presence.status("annexe", now=NOW) == {9: (True, NOW)}


async def test_entries_of_processes_long_gone_are_forgotten(redis: Redis, key_prefix: str) -> None:
    """A field untouched for FORGET_S is dropped when the hash is read (restarts leave no litter)."""
    old, new = Presence(redis, key_prefix), Presence(redis, key_prefix)
    await old.seen({"demo": [7]}, now=NOW)
    await new.seen({"demo": [7]}, now=NOW + FORGET_S + 10)
    assert await new.status("demo", now=NOW + FORGET_S + 11) == {7: (True, NOW + FORGET_S + 10)}
    assert len(await redis.hgetall(f"{key_prefix}site:{{demo}}:presence")) == 1

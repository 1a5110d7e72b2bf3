"""The event store: append with an expected last id, read, tail, snapshots. Redis streams only.

Limits: one append carries the events of one batch of commands (a few hundred at most); a caller
that is behind receives at most ``CATCH_UP`` missing entries per attempt and simply tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis

from queue_server.queue.codec import decode_event, encode_event
from queue_server.queue.domain.events import Event
from queue_server.store.keys import SiteKeys, stream_id

CATCH_UP = 1000

Recorded = tuple[str, Event]  # (stream id, event)


@dataclass(frozen=True, slots=True)
class Appended:
    ids: list[str]


@dataclass(frozen=True, slots=True)
class Behind:
    """The stream moved on since the caller's expected id: here is what it missed (maybe part)."""

    head: str
    missing: list[Recorded]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode_entries(entries: Sequence[Any], known: tuple[int, int] = (0, 0)) -> list[Recorded]:
    """Decode stream entries, skipping those at or before ``known`` (decoding is the costly part)."""
    out: list[Recorded] = []
    for entry_id, fields in entries:
        if known != (0, 0) and stream_id(_text(entry_id)) <= known:
            continue
        if isinstance(fields, list):  # raw script reply: flat [k, v, k, v]
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        t = fields.get("t", fields.get(b"t"))
        d = fields.get("d", fields.get(b"d"))
        out.append((_text(entry_id), decode_event(_text(t), d)))
    return out


class EventStore:
    """A site's stream in Redis (or Valkey), under ``prefix``."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._append = redis.register_script(files("queue_server.store").joinpath("append.lua").read_text())
        self._snapshot = redis.register_script(files("queue_server.store").joinpath("snapshot.lua").read_text())

    def keys(self, site: str) -> SiteKeys:
        return SiteKeys.of(self.prefix, site)

    async def append(self, site: str, expected: str, events: Sequence[Event]) -> Appended | Behind:
        """Append ``events`` atomically if the stream's last id is ``expected``."""
        keys = self.keys(site)
        args: list[Any] = [expected, CATCH_UP]
        for event in events:
            args.extend(encode_event(event))
        reply = await self._append(keys=[keys.stream, keys.head], args=args)
        if int(reply[0]) == 1:
            return Appended([_text(i) for i in reply[1]])
        return Behind(_text(reply[1]), decode_entries(reply[2]))

    async def read(self, site: str, after: str = "0-0", count: int | None = None) -> list[Recorded]:
        """Events strictly after ``after``, oldest first."""
        entries: Any = await self.redis.xrange(self.keys(site).stream, f"({after}", "+", count=count)
        return decode_entries(entries)

    async def read_all(self, site: str, after: str = "0-0") -> list[Recorded]:
        out: list[Recorded] = []
        while True:
            batch = await self.read(site, after, CATCH_UP)
            out.extend(batch)
            if len(batch) < CATCH_UP:
                return out
            after = batch[-1][0]

    async def tail(self, site: str, after: str, block_ms: int, count: int = 500,
                   known: Callable[[], tuple[int, int]] | None = None) -> list[Recorded]:
        """Events after ``after``, waiting up to ``block_ms`` for the first one. Entries at or before
        ``known()`` when the reply arrives (the caller learnt them meanwhile) are left undecoded."""
        reply: Any = await self.redis.xread({self.keys(site).stream: after}, count=count, block=block_ms)
        if not reply:
            return []
        return decode_entries(reply[0][1], known() if known else (0, 0))  # RESP2: [[stream, [(id, fields)]]]

    async def head(self, site: str) -> str:
        value = await self.redis.get(self.keys(site).head)
        return _text(value) if value is not None else "0-0"

    async def save_snapshot(self, site: str, event_id: str, data: bytes) -> bool:
        """Store a snapshot unless a newer one is already there."""
        return bool(await self._snapshot(keys=[self.keys(site).snapshot], args=[event_id, data]))

    async def load_snapshot(self, site: str) -> tuple[str, bytes] | None:
        raw = await self.redis.hmget(self.keys(site).snapshot, ["id", "state"])
        if raw[0] is None or raw[1] is None:
            return None
        data = raw[1] if isinstance(raw[1], bytes) else raw[1].encode()
        return _text(raw[0]), data

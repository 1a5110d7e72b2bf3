"""Credentials taken back, told to every server process at once.

A revoked token, a person whose password changed or whose account was disabled or whose roles
changed, a session signed out: the process that made the change appends a line to one Redis stream
(``{prefix}revocations``), and every process follows that stream with a blocking read. Each then drops
what it cached of that credential and closes the live feeds it opened: within milliseconds, not at
the next poll. The stream keeps its last ``MAXLEN`` lines; a process that lost Redis for a while
reads on from where it stopped. The periodic check of open feeds (web/ws.py) stays as the backstop
for changes made without Redis at hand (the CLI on a stopped server, say).

A line names a credential, never holds one: a person by id, a token by id, a session by the SHA-256
of its id (what Redis holds of it anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import anyio
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Kind = Literal["person", "token", "session"]
KINDS: frozenset[str] = frozenset({"person", "token", "session"})
MAXLEN = 10_000
BLOCK_MS = 10_000
RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class Revocation:
    kind: Kind
    ref: str  # a person's or a token's id, or a session id's SHA-256 (store/sessions.py ``digest``)


def stream_key(prefix: str) -> str:
    return f"{prefix}revocations"


def announce_sync(client: SyncRedis, prefix: str, kind: Kind, ref: str | int) -> None:
    """``Revocations.announce`` for programs without an event loop (the CLI)."""
    client.xadd(stream_key(prefix), {"kind": kind, "ref": str(ref)}, maxlen=MAXLEN, approximate=True)


class Revocations:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = stream_key(prefix)

    async def announce(self, kind: Kind, ref: str | int) -> None:
        """Tell every process (this one included) that ``kind`` ``ref`` was taken back."""
        await self.redis.xadd(self.key, {"kind": kind, "ref": str(ref)}, maxlen=MAXLEN, approximate=True)

    async def tell(self, kind: Kind, ref: str | int) -> None:
        """``announce``, for a change already made: if Redis cannot be reached it is logged, not raised
        (the change holds, and the periodic check of open feeds closes them within seconds)."""
        try:
            await self.announce(kind, ref)
        except RedisError:
            log.warning("could not announce a revoked %s: open live feeds close at the next check", kind)

    async def follow(self, handle: Callable[[Revocation], Awaitable[object]]) -> None:
        """Hand every revocation announced from now on to ``handle``, for the server's life. Errors of
        Redis are retried every ``RETRY_S`` (logged once per outage); errors of ``handle`` are logged."""
        last: str | None = None
        failing = False
        while True:
            try:
                if last is None:  # where "from now on" starts: a fixed id, so that nothing is missed later
                    newest: Any = await self.redis.xrevrange(self.key, count=1)
                    last = _text(newest[0][0]) if newest else "0-0"
                batches: Any = await self.redis.xread({self.key: last}, block=BLOCK_MS, count=100)
            except RedisError:
                if not failing:
                    log.warning("cannot follow revocations in Redis; retrying", exc_info=True)
                failing = True
                await anyio.sleep(RETRY_S)
                continue
            failing = False
            for _stream, entries in batches or ():
                for entry_id, fields in entries:
                    last = _text(entry_id)
                    found = {_text(k): _text(v) for k, v in fields.items()}
                    if found.get("kind") not in KINDS:
                        continue
                    try:
                        await handle(Revocation(cast(Kind, found["kind"]), found.get("ref", "")))
                    except Exception:  # one bad line must not stop the others
                        log.exception("could not apply a revocation")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

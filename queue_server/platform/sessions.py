"""People's browser sessions, and the counters behind rate limits and login lockouts: all in Redis,
so that every server process sees the same ones.

A session id is 256 random bits given to the browser in an HttpOnly cookie; Redis holds only its
SHA-256, so a copy of Redis opens no session. A session ends at logout, after ``IDLE_S`` without
use, ``MAX_S`` after login whatever happens, or as soon as the user's password changes or the
account is disabled (the session carries the account's ``session_epoch``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

IDLE_S = 8 * 3600
MAX_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    epoch: int
    csrf: str
    created: float


def digest(sid: str) -> str:
    """What Redis holds of a session id (and what a revocation names): its SHA-256, in hex."""
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, sid: str) -> str:
        return f"{self.prefix}session:{digest(sid)}"

    async def create(self, user_id: int, epoch: int) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(user_id, epoch, secrets.token_urlsafe(32), time.time())
        key = self._key(sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"user_id": user_id, "epoch": epoch, "csrf": session.csrf,
                                    "created": session.created})
            pipe.expire(key, IDLE_S)
            await pipe.execute()
        return sid, session

    async def get(self, sid: str) -> Session | None:
        """The live session of ``sid`` (its idle timer starts again), or ``None``."""
        if not 20 <= len(sid) <= 100:
            return None
        key = self._key(sid)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, IDLE_S, xx=True)
            fields, _ = await pipe.execute()
        if not fields:
            return None
        data = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in fields.items()}
        session = Session(int(data["user_id"]), int(data["epoch"]), data["csrf"], float(data["created"]))
        if time.time() - session.created > MAX_S:
            await self.redis.delete(key)
            return None
        return session

    async def delete(self, sid: str) -> None:
        await self.redis.delete(self._key(sid))


class Limits:
    """Fixed-window counters shared by all processes."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, name: str, limit: int, window_s: int) -> int | None:
        """Count one hit on ``name``; the seconds to wait if that makes more than ``limit`` in the window."""
        key = f"{self.prefix}limit:{name}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        return max(1, int(ttl)) if int(count) > limit else None

    async def count(self, name: str) -> tuple[int, int]:
        """The hits on ``name`` in its current window and the seconds the window still lasts."""
        key = f"{self.prefix}limit:{name}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.ttl(key)
            count, ttl = await pipe.execute()
        return int(count or 0), max(0, int(ttl))

    async def clear(self, name: str) -> None:
        await self.redis.delete(f"{self.prefix}limit:{name}")

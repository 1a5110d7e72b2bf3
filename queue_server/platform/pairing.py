"""Pairing codes: what an admin reads out to a kiosk or a TV so that it gets its own device token.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as ``ABCD-EFGH``
(~40 bits); it works once (taken with GETDEL, atomic across processes) and only for ``TTL_S``.
Attempts are rate-limited per address by the endpoint, so guessing one in time is hopeless.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from redis.asyncio import Redis

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TTL_S = 600


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class PairingCodes:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, code: str) -> str:
        return f"{self.prefix}pairing:{normalise(code)}"

    async def create(self, grant: dict[str, Any]) -> str:
        """A fresh code for ``grant`` (site, role, name...), shown as ``ABCD-EFGH``."""
        while True:
            raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
            if await self.redis.set(self._key(raw), orjson.dumps(grant), ex=TTL_S, nx=True):
                return f"{raw[:4]}-{raw[4:]}"

    async def take(self, code: str) -> dict[str, Any] | None:
        """The grant of ``code`` if it is live, which also ends it; else ``None``."""
        if not 1 <= len(normalise(code)) <= 16:
            return None
        raw = await self.redis.getdel(self._key(code))
        return orjson.loads(raw) if raw else None

"""Which devices (hall displays, kiosks) have their live feed open: for supervisors' "display offline" alert.

Each server process writes, for every device connection it holds, ``"token id:process" -> time`` into
one Redis hash per site: at connection, then every ``REFRESH_S``; when a device's last connection to
the process closes it writes ``-time`` (left at) in its own field. A device is online while one of its
fields is positive and younger than ``STALE_S``: a clean disconnect shows at once, a process that died
shows within ``STALE_S``, and a device that moved to another process (a reconnect) is never shown
offline by the process it left. Fields older than ``FORGET_S`` are removed when the hash is read.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping

from redis.asyncio import Redis

REFRESH_S = 5.0
STALE_S = 3 * REFRESH_S
KEEP_S = 7 * 86400  # a hash untouched for a week (a site that no longer runs) goes
FORGET_S = 86400  # a field untouched for a day (a process long gone) is removed


class Presence:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.process = secrets.token_hex(4)  # this process's fields

    def _key(self, site: str) -> str:
        return f"{self.prefix}site:{{{site}}}:presence"

    async def seen(self, by_site: Mapping[str, Iterable[int]], now: float | None = None) -> None:
        """The devices of each site are connected now."""
        stamp = time.time() if now is None else now
        async with self.redis.pipeline(transaction=False) as pipe:
            for site, devices in by_site.items():
                mapping = {f"{d}:{self.process}": f"{stamp:.3f}" for d in devices}
                if mapping:
                    pipe.hset(self._key(site), mapping=mapping)  # type: ignore[arg-type]
                    pipe.expire(self._key(site), KEEP_S)
            await pipe.execute()

    async def left(self, site: str, device: int, now: float | None = None) -> None:
        stamp = time.time() if now is None else now
        await self.redis.hset(self._key(site), f"{device}:{self.process}", f"{-stamp:.3f}")

    async def status(self, site: str, now: float | None = None) -> dict[int, tuple[bool, float]]:
        """Device token id -> (online, last seen as a UNIX time) for every device ever seen at ``site``."""
        stamp = time.time() if now is None else now
        raw = await self.redis.hgetall(self._key(site))
        out: dict[int, tuple[bool, float]] = {}
        old = []
        for key, value in raw.items():
            try:
                device, at = int(key.split(b":")[0] if isinstance(key, bytes) else key.split(":")[0]), float(value)
            except ValueError:
                continue
            if stamp - abs(at) > FORGET_S:
                old.append(key)
                continue
            online, seen = out.get(device, (False, 0.0))
            out[device] = (online or (at > 0 and stamp - at < STALE_S), max(seen, abs(at)))
        if old:
            await self.redis.hdel(self._key(site), *old)
        return out

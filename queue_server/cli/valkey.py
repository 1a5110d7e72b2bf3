"""Redis for the server: the embedded Valkey's companion checks, or an external Redis refused with a clear
message when it could lose or evict queue state."""

from __future__ import annotations

from queue_server.cli.common import fail
from queue_server.settings import Settings


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}"


def check_external_redis(settings: Settings) -> None:
    """Refuse, with a clear message, a Redis that cannot be reached or could lose queue state."""
    import time

    import redis

    from queue_server.store.checks import UnsafeRedisError, check_redis_sync

    client = redis.Redis.from_url(settings.redis.url, socket_connect_timeout=3, socket_timeout=5)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                break
            except redis.RedisError as exc:
                if time.monotonic() > deadline:
                    fail(f"cannot reach Redis at {redacted(settings.redis.url)}: {exc}")
                time.sleep(0.5)
        if settings.redis.check_persistence:
            try:
                check_redis_sync(client)
            except UnsafeRedisError as exc:
                fail(f"refusing to start on {redacted(settings.redis.url)}:\n{exc}")
    finally:
        client.close()

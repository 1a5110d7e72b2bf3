"""How the server connects to Redis (or Valkey): one place for timeouts and retries."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 3


def make_redis(url: str, socket_timeout: float | None = 5.0) -> Redis:
    """A client that retries a command after a dropped connection or a timeout (3 times, 50 ms to
    1 s apart) before giving up, so that a blip in the network is not an error for the user.

    Retrying is safe for every command the server sends: reads are idempotent, and the append
    script writes only on the expected last id, so a retried append that had already landed is
    answered "behind" with its own events rather than written twice. ``redis.asyncio`` clients
    built with ``from_url`` do not retry unless told to, hence this function.
    """
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=3.0,
        health_check_interval=30,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )

"""Refuse to run on a Redis/Valkey that could silently lose queue data.

The queue keeps tickets only in Redis, so the server must (1) be recent
enough for the commands and scripts we use (Redis >= 7.0, any Valkey),
(2) persist writes to the append-only file, and (3) never evict keys under
memory pressure. Checked at startup only: a later ``CONFIG SET`` by an
operator is not detected. ``appendfsync`` is not enforced (``everysec`` can
lose up to one second on a power cut); the embedded server uses ``always``.

When ``CONFIG`` is disabled or renamed (common on managed services), the
values are read from ``INFO`` instead, which exposes the same settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redis
import redis.asyncio

logger = logging.getLogger(__name__)

MIN_REDIS_VERSION = (7, 0)
_CONFIG_KEYS = ("appendonly", "maxmemory-policy")


class UnsafeRedisError(RuntimeError):
    """The configured Redis/Valkey is unsafe for the queue; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Redis/Valkey server refused:\n- " + "\n- ".join(problems))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _version(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in text.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def problems(info: Mapping[Any, Any], config: Mapping[Any, Any]) -> list[str]:
    """List what makes a server unsafe; empty if it is fine.

    ``info`` is the parsed ``INFO`` reply (sections server, persistence and
    memory at least); ``config`` is the ``CONFIG GET`` reply, or empty when
    CONFIG is unavailable. Keys and values may be ``str`` or ``bytes``.
    """
    info = {_text(k): v for k, v in info.items()}
    config = {_text(k): _text(v) for k, v in config.items()}
    found: list[str] = []

    # Valkey reports redis_version 7.2.4 for compatibility whatever its own
    # version; every Valkey release has what we need.
    if "valkey_version" not in info and _text(info.get("server_name", "")) != "valkey":
        raw = info.get("redis_version")
        if raw is None:
            found.append(
                "cannot read the server version (INFO server is not allowed?): "
                "grant the INFO command to this user, and use Redis >= 7.0 or Valkey"
            )
        elif _version(_text(raw)) < MIN_REDIS_VERSION:
            found.append(f"Redis {_text(raw)} is too old: upgrade to Redis >= 7.0 or to Valkey")

    if "appendonly" in config:
        appendonly: str | None = config["appendonly"].lower()
    elif "aof_enabled" in info:
        appendonly = "yes" if str(info["aof_enabled"]) == "1" else "no"
    else:
        appendonly = None
    if appendonly != "yes":
        state = "cannot be read" if appendonly is None else f"is '{appendonly}'"
        found.append(
            f"appendonly {state}: without the append-only file a crash or restart loses tickets. "
            "Add the line 'appendonly yes' to redis.conf (or run 'CONFIG SET appendonly yes' "
            "then 'CONFIG REWRITE')"
        )

    policy_raw = config.get("maxmemory-policy", info.get("maxmemory_policy"))
    policy = None if policy_raw is None else _text(policy_raw).lower()
    if policy != "noeviction":
        state = "cannot be read" if policy is None else f"is '{policy}'"
        found.append(
            f"maxmemory-policy {state}: Redis could silently delete queue keys when memory is full. "
            "Add the line 'maxmemory-policy noeviction' to redis.conf (or run "
            "'CONFIG SET maxmemory-policy noeviction' then 'CONFIG REWRITE')"
        )
    return found


def _raise_if_unsafe(info: Mapping[Any, Any], config: Mapping[Any, Any]) -> None:
    logger.debug("redis checks: info version=%s config=%s", info.get("redis_version"), dict(config))
    found = problems(info, config)
    if found:
        raise UnsafeRedisError(found)


async def check_redis(client: redis.asyncio.Redis) -> None:
    """Raise :class:`UnsafeRedisError` if the server may lose or evict queue data.

    Connection errors propagate unchanged (they are not a configuration issue).
    """
    try:
        info: Mapping[str, Any] = await client.info()
    except redis.ResponseError as exc:  # INFO denied by ACL: reported as unreadable
        logger.warning("INFO refused by the server: %s", exc)
        info = {}
    try:
        config: Mapping[Any, Any] = await client.config_get(*_CONFIG_KEYS)
    except redis.ResponseError as exc:  # CONFIG renamed/disabled or denied: use INFO
        logger.info("CONFIG GET unavailable (%s); checking INFO only", exc)
        config = {}
    _raise_if_unsafe(info, config)


def check_redis_sync(client: redis.Redis) -> None:
    """Synchronous :func:`check_redis`, e.g. for CLI commands."""
    try:
        info: Mapping[str, Any] = client.info()
    except redis.ResponseError as exc:
        logger.warning("INFO refused by the server: %s", exc)
        info = {}
    try:
        config: Mapping[Any, Any] = client.config_get(*_CONFIG_KEYS)
    except redis.ResponseError as exc:
        logger.info("CONFIG GET unavailable (%s); checking INFO only", exc)
        config = {}
    _raise_if_unsafe(info, config)

"""What the phone desk tells the other modules: one event per call logged and per callback done, on the ``phone``
Redis stream (one for every tenant), read by whoever follows it through a consumer group (the citizen record's
timeline, ``crm/calls.py``).

- ``call.logged``: a call was logged;
- ``callback.done``: a callback it promised was done (``callback``: its id, ``callback_outcome``: how it went).

Every event carries the call (``id``, ``tenant``, ``party`` (``None``: anonymous), ``reason``, ``reason_name``,
``outcome``, ``service``, ``service_name``, ``started_at``, ``ended_at``, ``duration_s``) and ``at``, the time of
what happened (the call's start, the callback's being done); never the note, the caller's name nor a phone number.
The field names are the contract.

An event is written after the change is committed: a process that dies between the two, or a Redis that fails
then, loses that event (logged; the call itself is safe in SQL). The stream is capped (``MAXLEN ~``) well beyond
what any reader leaves unread; its entries name the party until they are trimmed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from queue_server.phone.tables import CallbackRow, CallRow

log = logging.getLogger(__name__)

STREAM = "phone"
MAX_LEN = 100_000
KINDS = ("call.logged", "callback.done")


class Publish(Protocol):
    """What ``Phone`` calls after a change is committed: the kind (``KINDS``), the call, and the callback done."""

    async def __call__(self, kind: str, call: CallRow, callback: CallbackRow | None = None) -> None: ...


async def published_nowhere(kind: str, call: CallRow, callback: CallbackRow | None = None) -> None:
    """The default of ``Phone`` (tools, tests of the service alone): no stream."""


def stream_key(prefix: str) -> str:
    return f"{prefix}{STREAM}"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_data(kind: str, call: CallRow, callback: CallbackRow | None = None) -> dict[str, object]:
    """The event's JSON: the call by an allow-list (no note, no name, no number)."""
    data: dict[str, object] = {
        "id": call.id, "tenant": call.tenant_id, "party": call.party, "reason": call.reason,
        "reason_name": call.reason_name, "outcome": call.outcome, "service": call.service,
        "service_name": call.service_name, "started_at": iso(call.started_at), "ended_at": iso(call.ended_at),
        "duration_s": call.duration_s, "at": iso(call.started_at),
    }
    if callback is not None and callback.service:
        data["callback_service"] = callback.service  # the service that calls back: the CRM files the call under it
    if callback is not None and kind == "callback.done":
        data.update(callback=callback.id, callback_outcome=callback.outcome, at=iso(callback.done_at))
    return data


class Publisher:
    """Writes the events on ``{prefix}phone``; made once in the lifespan and handed to ``Phone``."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = stream_key(prefix)

    async def __call__(self, kind: str, call: CallRow, callback: CallbackRow | None = None) -> None:
        try:
            await self.redis.xadd(self.key, {"t": kind, "d": orjson.dumps(event_data(kind, call, callback))},
                                  maxlen=MAX_LEN, approximate=True)
        except RedisError as exc:
            # The call is logged and answered for: it must not look refused (and be logged again) because the
            # timeline's stream could not be written.
            log.warning("phone: event %s of call %s lost: %s", kind, call.id, type(exc).__name__)

"""What the requests tell the other modules: one ``request.*`` event per change, on the ``requests`` Redis stream
(one for every tenant), read by whoever follows it through a consumer group (the citizen record's timeline).

- ``request.created``: a request was filed (online, by staff, by e-mail);
- ``request.answered``: staff wrote a public reply (``message``: its id); internal notes tell nobody;
- ``request.status``: its status changed (``closed`` among others; ``closed_at`` then set);
- ``request.linked``: staff linked it to a party of the citizen record (``party``); ``answers`` lists its public
  replies so far (``[{"message", "at"}]``), so that the party's timeline can show what came before the link.

Every event carries the whole request as it was after the change (``id``, ``reference``, ``tenant``,
``category``, ``category_name``, ``service`` (the name of the service in charge), ``status``, ``channel``,
``received_at``, ``closed_at``, ``party``, and the sender's ``email`` and ``phone``, to find their record), and
``at``, the change's time; never a message's text nor the sender's name. The field names are the contract.

An event is written after the change is committed: a process that dies between the two, or a Redis that fails
then, loses that event (logged; the request itself is safe in SQL). The stream is capped (``MAXLEN ~``) well
beyond what any reader leaves unread. Its entries carry the sender's contact (to find their record) until they
are trimmed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.requests.tables import CategoryRow, RequestMessage, RequestRow

log = logging.getLogger(__name__)

STREAM = "requests"
MAX_LEN = 100_000
KINDS = ("created", "answered", "status", "linked")


class Publish(Protocol):
    """What ``Requests`` calls after a change is committed: the kind (``KINDS``), the request, and the reply
    (``answered``) or the public replies so far (``linked``)."""

    async def __call__(self, kind: str, row: RequestRow, message: RequestMessage | None = None,
                       answers: Sequence[RequestMessage] = ()) -> None: ...


async def published_nowhere(kind: str, row: RequestRow, message: RequestMessage | None = None,
                            answers: Sequence[RequestMessage] = ()) -> None:
    """The default of ``Requests`` (tools, tests of the service alone): no stream."""


def stream_key(prefix: str) -> str:
    return f"{prefix}{STREAM}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_data(kind: str, row: RequestRow, category: CategoryRow | None, message: RequestMessage | None = None,
               answers: Sequence[RequestMessage] = ()) -> dict[str, object]:
    """The event's JSON: the request after the change, by an allow-list (no text, no name)."""
    at = message.at if message is not None else row.updated_at
    data: dict[str, object] = {
        "id": row.id, "reference": row.reference, "tenant": row.tenant_id, "category": row.category,
        "category_name": category.name if category else row.category,
        "service": category.service_name if category else "", "status": row.status, "channel": row.channel,
        "received_at": _iso(row.received_at), "closed_at": _iso(row.closed_at), "party": row.party,
        "email": row.email, "phone": row.phone, "at": _iso(at), "kind": kind,
        # Closed by passing it on: to another administration (L114-2), or into the request it duplicates.
        "transmitted": row.transmitted_to is not None, "merged": row.merged_into is not None,
    }
    if message is not None:
        data["message"] = message.id
    if kind == "linked":
        data["answers"] = [{"message": m.id, "at": _iso(m.at)} for m in answers]
    return data


class Publisher:
    """Writes the events on ``{prefix}requests``; made once in the lifespan and handed to ``Requests``."""

    def __init__(self, redis: Redis, prefix: str, db: async_sessionmaker[AsyncSession]) -> None:
        self.redis = redis
        self.key = stream_key(prefix)
        self.db = db

    async def __call__(self, kind: str, row: RequestRow, message: RequestMessage | None = None,
                       answers: Sequence[RequestMessage] = ()) -> None:
        try:
            async with self.db() as session:  # the category's name and service, as they are now
                category = (await session.exec(select(CategoryRow).where(
                    col(CategoryRow.tenant_id) == row.tenant_id, col(CategoryRow.category) == row.category))).first()
            data = orjson.dumps(event_data(kind, row, category, message, answers))
            await self.redis.xadd(self.key, {"t": f"request.{kind}", "d": data}, maxlen=MAX_LEN, approximate=True)
        except RedisError as exc:
            # The change is committed and answered for: the citizen's request must not look refused (and be filed
            # again) because the timeline's stream could not be written.
            log.warning("requests: event request.%s of %s lost: %s", kind, row.reference, type(exc).__name__)

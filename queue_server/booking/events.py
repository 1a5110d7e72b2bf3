"""What booking tells the other modules: one ``appointment.*`` event per change, on the ``booking`` Redis stream
(one for every tenant), read by whoever follows it through a consumer group (the citizen record's timeline).

An event is written after the change is committed: a process that dies between the two loses that event (the
appointment itself is safe in SQL). The stream is capped (``MAXLEN ~``) well beyond what any reader leaves
unread. Its entries carry the person's contact (to find their record) until they are trimmed."""

from __future__ import annotations

from datetime import UTC

import orjson
from redis.asyncio import Redis

from queue_server.booking.tables import Appointment

STREAM = "booking"
MAX_LEN = 100_000
KINDS = ("booked", "moved", "cancelled", "checked_in", "done", "no_show")


def stream_key(prefix: str) -> str:
    return f"{prefix}{STREAM}"


def event_data(kind: str, row: Appointment) -> dict[str, object]:
    return {
        "id": row.id, "code": row.code, "tenant": row.tenant_id, "site": row.site_id, "motif": row.motif,
        "service": row.service, "start": row.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "status": row.status, "party": row.party, "phone": row.phone, "email": row.email,
        "at": row.updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "kind": kind,
    }


class Publisher:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = stream_key(prefix)

    async def __call__(self, kind: str, row: Appointment) -> None:
        await self.redis.xadd(self.key, {"t": f"appointment.{kind}", "d": orjson.dumps(event_data(kind, row))},
                              maxlen=MAX_LEN, approximate=True)

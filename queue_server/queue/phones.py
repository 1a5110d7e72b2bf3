"""What a visit holds about a person, kept apart from the event log and deleted with the visit:
phone numbers left at the kiosk for an SMS (``PhoneBook``), notes staff leave for the agent who will
serve someone (``NoteBook``: "hard of hearing", "came for her father's file").

The event log is the queue's truth and is archived for years into SQL history: such data must never
enter it. Each kind lives in one Redis hash per site and UTC day (ticket id -> text), which expires
``KEEP_S`` after that day began, whatever happens; the archiver deletes a ticket's entries as soon as it
sees the visit end (finished, no-show, cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

KEEP_S = 48 * 3600  # a day's hash disappears two days after that day began, numbers left or not


class VisitBook:
    kind = ""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, site: str, day: datetime) -> str:
        return f"{self.prefix}site:{{{site}}}:{self.kind}:{day:%Y-%m-%d}"

    def _keys(self, site: str) -> tuple[str, str]:
        """Today's and yesterday's hashes (UTC): a visit never spans more."""
        now = datetime.now(UTC)
        return self._key(site, now), self._key(site, now - timedelta(days=1))

    async def put(self, site: str, ticket_id: str, value: str) -> None:
        key = self._keys(site)[0]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, ticket_id, value)
            pipe.expire(key, KEEP_S)
            await pipe.execute()

    async def get(self, site: str, ticket_id: str) -> str | None:
        for key in self._keys(site):
            value = await self.redis.hget(key, ticket_id)
            if value is not None:
                return value.decode() if isinstance(value, bytes) else str(value)
        return None

    async def numbers(self, site: str) -> dict[str, str]:
        """Every entry the site holds: ticket id -> text (today's and yesterday's hashes, UTC).

        One HGETALL per hash: fine for the few hundred entries a site collects in a day."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in reversed(self._keys(site)):  # yesterday first, so that today's entry wins
                pipe.hgetall(key)
            replies = await pipe.execute()
        out: dict[str, str] = {}
        for reply in replies:
            out.update({_text(k): _text(v) for k, v in reply.items()})
        return out

    async def forget(self, site: str, ticket_ids: Iterable[str]) -> None:
        ids = list(ticket_ids)
        if ids:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in self._keys(site):
                    pipe.hdel(key, *ids)
                await pipe.execute()


class PhoneBook(VisitBook):
    """Ticket id -> the E.164 mobile number its SMS goes to."""

    kind = "phones"


class NoteBook(VisitBook):
    """Ticket id -> the note staff left for the agent who serves it (``MAX_NOTE`` characters at most)."""

    kind = "notes"


MAX_NOTE = 500


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

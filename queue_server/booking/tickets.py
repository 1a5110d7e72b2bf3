"""An appointment's status follows its ticket: a ticket given at check-in that is finished makes the
appointment ``done``, one marked no-show ``no_show``. Booking follows every site's stream through its own
consumer group, ``booking`` (the loop of ``store/worker.py``), and never reads the queue's tables.

Idempotent without a lease: setting a status it already has changes nothing, and a ticket's events come in log
order within a stream. An appointment never checked in is a no-show an hour after its end (checked every minute).
Cheap: only ``ticket.finished`` and ``ticket.no_show`` are decoded, and those of a batch
are looked up in one query by ticket id (most tickets are walk-ins, with no appointment)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.booking.tables import Appointment
from queue_server.db.tables import Site
from queue_server.queue.codec import CodecError, decode_event
from queue_server.queue.domain import events as ev
from queue_server.store.worker import Entries, StreamWorker, text

log = logging.getLogger(__name__)

GROUP = "booking"
FOLLOWED = {"ticket.finished": "done", "ticket.no_show": "no_show"}
SetStatus = Callable[[str, str, str], Awaitable[object]]  # site, appointment id, status
MISSED_EVERY_S = 60.0


class TicketFollower(StreamWorker):
    group = GROUP

    def __init__(self, redis: Redis, prefix: str, sessions: async_sessionmaker[AsyncSession], set_status: SetStatus,
                 mark_missed: Callable[[], Awaitable[int]], *, block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._load_sites, block_ms=block_ms)
        self.sessions = sessions
        self.set_status = set_status
        self.mark_missed = mark_missed
        self._missed_at = float("-inf")

    async def _load_sites(self) -> list[str]:
        async with self.sessions() as session:
            return list((await session.execute(select(Site.id))).scalars().all())  # type: ignore[call-overload]

    async def tick(self) -> None:
        if time.monotonic() - self._missed_at >= MISSED_EVERY_S:  # every process: setting a status twice is harmless
            self._missed_at = time.monotonic()
            await self.mark_missed()
        await self.refresh_sites()
        async for stream, entries in self.claim(30_000):
            await self.record(stream, entries)
        for stream, entries in await self.read():
            await self.record(stream, entries)

    async def record(self, stream: str, entries: Entries) -> None:
        site = self.streams[stream]
        wanted: dict[str, str] = {}
        for entry_id, fields in entries:
            kind = text(fields.get("t", fields.get(b"t", b"")))
            if kind not in FOLLOWED:
                continue
            try:
                event = decode_event(kind, fields.get("d", fields.get(b"d", b"")))
            except CodecError as exc:
                log.warning("booking: entry %s skipped: %s", text(entry_id), exc)
                continue
            if isinstance(event, ev.TicketEvent):
                wanted[event.ticket_id] = FOLLOWED[kind]
        if wanted:
            async with self.sessions() as session:
                rows = (await session.exec(select(Appointment.id, Appointment.ticket_id).where(  # type: ignore[call-overload]
                    Appointment.site_id == site, col(Appointment.ticket_id).in_(list(wanted))))).all()
            for appointment_id, ticket_id in rows:
                await self.set_status(site, appointment_id, wanted[ticket_id])
        await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])

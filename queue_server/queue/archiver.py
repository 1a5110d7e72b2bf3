"""The archiver: copies every event of every site's stream into SQL, then lets the stream be trimmed.

It reads through the consumer group ``archiver`` (XREADGROUP, XACK, and XAUTOCLAIM to take over what
a dead process had read but not acknowledged). One process at a time archives, holding a short
Redis lease, so that updates to one ticket's history row are applied in log order. Each event is
written at most once whatever the redeliveries: ``event_history`` is unique on (site, event id).

A stream is trimmed (XTRIM MINID) only below every bound at once: what the group has acknowledged,
what each group named in ``keep_for`` has read and acknowledged (other modules' readers of the stream, such
as the CRM's timeline: a stream where one of them has no group yet is not trimmed at all), the site's latest
snapshot, and ``retention_s`` of history kept for clients that resume. The reading, retrying and taking over
are ``worker.StreamWorker``'s, shared with the notifier.

Before a visit's phone number is deleted, the archiver tells whoever asked (``on_visit_end``, callables the lifespan
hands it: the surveys' invitation after a served visit) of the visit that ended with its number: ``(site, ticket id,
service, phone, outcome, ended_at, lang)``, outcome ``done``, ``no_show`` or ``cancelled``; only visits that have a
number. The queue imports none of them. A listener that fails leaves the batch unacknowledged: it is archived again
(a no-op) and the listener told again, so listeners must be idempotent (the surveys' outbox key is).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.sites import site_ids
from queue_server.queue.codec import event_payload
from queue_server.queue.domain import events as ev
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.eventstore import EventStore, Recorded, decode_entries
from queue_server.queue.phones import VisitBook
from queue_server.queue.sites import site_config
from queue_server.queue.tables import EventRecord, TicketRecord
from queue_server.store.keys import stream_id
from queue_server.store.worker import StreamWorker

log = logging.getLogger(__name__)

GROUP = "archiver"
LEASE_MS = 15_000
TRIM_EVERY_S = 5.0
VISIT_ENDS = (ev.TicketFinished, ev.TicketNoShow, ev.TicketCancelled)
# Fields of events that the history, kept for years, leaves out: a ticket's link to a person (the CRM party whose
# visit it is, the appointment it is the check-in of) lives on that person's timeline and bookings, which go with
# them (erasure, retention), and nowhere else. Of an appointment the history keeps only that there was one
# (``booked`` in the data of ticket.issued), which says nothing about whose it was.
UNARCHIVED = ("party", "appointment")
OUTCOME_OF: dict[type[ev.Event], str] = {ev.TicketFinished: "done", ev.TicketNoShow: "no_show",
                                         ev.TicketCancelled: "cancelled"}


class VisitEnd(Protocol):
    """Told of a visit that ended, with the phone number left for it, before the number is deleted."""

    def __call__(self, site: str, ticket_id: str, service: str, phone: str, outcome: str, ended_at: datetime,
                 lang: str) -> Awaitable[object]: ...


def _min_id(*ids: str) -> str:
    return min(ids, key=stream_id)


def apply_to_record(row: dict[str, Any] | None, rid: str, event: ev.Event,
                    config: SiteConfig) -> dict[str, Any] | None:
    """The history row (a dict of ``ticket_history`` columns) of the event's ticket after the event;
    ``None`` if the event concerns no ticket or a ticket whose issue was never archived."""
    if isinstance(event, ev.TicketIssued):
        return {
            "id": event.ticket_id, "site_id": config.id, "day": config.day(event.at), "number": event.number,
            "service": event.service, "status": "waiting", "priority": event.priority, "lang": event.lang,
            "counter": None, "agent": None, "agent_name": "",
            "recalls": 0, "issued_at": event.at, "called_at": None, "started_at": None,
            "finished_at": None, "outcome": None, "last_event_id": rid,
        }
    if row is None or not isinstance(event, ev.TicketEvent):
        return row
    row = {**row, "last_event_id": rid}
    match event:
        case ev.TicketCalled():
            row.update(status="called", counter=event.counter, called_at=event.at)
            if event.agent is not None:
                row.update(agent=event.agent, agent_name=event.agent_name)
        case ev.TicketRecalled():
            row["recalls"] += 1
        case ev.TicketStarted():
            row.update(status="serving", started_at=event.at)
        case ev.TicketFinished():
            row.update(status="done", finished_at=event.at, outcome=event.outcome)
        case ev.TicketNoShow():
            row.update(status="no_show", finished_at=event.at)
        case ev.TicketCancelled():
            row.update(status="cancelled", finished_at=event.at)
        case ev.TicketRequeued():  # whoever calls it next is its agent, as for its counter
            row.update(status="waiting", counter=None, agent=None, agent_name="", called_at=None, finished_at=None)
        case ev.TicketTransferred():
            row.update(service=event.to_service, status="waiting", counter=None, agent=None, agent_name="",
                       called_at=None, started_at=None)
    return row


def _upsert(dialect: str, table: Any, key: str | None) -> Any:
    """INSERT … ON CONFLICT for SQLite and PostgreSQL: do nothing (``key`` None) or update all.

    Executed with a list of rows (executemany), so the statement is compiled once and cached
    rather than compiled again for every batch as a multi-row VALUES would be."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(table)
    if key is None:
        return statement.on_conflict_do_nothing()
    columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name != key}
    return statement.on_conflict_do_update(index_elements=[key], set_=columns)


class Archiver(StreamWorker):
    """One archiver works at a time, whatever the number of processes: the holder of the lease (a Redis
    key renewed every round). A new holder first archives what its predecessor read and left
    unacknowledged."""

    group = GROUP

    def __init__(self, redis: Redis, store: EventStore, sessions: Callable[[], AsyncSession],
                 retention_s: int, visits: Sequence[VisitBook] = (), block_ms: int = 1000,
                 keep_for: Sequence[str] = (), phones: VisitBook | None = None,
                 on_visit_end: Sequence[VisitEnd] = ()) -> None:
        super().__init__(redis, store.prefix, self._load_sites, block_ms=block_ms)
        self.visits = visits
        self.phones = phones  # where the numbers told to ``on_visit_end`` are read
        self.on_visit_end = tuple(on_visit_end)
        self.keep_for = tuple(keep_for)  # other consumer groups whose unread entries the trimming keeps
        self.store = store
        self.sessions = sessions
        self.retention_s = retention_s
        self.lease_key = f"{store.prefix}archiver:lease"
        self._configs: dict[str, SiteConfig] = {}
        self._trimmed_at = 0.0
        self.archived = 0  # events written by this process (for tests and metrics)

    async def _load_sites(self) -> list[str]:
        """The sites, with their configuration (the day of an event is the site's local day)."""
        async with self.sessions() as session:
            for site in await site_ids(session):
                config = await site_config(session, site)
                if config is not None:
                    self._configs[site] = config
        return list(self._configs)

    async def tick(self) -> None:
        """Hold the lease, archive, trim; without the lease, wait a third of its life."""
        if not await self._hold_lease():
            await self.sleep(LEASE_MS / 3000)
            return
        await self.refresh_sites()
        await self.step()
        if time.monotonic() - self._trimmed_at > TRIM_EVERY_S:
            await self._trim_all()
            self._trimmed_at = time.monotonic()

    async def _hold_lease(self) -> bool:
        held = await self.hold_lease(self.lease_key, LEASE_MS)
        if held == "taken":
            await self._take_over()
        return held is not None

    async def _take_over(self) -> None:
        """Claim what previous lease holders read but never acknowledged, and archive it first."""
        await self.refresh_sites(force=True)
        async for stream, entries in self.claim(0):
            await self._archive(self.streams[stream], stream, decode_entries(entries))

    async def step(self) -> int:
        """Archive one batch of new events from every site; returns how many."""
        total = 0
        for stream, entries in await self.read():
            records = decode_entries(entries)
            await self._archive(self.streams[stream], stream, records)
            total += len(records)
        return total

    async def _archive(self, site: str, stream: str, records: Sequence[Recorded]) -> None:
        """Write ``records`` into SQL history (skipping those already there), then acknowledge them.

        Core statements, not ORM objects: this runs in the server's event loop at the pace of the
        queue, and ORM flushes of thousands of rows would stall every request meanwhile."""
        config = self._configs[site]
        ids = [rid for rid, _ in records]
        events_table, tickets_table = EventRecord.__table__, TicketRecord.__table__  # type: ignore[attr-defined]
        async with self.sessions() as session:
            dialect = session.get_bind().dialect.name
            done = set((await session.execute(
                select(events_table.c.event_id).where(events_table.c.site_id == site,
                                                      events_table.c.event_id.in_(ids))
            )).scalars().all())
            fresh = [(rid, e) for rid, e in records if rid not in done]
            if fresh:
                ticket_ids = {e.ticket_id for _, e in fresh if isinstance(e, ev.TicketEvent)}
                rows: dict[str, dict[str, Any]] = {}
                if ticket_ids:
                    found = await session.execute(select(tickets_table).where(tickets_table.c.id.in_(ticket_ids)))
                    rows = {r["id"]: dict(r) for r in found.mappings()}
                changed: dict[str, dict[str, Any]] = {}
                history = []
                for rid, event in fresh:
                    payload: dict[str, Any] = event_payload(event)
                    if isinstance(event, ev.TicketIssued):
                        payload["booked"] = event.appointment is not None
                    for name in UNARCHIVED:
                        payload.pop(name, None)
                    ticket_id = payload.get("ticket_id")
                    history.append({"site_id": site, "event_id": rid, "type": event.type, "ticket_id": ticket_id,
                                    "at": event.at, "data": orjson.dumps(payload).decode()})
                    if ticket_id is not None:
                        row = apply_to_record(rows.get(ticket_id), rid, event, config)
                        if row is not None:
                            rows[ticket_id] = changed[ticket_id] = row
                await session.execute(_upsert(dialect, events_table, None), history)
                if changed:
                    await session.execute(_upsert(dialect, tickets_table, "id"), list(changed.values()))
                await session.commit()
        ended = {e.ticket_id for _, e in records if isinstance(e, VISIT_ENDS)}
        if ended and self.on_visit_end and self.phones is not None:
            await self._tell_ends(site, [e for _, e in records if isinstance(e, VISIT_ENDS)])
        for book in self.visits:  # the visit is over: its phone number and notes go (before the ack: retried)
            await book.forget(site, ended)
        if ids:
            await self.redis.xack(stream, GROUP, *ids)
        self.archived += len(fresh)

    async def _tell_ends(self, site: str, ends: Sequence[ev.TicketEvent]) -> None:
        """Tell ``on_visit_end`` of the visits of ``ends`` that have a phone number, with their service and
        language as the history has them."""
        assert self.phones is not None
        numbers = {e.ticket_id: await self.phones.get(site, e.ticket_id) for e in ends}
        wanted = [e for e in ends if numbers[e.ticket_id]]
        if not wanted:
            return
        tickets_table = TicketRecord.__table__  # type: ignore[attr-defined]
        async with self.sessions() as session:
            found = await session.execute(select(tickets_table.c.id, tickets_table.c.service, tickets_table.c.lang)
                                          .where(tickets_table.c.id.in_({e.ticket_id for e in wanted})))
            known = {row.id: (row.service, row.lang) for row in found}
        for event in wanted:
            if event.ticket_id not in known:
                continue
            service, lang = known[event.ticket_id]
            for listener in self.on_visit_end:
                await listener(site, event.ticket_id, service, str(numbers[event.ticket_id]),
                               OUTCOME_OF[type(event)], event.at, lang)

    async def _trim_all(self) -> None:
        cutoff = f"{int(time.time() * 1000) - self.retention_s * 1000}-0"
        for stream, site in self.streams.items():
            groups = {_field(g, "name"): g for g in await self.redis.xinfo_groups(stream)}
            bound = cutoff
            for name in (GROUP, *self.keep_for):
                group = groups.get(name)
                if group is None:  # a reader that has not started on this stream yet: everything is still to read
                    break
                bound = _min_id(bound, await self._unread(stream, name, group))
            else:
                snapshot = await self.store.load_snapshot(site)
                bound = _min_id(bound, _next_id(snapshot[0]) if snapshot else "0-1")
                if stream_id(bound) > (0, 1):
                    await self.redis.xtrim(stream, minid=bound, approximate=False)

    async def _unread(self, stream: str, name: str, group: dict[Any, Any]) -> str:
        """The first entry of ``stream`` that the group ``name`` has not read, or has read and not acknowledged."""
        bound = _next_id(_field(group, "last-delivered-id"))
        if int(_field(group, "pending")):
            summary = await self.redis.xpending(stream, name)
            lowest = summary.get("min") if isinstance(summary, dict) else summary[1]
            if lowest:
                bound = _min_id(bound, lowest.decode() if isinstance(lowest, bytes) else lowest)
        return bound


def _field(group: dict[Any, Any], key: str) -> str:
    value = group.get(key, group.get(key.encode()))
    return value.decode() if isinstance(value, bytes) else str(value)


def _next_id(rid: str) -> str:
    ms, seq = stream_id(rid)
    return f"{ms}-{seq + 1}"

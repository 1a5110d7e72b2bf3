"""Visits on the parties' timelines, fed by the queue's events: a ticket staff issued for a known person
(``ticket.issued`` with a ``party``) becomes one entry of kind ``visit`` on that party's timeline, brought up
to date by every later event of the ticket (called, started, finished, no-show, cancelled, transferred,
requeued). The CRM never reads the queue's tables: it follows every site's stream through its own consumer
group, ``crm`` (XREADGROUP, XACK, XAUTOCLAIM; the loop of ``store/worker.py``, as the archiver and the
notifier do).

- One process at a time writes, holding a short Redis lease (as the archiver does), so that a ticket's
  events are applied in log order whatever the number of processes. A new holder, or a holder whose last
  batch failed, first finishes what was read and left unacknowledged.
- Idempotent: the entry's ``source`` is ``ticket:{site}:{ticket id}``, unique per tenant, and the entry
  remembers the last event applied to it (``detail.last_event_id``): an event read twice changes nothing.
- Cheap for anonymous tickets (most are a kiosk's): only ticket events are decoded, and the tickets of a
  batch are looked up in one query by their sources; a batch of anonymous tickets costs that query alone.
- Never resurrects: an entry is only ever created by the ticket's issue, for a party that still exists
  (an erased party's later events find no entry and are skipped), and that existed when the ticket was
  issued (a number SQLite gave again to a party created since is not the person the ticket was for).
- ``Party.dealt_with_at`` moves to the latest event of the visit: retention counts from the last dealing.
- The entry's ``sector`` is its service's (``crm_sector_services``; None: general), and follows a transfer.

The queue's archiver trims a stream only behind this group too (``web/app.py`` names it in ``keep_for``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.domain.visits import Visit
from queue_server.crm.tables import Entry, Party, SectorService
from queue_server.db.tables import Site
from queue_server.queue.codec import CodecError, decode_event
from queue_server.queue.domain import events as ev
from queue_server.store.keys import stream_id
from queue_server.store.worker import Entries, LeasedWorker, text

log = logging.getLogger(__name__)

GROUP = "crm"
# A party created this long after a ticket was issued for "its" number is another party: SQLite gives the number
# of the last party again once it is erased. (Generous: the clocks of two server processes never differ by this.)
REUSED_NUMBER_AFTER = timedelta(minutes=1)
_ENTRIES = Entry.__table__  # type: ignore[attr-defined]
_PARTIES = Party.__table__  # type: ignore[attr-defined]


def source_of(site: str, ticket_id: str) -> str:
    """The ``source`` of the timeline entry of a ticket: what makes an event read twice write it once."""
    return f"ticket:{site}:{ticket_id}"


def ticket_events(entries: Entries) -> list[tuple[str, ev.Event]]:
    """The events of ``entries`` that concern a ticket, decoded (the others are not: most of a stream is no
    business of the timeline). An entry this version cannot read is skipped, with a warning."""
    out: list[tuple[str, ev.Event]] = []
    for entry_id, fields in entries:
        kind = text(fields.get("t", fields.get(b"t", b"")))
        if not kind.startswith("ticket."):
            continue
        try:
            event = decode_event(kind, fields.get("d", fields.get(b"d", b"")))
        except CodecError as exc:
            log.warning("crm: entry %s skipped: %s", text(entry_id), exc)
            continue
        if isinstance(event, ev.TicketIssued | ev.TicketEvent):
            out.append((text(entry_id), event))
    return out


def step(visit: Visit, event: ev.Event) -> Visit:
    """The visit after ``event`` of its ticket."""
    match event:
        case ev.TicketCalled():
            return visit.called(event.at, event.counter, event.agent_name)
        case ev.TicketStarted():
            return visit.started(event.at)
        case ev.TicketFinished():
            return visit.finished(event.at)
        case ev.TicketNoShow():
            return visit.no_show(event.at)
        case ev.TicketCancelled():
            return visit.cancelled(event.at)
        case ev.TicketRequeued():
            return visit.requeued()
        case ev.TicketTransferred():
            return visit.transferred(event.to_service)
    return visit  # a recall, a note, a reprint: the visit is the same


@dataclass
class _Timeline:
    """A visit being written: its entry (``id`` None: a new one), its party, the last event applied."""

    id: int | None
    party: int
    visit: Visit
    sector: str | None
    last_event_id: str
    changed: bool = False


class VisitTimeline(LeasedWorker):
    """Every server process runs one; the holder of the lease works."""

    group = GROUP

    def __init__(self, redis: Redis, prefix: str, sessions: async_sessionmaker[AsyncSession], *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._load_sites, f"{prefix}crm:visits:lease", block_ms=block_ms)
        self.sessions = sessions
        self.tenants: dict[str, str] = {}  # site -> its tenant
        self.recorded = 0  # events of visits written by this process (tests, metrics)

    async def _load_sites(self) -> list[str]:
        async with self.sessions() as session:
            rows = (await session.execute(select(Site.id, Site.tenant_id))).all()  # type: ignore[call-overload]
        self.tenants.update({site: tenant for site, tenant in rows})
        return [site for site, _ in rows]

    async def record(self, stream: str, entries: Entries) -> int:
        """Write the visits among ``entries`` (one stream's, in log order), then acknowledge them all; returns
        how many entries."""
        if not entries:
            return 0
        site = self.streams[stream]
        events = ticket_events(entries)
        if events:
            self.recorded += await self._write(site, events)
        await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])
        return len(entries)

    async def _write(self, site: str, events: Sequence[tuple[str, ev.Event]]) -> int:
        """One transaction: the new entries, the changed ones, their parties' last dealings. Returns how many
        events changed a visit."""
        tenant = self.tenants.get(site)
        if tenant is None:
            return 0
        tickets = {e.ticket_id for _, e in events if isinstance(e, ev.TicketEvent)}
        issued = {e.ticket_id: e for _, e in events if isinstance(e, ev.TicketIssued) and e.party is not None}
        sources = {source_of(site, t) for t in tickets | set(issued)}
        if not sources:
            return 0
        async with self.sessions() as session:
            found = await session.execute(
                select(_ENTRIES.c.id, _ENTRIES.c.source, _ENTRIES.c.party_id, _ENTRIES.c.service, _ENTRIES.c.at,
                       _ENTRIES.c.sector, _ENTRIES.c.detail)
                .where(_ENTRIES.c.tenant_id == tenant, _ENTRIES.c.source.in_(sources)))
            timelines = {
                row.source: _Timeline(row.id, row.party_id, Visit.from_entry(row.service or "", row.at, row.detail),
                                      row.sector, str(row.detail.get("last_event_id", "0-0")))
                for row in found}
            fresh = {t: e for t, e in issued.items() if source_of(site, t) not in timelines}
            if not timelines and not fresh:
                return 0  # anonymous tickets only: the common case
            parties = await self._parties(session, tenant, {e.party for e in fresh.values() if e.party is not None})
            sectors = await self._sectors(session, site)
            changed = 0
            dealt: dict[int, datetime] = {}  # party -> its latest event in this batch
            for rid, event in events:
                assert isinstance(event, ev.TicketIssued | ev.TicketEvent)
                source = source_of(site, event.ticket_id)
                timeline = timelines.get(source)
                if isinstance(event, ev.TicketIssued):
                    party = event.party
                    created = parties.get(party) if party is not None else None
                    if party is None or timeline is not None or created is None \
                            or created > event.at + REUSED_NUMBER_AFTER:
                        continue  # anonymous, written already, or a party erased since (or not this one)
                    visit = Visit(ticket=event.number, service=event.service, issued_at=event.at)
                    timeline = timelines[source] = _Timeline(None, party, visit, sectors.get(event.service),
                                                             rid, changed=True)
                elif timeline is None or stream_id(rid) <= stream_id(timeline.last_event_id):
                    continue  # an anonymous ticket's, or applied already
                else:
                    timeline.visit = step(timeline.visit, event)
                    timeline.sector = sectors.get(timeline.visit.service)
                    timeline.last_event_id, timeline.changed = rid, True
                changed += 1
                dealt[timeline.party] = max(dealt.get(timeline.party, event.at), event.at)
            await self._save(session, tenant, site, timelines, dealt)
            await session.commit()
        return changed

    async def _parties(self, session: AsyncSession, tenant: str, ids: set[int]) -> dict[int, datetime]:
        """The parties of ``tenant`` among ``ids`` that exist, with when they were created."""
        if not ids:
            return {}
        rows = await session.execute(select(_PARTIES.c.id, _PARTIES.c.created_at)
                                     .where(_PARTIES.c.tenant_id == tenant, _PARTIES.c.id.in_(ids)))
        return {row.id: row.created_at for row in rows}

    async def _sectors(self, session: AsyncSession, site: str) -> dict[str, str]:
        """The sector of each service of ``site`` that belongs to one."""
        rows = await session.execute(select(SectorService.service_id, SectorService.sector_id)  # type: ignore[call-overload]
                                     .where(SectorService.site_id == site))
        return {service: sector for service, sector in rows}

    async def _save(self, session: AsyncSession, tenant: str, site: str, timelines: dict[str, _Timeline],
                    dealt: dict[int, datetime]) -> None:
        def detail(timeline: _Timeline) -> dict[str, Any]:
            return {**timeline.visit.detail(), "last_event_id": timeline.last_event_id}

        new = [{"tenant_id": tenant, "party_id": t.party, "at": t.visit.issued_at, "kind": "visit", "sector": t.sector,
                "site_id": site, "service": t.visit.service, "summary": t.visit.summary, "detail": detail(t),
                "source": source, "author": ""}
               for source, t in timelines.items() if t.id is None and t.changed]
        if new:
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            await session.execute(insert(_ENTRIES).on_conflict_do_nothing(), new)
        old = [{"entry": t.id, "new_service": t.visit.service, "new_sector": t.sector, "new_summary": t.visit.summary,
                "new_detail": detail(t)}
               for t in timelines.values() if t.id is not None and t.changed]
        if old:
            await session.execute(
                update(_ENTRIES).where(_ENTRIES.c.id == bindparam("entry"))
                .values(service=bindparam("new_service"), sector=bindparam("new_sector"),
                        summary=bindparam("new_summary"), detail=bindparam("new_detail", type_=_ENTRIES.c.detail.type)),
                old)
        if dealt:
            # Never back in time: a later dealing (another visit, an edit) may have moved it further already.
            await session.execute(
                update(_PARTIES)
                .where(_PARTIES.c.id == bindparam("party"), _PARTIES.c.tenant_id == tenant,
                       _PARTIES.c.dealt_with_at < bindparam("at", type_=_PARTIES.c.dealt_with_at.type))
                .values(dealt_with_at=bindparam("at", type_=_PARTIES.c.dealt_with_at.type)),
                [{"party": party, "at": at} for party, at in dealt.items()])

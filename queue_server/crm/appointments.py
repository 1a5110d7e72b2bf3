"""Appointments on the parties' timelines, fed by booking's events: an appointment that names a party, or whose
phone or e-mail is the contact of exactly one party of its collectivity, is one entry of kind ``appointment``
on that party's timeline, brought up to date by every later event of it (moved, cancelled, checked in, done,
no-show). The CRM never reads booking's tables nor imports its code: it follows the ``booking`` stream (one for
every tenant) through its own consumer group, ``crm``, and reads each event's JSON by its field names, which
are the contract (``id``, ``code``, ``tenant``, ``site``, ``motif``, ``service``, ``start``, ``status``,
``party``, ``phone``, ``email``, ``at``).

- One process at a time writes, holding a short Redis lease (as ``visits.py`` does), so that an appointment's
  events are applied in log order; a new holder first finishes what was read and left unacknowledged.
- Idempotent: the entry's ``source`` is ``appointment:{site}:{id}``, unique per tenant, and it remembers the
  last event applied (``detail.last_event_id``): an event read twice changes nothing. Every event carries the
  whole appointment, so that whichever event of it is read first writes the entry.
- Whose timeline: the party the event names, if it is one of the tenant's (and was not created after the
  event: SQLite gives an erased party's number again); else the one party whose phone (E.164) or e-mail (in
  lower case) is the appointment's. None, or several: no entry (a contact shared by a family names nobody).
  An entry stays with its party once written.
- Never resurrects: an erased party's appointments are blanked by booking (``Record.erasers``), so that their
  later events name no one and match no contact.
- ``summary`` is written once, in the collectivity's language (French): "Rendez-vous Passeport — mardi 12
  janvier 10 h 10 (annulé)". The motif is named by its id ("passeport" → "Passeport"): events carry no
  motif name. The entry's ``at`` is the appointment's start (it moves with it), its ``ref`` the appointment's
  code (what the citizen and the kiosk know), its ``sector`` its service's (``crm_sector_services``).
- ``Party.dealt_with_at`` moves to the latest event's time: retention counts from the last dealing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from babel.dates import format_date
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.identifiers import email_key
from queue_server.crm.tables import ContactPoint, Entry, Party, SectorService
from queue_server.db.tables import Site
from queue_server.i18n import DEFAULT, translations
from queue_server.store.keys import stream_id
from queue_server.store.worker import Entries, LeasedWorker, text

log = logging.getLogger(__name__)

GROUP = "crm"
STREAM = "booking"  # booking's stream, {prefix}booking (booking/events.py): the name is part of the contract
REUSED_NUMBER_AFTER = timedelta(minutes=1)  # as in visits.py: a party created since is another party
_ENTRIES = Entry.__table__  # type: ignore[attr-defined]
_PARTIES = Party.__table__  # type: ignore[attr-defined]
_CONTACTS = ContactPoint.__table__  # type: ignore[attr-defined]


def source_of(site: str, appointment_id: str) -> str:
    """The ``source`` of an appointment's timeline entry: what makes an event read twice write it once."""
    return f"appointment:{site}:{appointment_id}"


@dataclass(frozen=True, slots=True)
class Booked:
    """An ``appointment.*`` event as the timeline reads it (the appointment as it was after the change)."""

    entry_id: str  # the stream entry's
    id: str
    code: str
    tenant: str
    site: str
    motif: str
    service: str
    start: datetime
    status: str
    party: int | None
    phone: str | None
    email: str | None
    at: datetime

    @property
    def source(self) -> str:
        return source_of(self.site, self.id)


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    return moment.astimezone(UTC)


def _optional(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def appointment_events(entries: Entries) -> list[Booked]:
    """The ``appointment.*`` events of ``entries``, read; an entry this version cannot read is skipped, with a
    warning (never its content: it holds a contact)."""
    out = []
    for entry_id, fields in entries:
        kind = text(fields.get("t", fields.get(b"t", b"")))
        if not kind.startswith("appointment."):
            continue
        try:
            data = orjson.loads(fields.get("d", fields.get(b"d", b"")))
            party = data.get("party")
            out.append(Booked(
                entry_id=text(entry_id), id=str(data["id"]), code=str(data["code"]), tenant=str(data["tenant"]),
                site=str(data["site"]), motif=str(data["motif"]), service=str(data["service"]),
                start=_moment(data["start"]), status=str(data["status"]),
                party=party if isinstance(party, int) and not isinstance(party, bool) else None,
                phone=_optional(data.get("phone")), email=_optional(data.get("email")), at=_moment(data["at"])))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("crm: booking entry %s skipped: %s", text(entry_id), type(exc).__name__)
    return out


def summary(event: Booked, zone: str, lang: str = DEFAULT) -> str:
    """"Rendez-vous Passeport — mardi 12 janvier 10 h 10 (annulé)", in ``lang``, on the site's clock."""
    _ = translations(lang).gettext
    try:
        local = event.start.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = event.start
    when = _("{day} {hour}:{minute}").format(day=format_date(local, "EEEE d MMMM", locale=lang),
                                             hour=local.hour, minute=f"{local.minute:02d}")
    motif = event.motif.replace("-", " ").capitalize()
    text_ = _("Appointment {motif} — {when}").format(motif=motif, when=when)
    status = {"cancelled": _("(cancelled)"), "checked_in": _("(checked in)"), "done": _("(done)"),
              "no_show": _("(did not come)")}.get(event.status)
    return f"{text_} {status}" if status else text_


@dataclass
class _Written:
    """An entry being written: its id (None: a new one), its party, the event it holds."""

    id: int | None
    party: int
    event: Booked
    changed: bool = False


class AppointmentTimeline(LeasedWorker):
    """Every server process runs one; the holder of the lease works."""

    group = GROUP

    def __init__(self, redis: Redis, prefix: str, sessions: async_sessionmaker[AsyncSession], *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._no_sites, f"{prefix}crm:appointments:lease", block_ms=block_ms)
        self.sessions = sessions
        self.stream = f"{prefix}{STREAM}"
        self.zones: dict[str, str] = {}  # site -> its time zone
        self.recorded = 0  # events written to a timeline by this process (tests, metrics)

    async def _no_sites(self) -> list[str]:
        return []  # one stream for every tenant, not one per site: see refresh_sites

    async def refresh_sites(self, force: bool = False) -> None:
        """Create the group on booking's stream (from its start, the stream too if booking wrote nothing yet)."""
        if self.stream in self.streams and not force:
            return
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.streams[self.stream] = ""

    async def record(self, stream: str, entries: Entries) -> int:
        """Write the appointments among ``entries`` (in log order), then acknowledge them all; returns how many
        entries."""
        if not entries:
            return 0
        events = appointment_events(entries)
        by_tenant: dict[str, list[Booked]] = {}
        for event in events:
            by_tenant.setdefault(event.tenant, []).append(event)
        for tenant, theirs in by_tenant.items():
            self.recorded += await self._write(tenant, theirs)
        await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])
        return len(entries)

    async def _write(self, tenant: str, events: Sequence[Booked]) -> int:
        """One transaction for one tenant's events: new entries, changed ones, their parties' last dealings.
        Returns how many events changed an entry."""
        sources = {e.source for e in events}
        async with self.sessions() as session:
            found = await session.execute(
                select(_ENTRIES.c.id, _ENTRIES.c.source, _ENTRIES.c.party_id, _ENTRIES.c.detail)
                .where(_ENTRIES.c.tenant_id == tenant, _ENTRIES.c.source.in_(sources)))
            last: dict[str, str] = {}
            written: dict[str, _Written] = {}
            for row in found:
                last[row.source] = str(row.detail.get("last_event_id", "0-0"))
                written[row.source] = _Written(row.id, row.party_id, next(e for e in events if e.source == row.source))
            fresh = [e for e in events if e.source not in written]
            owners = await self._owners(session, tenant, fresh) if fresh else {}
            changed = 0
            dealt: dict[int, datetime] = {}
            for event in events:
                entry = written.get(event.source)
                if entry is None:
                    party = owners.get(event.source)
                    if party is None:
                        continue  # nobody's: no entry (a later event may still find its party)
                    entry = written[event.source] = _Written(None, party, event)
                elif stream_id(event.entry_id) <= stream_id(last.get(event.source, "0-0")):
                    continue  # applied already
                entry.event, entry.changed = event, True
                last[event.source] = event.entry_id
                changed += 1
                dealt[entry.party] = max(dealt.get(entry.party, event.at), event.at)
            if changed:
                await self._save(session, tenant, written, dealt)
                await session.commit()
        return changed

    async def _owners(self, session: AsyncSession, tenant: str, events: Sequence[Booked]) -> dict[str, int]:
        """The party whose timeline each appointment goes to (by source), for those that have one."""
        named = {e.party for e in events if e.party is not None}
        created: dict[int, datetime] = {}
        if named:
            rows = await session.execute(select(_PARTIES.c.id, _PARTIES.c.created_at)
                                         .where(_PARTIES.c.tenant_id == tenant, _PARTIES.c.id.in_(named)))
            created = {row.id: row.created_at for row in rows}
        phones = {e.phone for e in events if e.phone}
        emails = {email_key(e.email) for e in events if e.email}
        holders: dict[tuple[str, str], set[int]] = {}
        if phones or emails:
            rows = await session.execute(
                select(_CONTACTS.c.kind, _CONTACTS.c.key, _CONTACTS.c.party_id).where(
                    _CONTACTS.c.tenant_id == tenant,
                    or_(and_(_CONTACTS.c.kind == "phone", _CONTACTS.c.key.in_(phones)),
                        and_(_CONTACTS.c.kind == "email", _CONTACTS.c.key.in_(emails)))))
            for row in rows:
                holders.setdefault((row.kind, row.key), set()).add(row.party_id)
        owners: dict[str, int] = {}
        for event in events:
            if event.source in owners:
                continue
            if event.party is not None:
                made = created.get(event.party)
                if made is not None and made <= event.at + REUSED_NUMBER_AFTER:
                    owners[event.source] = event.party
                continue  # a party named and gone (or another one now): nobody's
            parties = holders.get(("phone", event.phone or ""), set()) | holders.get(
                ("email", email_key(event.email or "")), set())
            if len(parties) == 1:
                owners[event.source] = next(iter(parties))
        return owners

    async def _zones(self, session: AsyncSession, sites: set[str]) -> Mapping[str, str]:
        missing = sites - set(self.zones)
        if missing:
            rows = await session.execute(select(Site.id, Site.timezone)  # type: ignore[call-overload]
                                         .where(Site.id.in_(missing)))  # type: ignore[attr-defined]
            self.zones.update({site: zone for site, zone in rows})
        return self.zones

    async def _sectors(self, session: AsyncSession, sites: set[str]) -> dict[tuple[str, str], str]:
        rows = await session.execute(
            select(SectorService.site_id, SectorService.service_id, SectorService.sector_id)  # type: ignore[call-overload]
            .where(SectorService.site_id.in_(sites)))  # type: ignore[attr-defined]
        return {(site, service): sector for site, service, sector in rows}

    async def _save(self, session: AsyncSession, tenant: str, written: dict[str, _Written],
                    dealt: dict[int, datetime]) -> None:
        changed = [w for w in written.values() if w.changed]
        sites = {w.event.site for w in changed}
        zones = await self._zones(session, sites)
        sectors = await self._sectors(session, sites)

        def values(w: _Written) -> dict[str, Any]:
            e = w.event
            return {"at": e.start, "sector": sectors.get((e.site, e.service)), "site_id": e.site,
                    "service": e.service, "summary": summary(e, zones.get(e.site, "Europe/Paris")),
                    "detail": {"ref": e.code, "code": e.code, "motif": e.motif, "status": e.status,
                               "start": e.start.isoformat().replace("+00:00", "Z"), "last_event_id": e.entry_id}}

        new = [{"tenant_id": tenant, "party_id": w.party, "kind": "appointment", "source": w.event.source,
                "author": "", **values(w)} for w in changed if w.id is None]
        if new:
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            await session.execute(insert(_ENTRIES).on_conflict_do_nothing(), new)
        old = [{"entry": w.id, **{f"new_{k}": v for k, v in values(w).items()}} for w in changed if w.id is not None]
        if old:
            await session.execute(
                update(_ENTRIES).where(_ENTRIES.c.id == bindparam("entry"))
                .values(at=bindparam("new_at", type_=_ENTRIES.c.at.type), sector=bindparam("new_sector"),
                        site_id=bindparam("new_site_id"), service=bindparam("new_service"),
                        summary=bindparam("new_summary"),
                        detail=bindparam("new_detail", type_=_ENTRIES.c.detail.type)),
                old)
        if dealt:
            # Never back in time: a later dealing (a visit, an edit) may have moved it further already.
            await session.execute(
                update(_PARTIES)
                .where(_PARTIES.c.id == bindparam("party"), _PARTIES.c.tenant_id == tenant,
                       _PARTIES.c.dealt_with_at < bindparam("at", type_=_PARTIES.c.dealt_with_at.type))
                .values(dealt_with_at=bindparam("at", type_=_PARTIES.c.dealt_with_at.type)),
                [{"party": party, "at": at} for party, at in dealt.items()])

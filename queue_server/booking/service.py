"""Booking, as every entry point uses it (the JSON API, the pages, the kiosk's check-in, the ANTS hub): motifs,
free slots, booking, cancelling, moving, the day's agenda, check-in.

No double booking (``tables.py``): a booking is one transaction that writes the appointment, one
``booking_holds`` row per granule of its desk's span, its messages (the outbox) and its audit entry. The
desk is chosen among those the slot engine found free; if another booking committed on that desk since, the
database refuses the holds (unique constraint) and the whole transaction is rolled back: the next free desk
is tried, and when none is left the answer is 409 ``slot-taken``. The transaction writes before it reads
anything, so that SQLite takes its write lock at once (a read transaction upgraded later would fail at once
when another process wrote meanwhile); PostgreSQL's unique index does the same across any number of hosts.
The constraint holds whatever the code above it does: a slot list that was a moment old, two server
processes, a retried request.

Idempotency: an ``Idempotency-Key`` is kept with the appointment (unique per site); the same key gives the
same appointment back, and two requests racing with one key write one appointment.

What this module tells others: ``appointment.*`` events on the ``booking`` stream after each change
(``events.py``), read by the citizen record's timeline through its consumer group."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.booking import notices
from queue_server.booking.ants.gate import AntsGate
from queue_server.booking.domain import slots as engine
from queue_server.booking.domain.arrival import arrival
from queue_server.booking.domain.codes import new_code
from queue_server.booking.domain.errors import Refused
from queue_server.booking.domain.motifs import DurationRule, Motif, Question
from queue_server.booking.domain.status import allowed
from queue_server.booking.errors import Refusal, slot_taken, unknown_appointment, unknown_motif
from queue_server.booking.tables import Appointment, Hold, MotifRow
from queue_server.booking.waitlist import WaitingList
from queue_server.db.tables import Site, Tenant
from queue_server.platform.audit import note, record
from queue_server.platform.calendar import public_holidays
from queue_server.platform.outbox import MessageTemplates
from queue_server.queue.domain.config import SiteConfig

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SiteConfigOf = Callable[[str], Awaitable[SiteConfig | None]]
PartyExists = Callable[[str, int], Awaitable[bool]]
Published = Callable[[str, Appointment], Awaitable[None]]  # kind ("booked", "cancelled"...), the appointment
# Issues the ticket of an appointment checked in (the queue's service, handed by the lifespan): the ticket as the
# asker may see it (a kiosk: public fields), and whether it was issued now (False: the same check-in again).
IssueFor = Callable[[SiteConfig, Appointment, int | None], Awaitable[tuple[dict[str, Any], bool]]]
ACTIVE = ("booked", "checked_in", "done", "no_show")  # statuses that hold their place
LEADS_TO = {"checked_in": ("booked",), "done": ("booked", "checked_in"), "no_show": ("booked", "checked_in")}
UPCOMING = ("booked",)
MAX_RANGE_DAYS = 62
ATTEMPTS = 8  # desks and codes tried before giving up


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """An appointment's id: 128 random bits, URL-safe (the holder's key)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Who:
    """Who books or changes: ``actor`` as the audit log names them ("citizen" for a citizen online), and
    whether they are staff of the site (who may book staff-only motifs and ignore the cut-off)."""

    actor: str
    staff: bool = False
    address: str = ""
    kiosk: int | None = None  # the kiosk's token id, for a check-in at a kiosk


@dataclass(frozen=True, slots=True)
class PersonIn:
    """The person an appointment is for, as the caller gave them (phone already E.164)."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class BookIn:
    motif: str
    start: datetime
    person: PersonIn
    party: int | None = None
    lang: str = "fr"
    answers: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    visit: str | None = None  # appointments of one visit share it (one confirmation for them all)
    notify: bool = True  # False: the caller confirms later, several at once (``confirm``)


@dataclass(frozen=True, slots=True)
class _Context:
    tenant_name: str
    motifs: dict[str, Motif]


class _Closed(Mapping[date, str]):
    """A site's closed days (closures and public holidays, and a motif's own holidays) as the slot engine reads
    them, without listing them."""

    def __init__(self, config: SiteConfig, region: str | None) -> None:
        self.calendar = config.calendar
        self.own = _holidays(region, self.calendar.holidays[0][0].year if self.calendar.holidays else 0) if region \
            else {}

    def __getitem__(self, day: date) -> str:
        reason = self.calendar.closed_on(day)
        if reason is None:
            reason = self.own.get(day)
        if reason is None:
            raise KeyError(day)
        return reason

    def __iter__(self) -> Iterator[date]:
        for closure in self.calendar.closures:
            day = closure.first
            while day <= closure.last:
                yield day
                day += timedelta(days=1)
        for day, _name in self.calendar.holidays:
            yield day
        yield from self.own

    def __len__(self) -> int:
        return sum(1 for _ in self)


@functools.lru_cache(maxsize=64)
def _holidays(region: str, _year_seen: int) -> dict[date, str]:
    """A region's public holidays from last year to two years ahead (cached; the site's first holiday's year is
    part of the key, so that a new year's configuration reads them again)."""
    year = datetime.now(UTC).year
    return dict(public_holidays(region, range(year - 1, year + 3)))


def opening_of(config: SiteConfig, motif: Motif) -> engine.Opening:
    return engine.Opening(zone=config.timezone, weekly=config.calendar.weekly, closed=_Closed(config, motif.holidays))


def motif_of(row: MotifRow) -> Motif:
    return Motif(
        id=row.motif, site=row.site_id, service=row.service, name=row.name, duration_min=row.duration_min,
        capacity=row.capacity, buffer_before_min=row.buffer_before_min, buffer_after_min=row.buffer_after_min,
        step_min=row.step_min, min_notice_min=row.min_notice_min, horizon_days=row.horizon_days, public=row.public,
        cancel_cutoff_min=row.cancel_cutoff_min, arrive_before_min=row.arrive_before_min,
        arrive_after_min=row.arrive_after_min, max_upcoming=row.max_upcoming, description=row.description,
        instructions=row.instructions, documents=tuple(row.documents), languages=tuple(row.languages),
        hours=None if row.hours is None else {int(d): tuple((int(a), int(b)) for a, b in spans)
                                              for d, spans in row.hours.items()},
        questions=tuple(Question(**q) for q in row.questions),
        duration_rule=DurationRule(**row.duration_rule) if row.duration_rule else None,
        ants=row.ants,  # type: ignore[arg-type]
        holidays=row.holidays,
    )


def held_of(motif: Motif, rows: Sequence[Appointment]) -> list[engine.Held]:
    out = []
    for row in rows:
        start, end = engine.held_span(motif, row.start, int((row.end - row.start).total_seconds() // 60))
        out.append(engine.Held(desk=row.desk, start=start, end=end))
    return out


class Booking:
    """One per process, made in the lifespan."""

    def __init__(self, db: async_sessionmaker[AsyncSession], site_config: SiteConfigOf, party_exists: PartyExists,
                 templates: MessageTemplates, published: Published, *, wake: Callable[[], None] = lambda: None,
                 clock: Clock = utc_now, ants: AntsGate | None = None) -> None:
        self.db = db
        self.site_config = site_config
        self.party_exists = party_exists
        self.templates = templates
        self.published = published
        self.wake = wake
        self.clock = clock
        self.ants = ants or AntsGate()
        self.waitlist = WaitingList(db, templates)

    # Motifs ----------------------------------------------------------------------------------------------

    async def config(self, site: str) -> SiteConfig:
        config = await self.site_config(site)
        if config is None:
            raise Refusal(404, "No such site.", "unknown-site")
        return config

    async def motifs(self, site: str, *, staff: bool) -> list[Motif]:
        """The site's motifs in their order: all for staff, the public ones for anyone else."""
        async with self.db() as session:
            rows = (await session.exec(select(MotifRow).where(col(MotifRow.site_id) == site)
                                       .order_by(col(MotifRow.position), col(MotifRow.motif)))).all()
        return [motif_of(row) for row in rows if staff or row.public]

    async def motif(self, site: str, motif_id: str, *, staff: bool) -> Motif:
        async with self.db() as session:
            row = (await session.exec(select(MotifRow).where(
                col(MotifRow.site_id) == site, col(MotifRow.motif) == motif_id))).first()
        if row is None or not (staff or row.public):
            raise unknown_motif(motif_id)
        return motif_of(row)

    async def put_motif(self, site: str, motif: Motif, who: Who) -> bool:
        """Create or replace ``motif`` (its service must be the site's); True when created. Audited."""
        config = await self.config(site)
        if config.service(motif.service) is None:
            raise Refusal(422, f"The site has no service {motif.service!r}.", "unknown-service", "service")
        async with self.db() as session:
            row = (await session.exec(select(MotifRow).where(
                col(MotifRow.site_id) == site, col(MotifRow.motif) == motif.id))).first()
            created = row is None
            if row is None:
                count = (await session.exec(select(func.count()).select_from(MotifRow).where(
                    col(MotifRow.site_id) == site))).one()
                row = MotifRow(site_id=site, motif=motif.id, position=int(count), service=motif.service,
                               name=motif.name, duration_min=motif.duration_min)
            before = _motif_json(motif_of(row)) if not created else None
            _fill(row, motif)
            session.add(row)
            note(session, "config.motif", who.actor, tenant=config.tenant, site=site, target=motif.id,
                 address=who.address, detail=str({"before": before, "after": _motif_json(motif)})[:4000])
            await session.commit()
        return created

    # Slots -----------------------------------------------------------------------------------------------

    async def slots(self, site: str, motif_id: str, first: date, last: date, *, staff: bool,
                    answers: Mapping[str, Any] | None = None) -> tuple[Motif, list[engine.Slot]]:
        """The free slots of a motif from ``first`` to ``last`` (local days, both included; 62 days at most)."""
        if last < first:
            raise Refusal(422, "The range ends before it starts.", "invalid-range", "to")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise Refusal(422, f"A range covers {MAX_RANGE_DAYS} days at most.", "invalid-range", "to")
        config = await self.config(site)
        motif = await self.motif(site, motif_id, staff=staff)
        zone = ZoneInfo(config.timezone)
        lo = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC) - timedelta(days=1)
        hi = datetime.combine(last, datetime.min.time(), zone).astimezone(UTC) + timedelta(days=2)
        async with self.db() as session:
            rows = await self._held_rows(session, site, motif.id, lo, hi)
        duration = motif.duration_for(answers or {})
        found = engine.slots(motif, opening_of(config, motif), held_of(motif, rows), first, last, self.clock(),
                             duration)
        return motif, found

    async def _held_rows(self, session: AsyncSession, site: str, motif: str, lo: datetime,
                         hi: datetime) -> Sequence[Appointment]:
        return (await session.exec(select(Appointment).where(
            col(Appointment.site_id) == site, col(Appointment.motif) == motif, col(Appointment.status).in_(ACTIVE),
            col(Appointment.start) < hi, col(Appointment.end) > lo))).all()

    # Booking ---------------------------------------------------------------------------------------------

    async def book(self, site: str, request: BookIn, who: Who, base_url: str) -> tuple[Appointment, bool]:
        """Book ``request``; (the appointment, True) when created, (the key's appointment, False) when the
        idempotency key was seen. Refusals: 404 unknown motif or party, 422 a start that cannot be booked,
        409 ``slot-taken``, 409 ``too-many-appointments`` (a contact's upcoming ones for this motif)."""
        if request.key is not None:
            found = await self._by_key(site, request.key)
            if found is not None:
                return found, False
        config = await self.config(site)
        motif = await self.motif(site, request.motif, staff=who.staff)
        if request.party is not None and not await self.party_exists(config.tenant, request.party):
            raise Refusal(404, "No such party in the citizen record.", "unknown-party", "party")
        now = self.clock()
        duration = motif.duration_for(request.answers)
        start = request.start.astimezone(UTC)
        try:
            engine.check_start(motif, opening_of(config, motif), start, now, duration)
        except Refused as refused:
            raise Refusal(422, refused.detail, refused.kind, "start") from None
        check_answers(motif, request.answers)
        if not who.staff:
            await self._within_limit(site, motif, request.person, now)
        numbers = await self.ants.check(motif, request.answers)
        end = start + timedelta(minutes=duration)
        context = await self._context(config)
        for _ in range(ATTEMPTS):
            async with self.db() as session:
                lo, hi = engine.held_span(motif, start, duration)
                rows = await self._held_rows(session, site, motif.id, lo - timedelta(days=1), hi + timedelta(days=1))
            desks = engine.free_desks(motif, held_of(motif, rows), start, duration)
            if not desks:
                raise slot_taken()
            for desk in desks:
                appointment = Appointment(
                    id=new_id(), tenant_id=config.tenant, site_id=site, code=new_code(secrets.choice),
                    motif=motif.id, service=motif.service, start=start, end=end,
                    day=config.local(start).date(), desk=desk, first_name=request.person.first_name,
                    last_name=request.person.last_name, email=request.person.email, phone=request.person.phone,
                    party=request.party, lang=request.lang, answers=dict(request.answers), idempotency_key=request.key,
                    visit=request.visit, booked_by=who.actor if who.staff else "citizen", created_at=now,
                    updated_at=now)
                outcome = await self._write(appointment, motif, config, who, base_url, request.notify, lo, hi,
                                            context)
                if outcome == "written":
                    self.wake()
                    await self.published("booked", appointment)
                    await self.ants.declare(config, motif, appointment, numbers, base_url)
                    return appointment, True
                if outcome == "key":
                    found = await self._by_key(site, request.key or "")
                    if found is not None:
                        return found, False
                # "taken" (another booking took the desk meanwhile) or "code" (the code was drawn twice): next try
        raise slot_taken()

    async def _write(self, appointment: Appointment, motif: Motif, config: SiteConfig, who: Who, base_url: str,
                     notify: bool, lo: datetime, hi: datetime, context: _Context) -> str:
        """One attempt: "written", or why not ("taken", "code", "key")."""
        async with self.db() as session:
            session.add(appointment)
            try:
                await session.flush()
            except IntegrityError as exc:
                await session.rollback()
                reason = str(exc.orig)
                return "key" if "idempotency" in reason or "site_key" in reason else "code"
            session.add_all([Hold(site_id=appointment.site_id, motif=motif.id, desk=appointment.desk, at=at,
                                  appointment_id=appointment.id) for at in engine.granules(lo, hi)])
            try:
                await session.flush()  # the place: refused here when another booking took the desk meanwhile
            except IntegrityError:
                await session.rollback()
                return "taken"
            if notify:
                await self._notify(session, "confirmed", [appointment], config, base_url, context)
            note(session, "appointment.booked", who.actor, tenant=config.tenant, site=appointment.site_id,
                 target=appointment.code, address=who.address, detail=f"{motif.id} {appointment.start.isoformat()}")
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return "taken"
        return "written"

    async def _within_limit(self, site: str, motif: Motif, person: PersonIn, now: datetime) -> None:
        contacts = [c for c in (col(Appointment.phone) == person.phone if person.phone else None,
                                col(Appointment.email) == person.email if person.email else None) if c is not None]
        if not contacts:
            return
        async with self.db() as session:
            count = (await session.exec(select(func.count()).select_from(Appointment).where(
                col(Appointment.site_id) == site, col(Appointment.motif) == motif.id,
                col(Appointment.status).in_(UPCOMING), col(Appointment.start) > now, or_(*contacts)))).one()
        if count >= motif.max_upcoming:
            raise Refusal(409, f"This contact already holds {count} upcoming appointments for this motif: cancel "
                               "one first.", "too-many-appointments", "person")

    async def _by_key(self, site: str, key: str) -> Appointment | None:
        async with self.db() as session:
            return (await session.exec(select(Appointment).where(
                col(Appointment.site_id) == site, col(Appointment.idempotency_key) == key))).first()

    # Reading ---------------------------------------------------------------------------------------------

    async def get(self, site: str, appointment_id: str) -> Appointment:
        async with self.db() as session:
            row = await session.get(Appointment, appointment_id)
        if row is None or row.site_id != site:
            raise unknown_appointment()
        return row

    async def site_ids(self) -> list[str]:
        async with self.db() as session:
            return list((await session.exec(select(Site.id))).all())

    async def upcoming(self, site: str, motifs: Sequence[str]) -> list[Appointment]:
        """The site's booked appointments of ``motifs`` from now on."""
        async with self.db() as session:
            return list((await session.exec(select(Appointment).where(
                col(Appointment.site_id) == site, col(Appointment.motif).in_(motifs),
                col(Appointment.status) == "booked", col(Appointment.start) >= self.clock()))).all())

    async def find(self, appointment_id: str) -> Appointment | None:
        """The appointment of this id on any site (its holder's page, ``/a/{id}``, names no site)."""
        async with self.db() as session:
            return await session.get(Appointment, appointment_id)

    async def by_code(self, site: str, code: str) -> Appointment | None:
        async with self.db() as session:
            return (await session.exec(select(Appointment).where(
                col(Appointment.site_id) == site, col(Appointment.code) == code))).first()

    async def day(self, site: str, day: date) -> list[Appointment]:
        """The appointments of a local day, by start then desk (cancelled ones included: the agenda shows them);
        those missed are marked no-shows first (the background job does it every minute)."""
        await self.mark_missed()
        async with self.db() as session:
            return list((await session.exec(select(Appointment).where(
                col(Appointment.site_id) == site, col(Appointment.day) == day).order_by(
                col(Appointment.start), col(Appointment.desk)))).all())

    async def agenda(self, site: str, day: date, who: Who) -> list[Appointment]:
        """The day's appointments as a staff page shows them (``day``), its reading audited once
        (``appointment.agenda``: names and contacts of everyone expected that day were shown)."""
        config = await self.config(site)
        rows = await self.day(site, day)
        async with self.db() as session:
            await record(session, "appointment.agenda", who.actor, tenant=config.tenant, site=site,
                         target=day.isoformat(), address=who.address, detail=f"{len(rows)} appointments")
        return rows

    # Changing --------------------------------------------------------------------------------------------

    async def cancel(self, site: str, appointment_id: str, who: Who, base_url: str, reason: str = "") -> Appointment:
        """Cancel: the place is free again at once, the citizen is told, a pending reminder is withdrawn.
        Citizens may not cancel within the motif's cut-off (409 ``too-late``); an appointment already
        cancelled is answered as it is (cancelling twice changes nothing)."""
        appointment = await self.get(site, appointment_id)
        if appointment.status == "cancelled":
            return appointment
        if not allowed(appointment.status, "cancel"):  # type: ignore[arg-type]  # a status of the table
            raise Refusal(409, f"An appointment {appointment.status.replace('_', ' ')} cannot be cancelled.",
                          "wrong-status")
        config = await self.config(site)
        motif = await self.motif(site, appointment.motif, staff=True)
        now = self.clock()
        if not who.staff and appointment.start - now < timedelta(minutes=motif.cancel_cutoff_min):
            raise Refusal(409, "It is too late to cancel online: please call the town hall.", "too-late")
        context = await self._context(config)
        async with self.db() as session:
            # Written first, conditionally: a cancellation racing another (or a check-in) changes it once.
            changed = await session.execute(update(Appointment).where(
                col(Appointment.id) == appointment_id, col(Appointment.status) == "booked").values(
                status="cancelled", reason=reason[:300], updated_at=now))
            row = await session.get(Appointment, appointment_id)
            assert row is not None
            if not changed.rowcount:  # type: ignore[attr-defined]
                await session.rollback()
                return row
            await session.execute(delete(Hold).where(col(Hold.appointment_id) == row.id))
            await self._notify(session, "cancelled", [row], config, base_url, context)
            note(session, "appointment.cancelled", who.actor, tenant=config.tenant, site=site, target=row.code,
                 address=who.address, detail=reason[:300])
            await session.commit()
        await self.waitlist.freed(config, motif.id, motif.name, row.start, base_url, now)
        self.wake()
        await self.published("cancelled", row)
        await self.ants.withdraw(config, motif, row)
        return row

    async def move(self, site: str, appointment_id: str, start: datetime, who: Who, base_url: str,
                   reason: str = "") -> Appointment:
        """Move to another start of the same motif: the new place is taken (or 409 ``slot-taken``) in the same
        transaction as the old one is freed; the .ics keeps its UID and its SEQUENCE grows."""
        appointment = await self.get(site, appointment_id)
        if not allowed(appointment.status, "move"):  # type: ignore[arg-type]  # a status of the table
            raise Refusal(409, f"An appointment {appointment.status.replace('_', ' ')} cannot be moved.",
                          "wrong-status")
        config = await self.config(site)
        motif = await self.motif(site, appointment.motif, staff=True)
        now = self.clock()
        if not who.staff and appointment.start - now < timedelta(minutes=motif.cancel_cutoff_min):
            raise Refusal(409, "It is too late to move this appointment online: please call the town hall.",
                          "too-late")
        duration = int((appointment.end - appointment.start).total_seconds() // 60)
        old_start = appointment.start
        start = start.astimezone(UTC)
        try:
            engine.check_start(motif, opening_of(config, motif), start, now, duration)
        except Refused as refused:
            raise Refusal(422, refused.detail, refused.kind, "start") from None
        lo, hi = engine.held_span(motif, start, duration)
        context = await self._context(config)
        async with self.db() as session:
            rows = [r for r in await self._held_rows(session, site, motif.id, lo - timedelta(days=1),
                                                     hi + timedelta(days=1)) if r.id != appointment_id]
        for desk in engine.free_desks(motif, held_of(motif, rows), start, duration):
            async with self.db() as session:
                await session.execute(delete(Hold).where(col(Hold.appointment_id) == appointment_id))
                row = await session.get(Appointment, appointment_id)
                assert row is not None
                if row.status != "booked":
                    await session.rollback()
                    raise Refusal(409, "This appointment changed meanwhile.", "wrong-status")
                row.start, row.end, row.desk = start, start + timedelta(minutes=duration), desk
                row.day, row.sequence, row.updated_at, row.reason = config.local(start).date(), row.sequence + 1, now, \
                    reason[:300]
                session.add(row)
                session.add_all([Hold(site_id=site, motif=motif.id, desk=desk, at=at, appointment_id=row.id)
                                 for at in engine.granules(lo, hi)])
                try:
                    await session.flush()
                except IntegrityError:
                    await session.rollback()
                    continue
                await self._notify(session, "moved", [row], config, base_url, context)
                note(session, "appointment.moved", who.actor, tenant=config.tenant, site=site, target=row.code,
                     address=who.address, detail=f"{start.isoformat()} {reason}"[:4000])
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue
            await self.waitlist.freed(config, motif.id, motif.name, old_start, base_url, now)
            self.wake()
            await self.published("moved", row)
            return row
        raise slot_taken()

    async def confirm(self, site: str, ids: Sequence[str], base_url: str) -> list[Appointment]:
        """One confirmation (one SMS, one e-mail with every event) for appointments booked with ``notify``
        off, all for one person: the contact of the first is used."""
        config = await self.config(site)
        context = await self._context(config)
        async with self.db() as session:
            rows = [await session.get(Appointment, i) for i in ids]
            found = [r for r in rows if r is not None and r.site_id == site and r.status == "booked"]
            if len(found) != len(ids):
                raise unknown_appointment()
            await self._notify(session, "confirmed", found, config, base_url, context)
            await session.commit()
        self.wake()
        return found

    async def set_status(self, site: str, appointment_id: str, status: str, *, ticket_id: str | None = None,
                         at: datetime | None = None) -> Appointment | None:
        """The status an appointment's ticket gave it (checked in, done, no-show), from the statuses that may lead
        there only (a check-in written after its ticket was already finished leaves it done); None if unknown.
        One UPDATE first: the transaction writes before it reads (SQLite takes its write lock at once)."""
        values: dict[str, Any] = {"status": status, "updated_at": at or self.clock()}
        if ticket_id is not None:
            values.update(ticket_id=ticket_id, checked_in_at=at or self.clock())
        async with self.db() as session:
            changed = await session.execute(update(Appointment).where(
                col(Appointment.id) == appointment_id, col(Appointment.site_id) == site,
                col(Appointment.status).in_(LEADS_TO.get(status, ()))).values(**values))
            await session.commit()
            row = await session.get(Appointment, appointment_id)
        if row is not None and changed.rowcount:  # type: ignore[attr-defined]
            await self.published(status, row)
        return row

    async def mark_missed(self, grace: timedelta = timedelta(hours=1)) -> int:
        """Appointments still booked (never checked in) an hour after their end are no-shows; how many."""
        async with self.db() as session:
            missed = (await session.exec(select(Appointment.id, Appointment.site_id).where(
                col(Appointment.status) == "booked", col(Appointment.end) < self.clock() - grace).limit(500))).all()
        for appointment_id, site in missed:
            await self.set_status(site, appointment_id, "no_show")
        return len(missed)

    # Messages --------------------------------------------------------------------------------------------

    async def _context(self, config: SiteConfig) -> _Context:
        """What messages name, read before a writing transaction opens (one that waited for another connection of
        the pool while holding SQLite's write lock could wait on a request that waits for that lock)."""
        async with self.db() as session:
            tenant = await session.get(Tenant, config.tenant)
        motifs = {m.id: m for m in await self.motifs(config.id, staff=True)}
        return _Context(tenant.name if tenant is not None else config.tenant, motifs)

    def _notices(self, rows: Sequence[Appointment], config: SiteConfig, base_url: str,
                 context: _Context) -> list[notices.Notice]:
        told = []
        for row in rows:
            motif = context.motifs.get(row.motif)
            service = config.service(row.service)
            told.append(notices.Notice(
                tenant=config.tenant, tenant_name=context.tenant_name, appointment_id=row.id, code=row.code,
                site_name=config.name, site_address=config.address, zone=config.timezone,
                motif=motif.name if motif else row.motif, service=service.name if service else row.service,
                start=row.start, end=row.end, instructions=motif.instructions if motif else "",
                documents=motif.documents if motif else (), manage_url=f"{base_url.rstrip('/')}/a/{row.id}",
                lang=row.lang, sequence=row.sequence))
        return told

    async def _notify(self, session: AsyncSession, kind: notices.Kind, rows: Sequence[Appointment],
                      config: SiteConfig, base_url: str, context: _Context) -> None:
        first = rows[0]
        if first.phone is None and first.email is None:
            return
        await notices.send(session, self.templates, kind, self._notices(rows, config, base_url, context),
                           phone=first.phone, email=first.email, now=self.clock())

    async def ics(self, config: SiteConfig, row: Appointment, base_url: str) -> bytes:
        """The appointment as an iCalendar file (cancelled: a cancelling one)."""
        told = self._notices([row], config, base_url, await self._context(config))
        return notices.ics(told, cancelled=row.status == "cancelled")

    # Check-in ----------------------------------------------------------------------------------------------

    async def check_in(self, config: SiteConfig, row: Appointment, kiosk: int | None,
                       issue: IssueFor) -> tuple[dict[str, Any], bool]:
        """The ticket of an appointment that arrives: in the motif's service, called before the walk-ins (the
        queue's ordering). 409 when cancelled, already checked in or over; 422 ``not-today``, ``too-early``
        (with when to come back) or ``too-late``: the kiosk then offers a walk-in ticket."""
        if row.status == "cancelled":
            raise Refusal(409, "This appointment was cancelled.", "appointment-cancelled", "code")
        if row.status == "checked_in":
            raise Refusal(409, "This appointment is already checked in: your ticket was given.", "already-checked-in",
                          "code")
        if row.status != "booked":
            raise Refusal(409, "This appointment is over.", "appointment-over", "code")
        motif = await self.motif(config.id, row.motif, staff=True)
        now = self.clock()
        where = arrival(motif, row.start, now, config.timezone)
        local = config.local(row.start)
        if where == "other_day":
            raise Refusal(422, f"This appointment is on {local.date().isoformat()}, not today.", "not-today", "code")
        if where == "early":
            opens = config.local(row.start - timedelta(minutes=motif.arrive_before_min))
            raise Refusal(422, f"Too early: check in from {opens:%H:%M} (appointment at {local:%H:%M}).",
                          "too-early", "code")
        if where == "late":
            raise Refusal(422, f"Too late: the appointment was at {local:%H:%M}.", "too-late", "code")
        ticket, created = await issue(config, row, kiosk)
        await self.set_status(config.id, row.id, "checked_in", ticket_id=str(ticket["id"]), at=now)
        return ticket, created


def check_answers(motif: Motif, answers: Mapping[str, Any]) -> None:
    """The answers to the motif's questions: each required one given, counts within their bounds, choices among
    theirs, no answer to a question the motif does not ask (422 naming ``answers.QUESTION``)."""
    questions = {q.id: q for q in motif.questions}
    for name in answers:
        if name not in questions:
            raise Refusal(422, f"The motif asks no question {name!r}.", "invalid-answers", f"answers.{name}")
    for question in motif.questions:
        value = answers.get(question.id)
        where = f"answers.{question.id}"
        if value is None:
            if question.required:
                raise Refusal(422, f"Answer {question.label!r}.", "invalid-answers", where)
            continue
        if question.kind == "count" and not (isinstance(value, int) and question.minimum <= value <= question.maximum):
            raise Refusal(422, f"{question.label}: a number from {question.minimum} to {question.maximum}.",
                          "invalid-answers", where)
        if question.kind == "choice" and value not in question.choices:
            raise Refusal(422, f"{question.label}: one of {', '.join(question.choices)}.", "invalid-answers", where)
        if question.kind in ("text", "commune") and not isinstance(value, str):
            raise Refusal(422, f"{question.label}: a text.", "invalid-answers", where)


# The motif's plain fields, stored as they are.
_PLAIN = ("service", "name", "duration_min", "capacity", "buffer_before_min", "buffer_after_min", "step_min",
          "min_notice_min", "horizon_days", "public", "cancel_cutoff_min", "arrive_before_min", "arrive_after_min",
          "max_upcoming", "description", "instructions", "ants", "holidays")


def _fill(row: MotifRow, motif: Motif) -> None:
    for name in _PLAIN:
        setattr(row, name, getattr(motif, name))
    row.documents, row.languages = list(motif.documents), list(motif.languages)
    row.hours = None if motif.hours is None else {str(d): [[a, b] for a, b in spans]
                                                  for d, spans in sorted(motif.hours.items())}
    row.questions = [{"id": q.id, "label": q.label, "kind": q.kind, "required": q.required,
                      "choices": list(q.choices), "minimum": q.minimum, "maximum": q.maximum} for q in motif.questions]
    row.duration_rule = None if motif.duration_rule is None else {
        "question": motif.duration_rule.question, "per_extra_min": motif.duration_rule.per_extra_min}


def _motif_json(motif: Motif) -> dict[str, Any]:
    return {"service": motif.service, "name": motif.name, "duration_min": motif.duration_min,
            "capacity": motif.capacity, "public": motif.public, "min_notice_min": motif.min_notice_min,
            "horizon_days": motif.horizon_days}

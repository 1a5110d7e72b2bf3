"""Requests, as every entry point uses them (the JSON API now; the citizen pages, the IMAP intake and the staff
page later): categories, creating a request, reading, listing, messages, status changes.

Nothing half saved: creating a request is one transaction that draws its reference (``tables.py``), writes the
request, its first message, its attachments' metadata, the acknowledgement (the outbox) and the audit entry; the
files, already checked and spooled by the caller under the data directory, are moved into the request's
directory before the commit and removed again if it fails. A process killed between the move and the commit
leaves files that no row names (never a row naming no file). The transaction writes before it reads (the
reference's counter first), so that SQLite takes its write lock at once.

The acknowledgement of receipt (CRPA L112-11) goes at creation, in the same e-mail as the receipt, unless the
category says otherwise (``acknowledge_at_once``): then a registration receipt goes at creation, and the
acknowledgement when an agent sends it (``acknowledge``) or, failing that, before 7 days have passed
(``send_due_acknowledgements``, run by ``acknowledging.py``). A sender without an e-mail address gets the printed
one (``printed``). ``acknowledged_at`` says when it went.

Who may do what is the web layer's (``web/api.py``); this module takes who acts (``Who``) for the audit log."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import OutboxMessage, Site, SiteLogo, Tenant
from queue_server.platform.audit import note
from queue_server.platform.calendar import public_holidays
from queue_server.platform.outbox import MessageTemplates, message_ref
from queue_server.platform.textsearch import Span
from queue_server.requests import indexing, notices
from queue_server.requests.domain import acknowledgement, receipt, sender, status
from queue_server.requests.domain.due import due_on
from queue_server.requests.domain.errors import Refused
from queue_server.requests.domain.handling import check_reopen
from queue_server.requests.domain.references import reference
from queue_server.requests.errors import Refusal, refusal_of, unknown_category, unknown_request, unknown_tenant
from queue_server.requests.events import Publish, published_nowhere
from queue_server.requests.links import Links, links_of
from queue_server.requests.tables import (
    CategoryRow,
    RequestAttachment,
    RequestCounter,
    RequestMail,
    RequestMessage,
    RequestRow,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
TEXT_HITS = 50  # a search by words lists this many requests at most, best first
ATTEMPTS = 4  # two first requests of a year racing to create its counter: the loser tries again


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A request's id: 128 random bits, URL-safe (the holder's key, in the tracking link)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Who:
    """Who acts: ``actor`` as the audit log names them ("citizen" online), whether staff, their address."""

    actor: str
    staff: bool = False
    address: str = ""


@dataclass(frozen=True, slots=True)
class PersonIn:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None  # E.164
    address: str | None = None


@dataclass(frozen=True, slots=True)
class OrganisationIn:
    name: str
    siren: str | None = None
    rna: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file checked by the caller and spooled at ``path`` (under the service's ``files_dir``): its shown name,
    its type as read from its content, its size and SHA-256."""

    path: Path
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class RequestIn:
    category: str
    subject: str
    body: str
    person: PersonIn
    organisation: OrganisationIn | None = None
    channel: sender.Channel = "web"
    lang: str = "fr"
    files: Sequence[Incoming] = ()
    mail_id: str | None = None  # by e-mail (``intake/``): its Message-ID, remembered (``RequestMail``)
    received_on: date | None = None  # a letter's day of receipt, given by staff (``domain/receipt.py``); else today


@dataclass(frozen=True, slots=True)
class Found:
    """A request with its messages (oldest first) and attachments, and what it is read with (``links.py``: its
    service, the requests handling linked it to)."""

    row: RequestRow
    messages: list[RequestMessage] = field(default_factory=list)
    attachments: list[RequestAttachment] = field(default_factory=list)
    links: Links = Links()


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What heads the collectivity's letters: its name, postal address, logo (a URL of this server) and clock."""

    name: str
    address: str
    logo: str | None
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class _Calendar:
    zone: ZoneInfo
    region: str | None


def contact_of(row: CategoryRow) -> acknowledgement.ServiceContact:
    return acknowledgement.ServiceContact(row.service_name, row.service_address, row.service_email,
                                          row.service_phone)


def mentions_of(row: CategoryRow) -> acknowledgement.Mentions:
    return acknowledgement.Mentions(row.implicit, row.delay_months, row.delay_days, row.appeal)  # type: ignore[arg-type]


class Requests:
    """One per process, made in the lifespan. ``files_dir`` holds the attachments (``{tenant}/{request}/{n}``)
    and the caller's spool (``incoming/``)."""

    def __init__(self, db: async_sessionmaker[AsyncSession], templates: MessageTemplates, files_dir: Path, *,
                 wake: Callable[[], None] = lambda: None, clock: Clock = utc_now,
                 publish: Publish = published_nowhere) -> None:
        self.db = db
        self.publish = publish  # the events of the changes, once committed (``events.py``)
        self.templates = templates
        self.files_dir = files_dir
        self.wake = wake
        self.clock = clock
        # The domain of our e-mails' Message-IDs (``[email] from``'s), so that replies name earlier ones.
        self.mail_domain = ""

    @property
    def spool(self) -> Path:
        """Where the caller writes files as they arrive (the same file system as their final place)."""
        path = self.files_dir / "incoming"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # Tenants and categories ---------------------------------------------------------------------------------

    async def tenant_name(self, tenant: str) -> str:
        """The collectivity's name; 404 ``unknown-tenant`` when there is none of that id."""
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
        if row is None:
            raise unknown_tenant()
        return row.name

    async def categories(self, tenant: str, *, staff: bool) -> list[CategoryRow]:
        """The tenant's categories in their order: all for staff, the public ones for anyone else."""
        async with self.db() as session:
            rows = (await session.exec(select(CategoryRow).where(col(CategoryRow.tenant_id) == tenant).order_by(
                col(CategoryRow.position), col(CategoryRow.category)))).all()
        return [row for row in rows if staff or row.public]

    async def put_category(self, row: CategoryRow, who: Who) -> bool:
        """Create or replace a category (its mentions checked: R112-11-1); True when created. Audited."""
        try:
            acknowledgement.check(contact_of(row), mentions_of(row))
        except Refused as refused:
            raise refusal_of(refused) from None
        async with self.db() as session:
            found = (await session.exec(select(CategoryRow).where(
                col(CategoryRow.tenant_id) == row.tenant_id, col(CategoryRow.category) == row.category))).first()
            if found is not None:
                row.id = found.id
                await session.merge(row)
            else:
                session.add(row)
            note(session, "config.request-category", who.actor, tenant=row.tenant_id, target=row.category,
                 address=who.address)
            await session.commit()
        return found is None

    async def _calendar(self, session: AsyncSession, tenant: str, site: str | None) -> _Calendar:
        """The clock and public holidays of the category's site (else the tenant's first site)."""
        query = select(Site).where(col(Site.tenant_id) == tenant)
        query = query.where(col(Site.id) == site) if site else query.order_by(col(Site.id))
        found = (await session.exec(query)).first()
        if found is None:
            return _Calendar(ZoneInfo("Europe/Paris"), "FR")
        try:
            zone = ZoneInfo(found.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Europe/Paris")
        return _Calendar(zone, found.holiday_region)

    # Creating -----------------------------------------------------------------------------------------------

    async def create(self, tenant: str, new: RequestIn, who: Who, base_url: str) -> Found:
        """File ``new``: its reference drawn, its acknowledgement written to the outbox when the sender gave an
        e-mail address (for a category that does not acknowledge at once, a registration receipt: the
        acknowledgement follows, ``acknowledge``). Refusals: 404 unknown tenant, 422 unknown category (or a
        staff-only one for a citizen), 422 a sender R112-9-1 does not identify, 422 ``invalid-receipt-date`` (a
        letter's date of receipt: ``domain/receipt.py``). ``new.files`` are moved under the request's directory,
        or stay where they are when it is refused (the caller removes them)."""
        tenant_name = await self.tenant_name(tenant)
        person, organisation = new.person, new.organisation
        try:
            sender.check(sender.Sender(
                person.first_name, person.last_name, person.email or "", person.address or "",
                organisation.name if organisation else "", (organisation.siren or "") if organisation else "",
                (organisation.rna or "") if organisation else ""), new.channel)
        except Refused as refused:
            raise refusal_of(refused) from None
        categories = {row.category: row for row in await self.categories(tenant, staff=who.staff)}
        category = categories.get(new.category)
        if category is None:
            raise unknown_category(new.category)
        for _ in range(ATTEMPTS):
            found = await self._write(tenant, tenant_name, category, new, who, base_url)
            if found is not None:
                self.wake()
                await self.publish("created", found.row)
                return found
        raise Refusal(503, "The request could not be filed; try again.", "busy")

    async def _write(self, tenant: str, tenant_name: str, category: CategoryRow, new: RequestIn, who: Who,
                     base_url: str) -> Found | None:
        """One attempt; ``None`` when another request created the year's counter meanwhile."""
        now = self.clock()
        request_id = new_id()
        moved: list[Path] = []
        folder = self.files_dir / tenant / request_id
        try:
            async with self.db() as session:
                found = await self.insert(session, tenant, tenant_name, category, new, who, base_url,
                                          request_id=request_id, now=now)
                if found is None:
                    return None
                if new.files:
                    folder.mkdir(parents=True, exist_ok=False)
                    for n, incoming in enumerate(new.files, 1):
                        os.replace(incoming.path, folder / str(n))
                        moved.append(folder / str(n))
                await session.commit()
                for item in (found.row, *found.messages, *found.attachments):
                    await session.refresh(item)
                return found
        except BaseException:
            # Nothing half saved: the files go back to the spool (the caller removes them with the rest).
            for n, path in enumerate(moved, 1):
                with contextlib.suppress(OSError):
                    os.replace(path, new.files[n - 1].path)
            shutil.rmtree(folder, ignore_errors=True)
            raise

    async def insert(self, session: AsyncSession, tenant: str, tenant_name: str, category: CategoryRow,
                     new: RequestIn, who: Who, base_url: str, *, request_id: str, now: datetime,
                     note_more: str = "") -> Found | None:
        """Write request ``request_id`` in ``session``'s transaction, without committing: its reference drawn (the
        transaction's first write: call this first), its first message, its attachments' metadata (the caller
        puts ``new.files`` at ``{files_dir}/{tenant}/{request_id}/{n}``), its acknowledgement and the audit entry
        (``note_more`` added to its detail). ``None``, the transaction rolled back, when another request created
        the year's counter meanwhile: try again."""
        calendar = await self._calendar(session, tenant, category.site_id)
        today = now.astimezone(calendar.zone).date()
        try:
            received_on = receipt.received_on(new.received_on, today, new.channel, staff=who.staff)
        except Refused as refused:
            raise refusal_of(refused) from None
        # A letter of an earlier day was received at no hour anyone noted: noon of its day, on the site's clock (the
        # same day in UTC, as sorting and the day shown need).
        received_at = now if received_on == today else datetime.combine(
            received_on, time(12), calendar.zone).astimezone(UTC)
        number = await self._next_number(session, tenant, today.year)
        if number is None:
            return None
        holidays = _holidays(calendar.region, received_on.year)
        person, organisation = new.person, new.organisation
        row = RequestRow(
            id=request_id, tenant_id=tenant, reference=reference(today.year, number),
            category=category.category, subject=new.subject, channel=new.channel, received_at=received_at,
            received_on=received_on, due_on=due_on(received_on, category.answer_days, holidays),
            first_name=person.first_name, last_name=person.last_name, email=person.email,
            phone=person.phone, address=person.address,
            organisation=organisation.name if organisation else None,
            siren=organisation.siren if organisation else None,
            rna=organisation.rna if organisation else None, lang=new.lang,
            created_by=who.actor if who.staff else "citizen", updated_at=now)
        session.add(row)
        await session.flush()  # the request before what refers to it (no relationship orders them)
        message = RequestMessage(request_id=request_id, at=now, author="citizen", body=new.body,
                                 actor=who.actor)
        session.add(message)
        await session.flush()
        attachments = []
        for n, incoming in enumerate(new.files, 1):
            relative = f"{tenant}/{request_id}/{n}"
            attachments.append(RequestAttachment(
                request_id=request_id, message_id=message.id, filename=incoming.filename,
                content_type=incoming.content_type, size=incoming.size, sha256=incoming.sha256,
                path=relative, at=now))
        session.add_all(attachments)
        if new.mail_id:
            session.add(RequestMail(tenant_id=tenant, message_id=new.mail_id, request_id=request_id, at=now))
            await session.flush()
        # RFC 3834: an automatic answer, which the citizen's own auto-responder must not answer.
        headers = {**await notices.thread_headers(session, row, self.mail_domain),
                   "Auto-Submitted": "auto-replied" if new.mail_id else "auto-generated"}
        tracking = notices.tracking_url(base_url, row.id)
        if category.acknowledge_at_once:  # one e-mail, the receipt and the acknowledgement of receipt
            facts = acknowledgement.facts(received_on, contact_of(category), mentions_of(category))
            if await notices.acknowledge(session, self.templates, row, facts, tenant_name=tenant_name,
                                         category=category.name, tracking=tracking, headers=headers):
                row.acknowledged_at = now
        else:  # the registration receipt; the acknowledgement follows (``acknowledge``)
            await notices.register(session, self.templates, row, tenant_name=tenant_name, category=category.name,
                                   tracking=tracking, zone=calendar.zone, headers=headers)
        note(session, "request.created", who.actor, tenant=tenant, target=row.reference, address=who.address,
             detail=f"{category.category} {new.channel} {len(attachments)} file(s){note_more}")
        await session.flush()
        await indexing.reindex(session, row)
        return Found(row, [message], attachments, Links(service=category.service_name))

    async def _next_number(self, session: AsyncSession, tenant: str, year: int) -> int | None:
        """The tenant's next reference number for ``year``, in the session's transaction (``None``: another
        transaction created the year's counter meanwhile; try again)."""
        result = await session.execute(update(RequestCounter).where(
            col(RequestCounter.tenant_id) == tenant, col(RequestCounter.year) == year).values(
            last=col(RequestCounter.last) + 1).returning(col(RequestCounter.last)))
        number = result.scalar_one_or_none()
        if number is not None:
            return int(number)
        session.add(RequestCounter(tenant_id=tenant, year=year, last=1))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            return None
        return 1

    # Reading ------------------------------------------------------------------------------------------------

    async def get(self, tenant: str, request_id: str) -> Found:
        """The request with its messages and attachments; 404 ``unknown-request`` (another tenant's too)."""
        async with self.db() as session:
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            return (await self._found(session, [row]))[0]

    async def listed(self, tenant: str, *, state: str | None = None, category: str | None = None,
                     text: str = "", assignee: str | None = None, overdue: bool = False,
                     limit: int = 200) -> list[Found]:
        """The tenant's requests, newest first (``limit`` at most), narrowed to a status, a category, an agent in
        charge (a login; ``""``: nobody) and the open ones past their due date; with ``text``, those holding its
        words, best first (``search_with_excerpts``)."""
        if text.strip():
            rows = [row for row, _excerpt in await self.search_with_excerpts(
                tenant, state=state, category=category, text=text, assignee=assignee, overdue=overdue,
                limit=limit)]
            async with self.db() as session:
                return await self._found(session, rows)
        query = select(RequestRow).where(col(RequestRow.tenant_id) == tenant)
        if state is not None:
            query = query.where(col(RequestRow.status) == state)
        if category is not None:
            query = query.where(col(RequestRow.category) == category)
        if assignee is not None:
            query = query.where(_in_charge(assignee))
        if overdue:
            query = query.where(col(RequestRow.status) != "closed", col(RequestRow.due_on) < await self.today(tenant))
        async with self.db() as session:
            rows = list((await session.exec(query.order_by(col(RequestRow.received_at).desc(),
                                                           col(RequestRow.reference).desc()).limit(limit))).all())
            return await self._found(session, rows)

    async def _found(self, session: AsyncSession, rows: Sequence[RequestRow]) -> list[Found]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        messages = (await session.exec(select(RequestMessage).where(col(RequestMessage.request_id).in_(ids))
                                       .order_by(col(RequestMessage.id)))).all()
        files = (await session.exec(select(RequestAttachment).where(col(RequestAttachment.request_id).in_(ids))
                                    .order_by(col(RequestAttachment.id)))).all()
        links = await links_of(session, rows)
        return [Found(row, [m for m in messages if m.request_id == row.id],
                      [f for f in files if f.request_id == row.id], links[row.id]) for row in rows]

    # Handling -----------------------------------------------------------------------------------------------

    async def add_message(self, tenant: str, request_id: str, body: str, internal: bool, who: Who,
                          base_url: str) -> RequestMessage:
        """Staff's message on the request: an internal note, or a reply e-mailed to the sender (the reference in
        its subject) in the same transaction. Audited."""
        tenant_name = await self.tenant_name(tenant)
        now = self.clock()
        async with self.db() as session:
            message = RequestMessage(request_id=request_id, at=now, author="staff", body=body, internal=internal,
                                     actor=who.actor)
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            session.add(message)
            row.updated_at = now
            session.add(row)
            await session.flush()
            await indexing.reindex(session, row)
            if not internal:
                await notices.reply(session, self.templates, row, message, tenant_name=tenant_name,
                                    tracking=notices.tracking_url(base_url, row.id),
                                    headers=await notices.thread_headers(session, row, self.mail_domain))
            note(session, "request.message", who.actor, tenant=tenant, target=row.reference, address=who.address,
                 detail="internal" if internal else "public")
            await session.commit()
            await session.refresh(message)
        if not internal:
            self.wake()
            await self.publish("answered", row, message)
        return message

    async def set_status(self, tenant: str, request_id: str, wanted: status.Status, who: Who) -> Found:
        """Change the request's status (``domain/status.py``: 409 ``wrong-status`` when not allowed; the same
        status changes nothing). Audited when it changes."""
        async with self.db() as session:
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            current: status.Status = row.status  # type: ignore[assignment]
            try:
                status.after(current, wanted)
                if current == "closed" and wanted != current:
                    check_reopen(row.merged_into is not None, row.transmitted_to is not None)
            except Refused as refused:
                raise refusal_of(refused) from None
            if wanted != current:
                now = self.clock()
                row.status, row.updated_at = wanted, now
                row.closed_at = now if wanted == "closed" else None
                session.add(row)
                note(session, "request.status", who.actor, tenant=tenant, target=row.reference,
                     address=who.address, detail=f"{current} -> {wanted}")
                await session.commit()
                await self.publish("status", row)
        return await self.get(tenant, request_id)

    async def citizen_message(self, tenant: str, request_id: str, body: str, files: Sequence[Incoming],
                              who: Who) -> RequestMessage:
        """The holder's answer on their request (``/r/{id}``), with its files: a request waiting for the citizen
        is back in progress. 404 unknown request; 409 ``wrong-status`` on a closed one (the citizen writes a new
        request). Audited. ``files`` are moved under the request's directory, or stay where they are when it is
        refused (the caller removes them)."""
        now = self.clock()
        folder = self.files_dir / tenant / request_id
        moved: list[tuple[Path, Path]] = []
        try:
            async with self.db() as session:
                row = await session.get(RequestRow, request_id)
                if row is None or row.tenant_id != tenant:
                    raise unknown_request()
                if row.status == "closed":
                    raise Refusal(409, "status: a closed request takes no more messages.", "wrong-status", "status")
                message = RequestMessage(request_id=request_id, at=now, author="citizen", body=body,
                                         actor=who.actor)
                session.add(message)
                if row.status == "waiting_citizen":
                    row.status = "in_progress"
                row.updated_at = now
                session.add(row)
                await session.flush()
                held = len((await session.exec(select(RequestAttachment.id).where(
                    col(RequestAttachment.request_id) == request_id))).all())
                for n, incoming in enumerate(files, held + 1):
                    session.add(RequestAttachment(
                        request_id=request_id, message_id=message.id, filename=incoming.filename,
                        content_type=incoming.content_type, size=incoming.size, sha256=incoming.sha256,
                        path=f"{tenant}/{request_id}/{n}", at=now))
                note(session, "request.message", who.actor, tenant=tenant, target=row.reference,
                     address=who.address, detail=f"citizen {len(files)} file(s)")
                await session.flush()
                await indexing.reindex(session, row)
                if files:
                    folder.mkdir(parents=True, exist_ok=True)
                    for n, incoming in enumerate(files, held + 1):
                        target = folder / str(n)
                        os.replace(incoming.path, target)
                        moved.append((target, incoming.path))
                await session.commit()
                await session.refresh(message)
                return message
        except BaseException:
            for target, back in moved:  # nothing half saved: the files go back to the spool
                with contextlib.suppress(OSError):
                    os.replace(target, back)
            raise


    # The staff page (web/staff.py) ------------------------------------------------------------------------

    async def today(self, tenant: str) -> date:
        """Today on the tenant's first site's clock (what "overdue" is counted against)."""
        async with self.db() as session:
            calendar = await self._calendar(session, tenant, None)
        return self.clock().astimezone(calendar.zone).date()

    async def search(self, tenant: str, *, state: str | None = None, category: str | None = None,
                     service: str | None = None, overdue: bool = False, text: str = "",
                     assignee: str | None = None, limit: int = 200) -> list[RequestRow]:
        """``search_with_excerpts``'s requests alone."""
        return [row for row, _excerpt in await self.search_with_excerpts(
            tenant, state=state, category=category, service=service, overdue=overdue, text=text, assignee=assignee,
            limit=limit)]

    async def search_with_excerpts(self, tenant: str, *, state: str | None = None, category: str | None = None,
                                   service: str | None = None, overdue: bool = False, text: str = "",
                                   assignee: str | None = None,
                                   limit: int = 200) -> list[tuple[RequestRow, tuple[Span, ...]]]:
        """The tenant's requests (``limit`` at most), narrowed to a status, a category, the categories of a
        service (its name), the open ones past their due date, an agent in charge (a login; ``""``: nobody); with
        ``text``, those whose reference, subject, messages (internal notes too), sender or category hold every
        word of it (``indexing.py``: French stems, accents folded, "lefevre" finds "Lefèvre", the last word a
        prefix), best first, each with an excerpt of its messages; without, newest first and no excerpt. Messages
        are not loaded."""
        conditions = [col(RequestRow.tenant_id) == tenant]
        if state:
            conditions.append(col(RequestRow.status) == state)
        if category:
            conditions.append(col(RequestRow.category) == category)
        if service:
            conditions.append(col(RequestRow.category).in_(
                select(CategoryRow.category).where(col(CategoryRow.tenant_id) == tenant,
                                                   col(CategoryRow.service_name) == service)))
        if overdue:
            conditions += [col(RequestRow.status) != "closed", col(RequestRow.due_on) < await self.today(tenant)]
        if assignee is not None:
            conditions.append(_in_charge(assignee))
        async with self.db() as session:
            if not text.strip():
                rows = (await session.exec(select(RequestRow).where(*conditions).order_by(
                    col(RequestRow.received_at).desc(), col(RequestRow.reference).desc()).limit(limit))).all()
                return [(row, ()) for row in rows]
            among = list((await session.exec(select(RequestRow.id).where(*conditions))).all()) if len(
                conditions) > 1 else None
            # The best TEXT_HITS: a person reads the first screens of hits and types one more word rather than
            # scroll; reading and excerpting 200 letters took most of a broad query's time (bench/requests_search.py).
            matches = await indexing.matching(session, tenant, text, ids=among, limit=min(limit, TEXT_HITS))
            found = {row.id: row for row in (await session.exec(select(RequestRow).where(
                col(RequestRow.id).in_([m.request_id for m in matches])))).all()}
        return [(found[m.request_id], m.excerpt) for m in matches if m.request_id in found]

    async def read(self, tenant: str, request_id: str, who: Who) -> Found:
        """The request as staff open it, the read audited (``request.read``: it shows a person's name, contact
        and letters), like a citizen record's."""
        found = await self.get(tenant, request_id)
        async with self.db() as session:
            note(session, "request.read", who.actor, tenant=tenant, target=found.row.reference, address=who.address)
            await session.commit()
        return found

    async def attachment(self, tenant: str, request_id: str, attachment_id: int, who: Who) -> tuple[
            RequestAttachment, Path]:
        """An attachment of the request and its file, for staff; the download audited (``request.file``);
        404 ``unknown-request`` when the request, the attachment or its file is not there."""
        async with self.db() as session:
            row = await session.get(RequestRow, request_id)
            found = await session.get(RequestAttachment, attachment_id)
            if row is None or row.tenant_id != tenant or found is None or found.request_id != request_id:
                raise unknown_request()
            path = self.files_dir / found.path
            if not path.is_file():
                raise unknown_request()
            note(session, "request.file", who.actor, tenant=tenant, target=row.reference, address=who.address,
                 detail=found.filename)
            await session.commit()
        return found, path

    async def recategorise(self, tenant: str, request_id: str, category: str, who: Who) -> Found:
        """Put the request in another category, so with that category's service (the way a request is handed
        to another service); its due date stays (it counts from the receipt). 422 ``unknown-category``.
        Audited when it changes (``request.category``)."""
        categories = {row.category for row in await self.categories(tenant, staff=True)}
        if category not in categories:
            raise unknown_category(category)
        async with self.db() as session:
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            if row.category != category:
                before = row.category
                row.category, row.updated_at = category, self.clock()
                session.add(row)
                note(session, "request.category", who.actor, tenant=tenant, target=row.reference,
                     address=who.address, detail=f"{before} -> {category}")
                await indexing.reindex(session, row)
                await session.commit()
        return await self.get(tenant, request_id)

    # E-mail intake (``intake/``) ------------------------------------------------------------------------------

    async def mail_known(self, tenant: str, message_id: str) -> bool:
        """Whether the citizen's e-mail ``message_id`` became a request or a message already."""
        async with self.db() as session:
            return (await session.exec(select(RequestMail.id).where(
                col(RequestMail.tenant_id) == tenant, col(RequestMail.message_id) == message_id))).first() is not None

    async def answered_request(self, tenant: str, *, reference_text: str | None, message_ids: Sequence[str],
                               sender_email: str) -> str | None:
        """The id of the tenant's request an e-mail answers: one whose reference it quotes when it comes from the
        request's own address (references follow one another: anyone could guess one), else one that an e-mail
        it names (``In-Reply-To``, ``References``: the citizen's own, or ours, ``<ref@domain>`` with the outbox's
        ``message_ref``, which nobody guesses) is about; ``None`` when none is."""
        async with self.db() as session:
            if reference_text:
                quoted = (await session.exec(select(RequestRow).where(
                    col(RequestRow.tenant_id) == tenant, col(RequestRow.reference) == reference_text))).first()
                if quoted is not None and (quoted.email or "").strip().lower() == sender_email.strip().lower():
                    return quoted.id
            for message_id in reversed(message_ids):  # the latest named first
                mail = (await session.exec(select(RequestMail.request_id).where(
                    col(RequestMail.tenant_id) == tenant, col(RequestMail.message_id) == message_id))).first()
                if mail is not None:
                    return mail
                left = message_id.strip("<>").partition("@")[0]
                digest, _dot, number = left.partition(".")
                if not number.isdigit():
                    continue
                sent = await session.get(OutboxMessage, int(number))
                if (sent is not None and sent.tenant_id == tenant and message_ref(sent) == left
                        and sent.key.startswith("request:")):
                    request_id = sent.key.split(":")[1]
                    if await session.get(RequestRow, request_id) is not None:
                        return request_id
        return None

    async def add_citizen_mail(self, tenant: str, request_id: str, body: str, mail_id: str,
                               files: Sequence[Incoming] = ()) -> RequestMessage | None:
        """The citizen's answer by e-mail as a message on their request, with its files (moved under the
        request's directory, as ``create`` does) and its Message-ID remembered; a request waiting for the citizen
        goes back to ``in_progress``. ``None``, writing nothing, when that e-mail was written already. Audited."""
        now = self.clock()
        moved: list[Path] = []
        try:
            async with self.db() as session:
                row = await session.get(RequestRow, request_id)
                if row is None or row.tenant_id != tenant:
                    raise unknown_request()
                session.add(RequestMail(tenant_id=tenant, message_id=mail_id, request_id=request_id, at=now))
                try:
                    await session.flush()
                except IntegrityError:
                    return None
                message = RequestMessage(request_id=request_id, at=now, author="citizen", body=body,
                                         actor="citizen")
                session.add(message)
                await session.flush()
                assert message.id is not None
                folder = self.files_dir / tenant / request_id
                attachments = [RequestAttachment(
                    request_id=request_id, message_id=message.id, filename=incoming.filename,
                    content_type=incoming.content_type, size=incoming.size, sha256=incoming.sha256,
                    path=f"{tenant}/{request_id}/m{message.id}-{n}", at=now) for n, incoming in enumerate(files, 1)]
                session.add_all(attachments)
                if row.status == "waiting_citizen":
                    row.status = "in_progress"
                row.updated_at = now
                session.add(row)
                note(session, "request.message", "citizen", tenant=tenant, target=row.reference,
                     detail=f"email {len(attachments)} file(s)")
                await session.flush()
                await indexing.reindex(session, row)
                if files:
                    folder.mkdir(parents=True, exist_ok=True)
                    for n, incoming in enumerate(files, 1):
                        target = folder / f"m{message.id}-{n}"
                        os.replace(incoming.path, target)
                        moved.append(target)
                await session.commit()
                await session.refresh(message)
                return message
        except BaseException:
            for n, path in enumerate(moved, 1):
                with contextlib.suppress(OSError):
                    os.replace(path, files[n - 1].path)
            raise

    # The acknowledgement of receipt in two steps, the printed one, the categories' admin ----------------------

    async def acknowledge(self, tenant: str, request_id: str, who: Who, base_url: str) -> Found:
        """Write the acknowledgement of receipt of the request to its sender's e-mail address, and note when it
        went (``acknowledged_at``): the second step of a category that does not acknowledge at once (a
        registration receipt went at creation), on an agent's click or by ``send_due_acknowledgements``. It states
        what the request's category (so its service and mentions) says now, from the request's date of receipt.
        404 unknown request; 409 ``already-acknowledged`` when it went (by e-mail, or printed); 409 ``no-email``
        when the sender gave no e-mail address (the printed acknowledgement is theirs: ``printed``). Of two at
        once, one writes it. Audited (``request.acknowledged``)."""
        tenant_name = await self.tenant_name(tenant)
        now = self.clock()
        async with self.db() as session:
            # Claimed before anything is read (SQLite's write lock at once; PostgreSQL's row lock until the commit).
            claimed: Any = await session.execute(update(RequestRow).where(
                col(RequestRow.id) == request_id, col(RequestRow.tenant_id) == tenant,
                col(RequestRow.acknowledged_at).is_(None), col(RequestRow.email).is_not(None),
                col(RequestRow.email) != "").values(acknowledged_at=now).execution_options(
                synchronize_session=False))
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            if not claimed.rowcount:
                if row.acknowledged_at is not None:
                    raise Refusal(409, "This request's acknowledgement of receipt went already.",
                                  "already-acknowledged")
                raise Refusal(409, "person.email: the sender gave no e-mail address; print the acknowledgement "
                                   "and post it.", "no-email", "person.email")
            category = (await session.exec(select(CategoryRow).where(
                col(CategoryRow.tenant_id) == tenant, col(CategoryRow.category) == row.category))).one()
            facts = acknowledgement.facts(row.received_on, contact_of(category), mentions_of(category))
            headers = {**await notices.thread_headers(session, row, self.mail_domain),
                       "Auto-Submitted": "auto-generated"}
            await notices.acknowledge(session, self.templates, row, facts, tenant_name=tenant_name,
                                      category=category.name, tracking=notices.tracking_url(base_url, row.id),
                                      headers=headers)
            note(session, "request.acknowledged", who.actor, tenant=tenant, target=row.reference,
                 address=who.address, detail="email")
            await session.commit()
        self.wake()
        return await self.get(tenant, request_id)

    async def send_due_acknowledgements(self, base_url: str) -> list[str]:
        """Acknowledge by e-mail every request whose acknowledgement of receipt is still to send and due today
        (received ``receipt.ACKNOWLEDGE_WITHIN_DAYS`` days ago or more, on its category's site's clock), of every
        tenant; the references acknowledged. A closed request gets none (it was answered), nor one whose sender
        gave no e-mail address (its acknowledgement is printed). Safe on several processes at once: each request
        is acknowledged once (``acknowledge``)."""
        now = self.clock()
        # No site's day is more than one day ahead of UTC's: a request received later than this is not due.
        latest = now.astimezone(UTC).date() + timedelta(days=1) - timedelta(days=receipt.ACKNOWLEDGE_WITHIN_DAYS)
        async with self.db() as session:
            waiting = (await session.exec(select(RequestRow).where(
                col(RequestRow.acknowledged_at).is_(None), col(RequestRow.email).is_not(None),
                col(RequestRow.email) != "", col(RequestRow.status) != "closed",
                col(RequestRow.received_on) <= latest).order_by(col(RequestRow.received_at)))).all()
            days: dict[tuple[str, str], date] = {}
            due: list[RequestRow] = []
            for row in waiting:
                key = (row.tenant_id, row.category)
                if key not in days:
                    site = (await session.exec(select(CategoryRow.site_id).where(
                        col(CategoryRow.tenant_id) == row.tenant_id,
                        col(CategoryRow.category) == row.category))).first()
                    calendar = await self._calendar(session, row.tenant_id, site)
                    days[key] = now.astimezone(calendar.zone).date()
                if receipt.acknowledgement_due(row.received_on, days[key]):
                    due.append(row)
        sent = []
        for row in due:
            try:
                await self.acknowledge(row.tenant_id, row.id, Who("automatic acknowledgement", True), base_url)
            except Refusal as refused:  # another process (or an agent) did it meanwhile
                log.debug("acknowledgement of %s not sent: %s", row.reference, refused.kind)
                continue
            sent.append(row.reference)
        return sent

    async def printed(self, tenant: str, request_id: str, who: Who) -> Found:
        """The printable acknowledgement of the request was printed (``request.printed``, audited): for a sender
        who gave no e-mail address it is their acknowledgement of receipt, posted to them, and ``acknowledged_at``
        is set the first time. 404 unknown request."""
        now = self.clock()
        async with self.db() as session:
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            posted = not row.email and row.acknowledged_at is None
            if posted:
                row.acknowledged_at = now
                session.add(row)
            note(session, "request.printed", who.actor, tenant=tenant, target=row.reference, address=who.address,
                 detail="acknowledgement of receipt" + (", posted" if posted else ""))
            await session.commit()
        return await self.get(tenant, request_id)

    async def define_category(self, row: CategoryRow, who: Who, *, position: int | None = None) -> bool:
        """Create or replace a category as its administrator defines it (``put_category``): its site one of the
        tenant's (422 ``unknown-site`` naming ``site``); its place in the list ``position``, else the one it had,
        else after the others. True when created."""
        async with self.db() as session:
            if row.site_id is not None:
                site = await session.get(Site, row.site_id)
                if site is None or site.tenant_id != row.tenant_id:
                    raise Refusal(422, f"site: no site {row.site_id!r} here.", "unknown-site", "site")
        listed = await self.categories(row.tenant_id, staff=True)
        before = next((c for c in listed if c.category == row.category), None)
        if position is not None:
            row.position = position
        elif before is not None:
            row.position = before.position
        else:
            row.position = max((c.position for c in listed), default=-1) + 1
        return await self.put_category(row, who)


    async def letterhead(self, tenant: str, site: str | None) -> Letterhead:
        """What heads a letter of the collectivity about a category of ``site`` (else its first site's): its
        name, the site's postal address, its logo's address (``None`` without one) and clock. 404
        ``unknown-tenant``."""
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
            if row is None:
                raise unknown_tenant()
            query = select(Site).where(col(Site.tenant_id) == tenant)
            found = (await session.exec(query.where(col(Site.id) == site) if site else
                                        query.order_by(col(Site.id)))).first()
            version = None
            if found is not None:
                version = (await session.exec(select(SiteLogo.version).where(
                    col(SiteLogo.site_id) == found.id))).first()
            calendar = await self._calendar(session, tenant, site)
        return Letterhead(row.name, found.address if found is not None else "",
                          f"/sites/{found.id}/logo?v={version}" if found is not None and version else None,
                          calendar.zone)

    async def sites(self, tenant: str) -> list[tuple[str, str]]:
        """(id, name) of the tenant's sites, by id: those a category's calendar may be."""
        async with self.db() as session:
            rows = (await session.exec(select(Site).where(col(Site.tenant_id) == tenant).order_by(col(Site.id)))).all()
        return [(row.id, row.name) for row in rows]

def _in_charge(assignee: str) -> ColumnElement[bool]:
    """The requests ``assignee`` (a login) is in charge of; ``""``: those nobody is."""
    return col(RequestRow.assignee) == assignee if assignee else col(RequestRow.assignee).is_(None)


def _holidays(region: str | None, year: int) -> frozenset[date]:
    """The public holidays of ``region`` this year and the next (a due date may fall in January)."""
    return frozenset(day for day, _name in public_holidays(region, range(year, year + 2)))

"""Handling requests once they are in: the agent in charge, the transmission to the competent administration
(CRPA L114-2), duplicates merged into the request kept, the requests past their due date, and each tenant's
reply templates. A ``Handling`` works on the ``Requests`` service it is given (its database, clock, outbox
templates, files); the rules are in ``domain/handling.py``. Who may do what is the web layer's.

Each change is one transaction with what it causes: its audit entry, the internal notes on the requests it
touches, the e-mails it writes to the outbox (keys as ``notices.py``'s: a retried command writes nothing twice).

- **Assignment**: the login of a staff member of the tenant (an agent, a supervisor or an administrator whose
  account is not disabled), or nobody.
- **Transmission** (L114-2): the request is closed, ``transmitted_to`` names the administration, an internal
  note says so, and its sender is told by e-mail to whom it went and that the law has them told
  (``request_transmitted.txt``, key ``request:{id}:transmitted:email``). With the administration's address, it
  gets the request (``request_forwarded.txt``: reference, sender, subject, text, files listed by name, type and
  size; key ``transmission:{id}:email``, outside ``request:{id}:`` so that its answer is never read as the
  citizen's). When the administration is another tenant of this installation, the request is filed there too, in
  the same transaction: the same sender, text and files (copied), a reference and an acknowledgement of its own,
  the two linked both ways (``transmitted_tenant_request``, ``transmitted_from``). Its receipt is the day of the
  transmission (a limit: L114-3 counts an implicit rejection's delay from the first receipt).
- **Merging** a duplicate: its messages and attachments stay its own and are listed on the request kept (staff
  read them there, ``links.py``; the kept request's holder never does: a duplicate may be another person's). The
  duplicate is closed with ``merged_into``, both get an internal note, and the duplicate's sender is told which
  reference to follow now (``request_merged.txt``, key ``request:{id}:merged:email``), with the kept request's
  tracking link only when both came from the same e-mail address (the link is its holder's key).
- **Reply templates**: a tenant with none is offered the built-in ones, in the reader's language; its first
  template written copies the built-in ones (in French) beside it, so that adding one never makes the others
  vanish. Deleting them all gives the built-in ones back."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path

from babel.dates import format_date
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Tenant
from queue_server.i18n import DEFAULT, translations
from queue_server.platform.audit import note
from queue_server.platform.outbox import enqueue
from queue_server.platform.users import PEOPLE_ROLES, UserError, normalise_login, people_of
from queue_server.requests import indexing, notices
from queue_server.requests.domain import handling as rules
from queue_server.requests.domain.errors import Refused
from queue_server.requests.errors import Refusal, refusal_of, unknown_category, unknown_request
from queue_server.requests.service import (
    ATTEMPTS,
    Found,
    Incoming,
    OrganisationIn,
    PersonIn,
    RequestIn,
    Requests,
    Who,
    contact_of,
    new_id,
)
from queue_server.requests.tables import (
    CategoryRow,
    RequestAttachment,
    RequestMessage,
    RequestRow,
    RequestTemplate,
)

log = logging.getLogger(__name__)

OVERDUE_SHOWN = 200  # requests the overdue summary lists at most (the most late first); its count is all of them


def transmitted_key(request_id: str) -> str:
    return f"request:{request_id}:transmitted:email"


def forwarded_key(request_id: str) -> str:
    return f"transmission:{request_id}:email"


def merged_key(request_id: str) -> str:
    return f"request:{request_id}:merged:email"


@dataclass(frozen=True, slots=True)
class Agent:
    """A staff member a request may be assigned to."""

    login: str
    name: str


@dataclass(frozen=True, slots=True)
class Transmission:
    """Where a request goes (L114-2): the administration's name (``to``; for another tenant of this installation,
    its name when left out), its e-mail address, why; ``tenant``: that other tenant, and ``category`` there (left
    out: the request's own when that tenant has it, else its first)."""

    to: str | None = None
    email: str | None = None
    reason: str = ""
    tenant: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class _Sending:
    """What a transmission's e-mails say besides the request: who sends, to whom, when, and the service to ask."""

    tenant_name: str
    to: str
    today: date
    service: dict[str, str]
    base_url: str


@dataclass(frozen=True, slots=True)
class Late:
    """A request past its due date, as the overdue summary lists it."""

    id: str
    reference: str
    service: str
    due_on: date
    assignee: str | None
    days_late: int


@dataclass(frozen=True, slots=True)
class TemplateIn:
    title: str
    body: str
    position: int = 0
    lang: str = "fr"


def builtin_templates(lang: str) -> list[TemplateIn]:
    """The reply templates every tenant starts with, in ``lang``, with their {placeholders}."""
    _ = translations(lang).gettext
    texts = [
        (_("Acknowledge and take in hand"),
         _("Hello {name},\n\nYour request {reference} ({subject}) is in the hands of the {service}. We will answer "
           "you by {due} at the latest.\n\nKind regards,\n{service}")),
        (_("Ask for a missing document"),
         _("Hello {name},\n\nTo handle your request {reference}, we need a further document: …\n\nYou can add it on "
           "the request's tracking page, or answer this e-mail.\n\nKind regards,\n{service}")),
        (_("Request handled"),
         _("Hello {name},\n\nYour request {reference} ({subject}) has been handled: …\n\nKind regards,\n{service}")),
    ]
    return [TemplateIn(title, body, position, lang) for position, (title, body) in enumerate(texts, 1)]


def unknown_template() -> Refusal:
    return Refusal(404, "No such reply template.", "unknown-template")


class Handling:
    def __init__(self, requests: Requests) -> None:
        self.requests = requests

    # Assignment ---------------------------------------------------------------------------------------------

    async def agents(self, tenant: str) -> list[Agent]:
        """The tenant's staff members a request may be assigned to, by name."""
        async with self.requests.db() as session:
            return await _agents(session, tenant)

    async def assign(self, tenant: str, request_id: str, login: str | None, who: Who) -> Found:
        """Put ``login`` (``None``: nobody) in charge of the request; 422 ``unknown-user`` naming ``assignee``
        for anyone but a staff member of the tenant. Audited when it changes (``request.assignee``)."""
        async with self.requests.db() as session:
            if login is not None:
                try:
                    login = normalise_login(login)
                except UserError:
                    login = ""
                if login not in {agent.login for agent in await _agents(session, tenant)}:
                    raise Refusal(422, "assignee: no staff member of the collectivity has this login.",
                                  "unknown-user", "assignee")
            row = await _request(session, tenant, request_id)
            if row.assignee != login:
                before, row.assignee, row.updated_at = row.assignee, login, self.requests.clock()
                session.add(row)
                note(session, "request.assignee", who.actor, tenant=tenant, target=row.reference,
                     address=who.address, detail=f"{before or '-'} -> {login or '-'}")
                await session.commit()
        return await self.requests.get(tenant, request_id)

    # Transmission (CRPA L114-2) -----------------------------------------------------------------------------

    async def administrations(self, tenant: str) -> list[Tenant]:
        """The other tenants of this installation, by name: where a request may be filed again."""
        async with self.requests.db() as session:
            return list((await session.exec(select(Tenant).where(col(Tenant.id) != tenant).order_by(
                col(Tenant.name), col(Tenant.id)))).all())

    async def transmit(self, tenant: str, request_id: str, order: Transmission, who: Who, base_url: str) -> Found:
        """Transmit the request (see the module's docstring); 200 the request, closed. Refusals: 404 unknown
        request; 409 ``wrong-status`` for a closed one; 422 ``unknown-administration`` naming ``tenant`` (this
        tenant, or none of the installation), ``unknown-category`` naming ``category`` (none of that tenant's),
        ``invalid-body`` naming ``to`` when neither ``to`` nor ``tenant`` says where."""
        tenant_name = await self.requests.tenant_name(tenant)
        found = await self.requests.get(tenant, request_id)
        target: tuple[str, str, CategoryRow] | None = None
        if order.tenant is not None:
            target = await self._target(tenant, order, found.row.category)
        to = order.to or (target[1] if target else "")
        if not to:
            raise Refusal(422, "to: name the administration the request goes to, or a collectivity (tenant).",
                          "invalid-body", "to")
        try:
            rules.check_open(found.row.status)
        except Refused as refused:
            raise refusal_of(refused) from None
        ours = next((c for c in await self.requests.categories(tenant, staff=True)
                     if c.category == found.row.category), None)
        service = asdict(contact_of(ours)) if ours else {"name": tenant_name, "address": "", "email": "", "phone": ""}
        sending = _Sending(tenant_name, to, await self.requests.today(tenant), service, base_url)
        for _ in range(ATTEMPTS):
            done = await self._transmit(tenant, found, order, sending, target, who)
            if done is not None:
                self.requests.wake()
                closed, copy = done
                await self.requests.publish("status", closed)
                if copy is not None:
                    await self.requests.publish("created", copy)
                return await self.requests.get(tenant, request_id)
        raise Refusal(503, "The request could not be transmitted; try again.", "busy")

    async def _target(self, tenant: str, order: Transmission, own: str) -> tuple[str, str, CategoryRow]:
        """(id, name, category) of the tenant of this installation a request is filed again in (its category
        ``own`` there, when the order names none and it has one)."""
        other = order.tenant or ""
        if other == tenant:
            raise Refusal(422, "tenant: a request is transmitted to another collectivity, not its own.",
                          "unknown-administration", "tenant")
        try:
            name = await self.requests.tenant_name(other)
        except Refusal:
            raise Refusal(422, "tenant: no collectivity of this installation has this id.",
                          "unknown-administration", "tenant") from None
        categories = await self.requests.categories(other, staff=True)
        if order.category is not None:
            chosen = next((c for c in categories if c.category == order.category), None)
            if chosen is None:
                raise unknown_category(order.category)
        else:
            chosen = next((c for c in categories if c.category == own), None) or (
                categories[0] if categories else None)
            if chosen is None:
                raise Refusal(422, "category: that collectivity has no category to file a request in.",
                              "unknown-category", "category")
        return other, name, chosen

    async def _transmit(self, tenant: str, found: Found, order: Transmission, sending: _Sending,
                        target: tuple[str, str, CategoryRow] | None,
                        who: Who) -> tuple[RequestRow, RequestRow | None] | None:
        """One attempt: the request closed and its copy in another tenant (if any), as committed; ``None`` when
        the other tenant's counter of the year was created meanwhile."""
        now = self.requests.clock()
        to, tenant_name, base_url = sending.to, sending.tenant_name, sending.base_url
        spooled: list[Incoming] = []
        moved: list[tuple[Path, Path]] = []
        folder: Path | None = None
        try:
            async with self.requests.db() as session:
                copy: Found | None = None
                if target is not None:
                    other, other_name, category = target
                    spooled = self._copies(found.attachments)
                    copy_id = new_id()
                    copy = await self.requests.insert(
                        session, other, other_name, category, _request_in(found, category.category, spooled), who,
                        base_url, request_id=copy_id, now=now, note_more=f" transmitted from {tenant}")
                    if copy is None:
                        return None
                    copy.row.transmitted_from = found.row.id
                    session.add(copy.row)
                    folder = self.requests.files_dir / other / copy_id
                row = await _request(session, tenant, found.row.id)  # again, in this transaction
                try:
                    rules.check_open(row.status)
                except Refused as refused:
                    raise refusal_of(refused) from None
                row.status, row.closed_at, row.updated_at = "closed", now, now
                row.transmitted_to = to
                row.transmitted_tenant_request = copy.row.id if copy else None
                session.add(row)
                _ = translations(DEFAULT).gettext
                said = _("Transmitted to {to} (CRPA L114-2).").format(to=to)
                if order.email:
                    said += "\n" + _("E-mail: {email}").format(email=order.email)
                if copy is not None:
                    said += "\n" + _("Filed there under the reference {reference}.").format(
                        reference=copy.row.reference)
                if order.reason:
                    said += "\n" + _("Reason: {reason}").format(reason=order.reason)
                session.add(RequestMessage(request_id=row.id, at=now, author="staff", body=said, internal=True,
                                           actor=who.actor))
                if copy is not None:
                    came = _("Transmitted by {tenant} (their reference {reference}).").format(
                        tenant=tenant_name, reference=row.reference)
                    if order.reason:
                        came += "\n" + _("Reason: {reason}").format(reason=order.reason)
                    session.add(RequestMessage(request_id=copy.row.id, at=now, author="staff", body=came,
                                               internal=True, actor=who.actor))
                await session.flush()
                await indexing.reindex(session, row)  # its note is searched too
                if copy is not None:
                    await indexing.reindex(session, copy.row)
                await self._tell_transmitted(session, row, order, sending, copy)
                if order.email:
                    await self._forward(session, row, found, order, sending)
                note(session, "request.transmitted", who.actor, tenant=tenant, target=row.reference,
                     address=who.address, detail=f"to {to}" + (f" ({copy.row.tenant_id} {copy.row.reference})"
                                                                 if copy else ""))
                await session.flush()
                if folder is not None and spooled:
                    folder.mkdir(parents=True, exist_ok=False)
                    for n, incoming in enumerate(spooled, 1):
                        os.replace(incoming.path, folder / str(n))
                        moved.append((folder / str(n), incoming.path))
                await session.commit()
                await session.refresh(row)
                if copy is not None:
                    await session.refresh(copy.row)
                return row, copy.row if copy else None
        except BaseException:
            for place, back in moved:  # nothing half saved
                with contextlib.suppress(OSError):
                    os.replace(place, back)
            if folder is not None and moved:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            for incoming in spooled:  # the copies no request took
                with contextlib.suppress(OSError):
                    incoming.path.unlink(missing_ok=True)

    def _copies(self, attachments: list[RequestAttachment]) -> list[Incoming]:
        """A copy in the spool of each of ``attachments``' files (one whose file is gone is left out, logged)."""
        copies: list[Incoming] = []
        try:
            for attachment in attachments:
                source = self.requests.files_dir / attachment.path
                if not source.is_file():
                    log.warning("attachment %s of request %s has no file: not copied", attachment.id,
                                attachment.request_id)
                    continue
                spooled = self.requests.spool / f"copy-{secrets.token_hex(8)}"
                shutil.copyfile(source, spooled)
                copies.append(Incoming(spooled, attachment.filename, attachment.content_type, attachment.size,
                                       attachment.sha256))
        except BaseException:
            for incoming in copies:
                with contextlib.suppress(OSError):
                    incoming.path.unlink(missing_ok=True)
            raise
        return copies

    async def _tell_transmitted(self, session: AsyncSession, row: RequestRow, order: Transmission,
                                sending: _Sending, copy: Found | None) -> None:
        """The e-mail that tells the sender where their request went (L114-2); none without their address."""
        if not row.email:
            return
        templates = self.requests.templates
        lang = templates.language(row.tenant_id, "request_transmitted", row.lang)
        subject, body = templates.render(
            row.tenant_id, "request_transmitted", lang, tenant_name=sending.tenant_name, reference=row.reference,
            subject=row.subject, received_on=row.received_on, transmitted_on=sending.today, to=sending.to,
            to_email=order.email or "", reason=order.reason, new_reference=copy.row.reference if copy else "",
            tracking_url=notices.tracking_url(sending.base_url, row.id), format_date=partial(format_date, locale=lang))
        await enqueue(session, channel="email", to=row.email, subject=subject, body=body, tenant=row.tenant_id,
                      key=transmitted_key(row.id),
                      headers=await notices.thread_headers(session, row, self.requests.mail_domain))

    async def _forward(self, session: AsyncSession, row: RequestRow, found: Found, order: Transmission,
                       sending: _Sending) -> None:
        """The request, e-mailed to the administration it is transmitted to (in French)."""
        files = [{"filename": a.filename, "content_type": a.content_type, "size": -(-a.size // 1024)}
                 for a in found.attachments]
        subject, body = self.requests.templates.render(
            row.tenant_id, "request_forwarded", "fr", tenant_name=sending.tenant_name, reference=row.reference,
            subject=row.subject, received_on=row.received_on, channel=row.channel,
            person={"first_name": row.first_name, "last_name": row.last_name, "email": row.email or "",
                    "phone": row.phone or "", "address": row.address or ""},
            organisation=None if row.organisation is None else {
                "name": row.organisation, "siren": row.siren or "", "rna": row.rna or ""},
            body=_text_of(found), files=files, reason=order.reason, to=sending.to, service=sending.service,
            format_date=partial(format_date, locale="fr"))
        await enqueue(session, channel="email", to=order.email or "", subject=subject, body=body,
                      tenant=row.tenant_id, key=forwarded_key(row.id))

    # Merging duplicates -------------------------------------------------------------------------------------

    async def merge(self, tenant: str, request_id: str, into: str, who: Who, base_url: str) -> Found:
        """Merge the request, a duplicate, into ``into`` (another request of the tenant, by id or reference); 200
        the duplicate, closed. Refusals: 404 unknown request; 422 ``unknown-request`` naming ``into``; 409
        ``merge-into-itself``, ``wrong-status`` (either closed, or ``into`` a duplicate itself). Audited
        (``request.merged``)."""
        tenant_name = await self.requests.tenant_name(tenant)
        now = self.requests.clock()
        async with self.requests.db() as session:
            duplicate = await _request(session, tenant, request_id)
            kept = await _named(session, tenant, into)
            if kept is None:
                raise Refusal(422, "into: no request of the collectivity has this id or reference.",
                              "unknown-request", "into")
            try:
                rules.check_merge(rules.Standing(duplicate.id, duplicate.status, duplicate.merged_into is not None),
                                  rules.Standing(kept.id, kept.status, kept.merged_into is not None))
            except Refused as refused:
                raise refusal_of(refused) from None
            duplicate.status, duplicate.closed_at, duplicate.updated_at = "closed", now, now
            duplicate.merged_into = kept.id
            kept.updated_at = now
            session.add_all([duplicate, kept])
            _ = translations(DEFAULT).gettext
            session.add(RequestMessage(
                request_id=duplicate.id, at=now, author="staff", internal=True, actor=who.actor,
                body=_("Duplicate of {reference}: merged into it, where its messages and files are read too.").format(
                    reference=kept.reference)))
            session.add(RequestMessage(
                request_id=kept.id, at=now, author="staff", internal=True, actor=who.actor,
                body=_("Duplicate merged into this request: {reference} ({name}, “{subject}”). Its messages and "
                       "files are shown with it.").format(reference=duplicate.reference, subject=duplicate.subject,
                                                          name=_name(duplicate))))
            if duplicate.email:
                same = (kept.email or "").strip().lower() == duplicate.email.strip().lower()
                templates = self.requests.templates
                lang = templates.language(tenant, "request_merged", duplicate.lang)
                subject, body = templates.render(
                    tenant, "request_merged", lang, tenant_name=tenant_name, reference=duplicate.reference,
                    subject=duplicate.subject, kept_reference=kept.reference,
                    kept_url=notices.tracking_url(base_url, kept.id) if same else "",
                    tracking_url=notices.tracking_url(base_url, duplicate.id))
                await enqueue(session, channel="email", to=duplicate.email, subject=subject, body=body, tenant=tenant,
                              key=merged_key(duplicate.id),
                              headers=await notices.thread_headers(session, duplicate, self.requests.mail_domain))
            note(session, "request.merged", who.actor, tenant=tenant, target=duplicate.reference,
                 address=who.address, detail=f"into {kept.reference}")
            await session.flush()
            await indexing.reindex(session, duplicate)  # their notes are searched too
            await indexing.reindex(session, kept)
            await session.commit()
            await session.refresh(duplicate)
        self.requests.wake()
        await self.requests.publish("status", duplicate)
        return await self.requests.get(tenant, request_id)

    # Overdue ------------------------------------------------------------------------------------------------

    async def overdue(self, tenant: str) -> tuple[int, list[Late]]:
        """How many of the tenant's requests are open past their due date (today on its first site's clock), and
        the ``OVERDUE_SHOWN`` most late of them."""
        today = await self.requests.today(tenant)
        async with self.requests.db() as session:
            rows = (await session.exec(select(RequestRow).where(
                col(RequestRow.tenant_id) == tenant, col(RequestRow.status) != "closed",
                col(RequestRow.due_on) < today).order_by(col(RequestRow.due_on), col(RequestRow.reference)))).all()
            services = {c.category: c.service_name for c in (await session.exec(select(CategoryRow).where(
                col(CategoryRow.tenant_id) == tenant))).all()}
        return len(rows), [Late(row.id, row.reference, services.get(row.category, ""), row.due_on, row.assignee,
                                rules.days_late(row.status, row.due_on, today)) for row in rows[:OVERDUE_SHOWN]]

    # Reply templates ----------------------------------------------------------------------------------------

    async def templates(self, tenant: str) -> list[RequestTemplate]:
        """The tenant's own reply templates in their order (none: it is offered the built-in ones)."""
        async with self.requests.db() as session:
            return await _templates(session, tenant)

    async def add_template(self, tenant: str, new: TemplateIn, who: Who) -> RequestTemplate:
        """Add a reply template (the tenant's first: the built-in ones are copied beside it). 422
        ``unknown-placeholder``, ``incomplete-template`` naming the field. Audited."""
        _check(new)
        async with self.requests.db() as session:
            # The tenant's row locked (PostgreSQL), so that two first templates do not copy the built-in ones twice.
            await session.exec(select(Tenant).where(col(Tenant.id) == tenant).with_for_update())
            now = self.requests.clock()
            if not await _templates(session, tenant):
                for builtin in builtin_templates(DEFAULT):
                    session.add(RequestTemplate(tenant_id=tenant, updated_at=now, **asdict(builtin)))
            row = RequestTemplate(tenant_id=tenant, updated_at=now, **asdict(new))
            session.add(row)
            await session.flush()
            note(session, "config.request-template", who.actor, tenant=tenant, target=str(row.id),
                 address=who.address, detail="created")
            await session.commit()
            await session.refresh(row)
            return row

    async def put_template(self, tenant: str, template_id: int, new: TemplateIn, who: Who) -> RequestTemplate:
        """Replace reply template ``template_id``; 404 ``unknown-template``. Audited."""
        _check(new)
        async with self.requests.db() as session:
            row = await session.get(RequestTemplate, template_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_template()
            row.title, row.body, row.position, row.lang = new.title, new.body, new.position, new.lang
            row.updated_at = self.requests.clock()
            session.add(row)
            note(session, "config.request-template", who.actor, tenant=tenant, target=str(template_id),
                 address=who.address, detail="changed")
            await session.commit()
            await session.refresh(row)
            return row

    async def delete_template(self, tenant: str, template_id: int, who: Who) -> None:
        """Delete reply template ``template_id``; 404 ``unknown-template``. Audited."""
        async with self.requests.db() as session:
            row = await session.get(RequestTemplate, template_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_template()
            await session.delete(row)
            note(session, "config.request-template", who.actor, tenant=tenant, target=str(template_id),
                 address=who.address, detail="deleted")
            await session.commit()


def _check(new: TemplateIn) -> None:
    try:
        rules.check_template(new.title, new.body)
    except Refused as refused:
        raise refusal_of(refused) from None


async def _templates(session: AsyncSession, tenant: str) -> list[RequestTemplate]:
    return list((await session.exec(select(RequestTemplate).where(col(RequestTemplate.tenant_id) == tenant).order_by(
        col(RequestTemplate.position), col(RequestTemplate.id)))).all())


async def _agents(session: AsyncSession, tenant: str) -> list[Agent]:
    people = [Agent(user.login, user.name or user.login) for user, roles in await people_of(session, tenant)
              if not user.disabled and any(role.role in PEOPLE_ROLES for role in roles)]
    return sorted(people, key=lambda agent: (agent.name.casefold(), agent.login))


async def _request(session: AsyncSession, tenant: str, request_id: str) -> RequestRow:
    row = await session.get(RequestRow, request_id)
    if row is None or row.tenant_id != tenant:
        raise unknown_request()
    return row


async def _named(session: AsyncSession, tenant: str, name: str) -> RequestRow | None:
    """The tenant's request whose id or reference (in any case) is ``name``."""
    name = name.strip()
    row = await session.get(RequestRow, name) if name else None
    if row is not None and row.tenant_id == tenant:
        return row
    return (await session.exec(select(RequestRow).where(
        col(RequestRow.tenant_id) == tenant, col(RequestRow.reference) == name.upper()))).first()


def _name(row: RequestRow) -> str:
    name = " ".join(part for part in (row.first_name, row.last_name) if part)
    return f"{name} ({row.organisation})" if row.organisation else name


def _text_of(found: Found) -> str:
    """The request's text: its first message, the citizen's."""
    first = next((m for m in found.messages if m.author == "citizen"), None)
    return first.body if first else ""


def _request_in(found: Found, category: str, files: list[Incoming]) -> RequestIn:
    """The request as filed again in another tenant: the same sender, subject, text and language."""
    row = found.row
    return RequestIn(
        category=category, subject=row.subject, body=_text_of(found) or row.subject,
        person=PersonIn(row.first_name, row.last_name, row.email, row.phone, row.address),
        organisation=None if row.organisation is None else OrganisationIn(row.organisation, row.siren, row.rna),
        channel=row.channel, lang=row.lang, files=files)  # type: ignore[arg-type]

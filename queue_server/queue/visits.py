"""What the queue's endpoints do beyond deciding one command, so that route handlers only parse, call
and render: a visitor's mobile number kept beside the ticket (never in the log), a ticket staff issue for a
known person only for a party of the site's collectivity (asked of the CRM through ``party_exists``: the
queue never imports it), a note for the next agent kept and recorded, each reading of a note audited, a
ticket of a previous day found in the history, a reprint sent only to a kiosk the site has.

Refusals are platform errors naming the field (``platform/errors.py``) or the decisions' own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken
from queue_server.platform.audit import record
from queue_server.platform.errors import UnknownField
from queue_server.platform.phones import mobile_e164
from queue_server.queue.codec import iso
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.decide import NOTABLE
from queue_server.queue.domain.state import Ticket
from queue_server.queue.phones import NoteBook, PhoneBook
from queue_server.queue.protocol import TicketView
from queue_server.queue.service import Result, SiteEngine, Unavailable, new_command_id
from queue_server.queue.tables import TicketRecord

# Whether a party (tenant, party id) exists in the citizen record: crm/links.py, given by the lifespan.
PartyExists = Callable[[str, int], Awaitable[bool]]


async def no_party(tenant: str, party: int) -> bool:
    """Without a citizen record, no ticket can be a known person's visit."""
    return False


class Visits:
    def __init__(self, phones: PhoneBook, notes: NoteBook, db: async_sessionmaker[AsyncSession],
                 party_exists: PartyExists = no_party) -> None:
        self.phones, self.notes, self.db = phones, notes, db
        self.party_exists = party_exists

    async def issue(self, engine: SiteEngine, command: c.IssueTicket,
                    phone: str | None) -> tuple[Result, TicketView | None]:
        """Issue a ticket, keeping ``phone`` (as typed; checked first, so that a wrong number issues
        nothing) for its "your turn is near" SMS. The command's ``party`` must be one of the site's
        collectivity (``UnknownField`` otherwise, before anything is issued). A replay of an
        Idempotency-Key of a previous day gives the archived ticket as the second item (``Unavailable``
        until the archiver copied it)."""
        number = mobile_e164(phone, engine.config.region) if phone is not None else None
        if command.party is not None and not await self.party_exists(engine.config.tenant, command.party):
            raise UnknownField(f"party: no party {command.party} in this collectivity's citizen record.",
                               kind="unknown-party", field="party", field_message="no such party")
        result = await engine.execute(command)
        if result.ticket is None and command.idempotency_key is not None:
            # Issued before the local midnight: today's state no longer holds it; its history does.
            replayed = result.state.idempotency.get(command.idempotency_key)
            view = await self.archived(engine.site, replayed.ticket_id) if replayed else None
            if view is None:
                raise Unavailable("the ticket of this Idempotency-Key is not in the history yet")
            return result, view
        if number is not None and result.ticket is not None:
            await self.phones.put(engine.site, result.ticket.id, number)
        return result, None

    async def keep_phone(self, engine: SiteEngine, ticket_id: str, phone: str) -> None:
        """Keep the mobile number a citizen typed for their ticket (replacing any)."""
        await self.phones.put(engine.site, ticket_id, mobile_e164(phone, engine.config.region))

    async def archived(self, site: str, ticket_id: str) -> TicketView | None:
        """A ticket of a previous day, from the history in SQL (no position: it waits no more)."""
        async with self.db() as session:
            row = await session.get(TicketRecord, ticket_id)
        if row is None or row.site_id != site:
            return None
        view: TicketView = {
            "id": row.id, "number": row.number, "service": row.service, "status": row.status,  # type: ignore[typeddict-item]
            "priority": row.priority, "position": None, "estimated_wait_s": None, "counter": row.counter,
            "issued_at": iso(row.issued_at), "called_at": iso(row.called_at) if row.called_at else None,
            "recalls": row.recalls,
        }
        return view

    async def note(self, engine: SiteEngine, ticket: Ticket, text: str) -> Result:
        """Keep ``text`` as the ticket's note (replacing any), then record in the log that there is one.
        The text is stored first (an agent who sees "noted" must find it) and taken back if the log
        refuses (the visit ended meanwhile): no note outlives its visit."""
        if ticket.status in NOTABLE:  # else the decision below gives the refusal, in its words
            await self.notes.put(engine.site, ticket.id, text)
        try:
            return await engine.execute(c.Note(command_id=new_command_id(), ticket_id=ticket.id))
        except Exception:
            if engine.state.tickets.get(ticket.id, ticket).status not in NOTABLE:
                await self.notes.forget(engine.site, [ticket.id])
            raise

    async def read_note(self, engine: SiteEngine, ticket: Ticket, actor: str, address: str) -> str | None:
        """The ticket's note (``None``: none), each reading filed in the audit log (it may be personal data)."""
        text = await self.notes.get(engine.site, ticket.id) if ticket.noted else None
        if text is not None:
            async with self.db() as session:
                await record(session, "note.read", actor, tenant=engine.config.tenant, site=engine.site,
                             target=f"ticket:{ticket.number}", address=address)
        return text

    async def check_kiosk(self, site: str, kiosk: int) -> None:
        """``UnknownField`` unless ``kiosk`` is the token id of a live kiosk of ``site`` (else nothing would
        print): the body is valid, it names something the site does not have, as an unknown ticket would."""
        async with self.db() as session:
            token = await session.get(ApiToken, kiosk)
        if token is None or token.site_id != site or token.role != "kiosk" or token.revoked_at is not None:
            raise UnknownField(f"kiosk: this site has no kiosk {kiosk}.", kind="unknown-kiosk", field="kiosk",
                               field_message="no such kiosk at this site")

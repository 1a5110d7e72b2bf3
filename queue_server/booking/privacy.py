"""Erasure (RGPD art. 17) of a citizen record's party in booking: the appointments that name the party, or
whose phone or e-mail was one of the party's, keep their counts and times (motif, service, start, status,
desk, ticket) and lose the person: name, e-mail, phone, answers, the party's number, the reason typed by
staff and the idempotency key (a client's, possibly derived from the person). The waiting-list wishes of the
person go whole (a wish is nothing but the person).

The citizen record does not import booking: the lifespan (``web/app.py``) hands ``erase_party(db)`` to
``Record`` among its ``erasers``. Limits: the ``appointment.*`` events already on the ``booking`` stream keep
the contact until the stream is trimmed (``events.py``); messages already in the outbox are sent and purged
there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.booking.tables import Appointment, WaitingEntry

ERASED = "effacé"  # what an erased appointment's person is called, in the agenda and on the kiosk's screens
Eraser = Callable[[str, int, Sequence[str], Sequence[str]], Awaitable[int]]


def erase_party(db: async_sessionmaker[AsyncSession]) -> Eraser:
    """The eraser of ``Record`` (``crm/service.py``): ``(tenant, party, phones (E.164), e-mails)`` -> how many
    appointments of the tenant were erased."""

    async def erase(tenant: str, party: int, phones: Sequence[str], emails: Sequence[str]) -> int:
        wanted = [col(Appointment.party) == party]
        if phones:
            wanted.append(col(Appointment.phone).in_(list(phones)))
        if emails:
            wanted.append(func.lower(col(Appointment.email)).in_([e.lower() for e in emails]))
        waiting = [col(WaitingEntry.party) == party]
        if phones:
            waiting.append(col(WaitingEntry.phone).in_(list(phones)))
        if emails:
            waiting.append(func.lower(col(WaitingEntry.email)).in_([e.lower() for e in emails]))
        async with db() as session:
            done = await session.execute(
                update(Appointment).where(and_(col(Appointment.tenant_id) == tenant, or_(*wanted)))
                .values(first_name="", last_name=ERASED, email=None, phone=None, answers={}, party=None, reason="",
                        idempotency_key=None, updated_at=datetime.now(UTC)))
            await session.execute(delete(WaitingEntry).where(and_(col(WaitingEntry.tenant_id) == tenant,
                                                                  or_(*waiting))))
            await session.commit()  # audited by the citizen record's erasure (crm.erased), with who asked
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    return erase

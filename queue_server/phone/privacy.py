"""Erasure (RGPD art. 17) of a citizen record's party in the phone desk: the calls that name the party keep their
reason, outcome, service, times and duration (the figures stay), and lose the person: the link to the party, the
name it had, the note, the sheets consulted (what the person asked about), and their callbacks' numbers and notes
("[effacé]"), whoever called back and how it went staying.

The citizen record does not import the phone desk: the lifespan (``web/app.py``) hands ``erase_party(db)`` to
``Record`` among its ``erasers``, as booking's and the requests'. Limits: a call of the person logged without
naming their party (anonymous) is not found; the ``call.*`` events already on the ``phone`` stream keep the
party's number until the stream is trimmed (``events.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.phone.tables import CallbackRow, CallRow

ERASED = "[effacé]"
Eraser = Callable[[str, int, Sequence[str], Sequence[str]], Awaitable[int]]


def erase_party(db: async_sessionmaker[AsyncSession]) -> Eraser:
    """The eraser of ``Record`` (``crm/service.py``): ``(tenant, party, phones (E.164), e-mails)`` -> how many
    calls of the tenant were erased. The party's phones also find the callbacks promised to them on anonymous
    calls: those numbers go too."""

    async def erase(tenant: str, party: int, phones: Sequence[str], emails: Sequence[str]) -> int:
        async with db() as session:
            ids = list((await session.exec(select(CallRow.id).where(
                col(CallRow.tenant_id) == tenant, col(CallRow.party) == party))).all())
            if ids:
                await session.execute(update(CallRow).where(col(CallRow.id).in_(ids)).values(
                    party=None, caller="", note="", sheets=[]))
                await session.execute(update(CallbackRow).where(col(CallbackRow.call_id).in_(ids)).values(
                    phone=ERASED, note="", outcome_note=""))
            if phones:
                await session.execute(update(CallbackRow).where(
                    col(CallbackRow.tenant_id) == tenant, col(CallbackRow.phone).in_(list(phones))).values(
                    phone=ERASED, note="", outcome_note=""))
            await session.commit()  # audited by the citizen record's erasure (crm.erased), with who asked
        return len(ids)

    return erase

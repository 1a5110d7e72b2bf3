"""Erasure (RGPD art. 17) of a citizen record's party in the requests: the requests linked to the party, or whose
sender's phone or e-mail was one of the party's, keep their reference, category, dates, status and the staff's
messages, and lose the person: the sender's name, e-mail, phone and postal address, the link to the party, the
subject and the text of every message the citizen wrote ("[effacé]"), and every attachment (rows and files).
An organisation the person wrote for is not the person, and stays.

The citizen record does not import the requests: the lifespan (``web/app.py``) hands ``erase_party(db,
files_dir)`` to ``Record`` among its ``erasers``, as booking's. Limits: the ``request.*`` events already on the
``requests`` stream keep the contact until the stream is trimmed (``events.py``); e-mails already in the outbox
are sent and purged there; staff replies are kept as written (they may greet the person by name)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.requests.tables import RequestAttachment, RequestMessage, RequestRow

ERASED = "[effacé]"  # what an erased sender's texts say, on the staff's page and the tracking page
Eraser = Callable[[str, int, Sequence[str], Sequence[str]], Awaitable[int]]


def erase_party(db: async_sessionmaker[AsyncSession], files_dir: Path) -> Eraser:
    """The eraser of ``Record`` (``crm/service.py``): ``(tenant, party, phones (E.164), e-mails)`` -> how many
    requests of the tenant were erased."""

    async def erase(tenant: str, party: int, phones: Sequence[str], emails: Sequence[str]) -> int:
        wanted = [col(RequestRow.party) == party]
        if phones:
            wanted.append(col(RequestRow.phone).in_(list(phones)))
        if emails:
            wanted.append(func.lower(col(RequestRow.email)).in_([e.lower() for e in emails]))
        async with db() as session:
            ids = list((await session.exec(select(RequestRow.id).where(
                col(RequestRow.tenant_id) == tenant, or_(*wanted)))).all())
            if not ids:
                return 0
            files = (await session.exec(select(RequestAttachment.path).where(
                col(RequestAttachment.request_id).in_(ids)))).all()
            await session.execute(
                update(RequestRow).where(col(RequestRow.id).in_(ids))
                .values(first_name="", last_name=ERASED, email=None, phone=None, address=None, party=None,
                        subject=ERASED, updated_at=datetime.now(UTC)))
            await session.execute(update(RequestMessage).where(and_(
                col(RequestMessage.request_id).in_(ids), col(RequestMessage.author) == "citizen")).values(body=ERASED))
            await session.execute(delete(RequestAttachment).where(col(RequestAttachment.request_id).in_(ids)))
            await session.commit()  # audited by the citizen record's erasure (crm.erased), with who asked
        for path in files:  # after the commit: never a row naming no file
            with contextlib.suppress(OSError):
                (files_dir / path).unlink()
        return len(ids)

    return erase

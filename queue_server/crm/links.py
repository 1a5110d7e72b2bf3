"""What other modules may ask of the citizen record without knowing its insides: small typed callables, made
once in the lifespan (``web/app.py``) and handed to the module that asks. The queue never imports the CRM:
it receives ``PartyLinks.party_exists`` (``queue/visits.py`` ``PartyExists``) to check that a ticket staff
issue for a known person names a party of the site's collectivity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.tables import Party


class PartyLinks:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def party_exists(self, tenant: str, party: int) -> bool:
        """Whether ``party`` is a party (a person, an association, a company) of ``tenant``'s record."""
        async with self.db() as session:
            found = await session.execute(
                select(Party.id).where(Party.id == party, Party.tenant_id == tenant))  # type: ignore[call-overload]
            return found.first() is not None

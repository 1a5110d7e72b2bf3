"""What other modules may ask of the citizen record without knowing its insides: small typed callables, made
once in the lifespan (``web/app.py``) and handed to the module that asks. The queue never imports the CRM:
it receives ``PartyLinks.party_exists`` (``queue/visits.py`` ``PartyExists``) to check that a ticket staff
issue for a known person names a party of the site's collectivity; the phone desk ``PartyLinks.display_name``,
the name of the caller it logs a call of."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.service import display_name
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

    async def display_name(self, tenant: str, party: int) -> str | None:
        """The name ``party`` of ``tenant``'s record goes by (a person's first and last names, an organisation's
        name); ``None`` when the tenant's record has no such party. For modules that keep who a record named
        (the phone desk's calls)."""
        async with self.db() as session:
            found = (await session.execute(select(Party).where(
                Party.id == party, Party.tenant_id == tenant))).scalars().first()  # type: ignore[arg-type]
        return None if found is None else display_name(found)

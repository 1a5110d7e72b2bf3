"""What the citizen record's pages say of the collectivity itself: its name (the controller of the processing,
in the RGPD information notice) and the clock of its first site (the dates they show), read from the shared
tables. Kept apart from ``service.py`` (the record's operations): nothing here is personal or audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, Tenant


@dataclass(frozen=True, slots=True)
class Collectivity:
    id: str
    name: str
    timezone: str  # its first site's (by id, as ``Record.region`` reads it); Europe/Paris without a site


class Collectivities:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def get(self, tenant: str) -> Collectivity:
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
            zone = (await session.execute(select(col(Site.timezone)).where(col(Site.tenant_id) == tenant)
                                          .order_by(col(Site.id)).limit(1))).scalar_one_or_none()
        return Collectivity(id=tenant, name=row.name if row is not None else tenant, timezone=zone or "Europe/Paris")

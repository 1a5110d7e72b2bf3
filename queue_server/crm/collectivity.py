"""What the citizen record's pages say of the collectivity itself: its name (the controller of the processing,
in the RGPD information notice), the clock of its first site (the dates they show), and for the sectors' page
its sites and its staff (who may be named in a sector), read from the shared tables. Kept apart from
``service.py`` (the record's operations): nothing here is of the record, nor audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, Tenant, User


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

    async def site_ids(self, tenant: str) -> list[str]:
        """The collectivity's sites, by id."""
        async with self.db() as session:
            return list((await session.execute(select(col(Site.id)).where(col(Site.tenant_id) == tenant)
                                               .order_by(col(Site.id)))).scalars().all())

    async def people(self, tenant: str) -> list[tuple[str, str]]:
        """The collectivity's people who may sign in, as (login, name), by name then login."""
        async with self.db() as session:
            rows = (await session.execute(select(col(User.login), col(User.name)).where(
                col(User.tenant_id) == tenant, col(User.disabled).is_(False)))).all()
        return sorted(((login, name) for login, name in rows), key=lambda p: (p[1].casefold() or p[0], p[0]))

"""Fixtures of the HTTP contract tests: a desk that speaks the API, and sites beside the demo one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Site, Tenant
from queue_server.platform.tokens import create_token
from queue_server.queue.tables import Counter, Service
from tests.conftest import Stack
from tests.web.support import Clock, Desk


@pytest.fixture
async def clocked_desk(stack: Stack) -> AsyncIterator[tuple[Desk, Clock]]:
    """The demo site's API on a server whose clock the test sets (10 March 2026, 23:59 in Paris)."""
    from queue_server.web.app import create_app

    clock = Clock(datetime(2026, 3, 10, 22, 59, tzinfo=UTC))
    app = create_app(stack.settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Desk(http, stack), clock


@pytest.fixture
def desk(client: httpx.AsyncClient, stack: Stack) -> Desk:
    """The API of the demo site, as a kiosk and the agents at its counters use it."""
    return Desk(client, stack)


@dataclass(frozen=True)
class Neighbours:
    """Tokens of sites beside ``demo``: ``annexe`` (same tenant) and ``ailleurs`` (another tenant)."""

    annexe: dict[str, str]
    ailleurs: dict[str, str]

    def auth(self, site: str, role: str) -> dict[str, str]:
        token = (self.annexe if site == "annexe" else self.ailleurs)[role]
        return {"Authorization": f"Bearer {token}"}


async def _add_site(session: AsyncSession, tenant: str, site: str, region: str = "FR") -> None:
    session.add(Site(id=site, tenant_id=tenant, name=f"Mairie {site}", region=region))
    await session.flush()
    session.add(Service(site_id=site, id="etat-civil", name="État civil", prefix="A"))
    session.add(Service(site_id=site, id="cartes", name="Cartes grises", prefix="G", daily_cap=1, position=1))
    session.add(Counter(site_id=site, id="1", name="Guichet 1", services=["etat-civil", "cartes"]))


@pytest.fixture
async def neighbours(stack: Stack) -> Neighbours:
    """A second site of the demo tenant and a site of another tenant (in La Réunion), each with kiosk,
    agent and admin tokens; both have ``etat-civil`` and ``cartes``, which takes one ticket a day."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            await _add_site(session, "demo", "annexe")
            session.add(Tenant(id="autre", name="Mairie d'ailleurs"))
            await session.flush()
            await _add_site(session, "autre", "ailleurs", region="RE")  # La Réunion
            await session.commit()
            tokens: dict[str, dict[str, str]] = {"annexe": {}, "ailleurs": {}}
            for site, roles in tokens.items():
                for role in ("kiosk", "agent", "admin"):
                    roles[role] = (await create_token(session, site, role, role))[1]
    finally:
        await engine.dispose()
    return Neighbours(tokens["annexe"], tokens["ailleurs"])

"""Fixtures of the citizen record's tests: the app with its lifespan, people of the demo collectivity signed in
with their own browser session (each their own cookies), device tokens, and a second collectivity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import AuditEntry, Site, Tenant, User, UserRole
from queue_server.platform.tokens import create_token
from tests.conftest import Stack
from tests.people import signed_in

PASSWORD = "correct horse battery"
BASE = "/api/v1/tenants/demo"
# Who works at the demo town hall: (login, role at every site or at "demo").
PEOPLE = {"anne": "agent", "bruno": "agent", "claire": "agent", "sophie": "supervisor", "alain": "admin"}


@cache
def _password_hash() -> str:
    """PASSWORD's argon2id hash, made once (each costs a fraction of a second: five people a test add up)."""
    return PasswordHasher().hash(PASSWORD)


@dataclass
class Crm:
    """The app, a client per person (signed in, with the CSRF header), the stack's device tokens."""

    transport: httpx.ASGITransport
    stack: Stack
    other_tenant_token: str
    clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = field(default_factory=dict)

    async def person(self, login: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
        """``login``'s own client (signed in through the login form) and the headers its requests carry."""
        if login not in self.clients:
            self.clients[login] = await signed_in(self.transport, login, PASSWORD)
        return self.clients[login]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request by ``who``: a person's login, or a device role of the demo site ("kiosk", "agent"...)."""
        if who in PEOPLE:
            http, headers = await self.person(who)
        else:
            http = self.clients.setdefault("", (httpx.AsyncClient(transport=self.transport,
                                                                  base_url="http://testserver"), {}))[0]
            headers = (self.stack.auth(who) if who != "other-tenant"
                       else {"Authorization": f"Bearer {self.other_tenant_token}"})
        url = path if path.startswith("/") else f"{BASE}/{path}"
        return await http.request(method, url, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    async def create(self, who: str = "anne", **party: Any) -> dict[str, Any]:
        party.setdefault("kind", "person")
        response = await self.call(who, "POST", "parties", json=party)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def find(self, query: str, who: str = "anne") -> list[str]:
        response = await self.call(who, "GET", "parties", params={"q": query})
        assert response.status_code == 200, response.text
        return [item["display_name"] for item in response.json()["items"]]

    async def audit(self, action: str) -> list[AuditEntry]:
        engine = make_engine(self.stack.settings.database_url)
        try:
            async with sessions(engine)() as session:
                rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action)  # type: ignore[arg-type]
                                             .order_by(AuditEntry.id))  # type: ignore[arg-type]
                return list(rows.scalars().all())
        finally:
            await engine.dispose()


async def _people_and_neighbour(stack: Stack) -> str:
    """The demo collectivity's staff (PEOPLE) and a second collectivity with one agent token."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            for login, role in PEOPLE.items():
                user = User(tenant_id="demo", login=login, name=login.title(), password_hash=_password_hash(),
                            created_at=datetime.now(UTC))
                session.add(user)
                await session.flush()
                session.add(UserRole(user_id=user.id, site_id=None if role == "admin" else "demo", role=role))
            session.add(Tenant(id="voisine", name="Mairie voisine"))
            await session.flush()
            session.add(Site(id="voisine", tenant_id="voisine", name="Mairie voisine"))
            await session.commit()
            return (await create_token(session, "voisine", "agent", "agent"))[1]
    finally:
        await engine.dispose()


@pytest.fixture
async def crm(stack: Stack) -> AsyncIterator[Crm]:
    from queue_server.web.app import create_app

    other = await _people_and_neighbour(stack)
    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        found = Crm(httpx.ASGITransport(app=app), stack, other)
        try:
            yield found
        finally:
            for http, _ in found.clients.values():
                await http.aclose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "only_database(name): a test of what one SQL engine alone does (its "
                                       "variant on the other engine is not collected)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``only_database`` keep only their variant on that engine (the ``world`` fixture's param)."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("only_database")
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("world") if callspec is not None else None
        (drop if marker is not None and engine is not None and engine != marker.args[0] else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

"""Fixtures of the phone desk's tests: the app with its lifespan and a clock the test sets, people of the demo
collectivity signed in with their own browser session, the demo site's device tokens, and a second collectivity."""

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
from starlette.applications import Starlette

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import AuditEntry, Site, Tenant, User, UserRole
from queue_server.platform.tokens import create_token
from tests.conftest import Stack
from tests.people import signed_in
from tests.web.support import Clock

PASSWORD = "correct horse battery"
BASE = "/api/v1/tenants/demo"
PHONE = f"{BASE}/phone"
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
# Who works at the demo town hall: login -> (name, role at "demo"; an admin's at every site).
PEOPLE = {"lea": ("Léa Martin", "agent"), "hugo": ("Hugo Petit", "agent"), "sophie": ("Sophie Durand", "supervisor"),
          "alain": ("Alain Roux", "admin")}


@cache
def _password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@dataclass
class Desk:
    """The app, its clock, a client per person (signed in, with the CSRF header), the stack's device tokens."""

    app: Starlette
    transport: httpx.ASGITransport
    stack: Stack
    clock: Clock
    other_tenant_token: str
    clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = field(default_factory=dict)

    async def person(self, login: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
        """``login``'s own client (signed in through the login form) and the headers its requests carry."""
        if login not in self.clients:
            self.clients[login] = await signed_in(self.transport, login, PASSWORD)
        return self.clients[login]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request by ``who``: a person's login, a device role of the demo site ("agent", "supervisor"...), the
        other collectivity's agent ("other-tenant") or nobody ("anonymous")."""
        if who in PEOPLE:
            http, headers = await self.person(who)
        else:
            http = self.clients.setdefault("", (httpx.AsyncClient(transport=self.transport,
                                                                  base_url="http://testserver"), {}))[0]
            headers = ({} if who == "anonymous" else {"Authorization": f"Bearer {self.other_tenant_token}"}
                       if who == "other-tenant" else self.stack.auth(who))
        url = path if path.startswith("/") else f"{PHONE}/{path}"
        return await http.request(method, url, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    async def party(self, who: str = "lea", **fields: Any) -> dict[str, Any]:
        """A new person in the demo collectivity's citizen record."""
        answer = await self.call(who, "POST", f"{BASE}/parties", json={"kind": "person", **fields})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def log(self, who: str = "lea", **body: Any) -> dict[str, Any]:
        """A call logged by ``who``: answered for the reason état civil after two minutes, unless ``body`` says
        otherwise."""
        answer = await self.call(who, "POST", "calls", json={"reason": "etat-civil", "outcome": "answered",
                                                            "duration_s": 120, **body})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

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
            for login, (name, role) in PEOPLE.items():
                user = User(tenant_id="demo", login=login, name=name, password_hash=_password_hash(),
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
async def desk(stack: Stack) -> AsyncIterator[Desk]:
    from queue_server.web.app import create_app

    other = await _people_and_neighbour(stack)
    clock = Clock(NOW)
    app = create_app(stack.settings, clock=clock)
    async with app.router.lifespan_context(app):
        found = Desk(app, httpx.ASGITransport(app=app), stack, clock, other)
        try:
            yield found
        finally:
            for http, _ in found.clients.values():
                await http.aclose()

"""What the knowledge base's tests share: the demo's three collectivities on a stack (``demo``, its agglomeration
``agglo`` and the neighbouring ``voisine``), a token per role in each, the app over HTTP with its clock fixed, and
sheets written through the API as an editor writes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.tokens import create_token
from queue_server.queue.seed import seed_neighbours
from tests.conftest import ROLES, Stack

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
TENANTS = ("demo", "agglo", "voisine")


@dataclass
class Kb:
    """The app over HTTP, and each collectivity's tokens (tenant -> role -> token)."""

    http: httpx.AsyncClient
    tokens: dict[str, dict[str, str]]

    def auth(self, tenant: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[tenant][role]}"}

    async def write(self, tenant: str = "demo", *, sheet: str | None = None, **fields: Any) -> dict[str, Any]:
        """A sheet of ``tenant`` written by its supervisor (``sheet``: a new version of that one), ``fields`` over a
        published public one."""
        body = {"title": "Fiche", "body": "Texte.", "audience": "public", "status": "published", "shared": False,
                **fields}
        base = f"/api/v1/tenants/{tenant}/kb/sheets"
        answer = await (self.http.put(f"{base}/{sheet}", json=body, headers=self.auth(tenant, "supervisor"))
                        if sheet else self.http.post(base, json=body, headers=self.auth(tenant, "supervisor")))
        assert answer.status_code == (200 if sheet else 201), answer.text
        return answer.json()  # type: ignore[no-any-return]

    async def partners(self, tenant: str, *partners: str) -> dict[str, Any]:
        answer = await self.http.put(f"/api/v1/tenants/{tenant}/kb/partners", json={"tenants": list(partners)},
                                     headers=self.auth(tenant, "admin"))
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    async def found(self, tenant: str, q: str, headers: dict[str, str] | None = None) -> list[str]:
        """The titles a search finds, best first (``headers``: whose; none: anyone's)."""
        answer = await self.http.get(f"/api/v1/tenants/{tenant}/kb/search", params={"q": q}, headers=headers or {})
        assert answer.status_code == 200, answer.text
        return [item["title"] for item in answer.json()["items"]]


async def neighbours(stack: Stack) -> dict[str, dict[str, str]]:
    """``agglo`` and ``voisine`` beside the demo tenant, as ``queue-server demo`` puts them, and their tokens."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            assert await seed_neighbours(session)
            tokens = {tenant: {role: (await create_token(session, tenant, role, role))[1] for role in ROLES}
                      for tenant in ("agglo", "voisine")}
    finally:
        await engine.dispose()
    return {"demo": stack.tokens, **tokens}


async def running(stack: Stack) -> AsyncIterator[Kb]:
    from queue_server.web.app import create_app

    tokens = await neighbours(stack)
    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield Kb(client, tokens)

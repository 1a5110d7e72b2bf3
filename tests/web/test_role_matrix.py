"""Every site endpoint × every role × own site, another site of the tenant, another tenant's site.

Expected: a role the endpoint allows gets past authorisation at its own site (any answer but 401,
403, 404: the request itself may still be refused, e.g. 409 or 204); a role it does not allow gets
403; at another site of the same tenant only an admin token passes (it covers the whole tenant),
the others get 403; at another tenant's site everyone gets 404, as for a site that does not exist;
without credentials, 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ROLES, Stack
from tests.web.conftest import Neighbours

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity and limits: the same on every backend

ISSUERS = {"kiosk", "agent", "supervisor", "admin"}
STAFF = {"agent", "supervisor", "admin"}
ANY = set(ROLES)
ADMIN = {"admin"}
KIOSK = {"kiosk"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {site}, {ticket} and {device} (the site's kiosk token, revoked last: admin comes last)
    allowed: set[str]
    body: dict[str, Any] | None = None


ENDPOINTS = [
    Endpoint("POST", "/api/v1/sites/{site}/tickets", ISSUERS, {"service": "etat-civil"}),
    Endpoint("GET", "/api/v1/sites/{site}/state", ANY),
    Endpoint("POST", "/api/v1/sites/{site}/counters/1/next", STAFF),
    *(Endpoint("POST", f"/api/v1/sites/{{site}}/tickets/{{ticket}}/{action}", STAFF)
      for action in ("recall", "start", "finish", "no-show", "cancel", "requeue")),
    Endpoint("POST", "/api/v1/sites/{site}/tickets/{ticket}/transfer", STAFF, {"service": "etat-civil"}),
    Endpoint("POST", "/api/v1/sites/{site}/tickets/{ticket}/call", STAFF, {"counter": "1"}),
    Endpoint("POST", "/api/v1/sites/{site}/tickets/{ticket}/reprint", STAFF),  # staff's ticket: 422 past the roles
    Endpoint("PUT", "/api/v1/sites/{site}/kiosks/self/printer", KIOSK, {"status": "paper_low"}),
    Endpoint("PUT", "/api/v1/sites/{site}/display/message", {"supervisor", "admin"}, {"text": "Bienvenue"}),
    *(Endpoint("POST", f"/api/v1/sites/{{site}}/counters/1/{action}", STAFF) for action in ("open", "pause", "close")),
    Endpoint("POST", "/api/v1/sites/{site}/pairings", ADMIN, {"role": "display"}),
    Endpoint("GET", "/api/v1/sites/{site}/devices", ADMIN),
    Endpoint("GET", "/api/v1/sites/{site}/reports?date=2026-03-10", {"supervisor", "admin"}),
    Endpoint("GET", "/api/v1/sites/{site}/reports.csv?date=2026-03-10&by=counter", {"supervisor", "admin"}),
    Endpoint("POST", "/api/v1/sites/{site}/devices/{device}/revoke", ADMIN),
]
DENIED = {401, 403, 404}


async def ask(client: httpx.AsyncClient, endpoint: Endpoint, site: str, ticket: str,
              headers: dict[str, str], device: int = 0) -> int:
    path = endpoint.path.format(site=site, ticket=ticket, device=device)
    response = await client.request(endpoint.method, path, json=endpoint.body, headers=headers)
    assert response.status_code < 500, (endpoint, response.text)
    return response.status_code


async def kiosk_of(client: httpx.AsyncClient, site: str, admin: dict[str, str]) -> int:
    devices = (await client.get(f"/api/v1/sites/{site}/devices", headers=admin)).json()
    return int(next(d["id"] for d in devices if d["role"] == "kiosk"))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_each_role_gets_what_the_endpoint_allows_at_its_own_site(client: httpx.AsyncClient, stack: Stack,
                                                                       endpoint: Endpoint) -> None:
    device = await kiosk_of(client, "demo", stack.auth("admin"))
    assert ROLES[-1] == "admin"
    for role in ROLES:
        ticket = (await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                                    headers=stack.auth("agent"))).json()["id"]
        status = await ask(client, endpoint, "demo", ticket, stack.auth(role), device)
        if role in endpoint.allowed:
            assert status not in DENIED, (role, status)
        else:
            assert status == 403, (role, status)
    assert await ask(client, endpoint, "demo", "x" * 22, {}) == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_other_sites_are_closed_and_other_tenants_invisible(client: httpx.AsyncClient, stack: Stack,
                                                                  neighbours: Neighbours, endpoint: Endpoint) -> None:
    annexe_ticket = (await client.post("/api/v1/sites/annexe/tickets", json={"service": "etat-civil"},
                                       headers=neighbours.auth("annexe", "agent"))).json()["id"]
    elsewhere_ticket = (await client.post("/api/v1/sites/ailleurs/tickets", json={"service": "etat-civil"},
                                          headers=neighbours.auth("ailleurs", "agent"))).json()["id"]
    device = await kiosk_of(client, "annexe", stack.auth("admin"))
    for role in ROLES:
        same_tenant = await ask(client, endpoint, "annexe", annexe_ticket, stack.auth(role), device)
        if role == "admin" and role in endpoint.allowed:
            assert same_tenant not in DENIED, (role, same_tenant)
        else:
            assert same_tenant == 403, (role, same_tenant)
        assert await ask(client, endpoint, "ailleurs", elsewhere_ticket, stack.auth(role), device) == 404, role


async def test_a_ticket_of_another_site_is_not_found_through_this_one(client: httpx.AsyncClient, stack: Stack,
                                                                      neighbours: Neighbours) -> None:
    """A ticket id is a key to its own site only: through another site's URL it does not exist."""
    ticket = (await client.post("/api/v1/sites/annexe/tickets", json={"service": "etat-civil"},
                                headers=neighbours.auth("annexe", "kiosk"))).json()["id"]
    assert (await client.get(f"/api/v1/sites/annexe/tickets/{ticket}")).status_code == 200
    assert (await client.get(f"/api/v1/sites/demo/tickets/{ticket}")).status_code == 404
    finish = await client.post(f"/api/v1/sites/demo/tickets/{ticket}/finish", headers=stack.auth("agent"))
    assert finish.status_code == 404

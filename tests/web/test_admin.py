"""Administrators: pairing devices with single-use codes, listing and revoking them, the audit log."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import assert_problem, eventually
from tests.web.test_login import People, csrf, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


async def new_code(client: httpx.AsyncClient, stack: Stack, role: str = "display", name: str = "TV hall") -> str:
    response = await client.post("/api/v1/sites/demo/pairings", json={"role": role, "name": name},
                                 headers=stack.auth("admin"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["site"] == "demo" and body["role"] == role
    return str(body["code"])


async def test_a_pairing_code_gives_a_device_its_own_token_once(client: httpx.AsyncClient, stack: Stack) -> None:
    """The code (ABCD-EFGH) becomes a token for that site and role; the same code then opens nothing."""
    code = await new_code(client, stack, role="kiosk", name="Borne accueil")
    assert len(code) == 9 and code[4] == "-"
    paired = await client.post("/api/v1/pair", json={"code": code.lower().replace("-", " ")})
    assert paired.status_code == 201, paired.text
    device = paired.json()
    assert device["site"] == "demo" and device["role"] == "kiosk"
    ticket = await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                               headers={"Authorization": f"Bearer {device['token']}"})
    assert ticket.status_code == 201
    again = await client.post("/api/v1/pair", json={"code": code})
    assert_problem(again, 404)
    assert "already used or expired" in again.json()["detail"]


async def test_a_pairing_code_expires(client: httpx.AsyncClient, stack: Stack) -> None:
    """A code not used within its 10 minutes opens nothing (its expiry is brought forward in Redis)."""
    code = await new_code(client, stack)
    redis = Redis.from_url(stack.settings.redis.url)
    try:
        keys = await redis.keys(f"{stack.settings.redis.key_prefix}pairing:*")
        assert len(keys) == 1 and 590 <= await redis.ttl(keys[0]) <= 600
        await redis.pexpire(keys[0], 1)
    finally:
        await redis.aclose()

    async def expired() -> bool:
        return (await client.post("/api/v1/pair", json={"code": code})).status_code == 404

    await eventually(expired, timeout_s=5)


async def test_guessing_codes_is_cut_short(client: httpx.AsyncClient) -> None:
    """Ten attempts a minute from one address; the eleventh gets 429 with Retry-After."""
    statuses = [(await client.post("/api/v1/pair", json={"code": f"AAAA-AAA{i}"})).status_code for i in range(11)]
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429


async def test_only_the_sites_admins_create_codes(client: httpx.AsyncClient, stack: Stack,
                                                  neighbours: Neighbours) -> None:
    for role in ("kiosk", "display", "agent", "supervisor"):
        refused = await client.post("/api/v1/sites/demo/pairings", json={"role": "display"}, headers=stack.auth(role))
        assert_problem(refused, 403)
    other = await client.post("/api/v1/sites/ailleurs/pairings", json={"role": "display"}, headers=stack.auth("admin"))
    assert_problem(other, 404)
    bad = await client.post("/api/v1/sites/demo/pairings", json={"role": "admin"}, headers=stack.auth("admin"))
    assert_problem(bad, 422)  # a code never makes a staff token


async def test_a_revoked_device_is_refused(client: httpx.AsyncClient, stack: Stack) -> None:
    """The admin sees the paired device in the list, revokes it, and its token stops working."""
    token = (await client.post("/api/v1/pair", json={"code": await new_code(client, stack)})).json()
    listed = await client.get("/api/v1/sites/demo/devices", headers=stack.auth("admin"))
    mine = [d for d in listed.json() if d["id"] == token["token_id"]]
    assert mine and mine[0]["role"] == "display" and mine[0]["name"] == "TV hall" and mine[0]["revoked_at"] is None
    device = {"Authorization": f"Bearer {token['token']}"}
    assert (await client.get("/api/v1/sites/demo/state", headers=device)).status_code == 200
    revoked = await client.post(f"/api/v1/sites/demo/devices/{token['token_id']}/revoke", headers=stack.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]

    async def refused() -> bool:
        return (await client.get("/api/v1/sites/demo/state", headers=device)).status_code == 401

    await eventually(refused, timeout_s=10)
    told = assert_problem(await client.get("/api/v1/sites/demo/state", headers=device), 401)
    assert told["type"] == "/problems/token-revoked" and "pair the device again" in told["detail"]
    unknown = assert_problem(await client.get("/api/v1/sites/demo/state", headers={"Authorization": "Bearer nope"}),
                             401)
    assert unknown["type"] == "/problems/bad-credentials"
    assert_problem(await client.post("/api/v1/sites/demo/devices/999999/revoke", headers=stack.auth("admin")), 404)
    assert_problem(await client.get("/api/v1/sites/demo/devices", headers=stack.auth("agent")), 403)


async def test_the_audit_log_tells_who_did_what_and_exports_as_csv(client: httpx.AsyncClient, stack: Stack,
                                                                   people: People,  # noqa: F811
                                                                   neighbours: Neighbours) -> None:
    """Sign-ins, failed sign-ins, pairings and revocations are in the tenant's audit log, newest first;
    the CSV export has the same entries and defuses spreadsheet formulas; other tenants see none."""
    await sign_in(client, password="wrong password!")
    await sign_in(client)
    token = (await client.post("/api/v1/pair", json={"code": await new_code(client, stack, name="=HYPERLINK(1)")}))
    await client.post(f"/api/v1/sites/demo/devices/{token.json()['token_id']}/revoke", headers=stack.auth("admin"))
    log = await client.get("/api/v1/audit", headers=stack.auth("admin"))
    assert log.status_code == 200
    actions = [e["action"] for e in log.json()]
    assert actions[:5] == ["token.revoked", "device.paired", "pairing.created", "login", "login.failed"]
    assert log.json()[3]["actor"] == "user:anne" and log.json()[4]["target"] == "anne"
    exported = await client.get("/api/v1/audit.csv", headers=stack.auth("admin"))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == actions
    created = next(r for r in rows if r["action"] == "pairing.created")
    assert created["detail"] == "'=HYPERLINK(1)"  # text in a spreadsheet, not a formula
    french = await client.get("/api/v1/audit.csv", params={"lang": "fr"}, headers=stack.auth("admin"))
    lines = list(csv.reader(io.StringIO(french.text.removeprefix("\ufeff")), delimiter=";"))
    assert french.text.startswith("\ufeff") and lines[0] == ["Quand", "Site", "Qui", "Action", "Objet", "Adresse IP",
                                                              "Détail"]
    assert [line[3] for line in lines[1:]] == actions
    assert re.fullmatch(r"\d\d/\d\d/20\d\d \d\d:\d\d:\d\d", lines[1][0])  # French, on the site's clock
    assert_problem(await client.get("/api/v1/audit", headers=stack.auth("supervisor")), 403)
    elsewhere = await client.get("/api/v1/audit", headers=neighbours.auth("ailleurs", "admin"))
    assert elsewhere.status_code == 200 and elsewhere.json() == []


async def test_a_signed_in_admin_pairs_with_the_csrf_token(client: httpx.AsyncClient,
                                                           people: People) -> None:  # noqa: F811
    await people.add("chef", [(None, "admin")])
    await sign_in(client, login="chef")
    assert_problem(await client.post("/api/v1/sites/demo/pairings", json={"role": "display"}), 403)
    made = await client.post("/api/v1/sites/demo/pairings", json={"role": "display"}, headers=await csrf(client))
    assert made.status_code == 201
    assert (await client.get("/api/v1/audit.csv")).status_code == 200

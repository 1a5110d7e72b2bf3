"""The configuration API (docs/api.md "Configuration"): what an administrator changes is applied at once,
refused safely when it would break the queue, audited with the values before and after, and refused
clearly, naming the field, when it is wrong; supervisors read and may not change."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Stack
from tests.web.support import Desk

pytestmark = pytest.mark.anyio
BASE = "/api/v1/sites/demo"


async def put(client: httpx.AsyncClient, stack: Stack, path: str, body: Any, role: str = "admin") -> httpx.Response:
    return await client.put(BASE + path, json=body, headers=stack.auth(role))


async def config(client: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    answer = await client.get(BASE + "/config", headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def state(client: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    return dict((await client.get(BASE + "/state", headers=stack.auth("agent"))).json())


async def test_a_new_service_and_counter_take_tickets_at_once(client: httpx.AsyncClient, stack: Stack,
                                                             desk: Desk) -> None:
    """A service created by PUT is in the configuration and the state, its kiosk tickets are numbered with
    its prefix, a new counter serving it calls them; a second PUT changes it (200) and keeps its tickets."""
    created = await put(client, stack, "/services/social", {
        "name": "Action sociale", "prefix": "S", "description": "CCAS, aides", "icon": "family",
        "priority": False, "sms_ahead": 2, "alert_wait_s": 900, "daily_cap": 40})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Action sociale" and created.json()["priority"] is False
    counter = await put(client, stack, "/counters/9", {"name": "Bureau 9", "services": ["social"]})
    assert counter.status_code == 201, counter.text
    ticket = await desk.issue("social")
    assert ticket["number"] == "S001"
    assert (await desk.called("9"))["id"] == ticket["id"]
    services = {s["id"]: s for s in (await state(client, stack))["services"]}
    assert services["social"]["offers_priority"] is False and services["social"]["open_now"] is True
    renamed = await put(client, stack, "/services/social", {"name": "Action sociale (CCAS)"})
    assert renamed.status_code == 200 and renamed.json()["prefix"] == "S"
    assert {k["id"]: k["name"] for k in (await config(client, stack))["counters"]}["9"] == "Bureau 9"
    assert (await desk.issue("social"))["number"] == "S002"  # the day's numbering goes on


async def test_removing_a_service_while_tickets_wait_is_refused_then_allowed(
        client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    ticket = await desk.issue("passeports")
    refused = await client.delete(BASE + "/services/passeports", headers=stack.auth("admin"))
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/service-busy", refused.text
    assert "passeports" in {s["id"] for s in (await config(client, stack))["services"]}  # nothing half done
    assert (await desk.act(ticket["id"], "cancel")).status_code == 200
    removed = await client.delete(BASE + "/services/passeports", headers=stack.auth("admin"))
    assert removed.status_code == 204, removed.text
    document = await config(client, stack)
    assert "passeports" not in {s["id"] for s in document["services"]}
    assert all("passeports" not in k["services"] for k in document["counters"])  # counters no longer serve it
    gone = await client.post(BASE + "/tickets", json={"service": "passeports"}, headers=stack.auth("kiosk"))
    assert gone.status_code == 404


async def test_removing_an_open_counter_is_refused(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    await desk.issue()
    await desk.called("2")
    refused = await client.delete(BASE + "/counters/2", headers=stack.auth("admin"))
    assert refused.status_code == 409 and "close it first" in refused.json()["detail"], refused.text
    assert (await client.delete(BASE + "/counters/3", headers=stack.auth("admin"))).status_code == 204
    assert [k["id"] for k in (await state(client, stack))["counters"]] == ["1", "2", "4"]


async def test_a_prefix_used_by_another_service_is_a_conflict(client: httpx.AsyncClient, stack: Stack) -> None:
    prefix = (await config(client, stack))["services"][0]["prefix"]
    refused = await put(client, stack, "/services/doublon", {"name": "Doublon", "prefix": prefix})
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/prefix-taken", refused.text
    assert "doublon" not in {s["id"] for s in (await config(client, stack))["services"]}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/services/social", {"name": "Social", "prefix": "s1"}, "prefix"),
    ("/services/social", {"name": "Social"}, "prefix"),
    ("/services/social", {"name": "  ", "prefix": "S"}, "name"),
    ("/services/social", {"name": "S", "prefix": "S", "icon": "rocket"}, "icon"),
    ("/services/social", {"name": "S", "prefix": "S", "hours": {"mon": [["12:00", "08:00"]]}}, "hours.mon[0]"),
    ("/services/Soc_ial", {"name": "S", "prefix": "S"}, "service"),
    ("/counters/7", {"name": "Bureau 7", "services": ["nulle-part"]}, "services"),
    ("/hours", {"weekly": {"mon": [["08:00", "12:00"], ["11:30", "14:00"]]}}, "weekly.mon"),
    ("/hours", {"closures": [{"from": "2026-12-24", "to": "2026-12-20"}]}, "closures[0]"),
    ("/hours", {"public_holidays": "FR-99"}, "public_holidays"),
    ("", {"timezone": "Europe/Parris"}, "timezone"),
    ("", {"colours": ["blue", "#ffffff"]}, "colours.0"),
])
async def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
        client: httpx.AsyncClient, stack: Stack, path: str, body: dict[str, Any], field: str) -> None:
    before = await config(client, stack)
    refused = await put(client, stack, path, body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == field, refused.text
    assert await config(client, stack) == before


async def test_hours_closures_and_holidays_are_kept_and_shown(client: httpx.AsyncClient, stack: Stack) -> None:
    hours = {"weekly": {"mon": [["08:30", "12:00"], ["13:30", "17:00"]], "sat": [["09:00", "12:00"]]},
             "closures": [{"from": "2026-08-03", "to": "2026-08-07", "reason": "Travaux"}],
             "public_holidays": "FR-57"}
    answer = await put(client, stack, "/hours", hours)
    assert answer.status_code == 200, answer.text
    assert answer.json() == hours
    assert (await config(client, stack))["hours"] == hours


async def test_every_change_is_audited_with_the_values_before_and_after(
        client: httpx.AsyncClient, stack: Stack) -> None:
    assert (await put(client, stack, "/counters/1", {"name": "Accueil", "services": ["etat-civil"]})).status_code == 200
    entries = (await client.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    entry = next(e for e in entries if e["action"] == "config.counter")
    assert entry["target"] == "1" and entry["actor"].startswith("token:")
    detail = orjson.loads(entry["detail"])["counters.1"]
    assert detail["before"]["name"] == "Guichet 1" and detail["after"] == {"id": "1", "name": "Accueil",
                                                                             "services": ["etat-civil"]}


async def test_supervisors_read_the_configuration_but_do_not_change_it(client: httpx.AsyncClient,
                                                                      stack: Stack) -> None:
    assert (await client.get(BASE + "/config", headers=stack.auth("supervisor"))).status_code == 200
    for role in ("supervisor", "agent", "kiosk"):
        refused = await put(client, stack, "/services/social", {"name": "S", "prefix": "S"}, role)
        assert refused.status_code == 403, (role, refused.text)
    assert (await client.get(BASE + "/config", headers=stack.auth("display"))).status_code == 403


async def test_a_site_token_cannot_create_a_site(client: httpx.AsyncClient, stack: Stack) -> None:
    """Creating a site is for a person who administers the whole collectivity (tests/browser: /admin)."""
    refused = await client.put("/api/v1/sites/annexe", json={"name": "Annexe"}, headers=stack.auth("admin"))
    assert refused.status_code == 403, refused.text
    settings = await client.put(BASE, json={"address": "1 place de la Mairie", "colours": ["#003366", "#FFCC00"],
                                            "kiosk": {"languages": ["fr", "ar"], "idle_s": 45}},
                                headers=stack.auth("admin"))
    assert settings.status_code == 200, settings.text
    snapshot = await state(client, stack)
    assert snapshot["address"] == "1 place de la Mairie" and snapshot["colours"] == ["#003366", "#ffcc00"]
    assert snapshot["kiosk"] == {"languages": ["fr", "ar"], "idle_s": 45}

"""The configuration API (docs/api.md "Configuration"): what an administrator changes is applied at once,
refused safely when it would break the queue, audited with the values before and after, and refused
clearly, naming the field, when it is wrong; supervisors read and may not change."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image

from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

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
    ("", {"region": "XX"}, "region"),
    ("", {"region": "FR-974"}, "region"),  # a public holiday region is not a phone region
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


async def test_the_phone_region_reads_the_numbers_left_at_the_kiosk(client: httpx.AsyncClient, stack: Stack,
                                                                    desk: Desk) -> None:
    """A site in Réunion reads 0692 12 34 56 as a Réunion mobile once its phone region is RE (metropolitan
    France's rules refuse it); the region is in the configuration and the audit log."""
    ticket = await desk.issue()
    phone = f"/api/v1/sites/demo/tickets/{ticket['id']}/phone"
    assert (await client.put(phone, json={"phone": "0692 12 34 56"})).status_code == 422
    assert (await config(client, stack))["site"]["region"] == "FR"
    changed = await put(client, stack, "", {"region": "RE"})
    assert changed.status_code == 200 and changed.json()["region"] == "RE", changed.text
    assert (await client.put(phone, json={"phone": "0692 12 34 56"})).status_code == 204
    entries = (await client.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    detail = orjson.loads(next(e for e in entries if e["action"] == "config.site")["detail"])
    assert (detail["site"]["before"]["region"], detail["site"]["after"]["region"]) == ("FR", "RE")


async def test_a_service_that_is_a_counters_only_one_is_kept_until_the_counter_serves_another(
        client: httpx.AsyncClient, stack: Stack) -> None:
    """Removing the only service of a counter is refused (409) naming the counter, nothing changes; once the
    counter also serves another service, the removal goes through and the counter serves that one."""
    assert (await put(client, stack, "/services/social", {"name": "Action sociale", "prefix": "S"})).status_code == 201
    assert (await put(client, stack, "/counters/9", {"name": "Bureau 9", "services": ["social"]})).status_code == 201
    before = await config(client, stack)
    refused = await client.delete(BASE + "/services/social", headers=stack.auth("admin"))
    problem = assert_problem(refused, 409)
    assert problem["type"] == "/problems/counter-without-service" and "Bureau 9" in problem["detail"], problem
    assert await config(client, stack) == before
    assert (await put(client, stack, "/counters/9", {"name": "Bureau 9",
                                                     "services": ["social", "etat-civil"]})).status_code == 200
    assert (await client.delete(BASE + "/services/social", headers=stack.auth("admin"))).status_code == 204
    assert {k["id"]: k["services"] for k in (await config(client, stack))["counters"]}["9"] == ["etat-civil"]


def png(width: int = 120, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 70, 160)).save(out, "PNG")
    return out.getvalue()


async def test_a_logo_put_is_served_at_once_and_removed(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """PUT …/logo with a PNG: the snapshot names it by its version at once and serves those bytes; it is
    audited; DELETE removes it (and again changes nothing)."""
    data = png()
    answer = await client.put(BASE + "/logo", content=data, headers={**stack.auth("admin"),
                                                                      "Content-Type": "image/png"})
    assert answer.status_code == 200, answer.text
    url = f"/sites/demo/logo?v={hashlib.sha256(data).hexdigest()[:12]}"
    assert answer.json()["logo"] == url and (await desk.state())["logo"] == url
    served = await client.get(url)
    assert served.content == data and served.headers["content-type"] == "image/png"
    entries = (await client.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    detail = orjson.loads(next(e for e in entries if e["action"] == "site.logo")["detail"])
    assert detail["site"]["after"]["logo"] == url and detail["content_type"] == "image/png"
    for _ in range(2):
        removed = await client.delete(BASE + "/logo", headers=stack.auth("admin"))
        assert removed.status_code == 204, removed.text
        assert (await desk.state())["logo"] is None
    assert (await client.get(url)).status_code == 404


@pytest.mark.parametrize(("body", "status", "says"), [
    (b"Bonjour, ceci est un texte.\n", 422, "not a PNG or JPEG image"),
    ("cut", 422, "not a PNG or JPEG image"),  # a photograph's PNG cut short: it does not decode whole
    ("gif", 422, "GIF image"),
    (png(5000, 10), 422, "4096 pixels a side at most"),
    (b"\x89PNG" + bytes(512 * 1024), 413, "may not exceed 524288 bytes"),
])
async def test_what_is_not_a_logo_is_refused_and_nothing_changes(
        client: httpx.AsyncClient, stack: Stack, body: bytes | str, status: int, says: str) -> None:
    if body in ("gif", "cut"):
        out = io.BytesIO()
        if body == "gif":
            Image.new("RGB", (10, 10)).save(out, "GIF")
        else:
            Image.effect_noise((200, 200), 64).save(out, "PNG")
        body = out.getvalue()[:20_000 if body == "cut" else None]
    assert isinstance(body, bytes)
    before = await config(client, stack)
    refused = await client.put(BASE + "/logo", content=body, headers={**stack.auth("admin"),
                                                                       "Content-Type": "image/png"})
    problem = assert_problem(refused, status)
    assert says in problem["detail"], problem
    if status == 422:
        assert problem["type"] == "/problems/invalid-logo" and problem["errors"][0]["field"] == "logo"
    assert await config(client, stack) == before


async def test_only_an_administrator_changes_the_logo(client: httpx.AsyncClient, stack: Stack) -> None:
    for role in ("supervisor", "agent", "kiosk", "display"):
        assert (await client.put(BASE + "/logo", content=png(), headers=stack.auth(role))).status_code == 403, role
        assert (await client.delete(BASE + "/logo", headers=stack.auth(role))).status_code == 403, role

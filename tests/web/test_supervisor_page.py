"""``/supervisor``: who gets the dashboard, and what its page carries for its script."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import Neighbours
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity and pages: the same on every backend


def page_data(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="staff-data">(.*?)</script>', page.text, re.S)
    assert found, page.text
    return json.loads(found.group(1))  # type: ignore[no-any-return]


async def test_the_page_asks_to_sign_in_first(client: httpx.AsyncClient) -> None:
    """Without a session the dashboard sends to the login page, which comes back to it."""
    answer = await client.get("/supervisor")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fsupervisor"


async def test_an_agent_gets_a_refusal_page(client: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """A person who is only an agent is refused with a page in their language, not the dashboard."""
    await sign_in(client)  # anne, agent of demo
    answer = await client.get("/supervisor")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in answer.text and "staff-data" not in answer.text


async def test_a_supervisor_gets_the_dashboard_of_their_sites_only(client: httpx.AsyncClient, people: People,  # noqa: F811
                                                                   neighbours: Neighbours) -> None:
    """A supervisor of `demo` (the tenant also has `annexe`) gets demo alone, with its services,
    counters, time zone and the script's strings; the page runs no inline script."""
    await people.add("sam", [("demo", "supervisor")])
    await sign_in(client, login="sam")
    answer = await client.get("/supervisor")
    assert answer.status_code == 200
    data = page_data(answer)
    assert [s["id"] for s in data["sites"]] == ["demo"]
    demo = data["sites"][0]
    assert demo["role"] == "supervisor"
    assert {s["id"] for s in demo["services"]} >= {"etat-civil", "passeports", "urbanisme"}
    assert {c["id"] for c in demo["counters"]} >= {"1", "2", "3", "4"}
    assert data["sites"][0]["timezone"] == "Europe/Paris"
    assert data["person"]["login"] == "sam" and data["csrf"]
    assert data["strings"]["live"] and data["strings"]["alert_wait"]
    me = (await client.get("/api/v1/me")).json()
    assert data["csrf"] == me["csrf_token"]
    scripts = re.findall(r"<script([^>]*)>", answer.text)
    assert scripts and all('src="/static/' in s or 'type="application/json"' in s for s in scripts)
    assert "script-src 'self'" in answer.headers["content-security-policy"]


async def test_an_admin_of_every_site_gets_every_site_of_their_tenant(client: httpx.AsyncClient, people: People,  # noqa: F811
                                                                      neighbours: Neighbours) -> None:
    """An administrator of every site sees the sites of their own tenant, never another tenant's."""
    await people.add("chef", [(None, "admin")])
    await sign_in(client, login="chef")
    data = page_data(await client.get("/supervisor"))
    assert [s["id"] for s in data["sites"]] == ["annexe", "demo"]
    assert all(s["role"] == "admin" for s in data["sites"])


async def test_only_the_sites_where_the_person_supervises_are_listed(client: httpx.AsyncClient, people: People,  # noqa: F811
                                                                     neighbours: Neighbours) -> None:
    """An agent at `demo` who supervises `annexe` gets `annexe` alone."""
    await people.add("mixte", [("demo", "agent"), ("annexe", "supervisor")])
    await sign_in(client, login="mixte")
    data = page_data(await client.get("/supervisor"))
    assert [s["id"] for s in data["sites"]] == ["annexe"]


async def test_english_on_request_and_remembered(client: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """`?lang=en` gives the page in English and keeps the choice for the next visits."""
    await people.add("sam", [("demo", "supervisor")])
    await sign_in(client, login="sam")
    english = await client.get("/supervisor?lang=en")
    assert '<html lang="en">' in english.text and "Waiting tickets" in english.text
    assert page_data(english)["strings"]["live"] == "Live"
    again = await client.get("/supervisor")
    assert '<html lang="en">' in again.text

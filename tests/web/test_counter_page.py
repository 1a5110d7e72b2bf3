"""The agent page over HTTP: who may open it, and what the page starts from (its JSON block)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


def page_data(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="staff-data">(.*?)</script>', page.text, re.S)
    assert found, page.text
    return orjson.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


async def test_strangers_are_sent_to_sign_in_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/counter")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fcounter"


async def test_an_agent_gets_their_sites_counters_and_the_csrf_token(client: httpx.AsyncClient,
                                                                    people: People) -> None:  # noqa: F811
    """Anne, an agent at demo only, gets demo with its counters and services, her name and her CSRF token;
    the page is in French, strings included."""
    await sign_in(client)
    response = await client.get("/counter")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    data = page_data(response)
    assert [(s["id"], s["role"]) for s in data["sites"]] == [("demo", "agent")]
    demo = data["sites"][0]
    assert [c["id"] for c in demo["counters"]] == ["1", "2", "3", "4"]
    assert [s["prefix"] for s in demo["services"]][:3] == ["A", "B", "C"]
    assert data["person"] == {"name": "Anne", "login": "anne"}
    me = (await client.get("/api/v1/me")).json()
    assert data["csrf"] == me["csrf_token"]
    assert data["strings"]["nobody_waiting"] == "Personne n'attend dans vos services."
    english = page_data(await client.get("/counter?lang=en"))
    assert english["strings"]["nobody_waiting"] == "Nobody is waiting in your services."


async def test_a_tenant_wide_role_lists_every_site_of_the_tenant(client: httpx.AsyncClient, people: People,  # noqa: F811
                                                                 neighbours: Neighbours) -> None:
    """An administrator of the whole tenant works at each of its sites, and at no other tenant's."""
    await people.add("chef", [(None, "admin")])
    await sign_in(client, login="chef")
    data = page_data(await client.get("/counter"))
    assert [(s["id"], s["role"]) for s in data["sites"]] == [("annexe", "admin"), ("demo", "admin")]


async def test_a_page_script_cannot_be_smuggled_in_through_a_name(client: httpx.AsyncClient,
                                                                  people: People) -> None:  # noqa: F811
    """A person's name with </script> stays text inside the JSON block."""
    await people.add("</script><script>alert(1)</script>", [("demo", "agent")])
    await sign_in(client, login="</script><script>alert(1)</script>")
    response = await client.get("/counter")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert page_data(response)["person"]["login"] == "</script><script>alert(1)</script>"


async def test_reception_has_the_person_search_and_says_how_long_a_record_is_kept(client: httpx.AsyncClient,
                                                                                   people: People) -> None:  # noqa: F811
    """The reception panel holds the search of the citizen record (a combobox over its list of results) and the
    new person's form; its script gets the words of the record's card and the notice's retention, from
    ``[crm] retention_days`` (730 days: two years)."""
    await sign_in(client)
    page = await client.get("/counter?lang=en")
    assert 'role="combobox"' in page.text and 'aria-controls="person-results"' in page.text
    assert 'id="person-results" class="results" role="listbox"' in page.text
    assert 'id="person-form"' in page.text and "Without a record" in page.text
    strings = page_data(page)["strings"]
    assert strings["retention"] == "2 years after the last contact"
    assert strings["issued_for"] == "Ticket {number} for {name} ({ahead} ahead)."
    kinds = {k: v for k, v in strings.items() if k.startswith("kind_")}
    assert kinds == {"kind_visit": "Visit", "kind_note": "Note", "kind_appointment": "Appointment",
                     "kind_request": "Request", "kind_call": "Phone call", "kind_survey": "Survey",
                     "kind_message": "Message"}
    assert {k for k in strings if k.startswith("outcome_")} == {
        "outcome_waiting", "outcome_called", "outcome_serving", "outcome_served", "outcome_no_show",
        "outcome_cancelled"}  # every outcome of a visit on the timeline (crm/domain/visits.py)


async def test_the_notice_follows_the_retention_configured(stack: Stack, people: People) -> None:  # noqa: F811
    """A collectivity that keeps records 400 days says so to the person whose record reception creates."""
    from queue_server.web.app import create_app

    settings = stack.settings.model_copy(update={"crm": stack.settings.crm.model_copy(update={"retention_days": 400})})
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
        await sign_in(http)
        strings = page_data(await http.get("/counter?lang=en"))["strings"]
    assert strings["retention"] == "400 days after the last contact"

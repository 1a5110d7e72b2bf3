"""``GET /agenda`` over HTTP, the server's clock on Monday 11 January 2027, 08:00 in Paris: who may open it, what the
day's page starts from (its JSON block), and that each load is audited."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Stack
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # pages and guards: the storage does not matter
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MOTIF = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
         "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS}
ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "phone": "06 12 34 56 78"}
LUC = {"first_name": "Luc", "last_name": "Martin", "email": "luc@example.fr"}


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a fixed clock, with the motif passeport and two appointments on Monday and one on Tuesday."""
    from queue_server.web.app import create_app

    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        put = await client.put(f"{SITE}/motifs/passeport", json=MOTIF, headers=stack.auth("admin"))
        assert put.status_code == 201, put.text
        for start, person in (("2027-01-11T09:10:00Z", ANNE), ("2027-01-11T09:30:00Z", LUC),
                              ("2027-01-12T08:30:00Z", LUC)):
            booked = await client.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start,
                                                                     "person": person})
            assert booked.status_code == 201, booked.text
        yield client


def page_data(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="staff-data">(.*?)</script>', page.text, re.S)
    assert found, page.text
    return orjson.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


async def agenda_reads(http: httpx.AsyncClient, stack: Stack) -> list[dict[str, Any]]:
    answer = await http.get("/api/v1/audit", params={"action": "appointment.agenda"}, headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_strangers_are_sent_to_sign_in_first_and_come_back_to_the_day_they_asked(
        http: httpx.AsyncClient) -> None:
    """Without a session (a device's token is none) the page answers with the sign-in page, then back to the day."""
    response = await http.get("/agenda?date=2027-01-12")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fagenda%3Fdate%3D2027-01-12"


async def test_a_person_without_a_staff_role_gets_a_refusal_and_reads_nothing(
        http: httpx.AsyncClient, people: People, stack: Stack) -> None:  # noqa: F811
    """A signed-in person with no role at any site gets a 403 page in French, and no read is audited."""
    await people.add("visiteur", [])
    await sign_in(http, login="visiteur")
    response = await http.get("/agenda")
    assert response.status_code == 403
    assert "Lefèvre" not in response.text and "agent" in response.text
    assert await agenda_reads(http, stack) == []


async def test_an_agent_gets_the_day_on_the_sites_clock_with_its_appointments(
        http: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """Anne, an agent, opens today (Monday on the site's clock): its two appointments, by start, with their
    persons, desks and codes; the motifs' names and margins; the page in French, marked as the Agenda page."""
    await sign_in(http)
    response = await http.get("/agenda")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    data = page_data(response)
    assert (data["date"], data["today"], data["site"]["id"]) == ("2027-01-11", "2027-01-11", "demo")
    assert [(a["start"], a["person"]["last_name"], a["status"]) for a in data["items"]] == [
        ("2027-01-11T09:10:00Z", "Lefèvre", "booked"), ("2027-01-11T09:30:00Z", "Martin", "booked")]
    assert all(a["desk"] == 1 and len(a["code"]) == 6 for a in data["items"])
    assert data["motifs"][0] | {"questions": []} == {"id": "passeport", "name": "Passeport", "service": "passeports",
                                                     "duration_min": 20, "arrive_after_min": 15, "questions": []}
    assert data["lang"] == "fr" and {"status_booked", "status_late", "status_no_show"} <= set(data["strings"])
    assert "Lundi 11 janvier 2027" in response.text
    assert '<a href="/agenda" aria-current="page">Agenda</a>' in response.text


async def test_another_day_is_asked_by_date_and_a_wrong_date_shows_today(
        http: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """?date=2027-01-12 shows Tuesday's one appointment and links to Monday and Wednesday; a date that is no date
    shows today."""
    await sign_in(http)
    response = await http.get("/agenda?date=2027-01-12")
    data = page_data(response)
    assert [a["person"]["first_name"] for a in data["items"]] == ["Luc"]
    assert 'href="/agenda?date=2027-01-11"' in response.text and 'href="/agenda?date=2027-01-13"' in response.text
    assert page_data(await http.get("/agenda?date=2027-13-45"))["date"] == "2027-01-11"


async def test_each_load_of_the_page_is_audited_once_with_its_day(
        http: httpx.AsyncClient, people: People, stack: Stack) -> None:  # noqa: F811
    """Two loads, of Monday then of Tuesday, write two ``appointment.agenda`` entries naming the reader and the day;
    the API's reads of the day that the page makes afterwards write none."""
    await sign_in(http)
    await http.get("/agenda")
    await http.get("/agenda?date=2027-01-12")
    me = await http.get("/api/v1/me")
    assert (await http.get(f"{SITE}/appointments", params={"date": "2027-01-11"},
                           headers={"X-CSRF-Token": me.json()["csrf_token"]})).status_code == 200
    reads = await agenda_reads(http, stack)
    assert sorted((e["actor"], e["site"], e["target"]) for e in reads) == [
        ("user:anne", "demo", "2027-01-11"), ("user:anne", "demo", "2027-01-12")]

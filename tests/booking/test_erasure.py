"""API.md "Citizen record (CRM)": erasing a party (``DELETE …/parties/{id}``) erases the person everywhere it was
held, booking included: the appointments that name the party, or whose phone or e-mail was one of the party's,
lose the person's name, contact and answers, and keep their motif, time and status; others stay whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.anyio
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
PARTIES = "/api/v1/tenants/demo/parties"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
             "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS, "public_holidays": "FR",
             "questions": [{"id": "personnes", "label": "Personnes", "kind": "count", "minimum": 1, "maximum": 5}]}


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        answer = await client.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield client


async def book(http: httpx.AsyncClient, start: str, person: dict[str, str], **extra: Any) -> dict[str, Any]:
    headers = extra.pop("headers", {})
    answer = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start, "person": person,
                                                          "answers": {"personnes": 2}, **extra}, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_erasing_a_party_blanks_the_person_of_its_appointments(http: httpx.AsyncClient, stack: Stack) -> None:
    """The appointment naming the party and the one booked with its e-mail keep their times and status but not
    the person (name "effacé", no contact, no answers); a stranger's appointment is untouched; the deletion report
    counts the two."""
    created = await http.post(PARTIES, headers=stack.auth("admin"), json={
        "kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "emails": ["anne@example.fr"]})
    assert created.status_code == 201, created.text
    party = created.json()["id"]
    named = await book(http, "2027-01-12T09:10:00Z", {"first_name": "Anne", "last_name": "Lefèvre",
                                                      "phone": "06 12 34 56 78"}, party=party,
                       headers=stack.auth("agent"))
    by_email = await book(http, "2027-01-13T09:10:00Z", {"first_name": "Anne", "last_name": "Lefèvre",
                                                         "email": "ANNE@example.fr"})
    stranger = await book(http, "2027-01-12T09:10:00Z", {"first_name": "Paul", "last_name": "Martin",
                                                         "email": "paul@example.fr"})
    erased = await http.delete(f"{PARTIES}/{party}", headers=stack.auth("admin"))
    assert erased.status_code == 204, erased.text
    for before in (named, by_email):
        after = (await http.get(f"{SITE}/appointments/{before['id']}")).json()
        assert after["person"] == {"first_name": "", "last_name": "effacé", "email": None, "phone": None}
        assert after["answers"] == {} and after["party"] is None
        assert (after["start"], after["end"], after["status"], after["code"]) == (
            before["start"], before["end"], before["status"], before["code"])
    untouched = (await http.get(f"{SITE}/appointments/{stranger['id']}")).json()
    assert untouched["person"] == stranger["person"] and untouched["answers"] == {"personnes": 2}
    [report] = (await http.get("/api/v1/tenants/demo/purges", headers=stack.auth("admin"))).json()["items"]
    assert report["reason"] == "erasure" and report["parties"][0]["erased_elsewhere"] == 2

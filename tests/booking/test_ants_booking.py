"""The ANTS turned on, through the whole app: a passport motif's pre-application numbers are checked with the fake
anti-duplicate API at booking (a consumed number refused), a booked one declared and withdrawn at cancellation,
and the ANTS hub finds the site, its free slots and the appointment of a number through /api/ants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from tests.booking.ants_fake import FakeAnts, served
from tests.conftest import Stack

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
HUB_TOKEN, API_TOKEN = "hub-secret", "api-secret"
MOTIF = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 1, "public": True,
         "min_notice_h": 2, "horizon_days": 90, "ants": "demande",
         "hours": {d: [["08:30", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
         "questions": [{"id": "personnes", "label": "Personnes", "kind": "count", "required": True, "maximum": 4},
                       {"id": "numeros", "label": "Numéros de pré-demande", "kind": "application_ids",
                        "required": True}],
         "duration_rule": {"question": "personnes", "per_extra_min": 10}}
PERSON = {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}


@dataclass
class Ants:
    http: httpx.AsyncClient
    fake: FakeAnts


@pytest.fixture
async def ants(stack: Stack) -> AsyncIterator[Ants]:
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    fake = FakeAnts(API_TOKEN, statuses={"V000000001": "validated", "V000000002": "validated",
                                         "C000000001": "consumed"})
    async with served(fake.app()) as url:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "ants": {"enabled": True, "hub_token": HUB_TOKEN, "api_url": f"{url}/api",
                                             "api_token": API_TOKEN},
                                    "booking": {"public_url": "https://rdv.demoville.fr"}})
        app = create_app(settings, clock=lambda: NOW)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            answer = await http.put(f"{SITE}/motifs/passeport", json=MOTIF, headers=stack.auth("admin"))
            assert answer.status_code == 201, answer.text
            yield Ants(http, fake)
        fake.release()


async def test_numbers_are_checked_declared_and_withdrawn(ants: Ants) -> None:
    """A consumed number is a 422 naming the answers; two validated numbers for two persons book a 30-minute
    appointment declared to the ANTS for each; cancelled, both are withdrawn."""
    refused = await ants.http.post(f"{SITE}/appointments", json={
        "motif": "passeport", "start": "2027-01-12T07:30:00Z", "person": PERSON,
        "answers": {"personnes": 1, "numeros": ["C000000001"]}})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "answers"
    booked = await ants.http.post(f"{SITE}/appointments", json={
        "motif": "passeport", "start": "2027-01-12T07:30:00Z", "person": PERSON,
        "answers": {"personnes": 2, "numeros": ["v000000001", "V000000002"]}})
    assert booked.status_code == 201, booked.text
    assert booked.json()["end"] == "2027-01-12T08:00:00Z"
    declared = ants.fake.appointments["V000000001"]
    assert declared[0]["appointment_date"] == "2027-01-12T08:30:00"
    assert declared[0]["management_url"].endswith(f"/a/{booked.json()['id']}")
    assert len(ants.fake.appointments["V000000002"]) == 1
    await ants.http.post(f"{SITE}/appointments/{booked.json()['id']}/cancel")
    assert ants.fake.appointments["V000000001"] == [] and ants.fake.appointments["V000000002"] == []


async def test_the_ants_hub_finds_the_site_its_slots_and_an_appointment(ants: Ants) -> None:
    """With the hub's token: the demo site is a meeting point; its free slots are written on the local clock with
    a Z and link to the booking page; a booked number is found; without the token, 401."""
    headers = {"X-HUB-RDV-AUTH-TOKEN": HUB_TOKEN}
    assert (await ants.http.get("/api/ants/getManagedMeetingPoints")).status_code == 401
    points = (await ants.http.get("/api/ants/getManagedMeetingPoints", headers=headers)).json()
    assert [p["id"] for p in points] == ["demo"]
    slots = (await ants.http.get("/api/ants/availableTimeSlots", headers=headers, params={
        "meeting_point_ids": "demo", "start_date": "2027-01-12", "end_date": "2027-01-12", "reason": "PASSPORT",
        "documents_number": "1"})).json()["demo"]
    assert slots[0]["datetime"] == "2027-01-12T08:30Z"
    assert slots[0]["callback_url"].startswith("https://rdv.demoville.fr/book?site=demo&motif=passeport")
    booked = await ants.http.post(f"{SITE}/appointments", json={
        "motif": "passeport", "start": "2027-01-12T07:30:00Z", "person": PERSON,
        "answers": {"personnes": 1, "numeros": ["V000000001"]}})
    assert booked.status_code == 201, booked.text
    found = (await ants.http.get("/api/ants/searchApplicationIds", headers=headers,
                                 params={"application_ids": "V000000001"})).json()
    assert found["V000000001"][0]["datetime"] == "2027-01-12T08:30Z"
    assert found["V000000001"][0]["management_url"] == f"https://rdv.demoville.fr/a/{booked.json()['id']}"

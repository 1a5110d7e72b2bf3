"""API.md "Citizen record (CRM)": an appointment whose contact matches a party, or that names it, is on its
timeline (kind ``appointment``), written by the CRM from booking's events through the real app, and brought up
to date by the appointment's later events; one that matches nobody writes nothing. The server's clock is fixed
on Monday 11 January 2027, 08:00 in Paris."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from queue_server.crm.tables import Entry
from queue_server.db.engine import make_engine, sessions
from queue_server.i18n import translations
from tests.conftest import Stack

pytestmark = pytest.mark.anyio
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
PARTIES = "/api/v1/tenants/demo/parties"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
             "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS, "public_holidays": "FR"}
TUESDAY_10_10 = "2027-01-12T09:10:00Z"  # 10:10 in Paris
_ = translations("fr").gettext
# "Rendez-vous Passeport — mardi 12 janvier 10 h 10", as the French catalog words it.
SUMMARY = _("Appointment {motif} — {when}").format(
    motif="Passeport", when=_("{day} {hour}:{minute}").format(day="mardi 12 janvier", hour=10, minute="10"))


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        answer = await client.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield client


async def new_party(http: httpx.AsyncClient, stack: Stack, **fields: Any) -> int:
    answer = await http.post(PARTIES, json={"kind": "person", "first_name": "Anne", "last_name": "Lefèvre", **fields},
                             headers=stack.auth("admin"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def book(http: httpx.AsyncClient, person: dict[str, str], start: str = TUESDAY_10_10,
               **extra: Any) -> dict[str, Any]:
    headers = extra.pop("headers", {})
    answer = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start, "person": person,
                                                          **extra}, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def appointments_on(http: httpx.AsyncClient, stack: Stack, party: int,
                          until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The party's appointment entries, once ``until`` holds of them (10 s at most)."""
    entries: list[dict[str, Any]] = []
    with anyio.fail_after(10):
        while True:
            answer = await http.get(f"{PARTIES}/{party}", headers=stack.auth("agent"))
            assert answer.status_code == 200, answer.text
            entries = [e for e in answer.json()["timeline"] if e["kind"] == "appointment"]
            if until(entries):
                return entries
            await anyio.sleep(0.05)


async def test_an_appointment_naming_a_party_is_on_its_timeline(http: httpx.AsyncClient, stack: Stack) -> None:
    """Staff book for a party: its timeline shows the appointment, by its code, at its start, in French."""
    party = await new_party(http, stack)
    booked = await book(http, {"first_name": "Anne", "last_name": "Lefèvre"}, party=party,
                        headers=stack.auth("agent"))
    [entry] = await appointments_on(http, stack, party, lambda found: len(found) == 1)
    assert entry["ref"] == booked["code"] and entry["service"] == "passeports" and entry["site"] == "demo"
    assert entry["at"].startswith("2027-01-12T09:10:00")
    assert entry["summary"] == SUMMARY


async def test_an_appointment_with_a_partys_phone_is_on_its_timeline_and_shows_its_cancellation(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A citizen books online with the phone of a party (typed another way): the entry is on the party's
    timeline; cancelled, the same entry says so."""
    party = await new_party(http, stack, phones=["06 12 34 56 78"])
    booked = await book(http, {"first_name": "Anne", "last_name": "Lefevre", "phone": "+33612345678"})
    await appointments_on(http, stack, party, lambda found: len(found) == 1)
    cancelled = await http.post(f"{SITE}/appointments/{booked['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    [entry] = await appointments_on(http, stack, party,
                                    lambda found: bool(found) and found[0]["detail"]["status"] == "cancelled")
    assert entry["summary"] == f"{SUMMARY} {_('(cancelled)')}"
    assert entry["ref"] == booked["code"]


async def test_an_appointment_matching_nobody_writes_nothing(http: httpx.AsyncClient, stack: Stack) -> None:
    """An appointment whose contact no party has is on no timeline: once a later one (matching a party's e-mail)
    is written, the timelines hold that one alone."""
    party = await new_party(http, stack, emails=["anne@example.fr"])
    await book(http, {"first_name": "Paul", "last_name": "Martin", "phone": "06 98 76 54 32",
                      "email": "paul@example.fr"})
    await book(http, {"first_name": "Anne", "last_name": "Lefèvre", "email": "Anne@Example.fr"})
    await appointments_on(http, stack, party, lambda found: len(found) == 1)
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            count = (await session.execute(select(func.count()).select_from(Entry).where(
                col(Entry.kind) == "appointment"))).scalar_one()
    finally:
        await engine.dispose()
    assert count == 1

"""API.md "Appointments" end to end over HTTP, on every storage stack, with the server's clock fixed on Monday
11 January 2027, 08:00 in Paris: motifs, free slots (weekends, holidays, closures and daylight saving skipped),
booking (idempotent, 409 ``slot-taken`` when the last place is gone, 422 outside what can be booked), reading, the
.ics, cancelling, moving, the day's agenda and the kiosk's check-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from tests.conftest import Stack

pytestmark = pytest.mark.anyio
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
             "min_notice_h": 2, "horizon_days": 90, "instructions": "Venez avec la pré-demande.", "hours": WEEKDAYS,
             "public_holidays": "FR"}
ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr", "phone": "06 12 34 56 78"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def http(stack: Stack, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings, clock=clock)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        answer = await client.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield client


async def slots(http: httpx.AsyncClient, first: str, last: str, motif: str = "passeport") -> list[dict[str, Any]]:
    answer = await http.get(f"{SITE}/slots", params={"motif": motif, "from": first, "to": last})
    assert answer.status_code == 200, answer.text
    assert answer.json()["motif"] == motif
    return list(answer.json()["slots"])


async def free(http: httpx.AsyncClient, day: str) -> dict[str, int]:
    """The free places of a day's slots, by start."""
    return {s["start"]: s["free"] for s in await slots(http, day, day)}


async def book(http: httpx.AsyncClient, start: str, **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", {})
    return await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start, "person": ANNE,
                                                        **extra}, headers=headers)


async def test_an_administrator_puts_a_motif_that_anyone_lists_and_a_staff_only_one_that_only_staff_see(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A motif put again is 200; the public list shows public motifs; a staff-only motif is listed for staff only."""
    again = await http.put(f"{SITE}/motifs/passeport", json={**PASSEPORT, "capacity": 3}, headers=stack.auth("admin"))
    assert again.status_code == 200 and again.json()["capacity"] == 3
    hidden = await http.put(f"{SITE}/motifs/interne", json={**PASSEPORT, "name": "Interne", "public": False},
                            headers=stack.auth("admin"))
    assert hidden.status_code == 201
    public = (await http.get(f"{SITE}/motifs")).json()
    assert [m["id"] for m in public] == ["passeport"]
    assert {"id", "service", "name", "duration_min", "capacity", "description"} <= set(public[0])
    staff = (await http.get(f"{SITE}/motifs", headers=stack.auth("agent"))).json()
    assert [m["id"] for m in staff] == ["passeport", "interne"]


async def test_putting_a_motif_needs_an_administrator_and_a_service_of_the_site(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """An agent may not put a motif (403); an unknown service is a 422 naming it; a duration off the 5-minute grid
    is a 422 naming duration_min."""
    assert (await http.put(f"{SITE}/motifs/x", json=PASSEPORT, headers=stack.auth("agent"))).status_code == 403
    unknown = await http.put(f"{SITE}/motifs/x", json={**PASSEPORT, "service": "piscine"}, headers=stack.auth("admin"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "service"
    odd = await http.put(f"{SITE}/motifs/x", json={**PASSEPORT, "duration_min": 17}, headers=stack.auth("admin"))
    assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "duration_min"


async def test_slots_follow_the_hours_and_skip_weekends_and_public_holidays(http: httpx.AsyncClient) -> None:
    """Monday's first slot is 10:10 (2 hours' notice; slots every 20 minutes from 08:30), two places, none over
    lunch; Saturday,
    Sunday and a public holiday (Easter Monday 29 March 2027) have none."""
    monday = await slots(http, "2027-01-11", "2027-01-11")
    assert monday[0] == {"start": "2027-01-11T09:10:00Z", "end": "2027-01-11T09:30:00Z", "free": 2}
    starts = [s["start"] for s in monday]
    assert "2027-01-11T10:30:00Z" in starts and "2027-01-11T10:50:00Z" not in starts  # 11:50-12:10 crosses 12:00
    assert "2027-01-11T12:30:00Z" in starts  # 13:30 Paris: the afternoon's first
    week = await slots(http, "2027-01-15", "2027-01-18")
    assert {s["start"][:10] for s in week} == {"2027-01-15", "2027-01-18"}
    easter = await slots(http, "2027-03-29", "2027-03-29")
    assert easter == []


async def test_slots_skip_a_closure_and_a_daylight_saving_gap(http: httpx.AsyncClient, stack: Stack) -> None:
    """A closure set in the site's hours closes its days to bookings; a motif open at night has no slot in the hour
    that does not exist on 28 March 2027 in Paris."""
    hours = await http.put(f"{SITE}/hours", json={"weekly": None, "closures": [
        {"from": "2027-01-13", "to": "2027-01-13", "reason": "Inventaire"}], "public_holidays": None},
        headers=stack.auth("admin"))
    assert hours.status_code == 200, hours.text
    assert await slots(http, "2027-01-13", "2027-01-13") == []
    assert await slots(http, "2027-01-12", "2027-01-12") != []
    night = {**PASSEPORT, "hours": {"sun": [["01:00", "04:00"]]}, "public_holidays": None, "capacity": 1}
    assert (await http.put(f"{SITE}/motifs/nuit", json=night, headers=stack.auth("admin"))).status_code == 201
    found = await slots(http, "2027-03-28", "2027-03-28", motif="nuit")
    assert [s["start"] for s in found] == ["2027-03-28T00:00:00Z", "2027-03-28T00:20:00Z", "2027-03-28T00:40:00Z",
                                           "2027-03-28T01:00:00Z", "2027-03-28T01:20:00Z", "2027-03-28T01:40:00Z"]


async def test_a_range_of_more_than_62_days_is_refused(http: httpx.AsyncClient) -> None:
    """422 naming the range, and an unknown motif is a 404."""
    answer = await http.get(f"{SITE}/slots", params={"motif": "passeport", "from": "2027-01-11", "to": "2027-03-31"})
    assert answer.status_code == 422
    missing = await http.get(f"{SITE}/slots", params={"motif": "piscine", "from": "2027-01-11", "to": "2027-01-12"})
    assert missing.status_code == 404


async def test_a_citizen_books_reads_downloads_the_ics_and_cancels_freeing_the_slot(http: httpx.AsyncClient) -> None:
    """201 with a 6-character code; anyone holding the id reads it; the .ics has the motif, the site and the time in
    Paris; cancelled, the place is free again."""
    booked = await book(http, "2027-01-12T09:10:00Z")
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert len(appointment["code"]) == 6 and appointment["status"] == "booked"
    assert appointment["start"] == "2027-01-12T09:10:00Z" and appointment["end"] == "2027-01-12T09:30:00Z"
    assert appointment["person"]["phone"] == "+33612345678"
    assert (await free(http, "2027-01-12"))["2027-01-12T09:10:00Z"] == 1
    read = await http.get(f"{SITE}/appointments/{appointment['id']}")
    assert read.status_code == 200 and read.json()["code"] == appointment["code"]
    ics = await http.get(f"{SITE}/appointments/{appointment['id']}/ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = next(c for c in Calendar.from_ical(ics.content).walk("VEVENT"))
    assert str(event["SUMMARY"]) == "Passeport"
    assert event.decoded("DTSTART") == datetime(2027, 1, 12, 9, 10, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    cancelled = await http.post(f"{SITE}/appointments/{appointment['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await free(http, "2027-01-12"))["2027-01-12T09:10:00Z"] == 2


async def test_the_last_place_goes_once_and_the_next_asker_gets_slot_taken(http: httpx.AsyncClient) -> None:
    """Two places: two bookings, then 409 slot-taken; the slot is no longer listed."""
    for first_name in ("Anne", "Bruno"):
        answer = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": "2027-01-12T09:10:00Z",
                                                               "person": {**ANNE, "first_name": first_name,
                                                                          "email": f"{first_name}@example.fr",
                                                                          "phone": None}})
        assert answer.status_code == 201, answer.text
    third = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": "2027-01-12T09:10:00Z",
                                                          "person": {"first_name": "Claire", "last_name": "Roux"}})
    assert third.status_code == 409 and third.json()["type"].endswith("slot-taken")
    assert "2027-01-12T09:10:00Z" not in [s["start"] for s in await slots(http, "2027-01-12", "2027-01-12")]


async def test_a_booking_repeated_with_its_idempotency_key_gives_the_same_appointment(http: httpx.AsyncClient) -> None:
    """The same key: 200 and the same id, one place taken."""
    first = await book(http, "2027-01-12T09:10:00Z", headers={"Idempotency-Key": "k-1"})
    again = await book(http, "2027-01-12T09:10:00Z", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (await free(http, "2027-01-12"))["2027-01-12T09:10:00Z"] == 1


@pytest.mark.parametrize(("start", "kind"), [
    ("2027-01-11T07:30:00Z", "too-soon"),  # 08:30 today: within the 2 hours' notice
    ("2027-01-16T09:00:00Z", "outside-hours"),  # a Saturday
    ("2027-01-12T11:30:00Z", "outside-hours"),  # 12:30: lunch
    ("2027-01-12T09:05:00Z", "outside-hours"),  # not a slot's start
    ("2027-05-06T06:30:00Z", "closed"),  # Ascension Day, 08:30
    ("2027-06-01T06:30:00Z", "too-far"),  # beyond 90 days, 08:30
])
async def test_a_start_that_cannot_be_booked_is_a_422_that_says_why(http: httpx.AsyncClient, start: str,
                                                                    kind: str) -> None:
    """422 naming start, with a kind that says why."""
    answer = await book(http, start)
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith(kind) and answer.json()["errors"][0]["field"] == "start"


async def test_the_days_agenda_is_for_staff(http: httpx.AsyncClient, stack: Stack) -> None:
    """Staff read the day's appointments; without credentials it is a 401."""
    booked = (await book(http, "2027-01-12T09:10:00Z")).json()
    day = await http.get(f"{SITE}/appointments", params={"date": "2027-01-12"}, headers=stack.auth("agent"))
    assert day.status_code == 200 and [a["id"] for a in day.json()["items"]] == [booked["id"]]
    assert (await http.get(f"{SITE}/appointments", params={"date": "2027-01-12"})).status_code == 401


async def test_a_move_keeps_the_appointment_and_frees_its_old_place(http: httpx.AsyncClient) -> None:
    """Moved to 10:30: same id and code, the old slot free again, the new one taken; the .ics keeps its UID with a
    higher SEQUENCE."""
    booked = (await book(http, "2027-01-12T09:10:00Z")).json()
    before = Calendar.from_ical((await http.get(f"{SITE}/appointments/{booked['id']}/ics")).content)
    moved = await http.post(f"{SITE}/appointments/{booked['id']}/move", json={"start": "2027-01-12T09:30:00Z"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["code"] == booked["code"] and moved.json()["start"] == "2027-01-12T09:30:00Z"
    free = {s["start"]: s["free"] for s in await slots(http, "2027-01-12", "2027-01-12")}
    assert free["2027-01-12T09:10:00Z"] == 2 and free["2027-01-12T09:30:00Z"] == 1
    after = Calendar.from_ical((await http.get(f"{SITE}/appointments/{booked['id']}/ics")).content)
    old, new = next(iter(before.walk("VEVENT"))), next(iter(after.walk("VEVENT")))
    assert str(old["UID"]) == str(new["UID"]) and int(new["SEQUENCE"]) == int(old.get("SEQUENCE", 0)) + 1


async def test_the_kiosk_checks_in_by_code_within_the_arrival_window(http: httpx.AsyncClient, stack: Stack,
                                                                     clock: Clock) -> None:
    """Too early is a 422 saying from when; at 09:50 the code (typed in lower case) gives a ticket in the motif's
    service; a second check-in is a 409; an unknown code a 404; the appointment is checked in."""
    booked = (await book(http, "2027-01-11T09:10:00Z")).json()  # 10:10 today
    kiosk = stack.auth("kiosk")
    early = await http.post(f"{SITE}/check-in", json={"code": booked["code"]}, headers=kiosk)
    assert early.status_code == 422 and early.json()["type"].endswith("too-early")
    clock.now = NOW + timedelta(hours=1, minutes=50)
    ticket = await http.post(f"{SITE}/check-in", json={"code": booked["code"].lower()}, headers=kiosk)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["service"] == "passeports" and ticket.json()["number"].startswith("B")
    assert "appointment" not in ticket.json()  # a kiosk gets the public view
    again = await http.post(f"{SITE}/check-in", json={"code": booked["code"]}, headers=kiosk)
    assert again.status_code == 409
    unknown = await http.post(f"{SITE}/check-in", json={"code": "ZZZZZZ"}, headers=kiosk)
    assert unknown.status_code == 404
    assert (await http.get(f"{SITE}/appointments/{booked['id']}")).json()["status"] == "checked_in"


async def test_a_cancelled_appointment_or_one_of_another_day_is_not_checked_in(http: httpx.AsyncClient,
                                                                              stack: Stack) -> None:
    """409 for a cancelled appointment; 422 not-today for tomorrow's."""
    tomorrow = (await book(http, "2027-01-12T09:10:00Z")).json()
    answer = await http.post(f"{SITE}/check-in", json={"code": tomorrow["code"]}, headers=stack.auth("kiosk"))
    assert answer.status_code == 422 and answer.json()["type"].endswith("not-today")
    await http.post(f"{SITE}/appointments/{tomorrow['id']}/cancel")
    answer = await http.post(f"{SITE}/check-in", json={"code": tomorrow["code"]}, headers=stack.auth("kiosk"))
    assert answer.status_code == 409


async def test_the_appointment_follows_its_ticket_to_done_and_a_missed_one_becomes_a_no_show(
        http: httpx.AsyncClient, stack: Stack, clock: Clock) -> None:
    """Checked in, called and finished at a counter: the appointment is done; another, never checked in, is a
    no-show an hour after its end."""
    from tests.web.support import eventually

    came = (await book(http, "2027-01-11T09:10:00Z")).json()
    missed = (await http.post(f"{SITE}/appointments", json={
        "motif": "passeport", "start": "2027-01-11T09:30:00Z",
        "person": {"first_name": "Bruno", "last_name": "Roux", "email": "bruno@example.fr"}})).json()
    clock.now = NOW + timedelta(hours=1, minutes=50)
    ticket = (await http.post(f"{SITE}/check-in", json={"code": came["code"]}, headers=stack.auth("kiosk"))).json()
    agent = stack.auth("agent")
    called = await http.post(f"{SITE}/counters/1/next", headers=agent)
    assert called.json()["id"] == ticket["id"]
    for step in ("start", "finish"):
        assert (await http.post(f"{SITE}/tickets/{ticket['id']}/{step}", headers=agent)).status_code == 200

    async def done() -> bool:
        return bool((await http.get(f"{SITE}/appointments/{came['id']}")).json()["status"] == "done")

    await eventually(done)
    clock.now = NOW + timedelta(hours=4)
    day = await http.get(f"{SITE}/appointments", params={"date": "2027-01-11"}, headers=agent)
    assert {a["id"]: a["status"] for a in day.json()["items"]} == {came["id"]: "done", missed["id"]: "no_show"}

"""What a citizen receives, through the whole app with real parts: booking over HTTP sends one SMS to an HTTP SMS
provider and one e-mail with its .ics to an SMTP server (aiosmtpd), both started by the test; an agent's two
appointments of one visit are confirmed by one SMS; someone on the waiting list is told when a place frees up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from icalendar import Calendar

from tests.conftest import Stack
from tests.outbox.support import SmsEndpoint, SmtpSink, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def motif(service: str, name: str, capacity: int = 1) -> dict[str, object]:
    return {"service": service, "name": name, "duration_min": 20, "capacity": capacity, "public": True,
            "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS, "instructions": "Venez avec vos papiers."}


@dataclass
class Town:
    http: httpx.AsyncClient
    stack: Stack
    sms: SmsEndpoint
    mail: SmtpSink


@pytest.fixture
async def town(stack: Stack) -> AsyncIterator[Town]:
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    sms, mail = SmsEndpoint(), SmtpSink()
    await sms.start()
    mail_url = await mail.start()
    try:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "sms": {"provider": "http", "url": sms.url},
                                    "email": {"url": mail_url, "from": "mairie@demoville.fr"}})
        app = create_app(settings, clock=lambda: NOW)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            for motif_id, body in (("passeport", motif("passeports", "Passeport")),
                                   ("permis", motif("urbanisme", "Permis de construire"))):
                answer = await http.put(f"{SITE}/motifs/{motif_id}", json=body, headers=stack.auth("admin"))
                assert answer.status_code == 201, answer.text
            yield Town(http, stack, sms, mail)
    finally:
        await sms.close()
        await mail.close()


async def test_a_citizen_booking_sends_one_sms_and_one_email_with_its_ics(town: Town) -> None:
    """The SMS names the day and time in words, the motif, the code and the link; the e-mail's .ics starts at 10:10
    in Paris, at the site, with a UID that the .ics served for the appointment repeats."""
    booked = await town.http.post(f"{SITE}/appointments", json={
        "motif": "passeport", "start": "2027-01-12T09:10:00Z",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "phone": "06 12 34 56 78",
                   "email": "anne@example.fr"}})
    assert booked.status_code == 201, booked.text
    code, appointment = booked.json()["code"], booked.json()["id"]
    await eventually(lambda: len(town.sms.accepted) == 1 and len(town.mail.received) == 1)
    [sms] = town.sms.accepted
    assert sms["to"] == "+33612345678"
    assert "mardi 12 janvier à 10 h 10" in sms["text"] and "Passeport" in sms["text"] and code in sms["text"]
    assert f"/a/{appointment}" in sms["text"]
    [mail] = town.mail.received
    assert mail["To"] == "anne@example.fr"
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    event = next(iter(Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")))
    assert event["DTSTART"].params["TZID"] == "Europe/Paris" and event.decoded("DTSTART").hour == 10
    assert "Mairie de Démoville" in str(event["LOCATION"])
    served = Calendar.from_ical((await town.http.get(f"{SITE}/appointments/{appointment}/ics")).content)
    assert str(next(iter(served.walk("VEVENT")))["UID"]) == str(event["UID"])


async def test_two_appointments_of_one_visit_are_confirmed_by_one_sms(town: Town) -> None:
    """An agent books a passport and a building-permit appointment without notifying, then confirms both: one SMS
    naming both motifs."""
    agent = town.stack.auth("agent")
    person = {"first_name": "Bruno", "last_name": "Roux", "phone": "06 98 76 54 32"}
    ids = []
    for motif_id, start in (("passeport", "2027-01-12T09:10:00Z"), ("permis", "2027-01-12T09:30:00Z")):
        answer = await town.http.post(f"{SITE}/appointments", headers=agent, json={
            "motif": motif_id, "start": start, "person": person, "notify": False, "visit": "v1"})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    confirmed = await town.http.post(f"{SITE}/appointments/confirm", headers=agent, json={"ids": ids})
    assert confirmed.status_code == 200, confirmed.text
    await eventually(lambda: len(town.sms.accepted) == 1)
    [sms] = town.sms.accepted
    assert "Passeport" in sms["text"] and "Permis de construire" in sms["text"]


async def test_someone_waiting_for_an_earlier_slot_is_told_when_one_frees_up(town: Town) -> None:
    """The only place of a slot is booked; Claire joins the waiting list; when the booking is cancelled she gets an
    SMS with the day, the time and the booking link; told once."""
    booked = await town.http.post(f"{SITE}/appointments", json={
        "motif": "permis", "start": "2027-01-12T09:10:00Z", "person": {"first_name": "Anne", "last_name": "L"}})
    assert booked.status_code == 201
    joined = await town.http.post(f"{SITE}/waitlist", json={
        "motif": "permis", "before": "2027-01-20",
        "person": {"first_name": "Claire", "last_name": "Roux", "phone": "07 81 22 33 44"}})
    assert joined.status_code == 201, joined.text
    listed = await town.http.get(f"{SITE}/waitlist", headers=town.stack.auth("agent"))
    assert [e["person"]["first_name"] for e in listed.json()["items"]] == ["Claire"]
    await town.http.post(f"{SITE}/appointments/{booked.json()['id']}/cancel")
    await eventually(lambda: len(town.sms.accepted) == 1)
    [sms] = town.sms.accepted
    assert sms["to"] == "+33781223344" and "mardi 12 janvier à 10 h 10" in sms["text"]
    assert "/book?site=demo&motif=permis" in sms["text"]
    assert (await town.http.get(f"{SITE}/waitlist", headers=town.stack.auth("agent"))).json()["items"] == []

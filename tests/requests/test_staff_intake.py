"""Staff intake and the acknowledgement of receipt in two steps (CRPA L112-11, R112-11-1), with the server's clock
on Monday 16 March 2026, 10:00 in Paris: an agent enters a letter with its scan and the day it was received; a
category acknowledges at once or in two steps (a registration receipt, then the acknowledgement sent by an agent
or by itself on the sixth day, which a clock we move drives); a sender without e-mail gets the printed one; the
categories are defined by their administrators (``PUT …/request-categories/{category}``, ``/admin/demandes``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.outbox import MessageTemplates
from queue_server.requests.acknowledging import DueAcknowledgements
from queue_server.requests.service import Requests
from tests.conftest import Stack
from tests.outbox.support import SmtpSink, eventually
from tests.requests.support import outbox, put_categories
from tests.requests.test_api import LETTER, PDF, form
from tests.web.test_login import People, form_token, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
PARIS = ZoneInfo("Europe/Paris")
BASE = "/api/v1/tenants/demo"
ADDRESS = "Anne Lefèvre\n12 rue Haute\n75011 Démoville"
POSTED = {**LETTER, "channel": "postal", "person": {"first_name": "Anne", "last_name": "Lefèvre",
                                                     "address": ADDRESS}}
VOIRIE = {"name": "Voirie et propreté (trottoirs, éclairage, dépôts)", "position": 2,
          "service": {"name": "Services techniques — voirie",
                      "address": "Centre technique municipal, 12 rue des Artisans, 75011 Démoville",
                      "email": "voirie@demoville.fr", "phone": "01 23 45 67 30"},
          "answer_days": 10}


class Clock:
    """The server's clock, which a test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def http(stack: Stack, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=clock)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def file(http: httpx.AsyncClient, letter: dict[str, Any], headers: dict[str, str],
               *files: tuple[str, bytes]) -> Any:
    answer = await http.post(f"{BASE}/requests", **form(letter, *files), headers=headers) if files else \
        await http.post(f"{BASE}/requests", json=letter, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def two_steps(http: httpx.AsyncClient, stack: Stack) -> None:
    """Voirie acknowledges in two steps from now on."""
    answer = await http.put(f"{BASE}/request-categories/voirie", json={**VOIRIE, "acknowledge_at_once": False},
                            headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledge_at_once"] is False


def problem_of(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()
    return answer.status_code, body["type"].rsplit("/", 1)[1], body.get("errors", [{}])[0].get("field", "")


# Letters entered by staff -------------------------------------------------------------------------------------

async def test_an_agent_enters_a_letter_received_last_week_with_its_scan(http: httpx.AsyncClient,
                                                                         stack: Stack) -> None:
    """A letter received on Thursday 12 March, entered on Monday with its scanned PDF and no e-mail address: its
    date of receipt is Thursday (noon in Paris), its due date counts from it, its scan is kept, and no e-mail goes:
    its acknowledgement is still to send (on paper)."""
    made = await file(http, {**POSTED, "received_on": "2026-03-12"}, stack.auth("agent"), ("courrier.pdf", PDF))
    assert made["channel"] == "postal" and made["reference"] == "DEM-2026-000001"
    assert made["received_at"] == "2026-03-12T11:00:00Z" and made["due_on"] == "2026-03-26"
    assert made["acknowledged_at"] is None
    assert [(f["filename"], f["content_type"]) for f in made["attachments"]] == [("courrier.pdf", "application/pdf")]
    assert made["person"]["email"] is None and made["person"]["address"] == ADDRESS
    folder = stack.settings.server.data_dir / "requests" / "demo" / made["id"]
    assert (folder / "1").read_bytes() == PDF
    assert await outbox(stack.settings) == []


async def test_a_letter_with_an_e_mail_address_is_acknowledged_from_its_day_of_receipt(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """État civil acknowledges at once: the e-mail says the letter was received on 12 March and that silence
    amounts to a rejection on 12 May; the request is acknowledged now."""
    made = await file(http, {**POSTED, "category": "etat-civil", "received_on": "2026-03-12",
                             "person": {**POSTED["person"], "email": "anne@example.fr"}}, stack.auth("agent"))
    assert made["acknowledged_at"] == "2026-03-16T09:00:00Z"
    [sent] = await outbox(stack.settings)
    assert sent.key == f"request:{made['id']}:acknowledged:email"
    assert "Date de réception : 12 mars 2026" in sent.body and "12 mai 2026" in sent.body


async def test_a_day_of_receipt_is_a_letters_given_by_staff_within_sixty_days(http: httpx.AsyncClient,
                                                                              stack: Stack) -> None:
    """Tomorrow, 61 days ago, a phone call's day, a citizen's: each a 422 naming received_on; nothing is saved."""
    agent = stack.auth("agent")
    cases = [({**POSTED, "received_on": "2026-03-17"}, agent), ({**POSTED, "received_on": "2026-01-14"}, agent),
             ({**POSTED, "channel": "phone", "received_on": "2026-03-12"}, agent),
             ({**LETTER, "received_on": "2026-03-12"}, {})]
    for body, headers in cases:
        answer = await http.post(f"{BASE}/requests", json=body, headers=headers)
        assert problem_of(answer) == (422, "invalid-receipt-date", "received_on"), answer.text
    listed = await http.get(f"{BASE}/requests", headers=agent)
    assert listed.json()["items"] == [] and await outbox(stack.settings) == []


async def test_a_letter_without_any_address_to_answer_to_is_refused(http: httpx.AsyncClient, stack: Stack) -> None:
    """A call with neither e-mail nor postal address is a 422 naming person.email; a citizen always gives an
    e-mail address (422 person.email)."""
    agent = stack.auth("agent")
    call = {**LETTER, "channel": "phone", "person": {"first_name": "Anne", "last_name": "Lefèvre"}}
    assert problem_of(await http.post(f"{BASE}/requests", json=call, headers=agent)) == (
        422, "sender-incomplete", "person.email")
    online = {**LETTER, "person": {"first_name": "Anne", "last_name": "Lefèvre", "address": ADDRESS}}
    assert problem_of(await http.post(f"{BASE}/requests", json=online)) == (422, "sender-incomplete", "person.email")


# The acknowledgement in two steps ----------------------------------------------------------------------------


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


@pytest.mark.one_stack
async def test_a_registration_receipt_then_the_acknowledgement_an_agent_sends_reach_the_citizen(
        stack: Stack) -> None:
    """With voirie in two steps, a request filed online gets an e-mail "accusé d'enregistrement" (reference, date
    and time of receipt, tracking link); the agent's click sends the acknowledgement of receipt (service, phone)
    in the same thread; a second click is a 409. Both reach a real SMTP server."""
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    mail = SmtpSink()
    mail_url = await mail.start()
    try:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "email": {"url": mail_url, "from": "mairie@demoville.fr"}})
        app = create_app(settings, clock=lambda: NOW)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            await two_steps(http, stack)
            made = await file(http, LETTER, {})
            assert made["acknowledged_at"] is None
            await eventually(lambda: len(mail.received) == 1, timeout_s=60.0)
            sent = await http.post(f"{BASE}/requests/{made['id']}/acknowledge", headers=stack.auth("agent"))
            assert sent.status_code == 200, sent.text
            assert sent.json()["acknowledged_at"] == "2026-03-16T09:00:00Z"
            again = await http.post(f"{BASE}/requests/{made['id']}/acknowledge", headers=stack.auth("agent"))
            assert problem_of(again)[:2] == (409, "already-acknowledged")
            await eventually(lambda: len(mail.received) == 2, timeout_s=60.0)
            listed = await http.get(f"{BASE}/requests/{made['id']}", headers=stack.auth("agent"))
            assert listed.json()["acknowledged_at"] == "2026-03-16T09:00:00Z"
    finally:
        await mail.close()
    registered, acknowledged = mail.received
    reference = made["reference"]
    assert f"[{reference}]" in registered["Subject"] and "accusé d'enregistrement" in registered["Subject"]
    text = text_of(registered)
    assert "Date de réception : 16 mars 2026 à 10:00" in text
    assert "au plus tard le 22 mars 2026" in text and f"/r/{made['id']}" in text
    assert "Services techniques" not in text  # the service is the acknowledgement's to state
    assert f"[{reference}]" in acknowledged["Subject"] and "accusé de réception" in acknowledged["Subject"]
    text = text_of(acknowledged)
    assert "Date de réception : 16 mars 2026" in text and "Services techniques — voirie" in text
    assert "01 23 45 67 30" in text
    assert acknowledged["In-Reply-To"] == registered["Message-ID"]


async def test_acknowledgements_due_go_by_themselves_on_the_sixth_day(http: httpx.AsyncClient, stack: Stack,
                                                                       clock: Clock) -> None:
    """The periodic task, on a clock moved forward: on Saturday 21 March at 23:59 nothing is due; from Sunday 22
    March 00:01 in Paris the request received on the 16th gets its acknowledgement, once, while a closed one and a
    letter without e-mail address get none, and one acknowledged at once nothing more."""
    await two_steps(http, stack)
    agent = stack.auth("agent")
    waiting = await file(http, LETTER, {})
    closed = await file(http, {**LETTER, "subject": "Lampadaire"}, {})
    assert (await http.post(f"{BASE}/requests/{closed['id']}/status", json={"status": "closed"},
                            headers=agent)).status_code == 200
    posted = await file(http, POSTED, agent)
    at_once = await file(http, {**LETTER, "category": "autre"}, {})
    assert at_once["acknowledged_at"] is not None
    before = {m.key for m in await outbox(stack.settings)}
    assert before == {f"request:{waiting['id']}:registered:email", f"request:{closed['id']}:registered:email",
                      f"request:{at_once['id']}:acknowledged:email"}

    engine = make_engine(stack.settings.database_url)
    try:
        requests = Requests(sessions(engine), MessageTemplates(), stack.settings.server.data_dir / "requests",
                            clock=clock)
        task = DueAcknowledgements(requests, "http://mairie.example", every_s=0.05)
        clock.now = datetime(2026, 3, 21, 23, 59, tzinfo=PARIS)
        assert await task.run_once() == []

        async def acknowledged() -> set[str]:
            return {m.key for m in await outbox(stack.settings)} - before

        async with anyio.create_task_group() as group:
            group.start_soon(task.run)
            clock.now = datetime(2026, 3, 22, 0, 1, tzinfo=PARIS)

            async def one_more() -> bool:
                return bool(await acknowledged())

            await eventually(one_more)
            group.cancel_scope.cancel()
        assert await acknowledged() == {f"request:{waiting['id']}:acknowledged:email"}
        assert await task.run_once() == []
    finally:
        await engine.dispose()
    read = (await http.get(f"{BASE}/requests/{waiting['id']}", headers=agent)).json()
    assert read["acknowledged_at"] == "2026-03-21T23:01:00Z"
    for other in (closed, posted):
        assert (await http.get(f"{BASE}/requests/{other['id']}", headers=agent)).json()["acknowledged_at"] is None
    [mail] = [m for m in await outbox(stack.settings) if m.key.endswith(f"{waiting['id']}:acknowledged:email")]
    assert "Date de réception : 16 mars 2026" in mail.body and "http://mairie.example/r/" in mail.body
    audit = await http.get("/api/v1/audit", headers=stack.auth("admin"))
    assert ("request.acknowledged", waiting["reference"], "automatic acknowledgement") in [
        (e["action"], e["target"], e["actor"]) for e in audit.json()]


async def test_a_sender_without_e_mail_is_acknowledged_when_the_letter_is_printed(http: httpx.AsyncClient,
                                                                                  stack: Stack) -> None:
    """No e-mail address: the acknowledge button is a 409 no-email; printing sets acknowledged_at (once) and is
    audited each time; citizens and kiosks may do neither."""
    agent = stack.auth("agent")
    made = await file(http, POSTED, agent)
    one = f"{BASE}/requests/{made['id']}"
    assert problem_of(await http.post(f"{one}/acknowledge", headers=agent)) == (409, "no-email", "person.email")
    assert (await http.post(f"{one}/printed")).status_code == 401
    assert (await http.post(f"{one}/printed", headers=stack.auth("kiosk"))).status_code == 403
    printed = await http.post(f"{one}/printed", headers=agent)
    assert printed.status_code == 200 and printed.json()["acknowledged_at"] == "2026-03-16T09:00:00Z"
    again = await http.post(f"{one}/printed", headers=agent)
    assert again.json()["acknowledged_at"] == "2026-03-16T09:00:00Z"
    assert problem_of(await http.post(f"{one}/acknowledge", headers=agent))[:2] == (409, "already-acknowledged")
    assert (await http.post(f"{BASE}/requests/AAAAAAAAAAAAAAAAAAAAAA/printed", headers=agent)).status_code == 404
    audit = await http.get("/api/v1/audit", headers=stack.auth("admin"))
    printings = [e for e in audit.json() if e["action"] == "request.printed"]
    assert [e["target"] for e in printings] == [made["reference"]] * 2
    assert await outbox(stack.settings) == []


# The categories' administration -----------------------------------------------------------------------------


async def test_an_administrator_defines_a_category_whose_mentions_are_checked(http: httpx.AsyncClient,
                                                                            stack: Stack) -> None:
    """A new category is a 201 placed after the others and read back whole; replacing it is a 200; an implicit
    decision without delay, a rejection without appeal, a service without phone, an unknown site are 422s naming
    their field; an agent may not (403), another collectivity's category is unknown (404)."""
    admin = stack.auth("admin")
    url = f"{BASE}/request-categories/cimetiere"
    body = {"name": "Cimetière (concessions)", "public": False, "site": "demo",
            "service": {"name": "Service des cimetières", "address": "Hôtel de ville, 75011 Démoville",
                        "phone": "01 23 45 67 40"},
            "implicit": "rejection", "delay": {"months": 2}, "appeal": "Recours devant le tribunal administratif.",
            "answer_days": 15, "acknowledge_at_once": False}
    created = await http.put(url, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "cimetiere", "name": "Cimetière (concessions)", "position": 4, "public": False, "site": "demo",
        "service": {"name": "Service des cimetières", "address": "Hôtel de ville, 75011 Démoville", "email": None,
                    "phone": "01 23 45 67 40"},
        "implicit": "rejection", "delay": {"months": 2, "days": 0},
        "appeal": "Recours devant le tribunal administratif.", "answer_days": 15, "acknowledge_at_once": False}
    assert (await http.get(url, headers=admin)).json() == created.json()
    replaced = await http.put(url, json={**body, "public": True}, headers=admin)
    assert replaced.status_code == 200 and replaced.json()["position"] == 4 and replaced.json()["public"] is True
    assert [c["id"] for c in (await http.get(f"{BASE}/request-categories")).json()][-1] == "cimetiere"
    cases = [({"implicit": "acceptance", "delay": {}}, "delay"), ({"appeal": ""}, "appeal"),
             ({"service": {"name": "Service des cimetières", "address": "Mairie"}}, "service.phone"),
             ({"service": {"name": "Service des cimetières", "phone": "01 23 45 67 40"}}, "service.address")]
    for change, field in cases:
        assert problem_of(await http.put(url, json={**body, **change}, headers=admin)) == (
            422, "incomplete-category", field), change
    assert problem_of(await http.put(url, json={**body, "site": "ailleurs"}, headers=admin)) == (
        422, "unknown-site", "site")
    assert problem_of(await http.put(url, json={**body, "delay": {"months": "2"}}, headers=admin))[::2] == (
        422, "delay.months")
    assert (await http.put(url, json=body, headers=stack.auth("agent"))).status_code == 403
    assert (await http.get(url, headers=stack.auth("supervisor"))).status_code == 403
    assert (await http.put("/api/v1/tenants/other/request-categories/cimetiere", json=body,
                           headers=admin)).status_code == 404
    assert (await http.get(f"{BASE}/request-categories/piscine", headers=admin)).status_code == 404
    audit = await http.get("/api/v1/audit", headers=admin)
    assert [e["target"] for e in audit.json() if e["action"] == "config.request-category"].count("cimetiere") == 2


@pytest.mark.one_stack
async def test_the_categories_page_saves_a_category_or_says_what_to_correct(
        http: httpx.AsyncClient, people: People, stack: Stack) -> None:  # noqa: F811
    """An administrator lists the categories, turns voirie into two steps with the form, then is told next to the
    field and in a summary that an implicit rejection needs its appeal (422, what was typed kept); an agent gets a
    403 page."""
    await people.add("ines", [("demo", "admin")])
    await sign_in(http, "ines")
    page = await http.get("/admin/demandes")
    assert page.status_code == 200
    assert "Services techniques — voirie" in page.text and 'href="/admin/demandes"' in page.text
    edit = await http.get("/admin/demandes", params={"category": "voirie"})
    fields = {"csrf": form_token(edit), "editing": "voirie", "cat-name": "Voirie", "cat-site": "",
              "cat-public": "on", "cat-service-name": "Services techniques — voirie",
              "cat-service-address": "12 rue des Artisans", "cat-service-email": "", "cat-service-phone": "01 23 45",
              "cat-implicit": "none", "cat-delay-months": "0", "cat-delay-days": "0", "cat-appeal": "",
              "cat-answer-days": "12"}
    saved = await http.post("/admin/demandes", data=fields)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/admin/demandes?done=saved")
    voirie = (await http.get(f"{BASE}/request-categories/voirie", headers=stack.auth("admin"))).json()
    assert (voirie["name"], voirie["answer_days"], voirie["acknowledge_at_once"]) == ("Voirie", 12, False)
    refused = await http.post("/admin/demandes", data={**fields, "cat-implicit": "rejection",
                                                       "cat-delay-months": "2", "cat-at-once": "on"})
    assert refused.status_code == 422
    assert 'id="error-summary"' in refused.text and 'id="cat-appeal-error"' in refused.text
    assert re.search(r'id="cat-appeal"[^>]*aria-invalid="true"', refused.text)
    assert 'value="rejection" checked' in refused.text and 'id="cat-delay-months" name="cat-delay-months" ' \
        'type="number" value="2"' in refused.text
    await people.add("leo", [("demo", "agent")])
    async with httpx.AsyncClient(transport=http._transport, base_url="http://testserver") as other:
        await sign_in(other, "leo")
        assert (await other.get("/admin/demandes")).status_code == 403


@pytest.mark.one_stack
async def test_the_printable_acknowledgement_states_the_mentions_for_a_window_envelope(
        http: httpx.AsyncClient, people: People, stack: Stack) -> None:  # noqa: F811
    """The A4 page of a letter about civil status: the collectivity's name, the sender's address in lines, the
    reference, the date of receipt, the service and its phone, the implicit rejection's date and the appeals, the
    tracking link and its QR code; opening it is audited as a read; the request's page links to it and the list
    marks the acknowledgement still to send; the new request's form offers the channels and a letter's date."""
    made = await file(http, {**POSTED, "category": "etat-civil", "received_on": "2026-03-12"}, stack.auth("agent"))
    await sign_in(http)
    listing = await http.get("/demandes")
    assert "Accusé à envoyer" in listing.text and 'href="/demandes/nouvelle"' in listing.text
    request_page = await http.get(f"/demandes/{made['id']}")
    assert f'href="/demandes/{made["id"]}/accuse"' in request_page.text
    assert 'id="acknowledge"' not in request_page.text  # no e-mail address: no e-mail to send
    page = await http.get(f"/demandes/{made['id']}/accuse")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    for expected in ("Mairie de Démoville", "<span>12 rue Haute</span>", "<span>75011 Démoville</span>",
                     made["reference"], "12 mars 2026", "Service état civil", "01 23 45 67 10", "12 mai 2026",
                     "décision implicite de rejet", "tribunal administratif", f"http://testserver/r/{made['id']}",
                     'class="qr"', "Imprimer"):
        assert expected in text, expected
    audit = await http.get("/api/v1/audit", headers=stack.auth("admin"))
    assert ("request.read", made["reference"]) in [(e["action"], e["target"]) for e in audit.json()]
    new = await http.get("/demandes/nouvelle")
    assert new.status_code == 200
    assert 'value="postal"' in new.text and 'value="phone"' in new.text and 'value="counter"' in new.text
    assert 'type="date"' in new.text and 'max="2026-03-16"' in new.text and 'min="2026-01-15"' in new.text
    assert (await http.get("/demandes/AAAAAAAAAAAAAAAAAAAAAA/accuse")).status_code == 404

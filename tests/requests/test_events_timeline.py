"""Requests on the citizen record's timeline (issue 19), through the real app on every stack: each change of a
request is a ``request.*`` event on the ``requests`` stream (never its text, never the sender's name); the CRM,
following that stream, puts a request whose sender's e-mail or phone is one party's on that party's timeline, one
entry per step ("Demande … reçue — …", "… répondue", "… close") linking to the request's page, once each however
many times an event is delivered; staff link a request to a party (``POST …/requests/{id}/party``) and it goes on
that party's timeline instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from queue_server.i18n import translations
from tests.conftest import Stack
from tests.requests.imap_server import Dovecot, start_dovecot
from tests.requests.support import put_categories
from tests.requests.test_imap_intake import CITIZEN, new_request, running

pytestmark = pytest.mark.anyio
BASE = "/api/v1/tenants/demo"
PARTIES = f"{BASE}/parties"
VOIRIE = "Voirie et propreté (trottoirs, éclairage, dépôts)"  # the demo category's name
LETTER = {"category": "voirie", "subject": "Trottoir abîmé rue Haute",
          "body": "Bonjour, le trottoir devant le 12 rue Haute est défoncé depuis l'orage.",
          "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "Anne.Lefevre@Example.fr"}}
_ = translations("fr").gettext


def said(step: str, reference: str) -> str:
    """The entry's text as the French catalog words it ("Demande DEM-… reçue — Voirie…")."""
    words = {"received": _("Request {reference} received — {category}"),
             "answered": _("Request {reference} answered — {category}"),
             "closed": _("Request {reference} closed — {category}")}[step]
    return words.format(reference=reference, category=VOIRIE)


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    application = create_app(stack.settings)
    async with (application.router.lifespan_context(application),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                  base_url="http://testserver") as client):
        yield application, client


async def new_party(http: httpx.AsyncClient, stack: Stack, **fields: Any) -> int:
    answer = await http.post(PARTIES, json={"kind": "person", "first_name": "Anne", "last_name": "Lefèvre", **fields},
                             headers=stack.auth("admin"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def file_request(http: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    answer = await http.post(f"{BASE}/requests", json={**LETTER, **changes})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def requests_on(http: httpx.AsyncClient, stack: Stack, party: int,
                      until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The party's request entries, oldest first, once ``until`` holds of them (10 s at most)."""
    with anyio.fail_after(10):
        while True:
            answer = await http.get(f"{PARTIES}/{party}", headers=stack.auth("agent"))
            assert answer.status_code == 200, answer.text
            entries = [e for e in reversed(answer.json()["timeline"]) if e["kind"] == "request"]
            if until(entries):
                return entries
            await anyio.sleep(0.05)


async def stream(stack: Stack) -> list[tuple[bytes, dict[bytes, bytes]]]:
    client = Redis.from_url(stack.settings.redis.url)
    try:
        return list(await client.xrange(f"{stack.settings.redis.key_prefix}requests"))
    finally:
        await client.aclose()


async def test_a_request_by_a_partys_email_is_on_its_timeline_once_even_delivered_twice(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """Anne writes online with her record's e-mail (typed another way): her timeline shows "Demande … reçue", at
    the time of receipt, linking to the request's page; the event is on the stream a second time (a process that
    wrote it and died before knowing), and after the reply's event the timeline holds one "reçue" and one
    "répondue", no more."""
    application, http = app
    party = await new_party(http, stack, emails=["anne.lefevre@example.fr"])
    filed = await file_request(http)
    [entry] = await requests_on(http, stack, party, lambda found: len(found) == 1)
    assert entry["summary"] == said("received", filed["reference"])
    assert entry["ref"] == filed["reference"] and entry["detail"]["link"] == f"/demandes/{filed['id']}"
    assert entry["at"].replace("+00:00", "Z").startswith(filed["received_at"][:19])

    [(_id, fields)] = await stream(stack)
    client = Redis.from_url(stack.settings.redis.url)
    try:
        await client.xadd(f"{stack.settings.redis.key_prefix}requests", fields)  # the same event, again
    finally:
        await client.aclose()
    replied = await http.post(f"{BASE}/requests/{filed['id']}/messages", headers=stack.auth("agent"),
                              json={"body": "Nos équipes passent jeudi.", "internal": False})
    assert replied.status_code == 201, replied.text
    found = await requests_on(http, stack, party, lambda found: len(found) >= 2)
    assert [e["summary"] for e in found] == [said("received", filed["reference"]),
                                            said("answered", filed["reference"])]
    # Read again from the start by the group (a crash before the acknowledgement): nothing more is written.
    timeline = application.state.request_timeline
    await timeline.record(timeline.stream, await stream(stack))
    again = await requests_on(http, stack, party, lambda found: True)
    assert [e["id"] for e in again] == [e["id"] for e in found]


async def test_the_events_carry_the_contact_and_never_the_text_nor_the_name(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """Filed, answered, closed: three events, in order, with the reference, the category, its service, the status
    and the sender's e-mail; the letter's text, the reply's and the sender's name appear in none; an internal
    note and a change to the same status tell nobody."""
    _application, http = app
    filed = await file_request(http)
    agent = stack.auth("agent")
    for path, body in (("messages", {"body": "Nos équipes passent jeudi.", "internal": False}),
                       ("messages", {"body": "Voir avec M. Durand", "internal": True}),
                       ("status", {"status": "closed"}), ("status", {"status": "closed"})):
        answer = await http.post(f"{BASE}/requests/{filed['id']}/{path}", json=body, headers=agent)
        assert answer.status_code in (200, 201), answer.text
    events = [(fields[b"t"].decode(), orjson.loads(fields[b"d"])) for _id, fields in await stream(stack)]
    assert [kind for kind, _data in events] == ["request.created", "request.answered", "request.status"]
    created, answered, closed = (data for _kind, data in events)
    assert created["reference"] == filed["reference"] and created["category"] == "voirie"
    assert created["category_name"] == VOIRIE and created["service"] == "Services techniques — voirie"
    assert created["email"] == "anne.lefevre@example.fr" and created["channel"] == "web"
    assert answered["message"] is not None and closed["status"] == "closed" and closed["closed_at"]
    raw = b" ".join(fields[b"d"] for _id, fields in await stream(stack)).decode()
    for secret in ("trottoir devant", "Nos équipes", "Durand", "Lefèvre", "Anne"):
        assert secret not in raw


async def test_a_closed_request_says_so_on_the_timeline(app: tuple[Starlette, httpx.AsyncClient],
                                                        stack: Stack) -> None:
    """A request filed with a party's phone and then closed: "reçue" and "close" on the party's timeline."""
    _application, http = app
    party = await new_party(http, stack, phones=["06 12 34 56 78"])
    filed = await file_request(http, person={**LETTER["person"], "email": "autre@example.fr",  # type: ignore[dict-item]
                                             "phone": "+33 6 12 34 56 78"})
    closed = await http.post(f"{BASE}/requests/{filed['id']}/status", json={"status": "closed"},
                             headers=stack.auth("agent"))
    assert closed.status_code == 200, closed.text
    found = await requests_on(http, stack, party, lambda found: len(found) == 2)
    assert [e["summary"] for e in found] == [said("received", filed["reference"]), said("closed", filed["reference"])]


async def test_staff_link_a_request_to_a_party_and_it_is_on_that_partys_timeline(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """A request whose e-mail is nobody's is on no timeline; an agent links it to Anne's record (200, the request
    names the party): her timeline shows it received and already answered; its next reply goes there too."""
    _application, http = app
    party = await new_party(http, stack)
    filed = await file_request(http)
    agent = stack.auth("agent")
    reply = {"body": "Nos équipes passent jeudi.", "internal": False}
    assert (await http.post(f"{BASE}/requests/{filed['id']}/messages", json=reply, headers=agent)).status_code == 201
    linked = await http.post(f"{BASE}/requests/{filed['id']}/party", json={"party": party}, headers=agent)
    assert linked.status_code == 200, linked.text
    assert linked.json()["party"] == party
    found = await requests_on(http, stack, party, lambda found: len(found) == 2)
    assert [e["summary"] for e in found] == [said("received", filed["reference"]),
                                            said("answered", filed["reference"])]
    assert (await http.post(f"{BASE}/requests/{filed['id']}/messages", json=reply, headers=agent)).status_code == 201
    await requests_on(http, stack, party, lambda found: len(found) == 3)


async def test_a_link_moves_the_request_from_the_party_its_email_found(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """The request went to the party holding its e-mail; staff say it is another person's: its entries move to
    the linked party's timeline and leave the first one's."""
    _application, http = app
    first = await new_party(http, stack, emails=["anne.lefevre@example.fr"])
    other = await new_party(http, stack, first_name="Annie")
    filed = await file_request(http)
    await requests_on(http, stack, first, lambda found: len(found) == 1)
    linked = await http.post(f"{BASE}/requests/{filed['id']}/party", json={"party": other},
                             headers=stack.auth("agent"))
    assert linked.status_code == 200, linked.text
    [moved] = await requests_on(http, stack, other, lambda found: len(found) == 1)
    assert moved["summary"] == said("received", filed["reference"])
    assert await requests_on(http, stack, first, lambda found: True) == []


async def test_a_link_to_an_unknown_party_is_refused_naming_party(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """A party that is not in the collectivity's record: 422 unknown-party naming ``party``, nothing linked; a
    citizen may not link (401); another collectivity is unknown (404)."""
    _application, http = app
    filed = await file_request(http)
    url = f"{BASE}/requests/{filed['id']}/party"
    answer = await http.post(url, json={"party": 999_999}, headers=stack.auth("agent"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("unknown-party") and answer.json()["errors"][0]["field"] == "party"
    read = await http.get(f"{BASE}/requests/{filed['id']}", headers=stack.auth("agent"))
    assert read.json()["party"] is None
    assert (await http.post(url, json={"party": 1})).status_code == 401
    other = await http.post(f"/api/v1/tenants/autre/requests/{filed['id']}/party", json={"party": 1},
                            headers=stack.auth("agent"))
    assert other.status_code == 404


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


@pytest.mark.one_stack
async def test_a_request_by_email_from_a_partys_address_is_on_its_timeline(stack: Stack, dovecot: Dovecot) -> None:
    """The e-mail intake files Anne's e-mail as a request (category "autre"): her record, which has that address,
    shows it received."""
    async with running(stack, dovecot) as run:
        party = await new_party(run.http, stack, emails=[CITIZEN])
        request, _message_id = await new_request(run, stack)
        [entry] = await requests_on(run.http, stack, party, lambda found: len(found) == 1)
    assert entry["summary"] == _("Request {reference} received — {category}").format(
        reference=request["reference"], category="Autre demande")

"""Handling requests over HTTP (API.md "Requests"), on every storage stack, the server's clock on Monday 16 March
2026, 10:00 in Paris unless a test moves it: the agent in charge and "my requests", the transmission to the
competent administration (CRPA L114-2) with its e-mails and, to another collectivity of the installation, the
request filed there too; duplicates merged, overdue requests flagged to supervisors, and each collectivity's reply
templates. The e-mails that matter are also delivered to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage, Site, Tenant
from queue_server.platform.tokens import create_token
from queue_server.requests.seed import demo_categories
from tests.conftest import Stack
from tests.outbox.support import SmtpSink, eventually
from tests.requests.support import outbox, put_categories
from tests.requests.test_api import LETTER, PDF, form
from tests.web.test_login import People, csrf, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
BASE = "/api/v1/tenants/demo"
AGGLO = "Communauté d'agglomération de Démoville"
BRUNO = {"first_name": "Bruno", "last_name": "Carré", "email": "bruno@example.fr"}


@dataclass
class Clock:
    """The server's clock, which a test may move."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def http(stack: Stack, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=clock)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def file(http: httpx.AsyncClient, stack: Stack, *files: tuple[str, bytes], **changes: Any) -> Any:
    letter = {**LETTER, **changes}
    answer = (await http.post(f"{BASE}/requests", **form(letter, *files), headers=stack.auth("agent")) if files
              else await http.post(f"{BASE}/requests", json=letter, headers=stack.auth("agent")))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def agglomeration(stack: Stack) -> dict[str, str]:
    """A second collectivity on the installation, ``agglo``, with the demo's categories; its agent's token."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add(Tenant(id="agglo", name=AGGLO))
            await session.flush()
            session.add(Site(id="agglo", tenant_id="agglo", name=AGGLO))
            await session.flush()
            for row in demo_categories():
                row.tenant_id = "agglo"
                row.service_name = f"Agglomération — {row.service_name}"
                session.add(row)
            await session.commit()
            return {"Authorization": f"Bearer {(await create_token(session, 'agglo', 'agent', 'agglo agent'))[1]}"}
    finally:
        await engine.dispose()


def problem_of(answer: httpx.Response) -> tuple[int, str, str]:
    """(status, kind, field) of a problem+json answer."""
    body = answer.json()
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    field = (body.get("errors") or [{}])[0].get("field", "")
    return answer.status_code, body["type"].rsplit("/", 1)[1], field


async def mail(stack: Stack) -> list[OutboxMessage]:
    return await outbox(stack.settings)


# The Request's new fields -----------------------------------------------------------------------------------


async def test_a_request_tells_its_service_and_due_date_and_staff_read_who_is_in_charge(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A new request names its category's service and its due date; staff read it in nobody's hands, its holder
    never reads who is in charge."""
    made = await file(http, stack)
    assert made["service"] == "Services techniques — voirie" and made["due_on"] == "2026-03-30"
    staff = (await http.get(f"{BASE}/requests/{made['id']}", headers=stack.auth("agent"))).json()
    assert staff["assignee"] is None and staff["transmitted_to"] is None and staff["merged_into"] is None
    assert staff["merged"] == [] and staff["transmission"] is None
    holder = (await http.get(f"{BASE}/requests/{made['id']}")).json()
    assert holder["service"] == "Services techniques — voirie" and "assignee" not in holder


# Assignment -------------------------------------------------------------------------------------------------


async def test_a_request_is_assigned_to_an_agent_and_found_in_their_requests(
        http: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """Assigned to Anne, the request is in ?assignee=anne and in Anne's ?assignee=me, no longer in
    ?assignee=none; cleared with null, it is nobody's again. Each change is audited."""
    first, second = await file(http, stack), await file(http, stack, subject="Lampadaire éteint")
    answer = await http.post(f"{BASE}/requests/{first['id']}/assignee", json={"assignee": "Anne"},
                             headers=stack.auth("supervisor"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["assignee"] == "anne"

    async def listed(query: dict[str, str], headers: dict[str, str] | None = None) -> list[str]:
        found = await http.get(f"{BASE}/requests", params=query, headers=headers or stack.auth("agent"))
        assert found.status_code == 200, found.text
        return [item["reference"] for item in found.json()["items"]]

    assert await listed({"assignee": "anne"}) == [first["reference"]]
    assert await listed({"assignee": "none"}) == [second["reference"]]
    assert await listed({"assignee": "me"}) == []  # a device's token is nobody
    await sign_in(http)
    assert await listed({"assignee": "me"}, await csrf(http)) == [first["reference"]]
    http.cookies.clear()
    cleared = await http.post(f"{BASE}/requests/{first['id']}/assignee", json={"assignee": None},
                              headers=stack.auth("agent"))
    assert cleared.status_code == 200 and cleared.json()["assignee"] is None
    assert sorted(await listed({"assignee": "none"})) == sorted([first["reference"], second["reference"]])
    audit = (await http.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    assert [e["detail"] for e in audit if e["action"] == "request.assignee"] == ["anne -> -", "- -> anne"]


async def test_only_a_staff_member_of_the_collectivity_may_be_in_charge(
        http: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """An unknown login, another collectivity's agent or a disabled account is a 422 naming assignee; nothing
    changes."""
    made = await file(http, stack)
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add(Tenant(id="voisine", name="Mairie voisine"))
            await session.flush()
            session.add(Site(id="voisine", tenant_id="voisine", name="Mairie voisine"))
            await session.commit()
    finally:
        await engine.dispose()
    await people.add("zoe", [("voisine", "agent")], tenant="voisine")
    await people.add("paul", [("demo", "agent")])
    await people.change("paul", disabled=True)
    for login in ("nobody", "zoe", "paul"):
        answer = await http.post(f"{BASE}/requests/{made['id']}/assignee", json={"assignee": login},
                                 headers=stack.auth("agent"))
        assert problem_of(answer) == (422, "unknown-user", "assignee"), login
    assert (await http.get(f"{BASE}/requests/{made['id']}", headers=stack.auth("agent"))).json()["assignee"] is None


# Transmission (CRPA L114-2) ---------------------------------------------------------------------------------


async def test_a_request_transmitted_to_another_administration_is_closed_and_both_are_written_to(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """Transmitted to the agglomeration with its address: the request is closed with transmitted_to and an internal
    note; its sender's e-mail says to whom it went and cites L114-2; the agglomeration's e-mail carries the
    reference, the sender, the subject, the text and the files listed."""
    made = await file(http, stack, ("plan.pdf", PDF))
    answer = await http.post(f"{BASE}/requests/{made['id']}/transmit", headers=stack.auth("agent"), json={
        "to": AGGLO, "email": "Voirie@Agglo-Demoville.fr",
        "reason": "La voirie communautaire relève de l'agglomération."})
    assert answer.status_code == 200, answer.text
    request = answer.json()
    assert request["status"] == "closed" and request["transmitted_to"] == AGGLO and request["transmission"] is None
    note = request["messages"][-1]
    assert note["internal"] and AGGLO in note["body"] and "voirie@agglo-demoville.fr" in note["body"]
    holder = (await http.get(f"{BASE}/requests/{made['id']}")).json()
    assert holder["transmitted_to"] == AGGLO and all(not m["internal"] for m in holder["messages"])
    _ack, told, forwarded = await mail(stack)
    assert told.recipient == "anne@example.fr" and told.key == f"request:{made['id']}:transmitted:email"
    assert made["reference"] in told.subject and AGGLO in told.subject
    assert "L114-2" in told.body and "en avise l'intéressé" in told.body and "relève de l'agglomération" in told.body
    assert "16 mars 2026" in told.body and f"http://testserver/r/{made['id']}" in told.body
    assert forwarded.recipient == "voirie@agglo-demoville.fr" and forwarded.key == f"transmission:{made['id']}:email"
    assert made["reference"] in forwarded.subject and "L114-2" in forwarded.subject
    for said in ("Anne Lefèvre", "anne@example.fr", "+33612345678", LETTER["subject"], "défoncé depuis l'orage",
                 "plan.pdf (application/pdf, 1 ko)", "Services techniques — voirie"):
        assert said in forwarded.body, said
    again = await http.post(f"{BASE}/requests/{made['id']}/transmit", json={"to": AGGLO},
                            headers=stack.auth("agent"))
    assert problem_of(again)[:2] == (409, "wrong-status")
    assert len(await mail(stack)) == 3  # nothing written twice
    reopened = await http.post(f"{BASE}/requests/{made['id']}/status", json={"status": "in_progress"},
                               headers=stack.auth("agent"))
    assert problem_of(reopened)[:2] == (409, "wrong-status")  # its sender was told to follow it elsewhere
    audit = (await http.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    assert ("request.transmitted", made["reference"]) in [(e["action"], e["target"]) for e in audit]


async def test_a_request_transmitted_to_a_collectivity_of_the_installation_is_filed_there_too(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """Transmitted to tenant agglo: the request is filed there with its own reference, the same sender, text and
    files (copies), acknowledged by the agglomeration; each names the other."""
    agglo = await agglomeration(stack)
    made = await file(http, stack, ("plan.pdf", PDF))
    answer = await http.post(f"{BASE}/requests/{made['id']}/transmit", json={"tenant": "agglo"},
                             headers=stack.auth("agent"))
    assert answer.status_code == 200, answer.text
    request = answer.json()
    assert request["transmitted_to"] == AGGLO
    assert request["transmission"] == {"tenant": "agglo", "reference": "DEM-2026-000001"}
    [there] = (await http.get("/api/v1/tenants/agglo/requests", headers=agglo)).json()["items"]
    assert there["reference"] == "DEM-2026-000001" and there["category"] == "voirie"
    assert there["service"] == "Agglomération — Services techniques — voirie"
    assert there["transmitted_from"] == {"tenant": "demo", "reference": made["reference"]}
    assert there["person"]["email"] == "anne@example.fr" and there["messages"][0]["body"] == LETTER["body"]
    assert [f["filename"] for f in there["attachments"]] == ["plan.pdf"]
    kept = stack.settings.server.data_dir / "requests"
    assert (kept / "agglo" / there["id"] / "1").read_bytes() == PDF
    assert (kept / "demo" / made["id"] / "1").read_bytes() == PDF
    sent = await mail(stack)
    acknowledged = [m for m in sent if m.key == f"request:{there['id']}:acknowledged:email"]
    assert len(acknowledged) == 1 and AGGLO in acknowledged[0].subject and "DEM-2026-000001" in acknowledged[0].subject
    [told] = [m for m in sent if m.key == f"request:{made['id']}:transmitted:email"]
    assert "DEM-2026-000001" in told.body and AGGLO in told.body
    assert not any(m.key.startswith("transmission:") for m in sent)  # no address given: no e-mail to it
    assert not list((kept / "incoming").iterdir())  # no copy left behind


async def test_a_transmission_names_somewhere_it_may_go(http: httpx.AsyncClient, stack: Stack) -> None:
    """Nowhere named, the collectivity itself, one the installation does not have, or a category it lacks: each a
    422 naming its field, and the request stays open."""
    await agglomeration(stack)
    made = await file(http, stack)
    for body, expected in (({"reason": "Pas chez nous."}, (422, "invalid-body", "to")),
                           ({"tenant": "demo"}, (422, "unknown-administration", "tenant")),
                           ({"tenant": "nowhere"}, (422, "unknown-administration", "tenant")),
                           ({"tenant": "agglo", "category": "piscines"}, (422, "unknown-category", "category"))):
        answer = await http.post(f"{BASE}/requests/{made['id']}/transmit", json=body, headers=stack.auth("agent"))
        assert problem_of(answer) == expected, body
    still = (await http.get(f"{BASE}/requests/{made['id']}", headers=stack.auth("agent"))).json()
    assert still["status"] == "received"
    assert [m.key for m in await mail(stack)] == [f"request:{made['id']}:acknowledged:email"]  # nothing more


async def test_what_transmitting_and_merging_write_is_searched_and_told_to_the_other_modules(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """The internal notes of a transmission and of a merge are found by the staff's search; each request they
    close is a request.status event (closed) on the requests stream, and the copy filed in another collectivity a
    request.created event."""
    await agglomeration(stack)
    sent, kept = await file(http, stack), await file(http, stack, subject="Lampadaire éteint")
    duplicate = await file(http, stack, person=BRUNO, subject="Lampadaire toujours éteint")
    await http.post(f"{BASE}/requests/{sent['id']}/transmit", json={"tenant": "agglo", "reason": "Compétence "
                    "intercommunale"}, headers=stack.auth("agent"))
    await http.post(f"{BASE}/requests/{duplicate['id']}/merge", json={"into": kept["id"]}, headers=stack.auth("agent"))
    for words, found in (("intercommunale", sent), ("doublon", duplicate)):
        answer = await http.get(f"{BASE}/requests", params={"q": words}, headers=stack.auth("agent"))
        assert found["reference"] in [item["reference"] for item in answer.json()["items"]], words
    client = Redis.from_url(stack.settings.redis.url)
    try:
        entries = await client.xrange(f"{stack.settings.redis.key_prefix}requests")
    finally:
        await client.aclose()
    events = [(fields[b"t"].decode(), orjson.loads(fields[b"d"])) for _id, fields in entries]
    closed = {data["reference"] for kind, data in events if kind == "request.status" and data["status"] == "closed"}
    assert closed == {sent["reference"], duplicate["reference"]}
    assert [data["tenant"] for kind, data in events if kind == "request.created"] == ["demo"] * 3 + ["agglo"]


# Merging duplicates ---------------------------------------------------------------------------------------------


async def test_a_duplicate_is_merged_into_the_request_kept_and_its_sender_told_which_to_follow(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """Bruno's request merged into Anne's (by its reference): it is closed with merged_into; staff read Bruno's
    messages and file on Anne's request, Anne never does; both have an internal note; Bruno's e-mail names the
    reference to follow, without the link to Anne's request."""
    kept = await file(http, stack)
    duplicate = await file(http, stack, ("photo.pdf", PDF), person=BRUNO, body="Le trottoir du 12 est cassé.")
    answer = await http.post(f"{BASE}/requests/{duplicate['id']}/merge", json={"into": kept["reference"].lower()},
                             headers=stack.auth("agent"))
    assert answer.status_code == 200, answer.text
    merged = answer.json()
    assert merged["status"] == "closed" and merged["merged_into"] == {"id": kept["id"], "reference": kept["reference"]}
    assert kept["reference"] in merged["messages"][-1]["body"] and merged["messages"][-1]["internal"]
    staff = (await http.get(f"{BASE}/requests/{kept['id']}", headers=stack.auth("agent"))).json()
    [shown] = staff["merged"]
    assert shown["reference"] == duplicate["reference"]
    assert shown["messages"][0]["body"] == "Le trottoir du 12 est cassé."
    assert [f["filename"] for f in shown["attachments"]] == ["photo.pdf"]
    assert duplicate["reference"] in staff["messages"][-1]["body"] and "Bruno Carré" in staff["messages"][-1]["body"]
    holder = (await http.get(f"{BASE}/requests/{kept['id']}")).json()
    assert "merged" not in holder and "cassé" not in str(holder)
    dup_holder = (await http.get(f"{BASE}/requests/{duplicate['id']}")).json()
    assert dup_holder["merged_into"] == {"reference": kept["reference"]}
    [told] = [m for m in await mail(stack) if m.key == f"request:{duplicate['id']}:merged:email"]
    assert told.recipient == "bruno@example.fr"
    assert duplicate["reference"] in told.subject and kept["reference"] in told.subject
    assert f"la référence {kept['reference']}" in told.body and f"/r/{duplicate['id']}" in told.body
    assert f"/r/{kept['id']}" not in told.body  # Anne's request is Anne's
    download = await http.get(f"/demandes/{duplicate['id']}/fichiers/{shown['attachments'][0]['id']}")
    assert download.status_code == 303  # files stay the duplicate's, for staff signed in


async def test_merging_refuses_itself_a_closed_request_a_duplicate_or_another_collectivitys(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """409 into itself, into a closed request or into a duplicate, and for a duplicate already closed; 422 for a
    reference no request of the collectivity has (another collectivity's included); a merged request is never
    reopened."""
    agglo = await agglomeration(stack)
    first, second, third = (await file(http, stack), await file(http, stack, person=BRUNO),
                            await file(http, stack, subject="Autre"))
    merge = f"{BASE}/requests/{{}}/merge"
    agent = stack.auth("agent")
    assert problem_of(await http.post(merge.format(first["id"]), json={"into": first["id"]}, headers=agent)) == (
        409, "merge-into-itself", "into")
    assert (await http.post(merge.format(second["id"]), json={"into": first["id"]}, headers=agent)).status_code == 200
    assert problem_of(await http.post(merge.format(third["id"]), json={"into": second["reference"]},
                                      headers=agent)) == (409, "wrong-status", "into")
    assert problem_of(await http.post(merge.format(second["id"]), json={"into": third["id"]}, headers=agent)) == (
        409, "wrong-status", "status")
    await http.post(f"{BASE}/requests/{first['id']}/status", json={"status": "closed"}, headers=agent)
    assert problem_of(await http.post(merge.format(third["id"]), json={"into": first["reference"]},
                                      headers=agent)) == (409, "wrong-status", "into")
    elsewhere = await http.post("/api/v1/tenants/agglo/requests", json=LETTER, headers=agglo)
    for into in ("DEM-2026-999999", elsewhere.json()["id"]):
        assert problem_of(await http.post(merge.format(third["id"]), json={"into": into}, headers=agent)) == (
            422, "unknown-request", "into")
    reopened = await http.post(f"{BASE}/requests/{second['id']}/status", json={"status": "in_progress"},
                               headers=agent)
    assert problem_of(reopened)[:2] == (409, "wrong-status")


# Overdue ---------------------------------------------------------------------------------------------------


async def test_requests_past_their_due_date_are_flagged_to_supervisors(
        http: httpx.AsyncClient, stack: Stack, clock: Clock, people: People) -> None:  # noqa: F811
    """Filed on 16 March (due 30 March), open on 2 April: 3 days late in the supervisors' summary and in
    ?overdue=true, with its service and agent; a closed one is not; an agent may not read the summary."""
    late, closed = await file(http, stack), await file(http, stack, category="etat-civil")
    await http.post(f"{BASE}/requests/{late['id']}/assignee", json={"assignee": "anne"}, headers=stack.auth("agent"))
    await http.post(f"{BASE}/requests/{closed['id']}/status", json={"status": "closed"}, headers=stack.auth("agent"))
    summary = await http.get(f"{BASE}/requests/overdue", headers=stack.auth("supervisor"))
    assert summary.json() == {"count": 0, "items": []}
    clock.now = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    summary = await http.get(f"{BASE}/requests/overdue", headers=stack.auth("supervisor"))
    assert summary.status_code == 200
    assert summary.json() == {"count": 1, "items": [{
        "id": late["id"], "reference": late["reference"], "service": "Services techniques — voirie",
        "due_on": "2026-03-30", "assignee": "anne", "days_late": 3}]}
    listed = await http.get(f"{BASE}/requests", params={"overdue": "true"}, headers=stack.auth("agent"))
    assert [item["reference"] for item in listed.json()["items"]] == [late["reference"]]
    assert problem_of(await http.get(f"{BASE}/requests/overdue", headers=stack.auth("agent")))[:2] == (
        403, "wrong-role")
    assert problem_of(await http.get(f"{BASE}/requests", params={"overdue": "yes"},
                                     headers=stack.auth("agent")))[:2] == (422, "invalid-query")


# Reply templates -------------------------------------------------------------------------------------------


async def test_a_collectivitys_reply_templates_start_from_the_built_in_ones(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """With none, the built-in ones are read (no ids); the first added keeps them beside it; each is changed and
    deleted by supervisors, each change audited."""
    path = f"{BASE}/request-templates"
    builtin = (await http.get(path, headers=stack.auth("agent"))).json()
    assert builtin["builtin"] is True and len(builtin["items"]) == 3
    assert all(t["id"] is None for t in builtin["items"]) and "{reference}" in builtin["items"][0]["body"]
    new = {"title": "Dépôt sauvage signalé", "body": "Bonjour {name},\n\n{agent} de la {service} passe demain.",
           "position": 9, "lang": "fr"}
    assert problem_of(await http.post(path, json=new, headers=stack.auth("agent")))[:2] == (403, "wrong-role")
    added = await http.post(path, json=new, headers=stack.auth("supervisor"))
    assert added.status_code == 201, added.text
    mine = (await http.get(path, headers=stack.auth("agent"))).json()
    assert mine["builtin"] is False
    assert [t["title"] for t in mine["items"]] == [t["title"] for t in builtin["items"]] + [new["title"]]
    template_id = added.json()["id"]
    changed = await http.put(f"{path}/{template_id}", json={**new, "position": 0}, headers=stack.auth("admin"))
    assert changed.status_code == 200 and changed.json()["position"] == 0
    assert (await http.get(path, headers=stack.auth("agent"))).json()["items"][0]["title"] == new["title"]
    assert (await http.delete(f"{path}/{template_id}", headers=stack.auth("supervisor"))).status_code == 204
    assert (await http.delete(f"{path}/{template_id}", headers=stack.auth("supervisor"))).status_code == 404
    assert len((await http.get(path, headers=stack.auth("agent"))).json()["items"]) == 3
    audit = (await http.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    assert [e["detail"] for e in audit if e["action"] == "config.request-template"] == [
        "deleted", "changed", "created"]


async def test_a_template_names_known_placeholders_and_has_a_title(http: httpx.AsyncClient, stack: Stack) -> None:
    """{montant} is no placeholder (422 unknown-placeholder naming body); a blank title is a 422 naming title, a
    position that is not a whole number one naming position; stray braces are text; another collectivity's
    template is unknown."""
    path = f"{BASE}/request-templates"
    base = {"title": "Relance", "body": "Bonjour {name}, il reste {montant} euros."}
    assert problem_of(await http.post(path, json=base, headers=stack.auth("supervisor"))) == (
        422, "unknown-placeholder", "body")
    assert problem_of(await http.post(path, json={**base, "title": "  ", "body": "x"},
                                      headers=stack.auth("supervisor"))) == (422, "invalid-body", "title")
    for position in (False, "2", 2.5):
        assert problem_of(await http.post(path, json={**base, "body": "x", "position": position},
                                          headers=stack.auth("supervisor"))) == (422, "invalid-body", "position")
    braces = await http.post(path, json={**base, "body": "Tarif : { 5 € } ou {{ 6 }} — {name}"},
                             headers=stack.auth("supervisor"))
    assert braces.status_code == 201, braces.text
    agglo = await agglomeration(stack)
    assert (await http.get("/api/v1/tenants/agglo/request-templates", headers=agglo)).json()["builtin"] is True
    assert (await http.put(f"/api/v1/tenants/agglo/request-templates/{braces.json()['id']}", json=base,
                           headers=agglo)).status_code == 403  # an agent writes none
    assert problem_of(await http.put(f"{path}/{braces.json()['id'] + 1000}", json={**base, "body": "x"},
                                     headers=stack.auth("admin")))[:2] == (404, "unknown-template")


async def test_the_request_page_offers_the_collectivitys_templates_filled_in(
        http: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """The collectivity's own template, in the request's language, is offered on the request's page with the
    sender's name, the reference and the agent's name filled in; the management page is for supervisors only."""
    await http.post(f"{BASE}/request-templates", headers=stack.auth("supervisor"), json={
        "title": "Passage de l'équipe", "body": "Bonjour {name}, {agent} passe pour {reference} ({subject})."})
    made = await file(http, stack)
    await sign_in(http)
    page = await http.get(f"/demandes/{made['id']}")
    assert page.status_code == 200
    data = re.search(r'<script type="application/json" id="staff-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    assert (f"Bonjour Anne Lefèvre, Anne passe pour {made['reference']} (Trottoir abîmé rue Haute)."
            in data.group(1).replace("\\u003c", "<"))
    assert (await http.get("/demandes/modeles")).status_code == 403  # Anne is an agent


@pytest.mark.one_stack
async def test_the_list_page_filters_my_requests_and_shows_supervisors_the_overdue_band(
        http: httpx.AsyncClient, stack: Stack, clock: Clock, people: People) -> None:  # noqa: F811
    """"Mes demandes" lists Anne's only, "Non attribuées" the others; the overdue count is on the list, and the band
    by service is for supervisors (with the link to the reply templates), not for agents."""
    mine, other = await file(http, stack), await file(http, stack, category="urbanisme", subject="Abri de jardin")
    await http.post(f"{BASE}/requests/{mine['id']}/assignee", json={"assignee": "anne"}, headers=stack.auth("agent"))
    clock.now = datetime(2026, 4, 20, 8, 0, tzinfo=UTC)  # both late: due on 30 March and 14 April
    await sign_in(http)
    page = (await http.get("/demandes", params={"assignee": "me"})).text
    assert mine["reference"] in page and other["reference"] not in page
    page = (await http.get("/demandes", params={"assignee": "none"})).text
    assert other["reference"] in page and mine["reference"] not in page
    assert 'id="late-count">2<' in page
    assert "late-band" not in page and "/demandes/modeles" not in page
    http.cookies.clear()
    await people.add("paul", [("demo", "supervisor")])
    await sign_in(http, login="paul")
    page = (await http.get("/demandes")).text
    assert "late-band" in page and "2 demandes en retard" in page and "/demandes/modeles" in page
    assert "Service urbanisme" in page and "jusqu'à 21 jours de retard" in page
    templates = await http.get("/demandes/modeles")
    assert templates.status_code == 200 and "Modèles fournis" in templates.text


@pytest.mark.one_stack
async def test_a_requests_page_shows_where_it_went_and_the_duplicates_merged_into_it(
        http: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """The kept request's page shows Bruno's duplicate with its message and a link to its file; the duplicate's
    page links to the request kept; the agglomeration's copy says who transmitted it; in English too."""
    kept = await file(http, stack)
    duplicate = await file(http, stack, ("photo.pdf", PDF), person=BRUNO, body="Le trottoir du 12 est cassé.")
    merged = await http.post(f"{BASE}/requests/{duplicate['id']}/merge", json={"into": kept["reference"]},
                             headers=stack.auth("agent"))
    [photo] = merged.json()["attachments"]
    await sign_in(http)
    page = (await http.get(f"/demandes/{kept['id']}")).text
    assert 'id="duplicates"' in page and "Le trottoir du 12 est cassé." in page and "Bruno Carré" in page
    assert f'href="/demandes/{duplicate["id"]}/fichiers/{photo["id"]}"' in page
    assert 'id="transmit-box"' in page  # still open: it may be transmitted
    page = (await http.get(f"/demandes/{duplicate['id']}")).text
    assert f'<a href="/demandes/{kept["id"]}">{kept["reference"]}</a>' in page and "Doublon rattaché" in page
    assert 'id="transmit-box"' not in page and 'id="status-form"' not in page  # closed for good
    assert (await http.get(f"/demandes/{duplicate['id']}/fichiers/{photo['id']}")).content == PDF
    english = (await http.get(f"/demandes/{kept['id']}", params={"lang": "en"})).text
    assert "Duplicates merged into this request" in english and "Assign to me" in english

    agglo = await agglomeration(stack)
    await http.post(f"{BASE}/requests/{kept['id']}/transmit", json={"tenant": "agglo"}, headers=stack.auth("agent"))
    page = (await http.get(f"/demandes/{kept['id']}", params={"lang": "fr"})).text
    assert "Transmise à Communauté d&#39;agglomération de Démoville" in page and "DEM-2026-000001" in page
    [copy] = (await http.get("/api/v1/tenants/agglo/requests", headers=agglo)).json()["items"]
    await people.add("ines", [("agglo", "agent")], tenant="agglo")
    http.cookies.clear()
    await sign_in(http, login="ines")
    page = (await http.get(f"/demandes/{copy['id']}")).text
    assert f"Transmise par Mairie de Démoville (sa référence : {kept['reference']})" in page


# E-mails delivered -----------------------------------------------------------------------------------------


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


@pytest.mark.one_stack
async def test_the_citizen_and_the_administration_receive_the_transmission_and_the_merge_by_email(
        stack: Stack) -> None:
    """Through the app's own outbox worker and a real SMTP server: Anne is told her request went to the
    agglomeration (L114-2), the agglomeration receives it, and Bruno is told which reference to follow."""
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    sink = SmtpSink()
    url = await sink.start()
    try:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "email": {"url": url, "from": "mairie@demoville.fr"}})
        app = create_app(settings)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            anne = await file(http, stack)
            bruno = await file(http, stack, person=BRUNO)
            await eventually(lambda: len(sink.received) == 2, timeout_s=60.0)  # the acknowledgements
            merged = await http.post(f"{BASE}/requests/{bruno['id']}/merge", json={"into": anne["id"]},
                                     headers=stack.auth("agent"))
            assert merged.status_code == 200, merged.text
            sent = await http.post(f"{BASE}/requests/{anne['id']}/transmit", headers=stack.auth("agent"),
                                   json={"to": AGGLO, "email": "voirie@agglo-demoville.fr"})
            assert sent.status_code == 200, sent.text
            await eventually(lambda: len(sink.received) == 5, timeout_s=60.0)
    finally:
        await sink.close()
    by_to = {str(m["To"]): m for m in sink.received[2:]}
    told, forwarded, moved = by_to["anne@example.fr"], by_to["voirie@agglo-demoville.fr"], by_to["bruno@example.fr"]
    assert f"[{anne['reference']}]" in told["Subject"] and AGGLO in told["Subject"]
    assert "article L114-2" in text_of(told) and told["In-Reply-To"]  # in the thread of the acknowledgement
    assert anne["reference"] in forwarded["Subject"] and "Anne Lefèvre" in text_of(forwarded)
    assert LETTER["body"] in text_of(forwarded)
    assert f"[{bruno['reference']}]" in moved["Subject"] and anne["reference"] in text_of(moved)

"""Erasing a party of the citizen record (``DELETE …/parties/{id}``, RGPD art. 17) erases the person from the
requests too (issue 19), through the record's erasers as booking's: the requests staff linked to the party, or
sent with one of its e-mails or phones, keep their reference, category, status, dates and the staff's replies, and
lose the sender (name, e-mail, phone, address), the subject and the citizen's texts ("[effacé]") and every file
(on disk too); a stranger's request stays whole, and the deletion report counts the requests erased."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Stack
from tests.requests.support import put_categories

pytestmark = pytest.mark.anyio
BASE = "/api/v1/tenants/demo"
PARTIES = f"{BASE}/parties"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr", "address": "12 rue Haute"}


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def file_request(http: httpx.AsyncClient, person: dict[str, str], subject: str) -> dict[str, Any]:
    letter = {"category": "voirie", "subject": subject, "body": "Le trottoir devant chez moi est défoncé.",
              "person": person}
    answer = await http.post(f"{BASE}/requests", data={"data": orjson.dumps(letter).decode()},
                             files=[("attachments", ("photo.pdf", PDF, "application/pdf"))])
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_erasing_a_party_blanks_the_sender_of_its_requests(http: httpx.AsyncClient, stack: Stack) -> None:
    """Anne's request sent with her record's e-mail (typed another way) and the one staff linked to her record
    (sent from another address) lose her name, contact, subject, texts and files; the staff's reply stays; Paul's
    request is untouched; the report counts two requests erased."""
    created = await http.post(PARTIES, headers=stack.auth("admin"), json={
        "kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "emails": ["anne@example.fr"]})
    assert created.status_code == 201, created.text
    party = created.json()["id"]
    agent = stack.auth("agent")
    by_email = await file_request(http, {**ANNE, "email": "ANNE@example.fr"}, "Trottoir abîmé rue Haute")
    linked = await file_request(http, {**ANNE, "email": "a.lefevre@travail.example.fr", "phone": "06 12 34 56 78"},
                                "Lampadaire éteint")
    assert (await http.post(f"{BASE}/requests/{linked['id']}/party", json={"party": party},
                            headers=agent)).status_code == 200
    reply = await http.post(f"{BASE}/requests/{by_email['id']}/messages", headers=agent,
                            json={"body": "Nos équipes passent jeudi.", "internal": False})
    assert reply.status_code == 201, reply.text
    stranger = await file_request(http, {"first_name": "Paul", "last_name": "Martin", "email": "paul@example.fr"},
                                  "Dépôt sauvage")
    files = stack.settings.server.data_dir / "requests" / "demo"

    erased = await http.delete(f"{PARTIES}/{party}", headers=stack.auth("admin"))
    assert erased.status_code == 204, erased.text
    for before in (by_email, linked):
        after = (await http.get(f"{BASE}/requests/{before['id']}", headers=agent)).json()
        assert after["person"] == {"first_name": "", "last_name": "[effacé]", "email": None, "phone": None,
                                   "address": None}
        assert after["party"] is None and after["subject"] == "[effacé]" and after["attachments"] == []
        assert [m["body"] for m in after["messages"] if m["from"] == "citizen"] == ["[effacé]"]
        assert (after["reference"], after["category"], after["status"], after["received_at"]) == (
            before["reference"], before["category"], before["status"], before["received_at"])
        assert not any(p.is_file() for p in (files / before["id"]).rglob("*"))
    kept = (await http.get(f"{BASE}/requests/{by_email['id']}", headers=agent)).json()
    assert [m["body"] for m in kept["messages"] if m["from"] == "staff"] == ["Nos équipes passent jeudi."]
    untouched = (await http.get(f"{BASE}/requests/{stranger['id']}", headers=agent)).json()
    assert untouched["person"]["last_name"] == "Martin" and untouched["subject"] == "Dépôt sauvage"
    assert len(untouched["attachments"]) == 1 and (files / stranger["id"] / "1").is_file()
    [report] = (await http.get(f"{BASE}/purges", headers=stack.auth("admin"))).json()["items"]
    assert report["reason"] == "erasure" and report["parties"][0]["erased_elsewhere"] == 2

"""API.md "Requests" end to end over HTTP, on every storage stack, with the server's clock fixed on Monday
16 March 2026, 10:00 in Paris: the categories, a request filed as JSON or as a form with its files (10 MB each,
typed by content), its reference and acknowledgement, what its holder and staff read, staff's messages and the
statuses; every refusal names its field, and a refused request leaves nothing behind."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import orjson
import pytest

from tests.conftest import Stack
from tests.requests.support import outbox, put_categories

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
BASE = "/api/v1/tenants/demo"
ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr", "phone": "06 12 34 56 78"}
LETTER = {"category": "voirie", "subject": "Trottoir abîmé rue Haute",
          "body": "Bonjour, le trottoir devant le 12 rue Haute est défoncé depuis l'orage.", "person": ANNE}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def file_request(http: httpx.AsyncClient, headers: dict[str, str] | None = None, **changes: Any) -> Any:
    answer = await http.post(f"{BASE}/requests", json={**LETTER, **changes}, headers=headers or {})
    assert answer.status_code == 201, answer.text
    return answer.json()


def form(data: dict[str, Any], *files: tuple[str, bytes]) -> dict[str, Any]:
    """httpx's arguments for a multipart request: ``data`` as JSON, and ``files`` as attachments."""
    return {"data": {"data": orjson.dumps(data).decode()},
            "files": [("attachments", (name, content, "application/octet-stream")) for name, content in files]}


async def nothing_saved(http: httpx.AsyncClient, stack: Stack) -> None:
    """No request, no message to send, no file kept (nor left in the spool)."""
    listed = await http.get(f"{BASE}/requests", headers=stack.auth("agent"))
    assert listed.json()["items"] == []
    assert await outbox(stack.settings) == []
    kept = stack.settings.server.data_dir / "requests"
    assert [p for p in kept.rglob("*") if p.is_file()] == []


async def test_anyone_lists_the_demo_categories_of_a_known_collectivity(http: httpx.AsyncClient) -> None:
    """The demo has etat-civil, urbanisme, voirie and autre, in that order; an unknown collectivity is a 404."""
    answer = await http.get(f"{BASE}/request-categories")
    assert answer.status_code == 200
    assert [c["id"] for c in answer.json()] == ["etat-civil", "urbanisme", "voirie", "autre"]
    assert all(c["name"] for c in answer.json())
    assert (await http.get("/api/v1/tenants/nowhere/request-categories")).status_code == 404


async def test_a_citizen_files_a_request_that_gets_the_next_reference_and_an_acknowledgement(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """Two requests are DEM-2026-000001 and 000002, received, from the website; each acknowledgement waits in the
    outbox with its reference in the subject, the date of receipt, the service and the tracking link."""
    first = await file_request(http)
    second = await file_request(http, category="etat-civil", subject="Copie d'acte de naissance")
    assert (first["reference"], second["reference"]) == ("DEM-2026-000001", "DEM-2026-000002")
    assert first["status"] == "received" and first["channel"] == "web"
    assert first["received_at"] == "2026-03-16T09:00:00Z" and first["due_on"] == "2026-03-30"
    assert first["messages"] == [{"at": "2026-03-16T09:00:00Z", "from": "citizen", "body": LETTER["body"],
                                  "internal": False}]
    assert "person" not in first  # what a citizen reads back is the holder's view
    acknowledgements = await outbox(stack.settings)
    assert [m.recipient for m in acknowledgements] == ["anne@example.fr"] * 2
    voirie, etat_civil = acknowledgements
    assert "DEM-2026-000001" in voirie.subject
    assert "16 mars 2026" in voirie.body and "Services techniques — voirie" in voirie.body
    assert "01 23 45 67 30" in voirie.body and "voirie@demoville.fr" in voirie.body
    assert f"http://testserver/r/{first['id']}" in voirie.body
    # État civil leads to an implicit rejection after two months, with its appeals.
    assert "16 mai 2026" in etat_civil.body and "décision implicite de rejet" in etat_civil.body
    assert "tribunal administratif" in etat_civil.body


async def test_a_form_with_a_pdf_and_a_photo_keeps_both_files_under_the_data_directory(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A multipart request with a PDF and a PNG lists both, typed by content; their bytes are kept as sent."""
    answer = await http.post(f"{BASE}/requests", **form(LETTER, ("plan.pdf", PDF), ("photo", PNG)))
    assert answer.status_code == 201, answer.text
    files = answer.json()["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("plan.pdf", "application/pdf", len(PDF)), ("photo.png", "image/png", len(PNG))]
    folder = stack.settings.server.data_dir / "requests" / "demo" / answer.json()["id"]
    assert [(folder / "1").read_bytes(), (folder / "2").read_bytes()] == [PDF, PNG]


async def test_a_file_of_eleven_megabytes_is_refused_with_413_and_nothing_is_saved(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """An 11 MB PDF is a 413 naming the file; no request, no acknowledgement, no file remains."""
    big = PDF + b"\x00" * (11 * 1024 * 1024)
    answer = await http.post(f"{BASE}/requests", **form(LETTER, ("plan.pdf", PDF), ("scan.pdf", big)))
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "attachments[1]" and "scan.pdf" in answer.json()["detail"]
    await nothing_saved(http, stack)


async def test_an_executable_renamed_pdf_is_refused_with_422_naming_it_and_nothing_is_saved(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A Windows program named facture.pdf is a 422 naming it, even beside a real PDF; nothing is kept."""
    answer = await http.post(f"{BASE}/requests", **form(LETTER, ("plan.pdf", PDF), ("facture.pdf", EXE)))
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/file-type-refused")
    assert answer.json()["errors"][0]["field"] == "attachments[1]" and "facture.pdf" in answer.json()["detail"]
    await nothing_saved(http, stack)


async def test_an_unknown_category_or_an_incomplete_sender_is_refused_naming_the_field(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """An unknown category, a company with a wrong SIREN, a letter without a postal address: each a 422 naming its
    field, and nothing is saved."""
    cases = [({"category": "piscine"}, "category", "unknown-category", {}),
             ({"organisation": {"name": "Boulangerie", "siren": "732829321"}}, "organisation.siren",
              "invalid-siren", {}),
             ({"channel": "postal"}, "person.address", "sender-incomplete", stack.auth("agent"))]
    for change, field, kind, headers in cases:
        answer = await http.post(f"{BASE}/requests", json={**LETTER, **change}, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith(f"/{kind}")
        assert answer.json()["errors"][0]["field"] == field
    await nothing_saved(http, stack)


async def test_only_staff_say_how_a_request_came(http: httpx.AsyncClient, stack: Stack) -> None:
    """A citizen giving a channel is a 403; an agent files a letter with its sender's postal address."""
    refused = await http.post(f"{BASE}/requests", json={**LETTER, "channel": "postal"})
    assert refused.status_code == 403
    letter = await file_request(http, stack.auth("agent"), channel="postal",
                                person={**ANNE, "address": "12 rue Haute, 75011 Démoville"})
    assert letter["channel"] == "postal"
    assert letter["person"]["address"] == "12 rue Haute, 75011 Démoville"
    assert letter["person"]["phone"] == "+33612345678"


async def test_the_holder_reads_the_public_messages_only_and_staff_read_everything(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """After an internal note and a reply, the holder of the id reads the request and the reply; staff read both;
    another collectivity's id or an unknown one is a 404."""
    filed = await file_request(http)
    one = f"{BASE}/requests/{filed['id']}"
    note = await http.post(f"{one}/messages", json={"body": "Voir avec l'équipe du secteur nord.", "internal": True},
                           headers=stack.auth("agent"))
    assert note.status_code == 201, note.text
    reply = await http.post(f"{one}/messages", json={"body": "Une équipe passera jeudi."},
                            headers=stack.auth("agent"))
    assert reply.status_code == 201 and reply.json()["from"] == "staff" and reply.json()["internal"] is False
    holder = (await http.get(one)).json()
    assert [m["body"] for m in holder["messages"]] == [LETTER["body"], "Une équipe passera jeudi."]
    staff = (await http.get(one, headers=stack.auth("agent"))).json()
    assert [m["internal"] for m in staff["messages"]] == [False, True, False]
    assert staff["person"]["email"] == "anne@example.fr"
    assert (await http.get(f"{BASE}/requests/AAAAAAAAAAAAAAAAAAAAAA")).status_code == 404
    assert (await http.get(f"/api/v1/tenants/other/requests/{filed['id']}")).status_code == 404


async def test_a_staff_reply_is_emailed_with_the_reference_in_its_subject(http: httpx.AsyncClient,
                                                                          stack: Stack) -> None:
    """A public message writes an e-mail to the citizen whose subject carries the reference; a note writes none."""
    filed = await file_request(http)
    one = f"{BASE}/requests/{filed['id']}"
    await http.post(f"{one}/messages", json={"body": "Note interne.", "internal": True}, headers=stack.auth("agent"))
    await http.post(f"{one}/messages", json={"body": "Une équipe passera jeudi."}, headers=stack.auth("agent"))
    acknowledgement, reply = await outbox(stack.settings)
    assert reply.recipient == "anne@example.fr"
    assert re.search(r"\[DEM-2026-000001\]", reply.subject)
    assert "Une équipe passera jeudi." in reply.body and "Note interne." not in reply.body
    assert acknowledgement.key.endswith(":acknowledged:email")


async def test_staff_list_by_status_and_category_and_move_a_request_on(http: httpx.AsyncClient,
                                                                        stack: Stack) -> None:
    """Staff list requests, narrowed by status and category; a status change is listed; a closed request cannot
    wait for the citizen (409) but may be reopened; citizens and kiosks may not list (401, 403)."""
    voirie = await file_request(http)
    etat_civil = await file_request(http, category="etat-civil")
    agent = stack.auth("agent")
    moved = await http.post(f"{BASE}/requests/{voirie['id']}/status", json={"status": "in_progress"}, headers=agent)
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"

    async def listed(**params: str) -> list[str]:
        answer = await http.get(f"{BASE}/requests", params=params, headers=agent)
        assert answer.status_code == 200, answer.text
        return [r["reference"] for r in answer.json()["items"]]

    assert await listed() == [etat_civil["reference"], voirie["reference"]]
    assert await listed(status="in_progress") == [voirie["reference"]]
    assert await listed(category="etat-civil", status="received") == [etat_civil["reference"]]
    closed = await http.post(f"{BASE}/requests/{voirie['id']}/status", json={"status": "closed"}, headers=agent)
    assert closed.json()["status"] == "closed"
    refused = await http.post(f"{BASE}/requests/{voirie['id']}/status", json={"status": "waiting_citizen"},
                              headers=agent)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/wrong-status")
    reopened = await http.post(f"{BASE}/requests/{voirie['id']}/status", json={"status": "in_progress"},
                               headers=agent)
    assert reopened.json()["status"] == "in_progress"
    assert (await http.get(f"{BASE}/requests")).status_code == 401
    assert (await http.get(f"{BASE}/requests", headers=stack.auth("kiosk"))).status_code == 403


async def test_an_address_files_so_many_requests_an_hour_and_staff_any_number(stack: Stack) -> None:
    """With 2 an hour, a citizen's third request is a 429 with Retry-After; an agent's is filed."""
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    settings = stack.settings.model_copy(update={"requests": stack.settings.requests.model_copy(
        update={"requests_per_address_per_hour": 2})})
    app = create_app(settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
        for _ in range(2):
            await file_request(http)
        refused = await http.post(f"{BASE}/requests", json=LETTER)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        await file_request(http, stack.auth("agent"))


async def test_requests_filed_at_once_get_every_reference_once_without_gaps(http: httpx.AsyncClient,
                                                                            stack: Stack) -> None:
    """Twelve requests filed together, by staff and citizens, are numbered 1 to 12, each once; a refused one in
    between takes no number."""
    results: list[Any] = []

    async def one(n: int) -> None:
        headers = stack.auth("agent") if n % 2 else {}
        answer = await http.post(f"{BASE}/requests", json={**LETTER, "subject": f"Demande {n}"}, headers=headers)
        results.append(answer)

    async def refused() -> None:
        answer = await http.post(f"{BASE}/requests", json={**LETTER, "category": "piscine"})
        assert answer.status_code == 422

    async with anyio.create_task_group() as group:
        for n in range(12):
            group.start_soon(one, n)
        group.start_soon(refused)
    assert all(answer.status_code == 201 for answer in results), [a.text for a in results]
    assert sorted(answer.json()["reference"] for answer in results) == [f"DEM-2026-{n:06d}" for n in range(1, 13)]

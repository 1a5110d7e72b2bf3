"""The citizen's pages of requests over HTTP (``requests/web/citizen.py``), on every storage stack: /ecrire renders
the collectivity's categories, files a request through the same rules as the API and refuses a wrong file on the
form (keeping what was typed, saving nothing); /r/{id} shows the public messages only and takes the holder's
answer with a document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import Stack
from tests.requests.support import outbox, put_categories

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
BASE = "/api/v1/tenants/demo"
FORM = {"category": "voirie", "subject": "Trottoir abîmé rue Haute",
        "body": "Bonjour, le trottoir devant le 12 rue Haute est défoncé depuis l'orage.", "first_name": "Anne",
        "last_name": "Lefèvre", "email": "anne@example.fr", "phone": "", "address": "", "organisation": "",
        "organisation_number": ""}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


def files(*named: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("attachments", (name, content, "application/octet-stream")) for name, content in named]


async def write(http: httpx.AsyncClient, *attached: tuple[str, bytes], **changes: str) -> httpx.Response:
    """The form of /ecrire sent as a browser sends it (multipart, an empty file input when nothing is chosen)."""
    return await http.post("/ecrire?tenant=demo", data={**FORM, **changes},
                           files=files(*attached) if attached else files(("", b"")))


def tracking_id(page: str) -> str:
    found = re.search(r'id="follow" href="http://testserver/r/([A-Za-z0-9_-]+)"', page)
    assert found is not None, page
    return found.group(1)


async def test_the_form_offers_the_collectivitys_public_categories_and_states_the_limits(
        http: httpx.AsyncClient) -> None:
    """/ecrire?tenant=demo: the four demo categories, the fields, the file limits and the data notice; only this
    server may frame the page (no website declared); an unknown collectivity is a 404 page."""
    answer = await http.get("/ecrire?tenant=demo")
    assert answer.status_code == 200
    page = answer.text
    assert re.findall(r'<option value="([a-z-]+)"', page) == ["etat-civil", "urbanisme", "voirie", "autre"]
    for field in ("subject", "body", "first_name", "last_name", "email", "phone", "address", "organisation",
                  "organisation_number", "attachments"):
        assert f'id="{field}"' in page
    assert 'id="attachments-hint"' in page and 'id="privacy"' in page
    assert answer.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    assert (await http.get("/ecrire?tenant=nowhere")).status_code == 404


async def test_a_request_written_on_the_form_gets_its_reference_and_tracking_link(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """Filed with a PDF: the page shows DEM-2026-000001, the day of receipt and /r/{id}; the request holds the file
    and its acknowledgement waits in the outbox."""
    answer = await write(http, ("plan.pdf", PDF), phone="06 12 34 56 78")
    assert answer.status_code == 201, answer.text
    assert 'id="reference">DEM-2026-000001<' in answer.text
    assert "2026" in re.search(r'id="received">([^<]+)<', answer.text).group(1)  # type: ignore[union-attr]
    request = (await http.get(f"{BASE}/requests/{tracking_id(answer.text)}")).json()
    assert request["reference"] == "DEM-2026-000001" and request["channel"] == "web"
    assert [a["filename"] for a in request["attachments"]] == ["plan.pdf"]
    assert len(await outbox(stack.settings)) == 1


async def test_a_wrong_file_is_refused_on_the_form_which_keeps_what_was_typed_and_saves_nothing(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """An executable named .pdf: the form comes back (422) with the reason next to the files and every typed value,
    and no request, message or file is kept."""
    answer = await write(http, ("facture.pdf", EXE))
    assert answer.status_code == 422
    page = answer.text
    assert 'id="attachments-error"' in page and "facture.pdf" in page
    assert 'id="general"' in page
    assert 'value="Lefèvre"' in page and 'value="anne@example.fr"' in page
    assert '<option value="voirie" selected>' in page and FORM["body"].replace("'", "&#39;") in page
    listed = await http.get(f"{BASE}/requests", headers=stack.auth("agent"))
    assert listed.json()["items"] == []
    assert await outbox(stack.settings) == []
    kept = stack.settings.server.data_dir / "requests"
    assert [p for p in kept.rglob("*") if p.is_file()] == []


async def test_a_refused_field_is_said_next_to_it(http: httpx.AsyncClient) -> None:
    """An invalid e-mail and a wrong SIREN key: each field is marked invalid with its own message; the rest kept."""
    answer = await write(http, email="anne-at-example", organisation="Boulangerie Roux",
                         organisation_number="123456788")
    assert answer.status_code == 422
    assert 'id="email-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="Boulangerie Roux"' in answer.text
    fixed = await write(http, organisation="Boulangerie Roux", organisation_number="732 829 320")
    assert fixed.status_code == 201, fixed.text


async def test_the_holders_page_shows_public_messages_never_internal_notes(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """/r/{id}: the reference, the status in words, the citizen's text and staff's reply; the internal note is not
    in the page."""
    request_id = tracking_id((await write(http)).text)
    for body, internal in (("Note interne : voir avec le service voirie", True),
                           ("Bonjour, une équipe passe jeudi.", False)):
        sent = await http.post(f"{BASE}/requests/{request_id}/messages", headers=stack.auth("agent"),
                               json={"body": body, "internal": internal})
        assert sent.status_code == 201, sent.text
    page = await http.get(f"/r/{request_id}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'id="reference">DEM-2026-000001<' in page.text and 'id="state"' in page.text
    assert "une équipe passe jeudi" in page.text and "défoncé" in page.text
    assert "Note interne" not in page.text
    assert (await http.get("/r/not-a-request-id-at-all")).status_code == 404


async def test_the_holder_answers_with_a_document_and_the_request_is_back_in_progress(
        http: httpx.AsyncClient, stack: Stack) -> None:
    """A request waiting for the citizen: the answer with a PDF lands on it (303 back to the page, which shows
    it), the request is in progress again; a closed request takes no answer (409: the page says
    it is closed)."""
    request_id = tracking_id((await write(http)).text)
    status = await http.post(f"{BASE}/requests/{request_id}/status", headers=stack.auth("agent"),
                             json={"status": "waiting_citizen"})
    assert status.status_code == 200
    answer = await http.post(f"/r/{request_id}", data={"body": "Voici la photo du trottoir."},
                             files=files(("photo.pdf", PDF)))
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/r/{request_id}?sent=1")
    shown = (await http.get(answer.headers["location"])).text
    assert "Voici la photo du trottoir." in shown and "photo.pdf" in shown and 'id="sent"' in shown
    request = (await http.get(f"{BASE}/requests/{request_id}", headers=stack.auth("agent"))).json()
    assert request["status"] == "in_progress"
    assert [m["from"] for m in request["messages"]] == ["citizen", "citizen"]
    await http.post(f"{BASE}/requests/{request_id}/status", headers=stack.auth("agent"), json={"status": "closed"})
    refused = await http.post(f"/r/{request_id}", data={"body": "Encore une chose."}, files=files(("", b"")))
    assert refused.status_code == 409 and 'id="closed"' in refused.text
    assert len((await http.get(f"{BASE}/requests/{request_id}", headers=stack.auth("agent"))).json()["messages"]) == 2

"""The staff's requests page (/demandes) over HTTP, the server's clock on Monday 16 March 2026, 10:00 in Paris: who
may open it (a device's token or another collectivity's staff get nothing), the list and its filters, a request's
page audited, an attachment downloaded by staff only, handing a request to another service, and an internal note
never shown to the holder of the id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Site, Tenant
from tests.conftest import Stack
from tests.requests.support import put_categories
from tests.requests.test_api import LETTER, PDF, form
from tests.web.test_login import People, csrf, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # pages and guards: the storage does not matter
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
BASE = "/api/v1/tenants/demo"
URBA = {**LETTER, "category": "urbanisme", "subject": "Permis de construire d'un abri de jardin",
        "body": "Bonjour, quelles pièces joindre pour un abri de 12 m² ?",
        "person": {**LETTER["person"], "first_name": "Bruno", "last_name": "Carré", "email": "bruno@example.fr"}}  # type: ignore[dict-item]


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def file(http: httpx.AsyncClient, letter: dict[str, object], *files: tuple[str, bytes]) -> dict[str, str]:
    answer = await http.post(f"{BASE}/requests", **form(letter, *files)) if files else await http.post(
        f"{BASE}/requests", json=letter)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_device_token_or_a_stranger_is_sent_to_sign_in(http: httpx.AsyncClient, stack: Stack) -> None:
    """Without a session (a kiosk's token is none) the list, a request and its files all send to the sign-in page."""
    made = await file(http, LETTER, ("plan.pdf", PDF))
    for path in ("/demandes", f"/demandes/{made['id']}", f"/demandes/{made['id']}/fichiers/1"):
        answer = await http.get(path, headers=stack.auth("kiosk"))
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")
        assert "Lefèvre" not in answer.text


async def test_another_collectivitys_agent_finds_nothing(http: httpx.AsyncClient, people: People,  # noqa: F811
                                                         stack: Stack) -> None:
    """An agent of another tenant sees an empty list, and the demo's request is unknown to them (404)."""
    made = await file(http, LETTER)
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
    await sign_in(http, login="zoe")
    listed = await http.get("/demandes")
    assert listed.status_code == 200
    assert made["reference"] not in listed.text and "Lefèvre" not in listed.text
    assert (await http.get(f"/demandes/{made['id']}")).status_code == 404
    moved = await http.post(f"{BASE}/requests/{made['id']}/category", json={"category": "autre"},
                            headers=await csrf(http))
    assert moved.status_code == 404


async def test_the_list_shows_the_requests_newest_first_and_filters_them(http: httpx.AsyncClient,
                                                                         people: People) -> None:  # noqa: F811
    """Two requests listed newest first; the category, the service, the status and the search each narrow it."""
    first = await file(http, LETTER)
    second = await file(http, URBA)
    await sign_in(http)
    page = (await http.get("/demandes")).text
    assert page.index(second["reference"]) < page.index(first["reference"])
    assert 'href="/demandes" aria-current="page"' in page
    for query, kept, gone in (({"category": "voirie"}, first, second),
                              ({"service": "Service urbanisme"}, second, first),
                              ({"q": "carré"}, second, first),
                              ({"q": "défoncé"}, first, second),
                              ({"status": "closed"}, None, first)):
        answer = await http.get("/demandes", params=query)
        assert answer.status_code == 200
        if kept:
            assert kept["reference"] in answer.text, query
        assert gone["reference"] not in answer.text, query


async def test_an_agent_opens_a_request_and_its_read_is_audited(http: httpx.AsyncClient, people: People,  # noqa: F811
                                                                stack: Stack) -> None:
    """The request's page shows its sender, due date, files and reply templates filled with its reference; the
    read and the download are in the audit log."""
    made = await file(http, LETTER, ("plan.pdf", PDF))
    await sign_in(http)
    page = await http.get(f"/demandes/{made['id']}")
    assert page.status_code == 200
    assert "anne@example.fr" in page.text and "Lefèvre" in page.text
    assert "30 mars 2026" in page.text  # ten business days after Monday 16 March
    assert f"Votre demande {made['reference']}" in page.text or made["reference"] in page.text
    download = await http.get(f"/demandes/{made['id']}/fichiers/1")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    audit = await http.get("/api/v1/audit", headers=stack.auth("admin"))
    actions = [(e["action"], e["target"]) for e in audit.json()]
    assert ("request.read", made["reference"]) in actions
    assert ("request.file", made["reference"]) in actions


async def test_an_internal_note_is_not_shown_to_the_holder_of_the_id(http: httpx.AsyncClient,
                                                                      people: People) -> None:  # noqa: F811
    """Staff see the note on the request's page, marked internal; the holder's read of the request has no trace."""
    made = await file(http, LETTER)
    await sign_in(http)
    noted = await http.post(f"{BASE}/requests/{made['id']}/messages",
                            json={"body": "Voir avec la voirie jeudi", "internal": True}, headers=await csrf(http))
    assert noted.status_code == 201, noted.text
    page = await http.get(f"/demandes/{made['id']}")
    assert "Voir avec la voirie jeudi" in page.text and 'class="message staff internal"' in page.text
    async with httpx.AsyncClient(transport=http._transport, base_url="http://testserver") as holder:
        seen = await holder.get(f"{BASE}/requests/{made['id']}")
    assert seen.status_code == 200
    assert "Voir avec la voirie" not in seen.text


async def test_an_agent_hands_a_request_to_another_service(http: httpx.AsyncClient, people: People,  # noqa: F811
                                                           stack: Stack) -> None:
    """Moving the request to the category "urbanisme" puts it in that service's list; audited."""
    made = await file(http, LETTER)
    await sign_in(http)
    moved = await http.post(f"{BASE}/requests/{made['id']}/category", json={"category": "urbanisme"},
                            headers=await csrf(http))
    assert moved.status_code == 200, moved.text
    assert moved.json()["category"] == "urbanisme"
    listed = await http.get("/demandes", params={"service": "Service urbanisme"})
    assert made["reference"] in listed.text
    unknown = await http.post(f"{BASE}/requests/{made['id']}/category", json={"category": "nulle-part"},
                              headers=await csrf(http))
    assert unknown.status_code == 422

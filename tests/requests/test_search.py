"""Staff's search of the requests over HTTP, on every storage stack (``GET …/requests?q=`` and the page
``/demandes?q=``): French words found whatever their form and accents, in the subject, the messages (internal notes
included), the sender and the reference; kept current when a message is added or the request changes category; the
best first, each with an excerpt on the page; the requests filed before the search existed indexed by its
migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.requests.service import Requests
from queue_server.settings import load_settings
from tests.conftest import EXTERNAL_DB, Stack, drop_postgres_database, fresh_postgres_database
from tests.requests.test_api import LETTER
from tests.web.test_login import People, csrf, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
BASE = "/api/v1/tenants/demo"
PASSPORT = {**LETTER, "category": "etat-civil", "subject": "Passeport perdu",
            "body": "Bonjour, j'ai perdu le passeport de ma fille lors d'un voyage à Rome. Que faire ?",
            "person": {**LETTER["person"], "first_name": "Élodie", "last_name": "Garçon",  # type: ignore[dict-item]
                       "email": "elodie@example.fr"}}
SCHOOL = {**LETTER, "category": "autre", "subject": "Inscription à l'école",
          "body": "Nous avons déménagé en février ; comment inscrire notre fils ? Il avait un passeport culture.",
          "organisation": {"name": "Association des parents d'élèves", "rna": "W123456789"}}


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app
    from tests.requests.support import put_categories

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def filed(http: httpx.AsyncClient, letter: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post(f"{BASE}/requests", json=letter)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def found(http: httpx.AsyncClient, stack: Stack, q: str, **params: str) -> list[str]:
    answer = await http.get(f"{BASE}/requests", params={"q": q, **params}, headers=stack.auth("agent"))
    assert answer.status_code == 200, answer.text
    return [item["reference"] for item in answer.json()["items"]]


async def test_words_are_found_whatever_their_form(http: httpx.AsyncClient, stack: Stack) -> None:
    """Plural for singular, no accents for accents, a verb for its noun, the word being typed: each finds its
    request, in the subject, the citizen's text, the sender's name or organisation."""
    passport, school = await filed(http, PASSPORT), await filed(http, SCHOOL)
    p, s = passport["reference"], school["reference"]
    assert await found(http, stack, "passeports perd") == [p]  # "perd" being typed
    assert await found(http, stack, "ecole") == [s]
    assert await found(http, stack, "déménagement ") == [s]
    assert await found(http, stack, "garcon elodie") == [p]
    assert await found(http, stack, "parents eleves") == [s]
    assert await found(http, stack, "rom") == [p]
    assert await found(http, stack, "passeport ecole ") == [s]  # every word must be found


async def test_the_subject_ranks_before_the_messages(http: httpx.AsyncClient, stack: Stack) -> None:
    """"passeport" is the subject of one request and a word of the other's letter: the subject first."""
    school, passport = await filed(http, SCHOOL), await filed(http, PASSPORT)
    assert await found(http, stack, "passeport ") == [passport["reference"], school["reference"]]
    school_first = await filed(http, {**SCHOOL, "subject": "Passeport de mon fils"})
    assert (await found(http, stack, "passeport "))[-1] == school["reference"]
    assert school_first["reference"] in await found(http, stack, "passeport ")


async def test_a_reference_is_found_whole_or_by_its_number(http: httpx.AsyncClient, stack: Stack) -> None:
    """"DEM-2026-000001", its number, or the number without its zeros."""
    first, second = await filed(http, PASSPORT), await filed(http, SCHOOL)
    assert first["reference"] == "DEM-2026-000001"
    assert await found(http, stack, "DEM-2026-000001") == [first["reference"]]
    assert await found(http, stack, "000002") == [second["reference"]]
    assert await found(http, stack, "1 ") == [first["reference"]]


async def test_messages_added_later_are_found(http: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """A reply and an internal note are searchable as soon as they are written."""
    made = await filed(http, PASSPORT)
    await sign_in(http)
    for body, internal in (("Pensez à la déclaration de perte en gendarmerie.", False),
                           ("Vérifier le cadastre jeudi", True)):
        answer = await http.post(f"{BASE}/requests/{made['id']}/messages", json={"body": body, "internal": internal},
                                 headers=await csrf(http))
        assert answer.status_code == 201, answer.text
    assert await found(http, stack, "gendarmeries") == [made["reference"]]
    assert await found(http, stack, "cadastre") == [made["reference"]]


async def test_a_request_handed_over_is_found_by_its_new_category(http: httpx.AsyncClient, stack: Stack,
                                                                  people: People) -> None:  # noqa: F811
    """The category's name is searched: after the hand-over, the new one finds the request and the old one not."""
    made = await filed(http, PASSPORT)
    assert await found(http, stack, "urbanisme") == []
    await sign_in(http)
    moved = await http.post(f"{BASE}/requests/{made['id']}/category", json={"category": "urbanisme"},
                            headers=await csrf(http))
    assert moved.status_code == 200, moved.text
    assert await found(http, stack, "urbanisme") == [made["reference"]]


async def test_the_search_narrows_the_other_filters(http: httpx.AsyncClient, stack: Stack) -> None:
    """A status or a category and words: the requests meeting both."""
    passport, school = await filed(http, PASSPORT), await filed(http, SCHOOL)
    assert await found(http, stack, "passeport", category="autre") == [school["reference"]]
    assert await found(http, stack, "passeport", status="closed") == []
    assert passport["reference"] in await found(http, stack, "passeport", status="received")


async def test_a_search_too_long_is_refused_naming_q(http: httpx.AsyncClient, stack: Stack) -> None:
    """More than 200 characters: 422, the field named."""
    answer = await http.get(f"{BASE}/requests", params={"q": "a" * 201}, headers=stack.auth("agent"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "q"


async def test_the_page_shows_the_found_words_in_an_excerpt(http: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """/demandes?q=: the request found, with the words of its letter that were found marked."""
    made = await filed(http, PASSPORT)
    other = await filed(http, SCHOOL)
    await sign_in(http)
    page = (await http.get("/demandes", params={"q": "passeports rome"})).text
    assert made["reference"] in page and other["reference"] not in page
    assert "<mark>passeport</mark> de ma fille lors d&#39;un voyage à <mark>Rome</mark>" in page


async def test_requests_filed_before_the_search_are_indexed_by_its_migration(tmp_path: Path,
                                                                             stack: Stack) -> None:
    """A database whose requests were written before migration 0022: once migrated, they are found."""
    url = (f"sqlite:///{tmp_path / 'old.sqlite3'}" if stack.settings.database_url.startswith("sqlite")
           else await fresh_postgres_database())
    settings = load_settings(database={"url": url}, server={"data_dir": tmp_path})
    engine = make_engine(settings.database_url)

    def config(connection: Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(files("queue_server.db").joinpath("migrations")))
        cfg.attributes["connection"] = connection
        return cfg

    def before_search(connection: Connection) -> None:
        cfg = config(connection)
        previous = ScriptDirectory.from_config(cfg).get_revision("0022").down_revision
        command.upgrade(cfg, str(previous))
        connection.execute(text("INSERT INTO tenants (id, name, website_origins) VALUES ('demo', 'Démoville', '[]')"))
        connection.execute(text(
            "INSERT INTO requests_categories (tenant_id, category, name, position, public, service_name, "
            "service_address, service_email, service_phone, implicit, delay_months, delay_days, appeal, answer_days) "
            "VALUES ('demo', 'etat-civil', 'État civil', 0, true, 'État civil', '', '', '', 'none', 0, 0, '', 10)"))
        connection.execute(text(
            "INSERT INTO requests (id, tenant_id, reference, category, subject, status, channel, received_at, "
            "received_on, due_on, first_name, last_name, lang, created_by, updated_at) VALUES ('r1', 'demo', "
            "'DEM-2025-000007', 'etat-civil', 'Acte de naissance', 'received', 'web', :now, '2025-12-01', "
            "'2025-12-15', 'Anne', 'Lefèvre', 'fr', 'citizen', :now)"), {"now": NOW})
        connection.execute(text("INSERT INTO requests_messages (request_id, at, author, body, internal, actor) "
                                "VALUES ('r1', :now, 'citizen', 'Pour un mariage en mairie.', false, 'citizen')"),
                           {"now": NOW})

    try:
        async with engine.begin() as conn:
            await conn.run_sync(before_search)
        await migrate(engine)
        service = Requests(sessions(engine), None, tmp_path)  # type: ignore[arg-type]  # no message sent here
        for words in ("naissances", "mariage", "lefevre", "etat civil", "DEM-2025-000007"):
            assert [row.reference for row in await service.search("demo", text=words)] == ["DEM-2025-000007"], words
    finally:
        await engine.dispose()
        if EXTERNAL_DB and url.startswith("postgresql"):
            await drop_postgres_database(url)

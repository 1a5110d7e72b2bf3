"""The requests' retention (issue 19, docs/rgpd.md): ``[requests] retention_days`` (730) after its closure a
request is purged with its messages, its files (rows and files under the data directory), the Message-IDs of its
e-mails and the outbox's copies of the e-mails sent about it; a deletion report says when, how many and which
references (never a name), read by administrators (``GET /api/v1/tenants/{tenant}/requests/purges``). A request
closed more recently, or open, stays. The server's clock is moved by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlmodel import col
from starlette.applications import Starlette

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.requests.tables import RequestAttachment, RequestMessage
from tests.conftest import Stack
from tests.requests.support import outbox, put_categories

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
BASE = "/api/v1/tenants/demo"
PURGES = f"{BASE}/requests/purges"
LETTER = {"category": "voirie", "subject": "Trottoir abîmé rue Haute",
          "body": "Bonjour, le trottoir devant le 12 rue Haute est défoncé depuis l'orage.",
          "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Clock:
    """The server's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient, Clock]]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    clock = Clock(START)
    application = create_app(stack.settings, clock=clock)
    async with (application.router.lifespan_context(application),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                  base_url="http://testserver") as client):
        yield application, client, clock


async def file_with_a_pdf(http: httpx.AsyncClient, subject: str) -> dict[str, Any]:
    answer = await http.post(f"{BASE}/requests", data={"data": orjson.dumps({**LETTER, "subject": subject}).decode()},
                             files=[("attachments", ("plan.pdf", PDF, "application/pdf"))])
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def answer_and_close(http: httpx.AsyncClient, stack: Stack, request_id: str) -> None:
    agent = stack.auth("agent")
    replied = await http.post(f"{BASE}/requests/{request_id}/messages", headers=agent,
                              json={"body": "Nos équipes sont passées.", "internal": False})
    assert replied.status_code == 201, replied.text
    closed = await http.post(f"{BASE}/requests/{request_id}/status", json={"status": "closed"}, headers=agent)
    assert closed.status_code == 200, closed.text


async def all_sent(stack: Stack, request_id: str) -> None:
    """Wait until the outbox sent every e-mail about the request (10 s at most)."""
    with anyio.fail_after(10):
        while True:
            mine = [m for m in await outbox(stack.settings) if m.key.startswith(f"request:{request_id}:")]
            if mine and all(m.status == "sent" for m in mine):
                return
            await anyio.sleep(0.05)


async def rows_of(stack: Stack, request_id: str) -> tuple[int, int, int]:
    """How many messages, attachments and outbox e-mails the request still has."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            counts = []
            for query in (select(func.count()).select_from(RequestMessage).where(
                              col(RequestMessage.request_id) == request_id),
                          select(func.count()).select_from(RequestAttachment).where(
                              col(RequestAttachment.request_id) == request_id),
                          select(func.count()).select_from(OutboxMessage).where(
                              col(OutboxMessage.key).startswith(f"request:{request_id}:"))):
                counts.append(int((await session.execute(query)).scalar_one()))
            return counts[0], counts[1], counts[2]
    finally:
        await engine.dispose()


async def test_a_request_closed_longer_than_the_retention_goes_with_a_report_and_the_others_stay(
        app: tuple[Starlette, httpx.AsyncClient, Clock], stack: Stack) -> None:
    """Closed on 16 March 2026, purged 731 days later with its messages, its file (on disk too) and its sent
    e-mails; one closed two months later and one still open stay whole; the report names the reference alone."""
    application, http, clock = app
    old = await file_with_a_pdf(http, "Trottoir abîmé rue Haute")
    await answer_and_close(http, stack, old["id"])
    later = await file_with_a_pdf(http, "Lampadaire éteint")
    still_open = await file_with_a_pdf(http, "Dépôt sauvage")
    clock.now = START + timedelta(days=60)
    await answer_and_close(http, stack, later["id"])
    await all_sent(stack, old["id"])
    folder = stack.settings.server.data_dir / "requests" / "demo"
    assert (folder / old["id"] / "1").is_file()

    reports = await application.state.requests_retention.purge(START + timedelta(days=731))
    assert reports == [{"tenant": "demo", "before": (START + timedelta(days=1)).isoformat(), "requests": 1,
                        "references": [old["reference"]]}]
    assert (await http.get(f"{BASE}/requests/{old['id']}", headers=stack.auth("agent"))).status_code == 404
    assert await rows_of(stack, old["id"]) == (0, 0, 0)
    assert not (folder / old["id"]).exists()
    for kept in (later, still_open):
        answer = await http.get(f"{BASE}/requests/{kept['id']}", headers=stack.auth("agent"))
        assert answer.status_code == 200 and answer.json()["person"]["last_name"] == "Lefèvre"
        assert len(answer.json()["attachments"]) == 1 and (folder / kept["id"] / "1").is_file()
    [report] = (await http.get(PURGES, headers=stack.auth("admin"))).json()["items"]
    assert (report["requests"], report["references"]) == (1, [old["reference"]])
    assert report["at"].startswith((START + timedelta(days=731)).date().isoformat())
    assert "Lefèvre" not in orjson.dumps(report).decode() and "anne@" not in orjson.dumps(report).decode()


async def test_a_reopened_request_is_not_purged_and_nothing_due_writes_no_report(
        app: tuple[Starlette, httpx.AsyncClient, Clock], stack: Stack) -> None:
    """Closed, then reopened (in progress): its old closure counts for nothing; no request due, no report."""
    application, http, _clock = app
    reopened = await file_with_a_pdf(http, "Trottoir abîmé rue Haute")
    await answer_and_close(http, stack, reopened["id"])
    again = await http.post(f"{BASE}/requests/{reopened['id']}/status", json={"status": "in_progress"},
                            headers=stack.auth("agent"))
    assert again.status_code == 200, again.text
    assert await application.state.requests_retention.purge(START + timedelta(days=800)) == []
    assert (await http.get(f"{BASE}/requests/{reopened['id']}", headers=stack.auth("agent"))).status_code == 200
    assert (await http.get(PURGES, headers=stack.auth("admin"))).json() == {"items": []}


async def test_one_run_per_period_whatever_the_processes(app: tuple[Starlette, httpx.AsyncClient, Clock]) -> None:
    """The lifespan's job ran at start: another round within ``purge_every_s`` does nothing (``None``)."""
    application, _http, _clock = app
    retention = application.state.requests_retention
    with anyio.fail_after(5):
        while not await retention.redis.exists(retention.key):
            await anyio.sleep(0.05)
    assert await retention.run_once() is None


async def test_the_deletion_reports_are_for_administrators(app: tuple[Starlette, httpx.AsyncClient, Clock],
                                                           stack: Stack) -> None:
    """An agent or a supervisor is refused (403), another collectivity is unknown (404), a citizen must sign in."""
    _application, http, _clock = app
    for role in ("agent", "supervisor"):
        assert (await http.get(PURGES, headers=stack.auth(role))).status_code == 403
    assert (await http.get("/api/v1/tenants/autre/requests/purges", headers=stack.auth("admin"))).status_code == 404
    assert (await http.get(PURGES)).status_code == 401

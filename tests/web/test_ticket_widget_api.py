"""The ticket widget's endpoints and the ticket page's "I will not come" over HTTP, without credentials."""

from __future__ import annotations

import httpx
import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.queue.remote import RemoteTickets
from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_a_site_that_does_not_allow_it_refuses_tickets_from_home(stack: Stack) -> None:
    """The setting off: the figures say so, the widget has no button and a ticket from home is a 403."""
    from queue_server.web.app import create_app

    engine = make_engine(stack.settings.database_url)
    try:
        assert await RemoteTickets(sessions(engine)).set("demo", False, by="test")
    finally:
        await engine.dispose()
    app = create_app(stack.settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://guichet.test") as client:
        assert (await client.get("/api/v1/sites/demo/waiting")).json()["remote_tickets"] is False
        page = await client.get("/ticket-widget?site=demo&lang=fr")
        assert page.status_code == 200 and "data-take" not in page.text
        answer = await client.post("/api/v1/sites/demo/remote-tickets", json={"service": "etat-civil"})
        assert_problem(answer, 403)
        assert answer.json()["type"] == "/problems/remote-tickets-off"


async def test_a_ticket_from_home_is_issued_once_per_attempt(client: httpx.AsyncClient, desk: Desk) -> None:
    """The demo allows it: 201 with the public ticket, the same Idempotency-Key gives it again (200), the figures
    count it."""
    headers = {"Idempotency-Key": "attempt-1"}
    first = await client.post("/api/v1/sites/demo/remote-tickets", json={"service": "passeports", "lang": "es"},
                              headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["number"] == "B001" and "party" not in first.json()
    again = await client.post("/api/v1/sites/demo/remote-tickets", json={"service": "passeports", "lang": "es"},
                              headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    figures = (await client.get("/api/v1/sites/demo/waiting?lang=fr")).json()
    assert {s["id"]: s["waiting"] for s in figures["services"]}["passeports"] == 1
    assert figures["hours_today"]["text"] == "Ouvert toute la journée" or figures["hours_today"]["spans"] is not None


async def test_a_ticket_from_home_is_refused_outside_the_hours(client: httpx.AsyncClient, stack: Stack) -> None:
    """A site closed every day: 409 service-closed, as at the kiosk, and nothing issued."""
    closed = await client.put("/api/v1/sites/demo/hours", json={"weekly": {}, "public_holidays": None},
                              headers=stack.auth("admin"))
    assert closed.status_code == 200, closed.text
    answer = await client.post("/api/v1/sites/demo/remote-tickets", json={"service": "etat-civil"})
    assert_problem(answer, 409)
    assert answer.json()["type"] == "/problems/service-closed" and "opens_at" in answer.json()
    figures = (await client.get("/api/v1/sites/demo/waiting")).json()
    assert all(not s["open_now"] and s["waiting"] == 0 for s in figures["services"])


async def test_the_holder_withdraws_a_waiting_ticket_from_its_own_page_only(client: httpx.AsyncClient,
                                                                            desk: Desk) -> None:
    """Another website's page cannot make a browser withdraw it (403); from this server's page it is cancelled and
    leaves the queue; withdrawn again, or once called, it is a 409."""
    ticket = await desk.issue()
    url = f"/api/v1/sites/demo/tickets/{ticket['id']}/withdraw"
    assert_problem(await client.post(url, headers={"Origin": "https://evil.example"}), 403)
    answer = await client.post(url, headers={"Origin": "http://testserver"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    assert (await desk.state())["services"][0]["waiting"] == 0
    assert_problem(await client.post(url), 409)
    called = await desk.issue()
    await desk.called("1")
    assert_problem(await client.post(f"/api/v1/sites/demo/tickets/{called['id']}/withdraw"), 409)
    assert_problem(await client.post("/api/v1/sites/demo/tickets/nope/withdraw"), 404)

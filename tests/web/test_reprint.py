"""POST /api/v1/sites/{site}/tickets/{id}/reprint: staff have a ticket printed again at a kiosk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.tokens import create_token, revoke_token
from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import Desk, assert_problem, assert_ticket
from tests.web.test_printer_status import Hall, received

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


@pytest.fixture
async def hall(stack: Stack) -> AsyncIterator[Hall]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Hall(Desk(http, stack), app.state.queue)


async def reprint(desk: Desk, ticket_id: str, role: str = "agent", **body: Any) -> httpx.Response:
    return await desk.act(ticket_id, "reprint", role, json=body or None)


async def another_kiosk(stack: Stack, revoked: bool = False) -> int:
    """The token id of a second kiosk of the demo site (revoked at once if asked)."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            token_id, _ = await create_token(session, "demo", "kiosk", "hall B")
            if revoked:
                await revoke_token(session, token_id)
    finally:
        await engine.dispose()
    return token_id


async def test_a_reprint_goes_to_the_kiosk_that_issued_the_ticket(hall: Hall) -> None:
    """The answer is the Ticket; the live feed carries ticket.reprinted with the ticket, that kiosk and its
    language, to every role."""
    kiosk = await hall.kiosk_id()
    ticket = await hall.desk.issue(lang="en")
    display, agent = await hall.listen("display"), await hall.listen("agent")
    response = await reprint(hall.desk, ticket["id"])
    assert response.status_code == 200, response.text
    assert_ticket(response.json())
    assert (response.json()["id"], response.json()["status"]) == (ticket["id"], "waiting")
    for subscriber in (display, agent):
        [message] = [m for m in received(subscriber) if m["type"] == "ticket.reprinted"]
        assert message["data"]["kiosk"] == kiosk and message["data"]["lang"] == "en"
        assert message["data"]["ticket"]["id"] == ticket["id"]
        assert_ticket(message["data"]["ticket"])


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
async def test_staff_may_reprint_at_another_kiosk_of_the_site(hall: Hall, role: str) -> None:
    """A kiosk named in the body prints it, even a ticket that staff issued."""
    other = await another_kiosk(hall.desk.stack)
    ticket = await hall.desk.issue(role="agent")
    feed = await hall.listen("kiosk")
    response = await reprint(hall.desk, ticket["id"], role, kiosk=other)
    assert response.status_code == 200, response.text
    assert [m["data"]["kiosk"] for m in received(feed) if m["type"] == "ticket.reprinted"] == [other]


async def test_a_ticket_issued_by_staff_needs_a_kiosk(hall: Hall) -> None:
    """Without a kiosk named, a ticket issued at a counter cannot be reprinted: 409 saying so."""
    ticket = await hall.desk.issue(role="agent")
    body = assert_problem(await reprint(hall.desk, ticket["id"]), 409)
    assert "which kiosk" in body["detail"]


@pytest.mark.parametrize("kiosk", ["display", "revoked", "unknown", "other site"])
async def test_a_kiosk_that_is_not_a_live_kiosk_of_the_site_is_404(hall: Hall, neighbours: Neighbours,
                                                                  kiosk: str) -> None:
    """Only a live kiosk of this site can be asked to print: a display, a revoked or unknown token, a kiosk of
    another site are a kiosk the site does not have, 404 naming the field."""
    if kiosk == "display":
        me = await hall.desk.client.get("/api/v1/me", headers=hall.desk.stack.auth("display"))
        target = int(me.json()["token_id"])
    elif kiosk == "revoked":
        target = await another_kiosk(hall.desk.stack, revoked=True)
    elif kiosk == "unknown":
        target = 999_999
    else:
        me = await hall.desk.client.get("/api/v1/me", headers=neighbours.auth("annexe", "kiosk"))
        target = int(me.json()["token_id"])
    ticket = await hall.desk.issue()
    body = assert_problem(await reprint(hall.desk, ticket["id"], kiosk=target), 404, kiosk)
    assert body["type"] == "/problems/unknown-kiosk" and body["errors"][0]["field"] == "kiosk"


@pytest.mark.parametrize("kiosk", ["12", 1.5, 0, -3, 2**40, True])
async def test_a_kiosk_that_is_not_a_token_id_is_422(hall: Hall, kiosk: Any) -> None:
    """The kiosk is a positive integer token id, never a string, float or boolean."""
    ticket = await hall.desk.issue()
    assert_problem(await reprint(hall.desk, ticket["id"], kiosk=kiosk), 422, kiosk)


@pytest.mark.parametrize("step", ["called", "serving"])
async def test_a_ticket_called_or_being_served_can_be_reprinted(hall: Hall, step: str) -> None:
    """A reprint is allowed until the visit ends, and leaves the ticket as it was."""
    ticket = await hall.desk.issue()
    await hall.desk.called()
    if step == "serving":
        await hall.desk.act(ticket["id"], "start")
    response = await reprint(hall.desk, ticket["id"])
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["counter"]) == (step, "1")


@pytest.mark.parametrize("end", ["finish", "no-show", "cancel"])
async def test_a_ticket_whose_visit_ended_is_409(hall: Hall, end: str) -> None:
    """A done, no-show or cancelled ticket is not reprinted."""
    ticket = await hall.desk.issue()
    if end != "cancel":
        await hall.desk.called()
        if end == "finish":
            await hall.desk.act(ticket["id"], "start")
    assert (await hall.desk.act(ticket["id"], end)).status_code == 200
    assert_problem(await reprint(hall.desk, ticket["id"]), 409, end)


async def test_an_unknown_ticket_is_404(hall: Hall) -> None:
    """A ticket the site does not have is not found."""
    assert_problem(await reprint(hall.desk, "x" * 22), 404)


@pytest.mark.parametrize("role", ["kiosk", "display"])
async def test_devices_cannot_ask_for_a_reprint(hall: Hall, role: str) -> None:
    """Kiosks and displays get 403: reprinting is a counter's decision."""
    ticket = await hall.desk.issue()
    assert_problem(await reprint(hall.desk, ticket["id"], role), 403, role)


async def test_a_body_that_is_not_json_is_400(hall: Hall) -> None:
    """A malformed body is refused before anything happens."""
    ticket = await hall.desk.issue()
    response = await hall.desk.act(ticket["id"], "reprint", content=b"{kiosk")
    assert_problem(response, 400)

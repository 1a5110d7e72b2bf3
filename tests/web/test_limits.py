"""Rate limits with their default settings: kiosks and anonymous readers cannot flood the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from queue_server.settings import LimitSettings
from tests.conftest import Stack
from tests.web.support import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity and limits: the same on every backend
URL = "/api/v1/sites/demo/tickets"


@pytest.fixture
async def limited(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the default limits (the shared fixture turns them off for the contract suite)."""
    from queue_server.web.app import create_app

    settings = stack.settings.model_copy(update={"limits": LimitSettings()})
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://testserver") as http:
        yield http


async def test_a_kiosk_gets_30_tickets_a_minute_then_429(limited: httpx.AsyncClient, stack: Stack) -> None:
    """The 31st ticket of a kiosk within a minute is refused with 429 and Retry-After, and issues
    nothing; an agent issuing for a visitor is not limited."""
    numbers = [(await limited.post(URL, json={"service": "etat-civil"}, headers=stack.auth("kiosk"))).status_code
               for _ in range(30)]
    assert numbers == [201] * 30
    refused = await limited.post(URL, json={"service": "etat-civil"}, headers=stack.auth("kiosk"))
    problem = assert_problem(refused, 429)
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "30" in problem["detail"]
    by_agent = await limited.post(URL, json={"service": "etat-civil"}, headers=stack.auth("agent"))
    assert by_agent.status_code == 201 and by_agent.json()["number"] == "A031"


async def test_anonymous_ticket_reads_are_limited_per_address(limited: httpx.AsyncClient, stack: Stack) -> None:
    """A ticket page may be read 600 times a minute from one address (a phone polls far less), then 429."""
    ticket = (await limited.post(URL, json={"service": "etat-civil"}, headers=stack.auth("agent"))).json()
    for _ in range(600):
        assert (await limited.get(f"{URL}/{ticket['id']}")).status_code == 200
    assert_problem(await limited.get(f"{URL}/{ticket['id']}"), 429)

"""GET /api/v1/sites/{site}/tickets/{id}: a citizen follows a ticket with nothing but its id."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ROLES, Stack
from tests.web.conftest import Neighbours
from tests.web.support import Desk, assert_problem, assert_ticket

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_anyone_holding_the_id_reads_the_ticket(client: httpx.AsyncClient, desk: Desk) -> None:
    """No token is needed: the unguessable id is the key."""
    issued = await desk.issue()
    response = await client.get(f"/api/v1/sites/demo/tickets/{issued['id']}")
    assert response.status_code == 200, response.text
    assert_ticket(response.json())
    assert response.json() == issued


async def test_every_role_reads_the_ticket(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """A token, whatever its role, does not get in the way."""
    issued = await desk.issue()
    for role in ROLES:
        response = await client.get(f"/api/v1/sites/demo/tickets/{issued['id']}", headers=stack.auth(role))
        assert response.status_code == 200, (role, response.text)


async def test_position_decreases_as_others_are_called(desk: Desk) -> None:
    """The position is live: each call of a ticket ahead brings it one place closer."""
    await desk.issue()
    await desk.issue()
    mine = await desk.issue()
    positions = [(await desk.ticket(mine["id"]))["position"]]
    for counter in ("1", "2"):
        await desk.called(counter)
        positions.append((await desk.ticket(mine["id"]))["position"])
    assert positions == [positions[0], positions[0] - 1, positions[0] - 2]
    assert positions[0] == 2


async def test_wait_estimate_shrinks_as_others_are_called(desk: Desk) -> None:
    """With the same counters at work, the estimated wait goes down with the position."""
    await desk.counter("1", "open")
    await desk.issue()
    mine = await desk.issue()
    before = (await desk.ticket(mine["id"]))["estimated_wait_s"]
    await desk.called()
    after = (await desk.ticket(mine["id"]))["estimated_wait_s"]
    assert isinstance(before, int) and isinstance(after, int)
    assert after < before


async def test_a_called_ticket_has_no_position(desk: Desk) -> None:
    """Once called, a ticket shows its counter and call time instead of a position."""
    issued = await desk.issue()
    await desk.called("3")
    ticket = await desk.ticket(issued["id"])
    assert ticket["status"] == "called"
    assert ticket["position"] is None
    assert ticket["counter"] == "3"
    assert ticket["called_at"] is not None


async def test_unknown_ticket_is_404(client: httpx.AsyncClient) -> None:
    """An id that was never issued is not found."""
    response = await client.get("/api/v1/sites/demo/tickets/Zm9vYmFyYmF6cXV4cXV1eA")
    assert_problem(response, 404)


async def test_ticket_of_another_site_is_404(client: httpx.AsyncClient, desk: Desk,
                                             neighbours: Neighbours) -> None:
    """A demo ticket asked under the annexe does not exist there."""
    issued = await desk.issue()
    response = await client.get(f"/api/v1/sites/annexe/tickets/{issued['id']}")
    assert_problem(response, 404)


async def test_ticket_under_an_unknown_site_is_404(client: httpx.AsyncClient, desk: Desk) -> None:
    """A real id under a site that does not exist is not found."""
    issued = await desk.issue()
    assert_problem(await client.get(f"/api/v1/sites/nowhere/tickets/{issued['id']}"), 404)


async def test_unknown_ticket_and_wrong_site_look_alike(client: httpx.AsyncClient, desk: Desk,
                                                        neighbours: Neighbours) -> None:
    """Existence never leaks: both refusals are the same problem."""
    issued = await desk.issue()
    elsewhere = await client.get(f"/api/v1/sites/annexe/tickets/{issued['id']}")
    unknown = await client.get("/api/v1/sites/annexe/tickets/Zm9vYmFyYmF6cXV4cXV1eA")
    assert elsewhere.json() == unknown.json()

"""POST /api/v1/sites/{site}/counters/{counter}/next: a counter calls the next citizen."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import ISO_UTC, Desk, assert_problem, assert_ticket

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_next_answers_the_called_ticket(desk: Desk) -> None:
    """The answer is the ticket, now called to this counter, with its call time."""
    issued = await desk.issue()
    response = await desk.call_next("2")
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert_ticket(ticket)
    assert ticket["id"] == issued["id"]
    assert ticket["status"] == "called"
    assert ticket["counter"] == "2"
    assert ISO_UTC.match(ticket["called_at"])
    assert ticket["position"] is None


async def test_next_is_204_when_nobody_waits(desk: Desk) -> None:
    """An empty queue answers 204 with no body."""
    response = await desk.call_next()
    assert response.status_code == 204
    assert response.content == b""


async def test_next_calls_in_order_of_arrival(desk: Desk) -> None:
    """Within a service, the oldest ticket is called first."""
    first, second = await desk.issue(), await desk.issue()
    assert (await desk.called("1"))["id"] == first["id"]
    assert (await desk.called("2"))["id"] == second["id"]


async def test_priority_tickets_are_called_first(desk: Desk) -> None:
    """A priority ticket overtakes ordinary ones of its service."""
    await desk.issue()
    urgent = await desk.issue(priority=True)
    assert (await desk.called())["id"] == urgent["id"]


async def test_services_body_narrows_the_call(desk: Desk) -> None:
    """``{"services": [...]}`` calls only from those services."""
    await desk.issue("etat-civil")
    passport = await desk.issue("passeports")
    response = await desk.call_next(json={"services": ["passeports"]})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == passport["id"]


async def test_narrowed_call_is_204_when_those_services_are_empty(desk: Desk) -> None:
    """Others waiting elsewhere do not count when the counter asked for one service."""
    await desk.issue("etat-civil")
    response = await desk.call_next(json={"services": ["urbanisme"]})
    assert response.status_code == 204


async def test_empty_object_body_means_every_service(desk: Desk) -> None:
    """``{}`` is the same as no body."""
    issued = await desk.issue("urbanisme")
    response = await desk.call_next(json={})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == issued["id"]


async def test_a_counter_cannot_call_twice_without_serving(desk: Desk) -> None:
    """While its called citizen has not come, a counter cannot call another: 409, saying why."""
    await desk.issue()
    called = await desk.called()
    await desk.issue()
    response = await desk.call_next()
    detail = assert_problem(response, 409)["detail"]
    assert called["number"] in detail


async def test_next_finishes_the_visit_in_progress(desk: Desk) -> None:
    """Calling the next citizen while serving one finishes that visit."""
    first = await desk.issue()
    await desk.issue()
    await desk.called()
    await desk.act(first["id"], "start")
    await desk.called()
    assert (await desk.ticket(first["id"]))["status"] == "done"


async def test_invalid_next_body_is_422(desk: Desk) -> None:
    """A well-formed but invalid body is 422: an empty list, a string, a number, an unknown key."""
    for body in ({"services": []}, {"services": "etat-civil"}, {"services": [42]},
                 {"services": ["etat-civil"], "all": True}, {"service": "etat-civil"}):
        assert_problem(await desk.call_next(json=body), 422, body)


async def test_malformed_next_body_is_400(desk: Desk) -> None:
    """A body that is not a JSON object is 400."""
    for content in (b"{services", b"[]", b"null"):
        response = await desk.call_next(content=content)
        assert_problem(response, 400, content)


async def test_next_for_an_unknown_service_is_404(desk: Desk) -> None:
    """Narrowing to a service the site does not have names it in a 404."""
    response = await desk.call_next(json={"services": ["piscine"]})
    assert "piscine" in assert_problem(response, 404)["detail"]


async def test_unknown_counter_is_404(desk: Desk) -> None:
    """A counter the site does not have is not found."""
    await desk.issue()
    response = await desk.call_next("99")
    assert "99" in assert_problem(response, 404)["detail"]


async def test_devices_cannot_call(desk: Desk) -> None:
    """Kiosks and displays are refused with 403, and nobody is called."""
    issued = await desk.issue()
    for role in ("kiosk", "display"):
        assert_problem(await desk.call_next(role=role), 403, role)
    assert (await desk.ticket(issued["id"]))["status"] == "waiting"


async def test_supervisors_and_admins_may_call(desk: Desk) -> None:
    """Every staff role may call."""
    for counter, role in (("2", "supervisor"), ("3", "admin")):
        await desk.issue()
        assert (await desk.call_next(counter, role=role)).status_code == 200, role


async def test_next_without_token_is_401(client: httpx.AsyncClient) -> None:
    """Calling needs credentials."""
    assert_problem(await client.post("/api/v1/sites/demo/counters/1/next"), 401)


async def test_next_with_a_token_of_another_site_is_403(client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """An annexe agent cannot call at the town hall."""
    response = await client.post("/api/v1/sites/demo/counters/1/next", headers=neighbours.auth("annexe", "agent"))
    assert_problem(response, 403)


async def test_next_with_a_token_of_another_tenant_is_404(client: httpx.AsyncClient,
                                                          neighbours: Neighbours) -> None:
    """For another tenant, the demo site does not exist."""
    response = await client.post("/api/v1/sites/demo/counters/1/next",
                                 headers=neighbours.auth("ailleurs", "agent"))
    assert_problem(response, 404)


async def test_next_at_an_unknown_site_is_404(client: httpx.AsyncClient, stack: Stack) -> None:
    """A site that does not exist is not found."""
    assert_problem(await client.post("/api/v1/sites/nowhere/counters/1/next", headers=stack.auth("admin")), 404)

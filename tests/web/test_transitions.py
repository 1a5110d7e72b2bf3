"""What happens to a ticket after its call: recall, start, finish, no-show, cancel, requeue, transfer,
a call out of turn, and the counters' open, pause and close."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from queue_server.queue.codec import parse_iso
from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import Desk, assert_problem, assert_ticket

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

TICKET_ACTIONS = ("recall", "start", "finish", "no-show", "cancel", "requeue", "transfer", "call")
BODIES: dict[str, dict[str, Any]] = {"transfer": {"service": "passeports"}, "call": {"counter": "2"}}


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    ticket = dict(response.json())
    assert_ticket(ticket)
    return ticket


# The happy path ----------------------------------------------------------------------------------


async def test_recall_keeps_the_ticket_called(desk: Desk) -> None:
    """A recall announces the ticket again; it stays called at the same counter."""
    await desk.issue()
    called = await desk.called()
    ticket = await _ok(await desk.act(called["id"], "recall"))
    assert (ticket["status"], ticket["counter"]) == ("called", "1")
    assert ticket["recalls"] == 1


async def test_start_serves_a_called_ticket(desk: Desk) -> None:
    """Starting turns a called ticket into one being served."""
    await desk.issue()
    called = await desk.called()
    assert (await _ok(await desk.act(called["id"], "start")))["status"] == "serving"


async def test_finish_ends_a_visit(desk: Desk) -> None:
    """Finishing a served ticket makes it done."""
    await desk.issue()
    called = await desk.called()
    await desk.act(called["id"], "start")
    assert (await _ok(await desk.act(called["id"], "finish")))["status"] == "done"


async def test_no_show_marks_a_called_ticket(desk: Desk) -> None:
    """A called citizen who does not come is a no-show, and the counter is free again."""
    await desk.issue()
    called = await desk.called()
    assert (await _ok(await desk.act(called["id"], "no-show")))["status"] == "no_show"
    await desk.issue()
    assert (await desk.call_next()).status_code == 200


async def test_cancel_removes_a_waiting_ticket(desk: Desk) -> None:
    """A cancelled ticket leaves the queue."""
    issued = await desk.issue()
    ticket = await _ok(await desk.act(issued["id"], "cancel"))
    assert (ticket["status"], ticket["position"]) == ("cancelled", None)
    assert (await desk.call_next()).status_code == 204


async def test_requeue_puts_a_no_show_back_in_line(desk: Desk) -> None:
    """A no-show who turns up late waits again."""
    await desk.issue()
    called = await desk.called()
    await desk.act(called["id"], "no-show")
    ticket = await _ok(await desk.act(called["id"], "requeue"))
    assert (ticket["status"], ticket["counter"], ticket["called_at"]) == ("waiting", None, None)
    assert isinstance(ticket["position"], int)


async def test_transfer_waits_again_in_the_new_service(desk: Desk) -> None:
    """A transferred ticket waits in the other service's queue, behind those already there."""
    await desk.issue("passeports")
    await desk.issue()
    called = await desk.called(services=["etat-civil"])
    ticket = await _ok(await desk.act(called["id"], "transfer", json={"service": "passeports"}))
    assert (ticket["service"], ticket["status"], ticket["counter"]) == ("passeports", "waiting", None)
    assert ticket["position"] == 1


async def test_transfer_to_front_goes_first(desk: Desk) -> None:
    """``to_front`` places the transferred ticket ahead of those already waiting."""
    await desk.issue("passeports")
    await desk.issue()
    called = await desk.called(services=["etat-civil"])
    ticket = await _ok(await desk.act(called["id"], "transfer", json={"service": "passeports", "to_front": True}))
    assert (ticket["service"], ticket["position"]) == ("passeports", 0)
    assert (await desk.called("2"))["id"] == called["id"]


async def test_call_out_of_turn(desk: Desk) -> None:
    """An agent may call a given waiting ticket; the ones ahead of it keep their place."""
    first = await desk.issue()
    second = await desk.issue()
    ticket = await _ok(await desk.act(second["id"], "call", json={"counter": "2"}))
    assert (ticket["status"], ticket["counter"]) == ("called", "2")
    assert (await desk.ticket(first["id"]))["position"] == 0


async def test_supervisor_and_admin_may_act(desk: Desk) -> None:
    """Every staff role may act on tickets."""
    await desk.issue()
    called = await desk.called()
    await _ok(await desk.act(called["id"], "recall", role="supervisor"))
    await _ok(await desk.act(called["id"], "start", role="admin"))


# Refusals ----------------------------------------------------------------------------------------


async def test_actions_forbidden_for_a_waiting_ticket_are_409(desk: Desk) -> None:
    """A waiting ticket cannot be recalled, started, finished, marked absent or requeued; the
    problem names the ticket and its status."""
    issued = await desk.issue()
    for action in ("recall", "start", "finish", "no-show", "requeue"):
        detail = assert_problem(await desk.act(issued["id"], action), 409, action)["detail"]
        assert issued["number"] in detail and "waiting" in detail, detail


async def test_nothing_happens_to_a_done_ticket(desk: Desk) -> None:
    """A finished visit is final: every action on it is 409, saying it is done."""
    await desk.issue()
    called = await desk.called()
    await desk.act(called["id"], "start")
    await desk.act(called["id"], "finish")
    for action in TICKET_ACTIONS:
        response = await desk.act(called["id"], action, json=BODIES.get(action))
        assert "done" in assert_problem(response, 409, action)["detail"]


async def test_cancelled_ticket_cannot_be_called_out_of_turn(desk: Desk) -> None:
    """A call out of turn needs a waiting ticket."""
    issued = await desk.issue()
    await desk.act(issued["id"], "cancel")
    detail = assert_problem(await desk.act(issued["id"], "call", json={"counter": "1"}), 409)["detail"]
    assert "cancelled" in detail


async def test_call_out_of_turn_at_a_busy_counter_is_409(desk: Desk) -> None:
    """A counter whose called citizen has not come cannot call another out of turn."""
    await desk.issue()
    await desk.called("1")
    other = await desk.issue()
    assert_problem(await desk.act(other["id"], "call", json={"counter": "1"}), 409)


async def test_unknown_ticket_is_404(desk: Desk) -> None:
    """Acting on an id that was never issued is 404, whatever the action."""
    for action in TICKET_ACTIONS:
        assert_problem(await desk.act("Zm9vYmFyYmF6cXV4cXV1eA", action, json=BODIES.get(action)), 404, action)


async def test_ticket_of_another_site_is_404_there(client: httpx.AsyncClient, desk: Desk,
                                                   neighbours: Neighbours) -> None:
    """An annexe agent acting on a demo ticket under the annexe finds nothing."""
    issued = await desk.issue()
    response = await client.post(f"/api/v1/sites/annexe/tickets/{issued['id']}/cancel",
                                 headers=neighbours.auth("annexe", "agent"))
    assert_problem(response, 404)


async def test_transfer_to_an_unknown_service_is_404(desk: Desk) -> None:
    """The target service must exist, and is named."""
    issued = await desk.issue()
    detail = assert_problem(await desk.act(issued["id"], "transfer", json={"service": "piscine"}), 404)["detail"]
    assert "piscine" in detail


async def test_transfer_to_where_it_already_waits_is_409(desk: Desk) -> None:
    """Moving a waiting ticket to its own service changes nothing and is refused: the ticket's state forbids it."""
    issued = await desk.issue()
    assert_problem(await desk.act(issued["id"], "transfer", json={"service": "etat-civil"}), 409)


async def test_call_out_of_turn_at_an_unknown_counter_is_404(desk: Desk) -> None:
    """The counter must exist."""
    issued = await desk.issue()
    assert_problem(await desk.act(issued["id"], "call", json={"counter": "99"}), 404)


async def test_invalid_bodies_are_422(desk: Desk) -> None:
    """Transfer and call refuse missing, mistyped and unknown fields."""
    issued = await desk.issue()
    for action, body in (("transfer", {}), ("transfer", {"service": "passeports", "to_front": "yes"}),
                         ("transfer", {"service": "passeports", "reason": "x"}), ("call", {}),
                         ("call", {"counter": 2})):
        assert_problem(await desk.act(issued["id"], action, json=body), 422, (action, body))
    assert (await desk.ticket(issued["id"]))["status"] == "waiting"


async def test_missing_bodies_are_400(desk: Desk) -> None:
    """Transfer and call need a body."""
    issued = await desk.issue()
    for action in ("transfer", "call"):
        assert_problem(await desk.act(issued["id"], action), 400, action)


async def test_devices_cannot_act_on_tickets(desk: Desk) -> None:
    """Every ticket action is 403 for a kiosk or a display token."""
    issued = await desk.issue()
    for role in ("kiosk", "display"):
        for action in TICKET_ACTIONS:
            response = await desk.act(issued["id"], action, role=role, json=BODIES.get(action))
            assert_problem(response, 403, (role, action))
    assert (await desk.ticket(issued["id"]))["status"] == "waiting"


async def test_ticket_actions_need_a_token(client: httpx.AsyncClient, desk: Desk) -> None:
    """Every ticket action is 401 without credentials."""
    issued = await desk.issue()
    for action in TICKET_ACTIONS:
        response = await client.post(f"/api/v1/sites/demo/tickets/{issued['id']}/{action}",
                                     json=BODIES.get(action))
        assert_problem(response, 401, action)


async def test_ticket_actions_with_another_tenants_token_are_404(client: httpx.AsyncClient, desk: Desk,
                                                                 neighbours: Neighbours) -> None:
    """Another tenant's agent cannot even learn that the site exists."""
    issued = await desk.issue()
    response = await client.post(f"/api/v1/sites/demo/tickets/{issued['id']}/cancel",
                                 headers=neighbours.auth("ailleurs", "agent"))
    assert_problem(response, 404)
    assert (await desk.ticket(issued["id"]))["status"] == "waiting"


# Counters ----------------------------------------------------------------------------------------


async def test_counter_open_pause_close(desk: Desk) -> None:
    """Each counter action answers the counter in its new status, with the agent who opened it (the
    token's name) until it closes, and the time it took that status."""
    for action, status, agent in (("open", "open", "agent"), ("pause", "paused", "agent"), ("close", "closed", None)):
        response = await desk.counter("2", action)
        assert response.status_code == 200, response.text
        body = response.json()
        since = body.pop("since")
        assert body == {"id": "2", "name": "Guichet 2", "status": status, "ticket": None, "agent": agent,
                        "pause_reason": None}
        assert abs((parse_iso(since) - datetime.now(UTC)).total_seconds()) < 60


async def test_counter_actions_show_in_the_state(desk: Desk) -> None:
    """A paused counter is paused in the site's state."""
    await desk.counter("3", "pause")
    counters = {c["id"]: c for c in (await desk.state())["counters"]}
    assert counters["3"]["status"] == "paused"


async def test_counter_action_is_idempotent(desk: Desk) -> None:
    """Opening an open counter is not an error."""
    await desk.counter("1", "open")
    assert (await desk.counter("1", "open")).status_code == 200


async def test_a_busy_counter_cannot_close(desk: Desk) -> None:
    """A counter with a citizen at it cannot close: 409, naming the ticket."""
    await desk.issue()
    called = await desk.called("4")
    detail = assert_problem(await desk.counter("4", "close"), 409)["detail"]
    assert called["number"] in detail


async def test_a_paused_counter_shows_its_ticket(desk: Desk) -> None:
    """Pausing keeps the counter's current ticket in the answer."""
    await desk.issue()
    called = await desk.called("2")
    response = await desk.counter("2", "pause")
    assert response.status_code == 200, response.text
    assert response.json()["ticket"]["id"] == called["id"]


async def test_unknown_counter_is_404(desk: Desk) -> None:
    """A counter the site does not have is not found, whatever the action."""
    for action in ("open", "pause", "close"):
        assert_problem(await desk.counter("99", action), 404, action)


async def test_devices_cannot_run_counters(desk: Desk, stack: Stack) -> None:
    """Counter actions are 403 for kiosks and displays, 401 without a token."""
    for action in ("open", "pause", "close"):
        for role in ("kiosk", "display"):
            assert_problem(await desk.counter("1", action, role=role), 403, (role, action))
        assert_problem(await desk.client.post(f"/api/v1/sites/demo/counters/1/{action}"), 401, action)

"""GET /api/v1/sites/{site}/state: the Snapshot every screen starts from."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ROLES, Stack
from tests.web.conftest import Neighbours
from tests.web.support import Desk, assert_problem, assert_ticket

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_snapshot_has_the_shape_of_api_md(desk: Desk) -> None:
    """Site, last event id, services, counters and recent calls, with their fields and types."""
    snapshot = await desk.state()
    assert {"site", "last_event_id", "services", "counters", "recent_calls"} <= snapshot.keys()
    assert snapshot["site"] == "demo"
    assert isinstance(snapshot["last_event_id"], str)
    for service in snapshot["services"]:
        assert {"id", "name", "prefix", "waiting", "estimated_wait_s"} <= service.keys()
        assert isinstance(service["name"], str) and isinstance(service["prefix"], str)
        assert isinstance(service["waiting"], int)
        assert service["estimated_wait_s"] is None or isinstance(service["estimated_wait_s"], int)
    for counter in snapshot["counters"]:
        assert {"id", "name", "status", "ticket"} <= counter.keys()
        assert counter["status"] in {"open", "paused", "closed"}
    assert snapshot["recent_calls"] == []


async def test_snapshot_lists_the_demo_services_and_counters(desk: Desk) -> None:
    """The demo site has its three services with their prefixes and counters 1 to 4."""
    snapshot = await desk.state()
    prefixes = {s["id"]: s["prefix"] for s in snapshot["services"]}
    assert {"etat-civil": "A", "passeports": "B", "urbanisme": "C"}.items() <= prefixes.items()
    assert {"1", "2", "3", "4"} <= {c["id"] for c in snapshot["counters"]}


async def test_snapshot_counts_who_waits(desk: Desk) -> None:
    """``waiting`` counts each service's waiting tickets."""
    await desk.issue("etat-civil")
    await desk.issue("etat-civil")
    await desk.issue("urbanisme")
    waiting = {s["id"]: s["waiting"] for s in (await desk.state())["services"]}
    assert waiting == {"etat-civil": 2, "passeports": 0, "urbanisme": 1}


async def test_snapshot_shows_calls(desk: Desk) -> None:
    """A called ticket is on its counter and first in the recent calls, as a full Ticket."""
    await desk.issue()
    called = await desk.called("2")
    snapshot = await desk.state()
    counters = {c["id"]: c for c in snapshot["counters"]}
    assert counters["2"]["status"] == "open"
    assert counters["2"]["ticket"]["id"] == called["id"]
    assert_ticket(counters["2"]["ticket"])
    assert [t["id"] for t in snapshot["recent_calls"]] == [called["id"]]
    assert_ticket(snapshot["recent_calls"][0])


async def test_last_event_id_moves_with_each_change(desk: Desk) -> None:
    """Each change moves ``last_event_id`` on."""
    before = (await desk.state())["last_event_id"]
    await desk.issue()
    after = (await desk.state())["last_event_id"]
    assert after != before


async def test_every_role_reads_the_state(client: httpx.AsyncClient, stack: Stack) -> None:
    """Kiosk, display, agent, supervisor and admin all read the snapshot."""
    for role in ROLES:
        response = await client.get("/api/v1/sites/demo/state", headers=stack.auth(role))
        assert response.status_code == 200, (role, response.text)


async def test_state_without_token_is_401(client: httpx.AsyncClient) -> None:
    """The state is not public: it needs a token."""
    assert_problem(await client.get("/api/v1/sites/demo/state"), 401)


async def test_state_with_a_token_of_another_site_is_403(client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """An annexe kiosk cannot read the town hall's state."""
    assert_problem(await client.get("/api/v1/sites/demo/state", headers=neighbours.auth("annexe", "kiosk")), 403)


async def test_state_with_a_token_of_another_tenant_is_404(client: httpx.AsyncClient,
                                                           neighbours: Neighbours) -> None:
    """For another tenant, the demo site does not exist."""
    response = await client.get("/api/v1/sites/demo/state", headers=neighbours.auth("ailleurs", "admin"))
    assert_problem(response, 404)


async def test_state_of_an_unknown_site_is_404(client: httpx.AsyncClient, stack: Stack) -> None:
    """A site that does not exist is not found."""
    assert_problem(await client.get("/api/v1/sites/nowhere/state", headers=stack.auth("admin")), 404)

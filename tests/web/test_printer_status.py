"""PUT /api/v1/sites/{site}/kiosks/self/printer: a kiosk's agent reports its printer; every role hears of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from queue_server.queue.hub import Subscriber
from queue_server.queue.service import QueueService
from tests.conftest import ROLES, Stack
from tests.web.support import Desk, assert_problem

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

PRINTER = "/api/v1/sites/demo/kiosks/self/printer"


@dataclass
class Hall:
    """The demo site's API, and the queue behind it (to follow the live feed in process)."""

    desk: Desk
    queue: QueueService

    async def report(self, status: Any, role: str = "kiosk") -> httpx.Response:
        return await self.desk.client.put(PRINTER, json={"status": status}, headers=self.desk.stack.auth(role))

    async def kiosk_id(self) -> int:
        me = await self.desk.client.get("/api/v1/me", headers=self.desk.stack.auth("kiosk"))
        return int(me.json()["token_id"])

    async def listen(self, role: str) -> Subscriber:
        """A live-feed subscriber of ``role`` at the demo site (its first frame, the snapshot, taken)."""
        engine = await self.queue.engine("demo")
        assert engine is not None
        subscriber, first = engine.hub.subscribe(engine.state, role, None)
        assert orjson.loads(first[0])["type"] == "snapshot"
        return subscriber


def received(subscriber: Subscriber) -> list[dict[str, Any]]:
    """The messages queued for ``subscriber`` so far (taken)."""
    out = []
    while not subscriber.outbox.empty():
        out.append(orjson.loads(subscriber.outbox.get_nowait()))
    return out


@pytest.fixture
async def hall(stack: Stack) -> AsyncIterator[Hall]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Hall(Desk(http, stack), app.state.queue)


async def test_a_kiosk_reports_its_printer_and_the_snapshot_shows_it(hall: Hall) -> None:
    """The answer names the kiosk (its token id) and the status; the snapshot lists it in ``printers``."""
    kiosk = await hall.kiosk_id()
    response = await hall.report("paper_out")
    assert response.status_code == 200, response.text
    assert response.json() == {"kiosk": kiosk, "status": "paper_out"}
    state = await hall.desk.state()
    assert state["printers"] == [{"kiosk": kiosk, "status": "paper_out"}]
    assert {"site", "last_event_id", "services", "counters", "recent_calls"} <= state.keys()


async def test_a_snapshot_with_no_report_has_no_printers(hall: Hall) -> None:
    """Before any report the snapshot's ``printers`` is an empty list."""
    assert (await hall.desk.state())["printers"] == []


async def test_every_role_hears_of_a_change_and_only_of_a_change(hall: Hall) -> None:
    """A changed status reaches every role's live feed as kiosk.printer; repeating it sends nothing."""
    kiosk = await hall.kiosk_id()
    listeners = {role: await hall.listen(role) for role in ROLES}
    await hall.report("ok")
    before = (await hall.desk.state())["last_event_id"]
    assert (await hall.report("ok")).status_code == 200
    assert (await hall.desk.state())["last_event_id"] == before
    await hall.report("cover_open")
    for role, subscriber in listeners.items():
        messages = [m for m in received(subscriber) if m["type"] == "kiosk.printer"]
        assert [m["data"] for m in messages] == [{"kiosk": kiosk, "status": "ok"},
                                                 {"kiosk": kiosk, "status": "cover_open"}], role
        assert all(m["site"] == "demo" and m["at"].endswith("Z") for m in messages)


@pytest.mark.parametrize("status", ["jammed", "OK", "", 2, None])
async def test_an_unknown_status_is_422(hall: Hall, status: Any) -> None:
    """A status outside the list is a 422 problem that names the field."""
    body = assert_problem(await hall.report(status), 422, status)
    assert body["errors"][0]["field"] == "status"


async def test_a_report_without_a_body_is_400(hall: Hall) -> None:
    """The body is required."""
    response = await hall.desk.client.put(PRINTER, headers=hall.desk.stack.auth("kiosk"))
    assert_problem(response, 400)


@pytest.mark.parametrize("role", ["display", "agent", "supervisor", "admin"])
async def test_only_a_kiosk_token_reports_a_printer(hall: Hall, role: str) -> None:
    """Every other role is refused with 403: the printer is the caller's own."""
    assert_problem(await hall.report("ok", role), 403, role)


async def test_a_report_without_credentials_is_401(hall: Hall) -> None:
    """No token, no report."""
    assert_problem(await hall.desk.client.put(PRINTER, json={"status": "ok"}), 401)

"""Appointment tickets over HTTP and the live feed: called first by /next, shown to staff with their reference,
to everyone else only as ``booked``.

The ticket is issued as the booking module's check-in issues it: through the queue's service, with the
appointment's reference (its code) and the key ``appointment:{id}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.hub import Subscriber
from queue_server.queue.protocol import wait_at
from queue_server.queue.service import QueueService, new_command_id, new_ticket_id
from tests.conftest import Stack
from tests.web.support import Desk, assert_ticket

pytestmark = pytest.mark.anyio

CODE = "K7M2QX"


@dataclass
class Hall:
    """The demo site's API, and the queue behind it (as the booking module reaches it, in process)."""

    desk: Desk
    queue: QueueService

    async def check_in(self, code: str = CODE, service: str = "etat-civil") -> dict[str, Any]:
        """Issue the ticket of appointment ``code`` exactly as the booking module's check-in does; its public view."""
        engine = await self.queue.engine("demo")
        assert engine is not None
        result = await engine.execute(c.IssueTicket(
            command_id=new_command_id(), ticket_id=new_ticket_id(), service=service, priority=False, lang="fr",
            idempotency_key=f"appointment:{code}", issued_by=None, party=None, appointment=code))
        assert result.ticket is not None
        return await self.desk.ticket(result.ticket.id)

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


async def test_next_calls_the_appointment_checked_in_after_three_walk_ins_then_the_priority_walk_in(
        hall: Hall) -> None:
    """Three walk-ins (the third a priority one) wait; a booked citizen checks in: /next calls them first, with the
    appointment's reference in the agent's answer, then the priority walk-in, then the others."""
    desk = hall.desk
    first, second = await desk.issue(), await desk.issue()
    urgent = await desk.issue(priority=True)
    booked = await hall.check_in()
    called = await desk.called("1")
    assert_ticket(called)
    assert (called["id"], called["appointment"], called["booked"]) == (booked["id"], CODE, True)
    await desk.act(called["id"], "start")
    assert (await desk.called("1"))["id"] == urgent["id"]
    await desk.act(urgent["id"], "start")
    after = await desk.called("1")
    assert (after["id"], after["appointment"], after["booked"]) == (first["id"], None, False)
    assert (await desk.ticket(second["id"]))["position"] == 0


async def test_the_positions_of_walk_ins_count_the_appointment_ticket(hall: Hall) -> None:
    """A walk-in next in line is second once a booked citizen checks in, and their estimate is that of the second
    place; the appointment ticket is first."""
    desk = hall.desk
    walk_in = await desk.issue()
    alone = await desk.ticket(walk_in["id"])
    booked = await hall.check_in()
    behind = await desk.ticket(walk_in["id"])
    assert (alone["position"], behind["position"], booked["position"]) == (0, 1, 0)
    [service] = [s for s in (await desk.state())["services"] if s["id"] == "etat-civil"]
    assert behind["estimated_wait_s"] == wait_at(1, service["seconds_per_place"]) != alone["estimated_wait_s"]
    assert booked["estimated_wait_s"] == wait_at(0, service["seconds_per_place"])  # the first place's


async def test_public_views_say_booked_and_never_carry_the_reference(hall: Hall) -> None:
    """A display's feed and snapshot, and the ticket read by its holder, say ``booked: true`` and hold no
    appointment reference anywhere; an agent's feed and snapshot hold the reference."""
    display, agent = await hall.listen("display"), await hall.listen("agent")
    booked = await hall.check_in()
    assert booked["booked"] is True and "appointment" not in booked and CODE not in str(booked)
    [public] = [m for m in received(display) if m["type"] == "ticket.issued"]
    assert public["data"]["ticket"]["booked"] is True
    assert CODE not in orjson.dumps(public).decode() and "appointment" not in orjson.dumps(public).decode()
    [staff] = [m for m in received(agent) if m["type"] == "ticket.issued"]
    assert (staff["data"]["ticket"]["appointment"], staff["data"]["ticket"]["booked"]) == (CODE, True)
    state = await hall.desk.client.get("/api/v1/sites/demo/state", headers=hall.desk.stack.auth("display"))
    assert CODE not in state.text
    queue = (await hall.desk.state("agent"))["queue"]
    assert [(t["appointment"], t["booked"]) for t in queue] == [(CODE, True)]


@pytest.mark.one_stack
async def test_the_citizens_ticket_page_says_appointment_without_the_reference(hall: Hall) -> None:
    """The ticket page of an appointment ticket says "Rendez-vous" by its number, never its code; a walk-in's
    page says nothing of the kind."""
    booked = await hall.check_in()
    walk_in = await hall.desk.issue()
    page = await hall.desk.client.get(f"/t/{booked['id']}")
    assert page.status_code == 200
    assert 'id="booked">Rendez-vous<' in page.text and CODE not in page.text
    other = await hall.desk.client.get(f"/t/{walk_in['id']}")
    assert other.status_code == 200 and 'id="booked"' not in other.text

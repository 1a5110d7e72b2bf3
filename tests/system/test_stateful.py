"""Random sequences of commands through the real engine and Redis, checked after every step
against a deliberately naive model made of lists and dicts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from redis.asyncio import Redis

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.errors import DomainError, InvalidTransition
from queue_server.queue.eventstore import EventStore
from queue_server.queue.service import SiteEngine, new_command_id, new_ticket_id

SERVICES = ("a", "b")
COUNTERS = {"1": ("a", "b"), "2": ("b",)}
CONFIG = SiteConfig(
    id="s",
    services=tuple(ServiceConfig(s, s, s.upper()) for s in SERVICES),
    counters=tuple(CounterConfig(k, k, v) for k, v in COUNTERS.items()),
)


class Model:
    """The queue as a clerk with a notebook would keep it."""

    def __init__(self) -> None:
        self.tickets: dict[str, dict[str, Any]] = {}
        self.next_number = {s: 1 for s in SERVICES}
        self.at_counter: dict[str, str | None] = {k: None for k in COUNTERS}
        self.arrivals = 0

    def waiting(self, service: str) -> list[str]:
        ids = [i for i, t in self.tickets.items() if t["status"] == "waiting" and t["service"] == service]
        return sorted(ids, key=lambda i: (not self.tickets[i]["priority"], not self.tickets[i]["front"],
                                          self.tickets[i]["arrival"]))

    def issue(self, ticket_id: str, service: str, priority: bool) -> None:
        number = f"{service.upper()}{self.next_number[service]:03d}"
        self.next_number[service] += 1
        self.arrivals += 1
        self.tickets[ticket_id] = {"service": service, "priority": priority, "front": False,
                                   "status": "waiting", "number": number, "counter": None,
                                   "arrival": self.arrivals}

    def call_next(self, counter: str) -> str | None | type[DomainError]:
        current = self.at_counter[counter]
        if current is not None and self.tickets[current]["status"] == "called":
            return InvalidTransition
        heads = [w[0] for s in COUNTERS[counter] if (w := self.waiting(s))]
        if not heads:
            return None
        if current is not None:
            self.tickets[current]["status"] = "done"
        pool = [h for h in heads if self.tickets[h]["priority"]] or heads
        chosen = min(pool, key=lambda i: self.tickets[i]["arrival"])
        self.tickets[chosen].update(status="called", counter=counter)
        self.at_counter[counter] = chosen
        return chosen

    def release(self, ticket_id: str) -> None:
        for counter, current in self.at_counter.items():
            if current == ticket_id:
                self.at_counter[counter] = None

    def act(self, action: str, ticket_id: str, **extra: Any) -> bool:
        """Apply ``action`` if the ticket's status allows it; return whether it did."""
        t = self.tickets[ticket_id]
        allowed = {"recall": {"called"}, "start": {"called"}, "finish": {"serving"},
                   "no_show": {"called"}, "cancel": {"waiting", "called"}, "requeue": {"no_show"},
                   "transfer": {"waiting", "called", "serving"}}[action]
        if t["status"] not in allowed:
            return False
        if action == "start":
            t["status"] = "serving"
        elif action in ("finish", "no_show", "cancel"):
            t["status"] = {"finish": "done", "no_show": "no_show", "cancel": "cancelled"}[action]
            self.release(ticket_id)
        elif action == "requeue":
            t.update(status="waiting", counter=None)
        elif action == "transfer":
            if t["status"] == "waiting" and t["service"] == extra["service"] and t["front"] == extra["to_front"]:
                return False
            self.release(ticket_id)
            t.update(status="waiting", counter=None, service=extra["service"], front=extra["to_front"])
        return True


ACTIONS = {"recall": c.Recall, "start": c.Start, "finish": c.Finish, "no_show": c.MarkNoShow,
           "cancel": c.Cancel, "requeue": c.Requeue}


class QueueMachine(RuleBasedStateMachine):
    redis_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
        self.prefix = f"stateful-{uuid.uuid4().hex[:10]}:"
        self.redis = Redis.from_url(self.redis_url)
        store = EventStore(self.redis, self.prefix)
        self.engine = SiteEngine(CONFIG, store, store, lambda: self.now)
        self.loop.run_until_complete(self.engine.load())
        self.writer = self.loop.create_task(self.engine.run_writer())
        self.model = Model()

    def teardown(self) -> None:
        self.writer.cancel()

        async def clean() -> None:
            keys = [k async for k in self.redis.scan_iter(match=f"{self.prefix}*")]
            if keys:
                await self.redis.delete(*keys)
            await self.redis.aclose()

        self.loop.run_until_complete(clean())
        self.loop.close()

    def run(self, command: c.Command) -> Any:
        self.now += timedelta(seconds=1)
        return self.loop.run_until_complete(self.engine.execute(command))

    @initialize()
    def start(self) -> None:
        pass

    @rule(service=st.sampled_from(SERVICES), priority=st.booleans())
    def issue(self, service: str, priority: bool) -> None:
        ticket_id = new_ticket_id()
        result = self.run(c.IssueTicket(command_id=new_command_id(), ticket_id=ticket_id, service=service,
                                        priority=priority))
        assert result.created and result.ticket.id == ticket_id
        self.model.issue(ticket_id, service, priority)
        assert result.ticket.number == self.model.tickets[ticket_id]["number"]

    @rule(counter=st.sampled_from(sorted(COUNTERS)))
    def call_next(self, counter: str) -> None:
        expected = self.model.call_next(counter)
        try:
            result = self.run(c.CallNext(command_id=new_command_id(), counter=counter))
        except InvalidTransition:
            assert expected is InvalidTransition
            return
        assert expected is not InvalidTransition
        assert (result.ticket.id if result.ticket else None) == expected

    @precondition(lambda self: bool(self.model.tickets))
    @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)))
    def act(self, data: st.DataObject, action: str) -> None:
        ticket_id = data.draw(st.sampled_from(sorted(self.model.tickets)))
        allowed = self.model.act(action, ticket_id)
        try:
            self.run(ACTIONS[action](command_id=new_command_id(), ticket_id=ticket_id))
        except InvalidTransition:
            assert not allowed, f"{action} refused but the model allows it"
            return
        assert allowed, f"{action} accepted but the model refuses it"

    @precondition(lambda self: bool(self.model.tickets))
    @rule(data=st.data(), service=st.sampled_from(SERVICES), to_front=st.booleans())
    def transfer(self, data: st.DataObject, service: str, to_front: bool) -> None:
        ticket_id = data.draw(st.sampled_from(sorted(self.model.tickets)))
        allowed = self.model.act("transfer", ticket_id, service=service, to_front=to_front)
        try:
            self.run(c.Transfer(command_id=new_command_id(), ticket_id=ticket_id, service=service,
                                to_front=to_front))
        except DomainError:
            assert not allowed
            return
        assert allowed

    @invariant()
    def same_as_model(self) -> None:
        state = self.engine.state
        for ticket_id, expected in self.model.tickets.items():
            ticket = state.tickets[ticket_id]
            assert (ticket.status, ticket.service, ticket.number) == (
                expected["status"], expected["service"], expected["number"])
            if expected["status"] in ("called", "serving"):
                assert ticket.counter == expected["counter"]
        for service in SERVICES:
            order = [state.tickets[k[-1]].id for k in state.queue(service)]
            assert order == self.model.waiting(service)
            for position, ticket_id in enumerate(order):
                assert state.position(state.tickets[ticket_id]) == position
        for counter, current in self.model.at_counter.items():
            assert state.counter(counter).ticket_id == current


@pytest.fixture(autouse=True)
def _bind_redis(valkey_url: str) -> None:
    QueueMachine.redis_url = valkey_url


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])

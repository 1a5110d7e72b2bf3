"""Ticket, counter and day events carry the figures of the services they change, so that kiosks,
displays and staff pages keep their waiting counts, estimates and served counts without asking for
the state again (no GET /state after each event)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.decide import decide
from queue_server.queue.domain.state import SiteState, evolve
from queue_server.queue.hub import event_message
from queue_server.queue.protocol import snapshot_view
from tests.domain.support import MORNING, command, new_state

T = MORNING


def run(state: SiteState, cmd: c.Command, minutes: float = 0) -> list[dict[str, Any]]:
    """Decide and fold ``cmd``; the wire message of each of its events."""
    out = []
    for i, event in enumerate(decide(state, cmd, T + timedelta(minutes=minutes))):
        evolve(state, event)
        out.append(event_message(state, f"{i}-0", event))
    return out


def figures(message: dict[str, Any]) -> dict[str, tuple[int, int | None, int]]:
    return {s["id"]: (s["waiting"], s["estimated_wait_s"], s["served"]) for s in message["data"]["services"]}


def test_each_event_carries_what_the_snapshot_would_say_of_its_services() -> None:
    """After every event of a morning, the figures it carries equal the snapshot's for those services: its own
    and those sharing a counter with it (a counter's time is shared by the work waiting in its services)."""
    state = new_state()
    ids = []
    messages = []
    for service in ("etat-civil", "etat-civil", "passeports"):
        issue = command(c.IssueTicket, service=service)
        ids.append(issue.ticket_id)
        messages += run(state, issue)
        assert figures(messages[-1]) == {s: figures_of(state, s) for s in ("etat-civil", "passeports")}
    messages += run(state, command(c.CallNext, counter="1"), 1)  # opens counter 1, calls A001
    opened, called = messages[-2:]
    assert opened["type"] == "counter.opened" and set(figures(opened)) == {"etat-civil", "passeports"}
    assert called["type"] == "ticket.called" and figures(called)["etat-civil"][0] == 1
    run(state, command(c.Start, ticket_id=ids[0]), 2)
    finished = run(state, command(c.Finish, ticket_id=ids[0]), 7)[-1]
    assert figures(finished)["etat-civil"] == figures_of(state, "etat-civil")
    assert figures(finished)["etat-civil"][2] == 1  # one visit served today
    moved = run(state, command(c.Transfer, ticket_id=ids[1], service="passeports"), 8)[-1]
    assert figures(moved) == {"etat-civil": figures_of(state, "etat-civil"),
                              "passeports": figures_of(state, "passeports")}
    assert figures(moved)["passeports"][0] == 2 and figures(moved)["etat-civil"][0] == 0


def test_a_new_day_resets_every_service() -> None:
    state = new_state()
    run(state, command(c.IssueTicket, service="etat-civil"))
    day = run(state, command(c.IssueTicket, service="passeports"), 24 * 60)[0]
    assert day["type"] == "day.started"
    assert {k: v[0] for k, v in figures(day).items()} == {"etat-civil": 0, "passeports": 0}


def figures_of(state: SiteState, service: str) -> tuple[int, int | None, int]:
    line = next(s for s in snapshot_view(state)["services"] if s["id"] == service)
    return line["waiting"], line["estimated_wait_s"], line["served"]

"""Counters open, pause and close; a counter busy with a citizen cannot close."""

from __future__ import annotations

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import InvalidTransition, NotFound
from queue_server.queue.domain.events import CounterClosed, CounterOpened, CounterPaused

from .support import MORNING, act, apply, call_next, command, issue, minutes, new_state


def test_a_counter_starts_the_day_closed() -> None:
    """Every configured counter is closed and idle until someone opens it."""
    state = new_state()
    assert {cid: (s.status, s.ticket_id) for cid, s in state.counters.items()} == {
        "1": ("closed", None), "2": ("closed", None), "3": ("closed", None),
    }


@pytest.mark.parametrize(
    ("cls", "event", "status"),
    [(c.OpenCounter, CounterOpened, "open"), (c.PauseCounter, CounterPaused, "paused")],
    ids=["open", "pause"],
)
def test_a_closed_counter_can_be_opened_or_paused(cls: type[c.Command], event: type, status: str) -> None:
    """Opening or pausing a closed counter produces the matching event and status."""
    state = new_state()
    cmd = command(cls, counter="2")
    assert apply(state, cmd, MORNING) == [event(at=MORNING, command_id=cmd.command_id, counter="2")]
    assert state.counter("2").status == status


def test_an_idle_counter_can_be_closed() -> None:
    """Closing an open counter with nobody at it produces CounterClosed."""
    state = new_state()
    apply(state, command(c.OpenCounter, counter="2"), MORNING)
    events = apply(state, command(c.CloseCounter, counter="2"), MORNING + minutes(1))
    assert [type(e) for e in events] == [CounterClosed]
    assert state.counter("2").status == "closed"


@pytest.mark.parametrize("cls", [c.OpenCounter, c.PauseCounter, c.CloseCounter], ids=lambda cls: cls.__name__)
def test_repeating_the_current_status_yields_no_event(cls: type[c.Command]) -> None:
    """Asking a counter for the status it already has produces nothing."""
    state = new_state()
    apply(state, command(cls, counter="2"), MORNING)
    assert apply(state, command(cls, counter="2"), MORNING + minutes(1)) == []


@pytest.mark.parametrize("step", ["called", "serving"])
def test_closing_a_busy_counter_is_refused(step: str) -> None:
    """A counter with a called or served ticket cannot close; the refusal names the ticket."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    if step == "serving":
        act(state, c.Start, ticket, MORNING)
    with pytest.raises(InvalidTransition, match="Guichet 1 is still busy with A001"):
        apply(state, command(c.CloseCounter, counter="1"), MORNING + minutes(1))


def test_a_busy_counter_can_pause() -> None:
    """Pausing keeps the counter's ticket: the agent steps away mid-visit."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    apply(state, command(c.PauseCounter, counter="1"), MORNING + minutes(1))
    assert (state.counter("1").status, state.counter("1").ticket_id) == ("paused", ticket.id)


def test_a_counter_can_close_once_its_visit_is_finished() -> None:
    """After its ticket is finished, the counter is free and may close."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    act(state, c.Start, ticket, MORNING)
    act(state, c.Finish, ticket, MORNING + minutes(5))
    assert [type(e) for e in apply(state, command(c.CloseCounter, counter="1"), MORNING + minutes(6))] == [
        CounterClosed
    ]


@pytest.mark.parametrize("cls", [c.OpenCounter, c.PauseCounter, c.CloseCounter], ids=lambda cls: cls.__name__)
def test_an_unknown_counter_is_not_found(cls: type[c.Command]) -> None:
    """A command for a counter the site does not have raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(cls, counter="9"), MORNING)

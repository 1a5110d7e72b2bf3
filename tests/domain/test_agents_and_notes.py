"""Who works at a counter, and notes left for the agent who serves a ticket.

A call remembers who made it (per-agent reports, the supervisor's view of each counter); opening a
counter names its agent; closing it forgets them. A note is a fact in the log (that there is one);
its text is kept elsewhere.
"""

from __future__ import annotations

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import InvalidTransition, NotFound
from queue_server.queue.domain.events import CounterOpened, TicketCalled, TicketNoted

from .support import MORNING, act, apply, call_next, command, current, issue, minutes, new_state

LEA = ("user:7", "Léa Martin")
PAUL = ("user:8", "Paul Roux")


def test_a_call_records_its_agent_and_the_counter_takes_them() -> None:
    """CallNext by Léa: the called event names her, and counter 1 is open with her as its agent since then."""
    state = new_state()
    issue(state, MORNING)
    events = apply(state, command(c.CallNext, counter="1", agent=LEA[0], agent_name=LEA[1]), MORNING + minutes(1))
    opened, called = events
    assert isinstance(opened, CounterOpened) and (opened.agent, opened.agent_name) == LEA
    assert isinstance(called, TicketCalled) and (called.agent, called.agent_name) == LEA
    counter = state.counter("1")
    assert (counter.status, counter.agent, counter.agent_name) == ("open", *LEA)
    assert counter.since == MORNING + minutes(1)


def test_the_counter_keeps_the_time_it_opened_across_calls() -> None:
    """A second call at an open counter changes its ticket, not the time it opened; a colleague's call
    makes them its agent."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING)
    call_next(state, MORNING + minutes(1), agent=LEA[0], agent_name=LEA[1])
    act(state, c.Start, first, MORNING + minutes(2))
    call_next(state, MORNING + minutes(9), agent=PAUL[0], agent_name=PAUL[1])
    counter = state.counter("1")
    assert counter.ticket_id == second.id
    assert counter.since == MORNING + minutes(1)
    assert (counter.agent, counter.agent_name) == PAUL


def test_a_call_out_of_turn_records_its_agent() -> None:
    """CallTicket carries its agent to the event."""
    state = new_state()
    ticket = issue(state, MORNING)
    events = act(state, c.CallTicket, ticket, MORNING + minutes(1), counter="2", agent=PAUL[0], agent_name=PAUL[1])
    assert (events[-1].agent, events[-1].agent_name) == PAUL  # type: ignore[attr-defined]
    assert state.counter("2").agent == PAUL[0]


def test_opening_names_the_agent_and_closing_forgets_them() -> None:
    """OpenCounter with an agent sets it; PauseCounter keeps it; CloseCounter clears it."""
    state = new_state()
    apply(state, command(c.OpenCounter, counter="3", agent=LEA[0], agent_name=LEA[1]), MORNING)
    assert (state.counter("3").agent, state.counter("3").since) == (LEA[0], MORNING)
    apply(state, command(c.PauseCounter, counter="3"), MORNING + minutes(5))
    assert (state.counter("3").status, state.counter("3").agent, state.counter("3").since) == \
        ("paused", LEA[0], MORNING + minutes(5))
    apply(state, command(c.CloseCounter, counter="3"), MORNING + minutes(6))
    assert (state.counter("3").status, state.counter("3").agent, state.counter("3").agent_name) == \
        ("closed", None, "")


def test_calls_without_an_agent_keep_the_counter_s_agent() -> None:
    """A call made by an unknown caller (an old client) leaves the agent the counter had."""
    state = new_state()
    first, _ = issue(state, MORNING), issue(state, MORNING)
    apply(state, command(c.OpenCounter, counter="1", agent=LEA[0], agent_name=LEA[1]), MORNING)
    call_next(state, MORNING + minutes(1))
    act(state, c.Start, first, MORNING + minutes(1))
    call_next(state, MORNING + minutes(2))
    assert state.counter("1").agent_name == LEA[1]


@pytest.mark.parametrize("steps", [(), (c.CallTicket,), (c.CallTicket, c.Start)])
def test_a_note_marks_a_ticket_still_ahead_or_under_way(steps: tuple[type[c.Command], ...]) -> None:
    """Note on a waiting, called or served ticket: one ticket.noted event, and the ticket is noted."""
    state = new_state()
    ticket = issue(state, MORNING)
    for cls in steps:
        act(state, cls, ticket, MORNING, **({"counter": "1"} if cls is c.CallTicket else {}))
    assert not current(state, ticket).noted
    events = act(state, c.Note, ticket, MORNING + minutes(1))
    assert events == [TicketNoted(at=MORNING + minutes(1), command_id=events[0].command_id, ticket_id=ticket.id)]
    assert current(state, ticket).noted


def test_a_note_survives_a_transfer() -> None:
    """A ticket transferred after a note is still noted in its new service (the note is for its next agent)."""
    state = new_state()
    ticket = issue(state, MORNING)
    act(state, c.Note, ticket, MORNING)
    act(state, c.Transfer, ticket, MORNING + minutes(1), service="passeports")
    assert current(state, ticket).noted and current(state, ticket).service == "passeports"


def test_a_note_on_a_finished_visit_is_refused() -> None:
    """A note about a visit that is over would never be read: refused; an unknown ticket is not found."""
    state = new_state()
    ticket = issue(state, MORNING)
    act(state, c.Cancel, ticket, MORNING)
    with pytest.raises(InvalidTransition, match="cannot be annotated"):
        act(state, c.Note, ticket, MORNING + minutes(1))
    with pytest.raises(NotFound):
        apply(state, command(c.Note, ticket_id="nope"), MORNING)


def test_a_colleague_taking_over_an_open_counter_opens_it_in_their_name() -> None:
    """Paul opens the counter Léa had open: a new counter.opened names him; Léa or an unnamed caller
    opening it again changes nothing."""
    state = new_state()
    apply(state, command(c.OpenCounter, counter="1", agent=LEA[0], agent_name=LEA[1]), MORNING)
    assert apply(state, command(c.OpenCounter, counter="1", agent=LEA[0], agent_name=LEA[1]), MORNING) == []
    assert apply(state, command(c.OpenCounter, counter="1"), MORNING) == []
    later = MORNING + minutes(240)
    events = apply(state, command(c.OpenCounter, counter="1", agent=PAUL[0], agent_name=PAUL[1]), later)
    assert [type(e) for e in events] == [CounterOpened]
    assert (state.counter("1").agent_name, state.counter("1").since) == (PAUL[1], later)
    with pytest.raises(NotFound):
        apply(state, command(c.OpenCounter, counter="9", agent=PAUL[0]), MORNING)

"""A ticket's life: waiting → called → serving → done, and the side roads; everything else refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import InvalidTransition, NotFound
from queue_server.queue.domain.events import TicketRecalled, TicketRequeued, TicketTransferred
from queue_server.queue.domain.state import SiteState, Ticket

from .support import MORNING, act, apply, call_next, command, current, issue, minutes, new_state

STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled")

# How the rules name each status in a refusal.
STATUS_WORDS = {
    "waiting": "waiting",
    "called": "called",
    "serving": "being served",
    "done": "done",
    "no_show": "a no-show",
    "cancelled": "cancelled",
}

# Action -> (command about the ticket, statuses that allow it, status afterwards).
ACTIONS: dict[str, tuple[Callable[[Ticket], c.Command], set[str], str]] = {
    # Counter 2 is idle: a refusal can only be about the ticket.
    "call": (lambda t: command(c.CallTicket, ticket_id=t.id, counter="2"), {"waiting"}, "called"),
    "recall": (lambda t: command(c.Recall, ticket_id=t.id), {"called"}, "called"),
    "start": (lambda t: command(c.Start, ticket_id=t.id), {"called"}, "serving"),
    "finish": (lambda t: command(c.Finish, ticket_id=t.id), {"serving"}, "done"),
    "no_show": (lambda t: command(c.MarkNoShow, ticket_id=t.id), {"called"}, "no_show"),
    "cancel": (lambda t: command(c.Cancel, ticket_id=t.id), {"waiting", "called"}, "cancelled"),
    "requeue": (lambda t: command(c.Requeue, ticket_id=t.id), {"no_show"}, "waiting"),
    "transfer": (
        lambda t: command(c.Transfer, ticket_id=t.id, service="passeports"),
        {"waiting", "called", "serving"},
        "waiting",
    ),
}

# The commands that bring a fresh ticket to each status.
PATHS: dict[str, tuple[type[c.Command], ...]] = {
    "waiting": (),
    "called": (c.CallTicket,),
    "serving": (c.CallTicket, c.Start),
    "done": (c.CallTicket, c.Start, c.Finish),
    "no_show": (c.CallTicket, c.MarkNoShow),
    "cancelled": (c.Cancel,),
}

CELLS = [(status, action) for status in STATUSES for action in ACTIONS]
ALLOWED = [cell for cell in CELLS if cell[0] in ACTIONS[cell[1]][1]]
REFUSED = [cell for cell in CELLS if cell[0] not in ACTIONS[cell[1]][1]]


def ticket_in(status: str) -> tuple[SiteState, Ticket]:
    """A state holding one état-civil ticket in ``status``, reached through the rules."""
    state = new_state()
    ticket = issue(state, MORNING)
    for step, cls in enumerate(PATHS[status], start=1):
        extra = {"counter": "1"} if cls is c.CallTicket else {}
        act(state, cls, ticket, MORNING + minutes(step), **extra)
    assert current(state, ticket).status == status
    return state, current(state, ticket)


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_allowed_transitions_succeed(status: str, action: str) -> None:
    """Each transition of the lifecycle is accepted and leads to its status."""
    state, ticket = ticket_in(status)
    build, _allowed, after = ACTIONS[action]
    events = apply(state, build(ticket), MORNING + minutes(10))
    assert events
    assert current(state, ticket).status == after


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
def test_other_transitions_are_refused_naming_the_ticket_and_its_status(status: str, action: str) -> None:
    """Every transition outside the lifecycle raises InvalidTransition naming the ticket and its status."""
    state, ticket = ticket_in(status)
    build, _allowed, _after = ACTIONS[action]
    with pytest.raises(InvalidTransition) as refusal:
        apply(state, build(ticket), MORNING + minutes(10))
    assert ticket.number in refusal.value.message
    assert f"it is {STATUS_WORDS[status]}" in refusal.value.message
    assert current(state, ticket).status == status


def test_the_lifecycle_matrix_is_complete() -> None:
    """Every (status, action) pair is specified, and the lifecycle allows exactly eleven of them."""
    assert len(CELLS) == len(STATUSES) * len(ACTIONS) == len(ALLOWED) + len(REFUSED)
    assert len(ALLOWED) == 11


def test_a_refusal_says_which_statuses_would_allow_the_action() -> None:
    """The refusal explains which status the action needs."""
    state, ticket = ticket_in("waiting")
    with pytest.raises(InvalidTransition, match="only a called ticket can be"):
        act(state, c.Start, ticket, MORNING)


@pytest.mark.parametrize(
    "cls", [c.Recall, c.Start, c.Finish, c.MarkNoShow, c.Cancel, c.Requeue], ids=lambda cls: cls.__name__
)
def test_a_command_about_an_unknown_ticket_is_not_found(cls: type[c.Command]) -> None:
    """A command naming a ticket the site does not have today raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(cls, ticket_id="nope"), MORNING)


def test_a_called_ticket_is_called_by_its_counter_at_that_time() -> None:
    """Calling a ticket records the counter and the time of the call."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING + minutes(3), counter="2")
    called = current(state, ticket)
    assert (called.status, called.counter, called.called_at) == ("called", "2", MORNING + minutes(3))


def test_starting_records_when_the_visit_began() -> None:
    """Start records the start time of the visit."""
    state, ticket = ticket_in("called")
    act(state, c.Start, ticket, MORNING + minutes(7))
    assert current(state, ticket).started_at == MORNING + minutes(7)


def test_finishing_records_the_end_and_frees_the_counter() -> None:
    """Finish records the end of the visit and leaves the counter free."""
    state, ticket = ticket_in("serving")
    act(state, c.Finish, ticket, MORNING + minutes(9))
    assert current(state, ticket).finished_at == MORNING + minutes(9)
    assert state.counter("1").ticket_id is None


def test_a_recall_counts_and_keeps_the_ticket_called() -> None:
    """Each recall increments the ticket's recall count and leaves it called at its counter."""
    state, ticket = ticket_in("called")
    events = act(state, c.Recall, ticket, MORNING + minutes(5))
    act(state, c.Recall, ticket, MORNING + minutes(6))
    assert events == [TicketRecalled(at=MORNING + minutes(5), command_id=events[0].command_id, ticket_id=ticket.id)]
    recalled = current(state, ticket)
    assert (recalled.status, recalled.recalls, recalled.counter) == ("called", 2, "1")
    assert state.counter("1").ticket_id == ticket.id


def test_a_no_show_frees_the_counter() -> None:
    """Marking a called ticket as a no-show frees its counter."""
    state, ticket = ticket_in("no_show")
    assert state.counter("1").ticket_id is None
    assert current(state, ticket).counter == "1"


def test_cancelling_a_waiting_ticket_removes_it_from_the_queue() -> None:
    """A cancelled waiting ticket leaves its queue and is never called."""
    state = new_state()
    ticket = issue(state, MORNING)
    act(state, c.Cancel, ticket, MORNING + minutes(1))
    assert state.waiting("etat-civil") == 0
    assert call_next(state, MORNING + minutes(2)) is None


def test_cancelling_a_called_ticket_frees_the_counter() -> None:
    """Cancelling a called ticket frees its counter for the next call."""
    state, ticket = ticket_in("called")
    act(state, c.Cancel, ticket, MORNING + minutes(5))
    assert state.counter("1").ticket_id is None
    assert current(state, ticket).finished_at == MORNING + minutes(5)


def test_a_requeued_no_show_keeps_its_original_arrival() -> None:
    """Requeue puts a no-show back in its queue at its original arrival, ahead of later arrivals."""
    state = new_state()
    first = issue(state, MORNING)
    later = issue(state, MORNING + minutes(5))
    call_next(state, MORNING + minutes(10))
    act(state, c.MarkNoShow, first, MORNING + minutes(12))
    events = act(state, c.Requeue, first, MORNING + minutes(20))
    assert [type(e) for e in events] == [TicketRequeued]
    back = current(state, first)
    assert (back.status, back.issued_at, back.counter, back.called_at) == ("waiting", MORNING, None, None)
    assert state.position(back) == 0
    assert state.position(current(state, later)) == 1


def test_a_transfer_keeps_the_original_arrival_in_the_new_queue() -> None:
    """A transferred ticket joins the other service's queue at its original arrival time, number kept."""
    state = new_state()
    ticket = issue(state, MORNING)
    passport = issue(state, MORNING + minutes(5), service="passeports")
    events = act(state, c.Transfer, ticket, MORNING + minutes(10), service="passeports")
    assert events == [
        TicketTransferred(
            at=MORNING + minutes(10), command_id=events[0].command_id, ticket_id=ticket.id,
            from_service="etat-civil", to_service="passeports",
        )
    ]
    moved = current(state, ticket)
    assert (moved.service, moved.number, moved.issued_at, moved.status) == ("passeports", "A001", MORNING, "waiting")
    assert state.waiting("etat-civil") == 0
    assert state.position(moved) == 0
    assert state.position(current(state, passport)) == 1


def test_a_transfer_to_the_front_goes_ahead_of_earlier_arrivals() -> None:
    """A ticket transferred to the front waits ahead of every normal arrival of its new service."""
    state = new_state()
    passport = issue(state, MORNING, service="passeports")
    ticket = issue(state, MORNING + minutes(30))
    act(state, c.Transfer, ticket, MORNING + minutes(40), service="passeports", to_front=True)
    assert state.position(current(state, ticket)) == 0
    assert state.position(current(state, passport)) == 1


def test_a_transfer_to_the_front_within_the_same_service_moves_the_ticket_ahead() -> None:
    """A waiting ticket can be moved to the front of its own queue."""
    state = new_state()
    issue(state, MORNING)
    ticket = issue(state, MORNING + minutes(5))
    act(state, c.Transfer, ticket, MORNING + minutes(6), service="etat-civil", to_front=True)
    assert state.position(current(state, ticket)) == 0


def test_transferring_a_called_ticket_frees_its_counter() -> None:
    """A called ticket transferred elsewhere waits again and its counter can call someone else."""
    state, ticket = ticket_in("called")
    act(state, c.Transfer, ticket, MORNING + minutes(5), service="passeports")
    moved = current(state, ticket)
    assert (moved.status, moved.counter, moved.called_at) == ("waiting", None, None)
    assert state.counter("1").ticket_id is None


def test_transferring_a_ticket_being_served_forgets_its_start() -> None:
    """A ticket transferred while being served waits again with no start time and frees its counter."""
    state, ticket = ticket_in("serving")
    act(state, c.Transfer, ticket, MORNING + minutes(5), service="passeports")
    moved = current(state, ticket)
    assert (moved.status, moved.started_at) == ("waiting", None)
    assert state.counter("1").ticket_id is None


def test_a_called_ticket_can_be_put_back_in_its_own_queue() -> None:
    """Transferring a called ticket to its own service puts it back in the queue."""
    state, ticket = ticket_in("called")
    act(state, c.Transfer, ticket, MORNING + minutes(5), service="etat-civil")
    assert current(state, ticket).status == "waiting"
    assert state.position(current(state, ticket)) == 0


def test_transferring_a_waiting_ticket_to_where_it_already_waits_is_refused() -> None:
    """A transfer that would change nothing raises InvalidTransition (409: the ticket's state forbids it)."""
    state = new_state()
    ticket = issue(state, MORNING)
    with pytest.raises(InvalidTransition, match="already waiting"):
        act(state, c.Transfer, ticket, MORNING, service="etat-civil")


def test_transferring_to_an_unknown_service_is_not_found() -> None:
    """A transfer to a service the site does not have raises NotFound."""
    state = new_state()
    ticket = issue(state, MORNING)
    with pytest.raises(NotFound):
        act(state, c.Transfer, ticket, MORNING, service="cartes-grises")

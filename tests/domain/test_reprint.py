"""Reprint: staff have a ticket printed again at a kiosk while its visit is still ahead or under way."""

from __future__ import annotations

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import Conflict, InvalidTransition, NotFound
from queue_server.queue.domain.events import TicketReprinted
from queue_server.queue.domain.state import SiteState, Ticket

from .support import MORNING, act, apply, command, current, issue, minutes, new_state

KIOSK = 12  # the device token id of the kiosk that issued the ticket
OTHER_KIOSK = 13

# The commands that bring a fresh ticket to each status.
PATHS: dict[str, tuple[type[c.Command], ...]] = {
    "waiting": (),
    "called": (c.CallTicket,),
    "serving": (c.CallTicket, c.Start),
    "done": (c.CallTicket, c.Start, c.Finish),
    "no_show": (c.CallTicket, c.MarkNoShow),
    "cancelled": (c.Cancel,),
}
ALLOWED = ("waiting", "called", "serving")
REFUSED = ("done", "no_show", "cancelled")


def ticket_in(status: str, issued_by: int | None = KIOSK) -> tuple[SiteState, Ticket]:
    """A state holding one ticket issued by ``issued_by`` (``None``: staff) and now in ``status``."""
    state = new_state()
    ticket = issue(state, MORNING, issued_by=issued_by)
    for step, cls in enumerate(PATHS[status], start=1):
        extra = {"counter": "1"} if cls is c.CallTicket else {}
        act(state, cls, ticket, MORNING + minutes(step), **extra)
    return state, current(state, ticket)


def test_a_ticket_remembers_the_kiosk_that_issued_it() -> None:
    """The state's ticket keeps ``issued_by``; a ticket issued by staff has none."""
    state = new_state()
    assert issue(state, MORNING, issued_by=KIOSK).issued_by == KIOSK
    assert issue(state, MORNING).issued_by is None


@pytest.mark.parametrize("status", ALLOWED)
def test_a_reprint_goes_to_the_kiosk_that_issued_the_ticket(status: str) -> None:
    """Without a kiosk named, a waiting, called or served ticket is reprinted by the kiosk that issued it."""
    state, ticket = ticket_in(status)
    cmd = command(c.Reprint, ticket_id=ticket.id)
    events = apply(state, cmd, MORNING + minutes(10))
    assert events == [TicketReprinted(at=MORNING + minutes(10), command_id=cmd.command_id, ticket_id=ticket.id,
                                      kiosk=KIOSK)]


def test_a_reprint_may_go_to_another_kiosk() -> None:
    """A kiosk named in the command prints it, whichever kiosk issued the ticket."""
    state, ticket = ticket_in("waiting")
    events = act(state, c.Reprint, ticket, MORNING + minutes(1), kiosk=OTHER_KIOSK)
    assert [(type(e), e.kiosk) for e in events if isinstance(e, TicketReprinted)] == [(TicketReprinted, OTHER_KIOSK)]


def test_a_ticket_issued_by_staff_is_reprinted_at_the_kiosk_named() -> None:
    """A ticket issued at a counter has no kiosk of its own: it prints at the one the command names."""
    state, ticket = ticket_in("called", issued_by=None)
    events = act(state, c.Reprint, ticket, MORNING + minutes(5), kiosk=OTHER_KIOSK)
    assert events == [TicketReprinted(at=MORNING + minutes(5), command_id=events[0].command_id,
                                      ticket_id=ticket.id, kiosk=OTHER_KIOSK)]


def test_reprinting_a_ticket_issued_by_staff_without_a_kiosk_is_a_conflict() -> None:
    """A ticket issued at a counter, with no kiosk named, raises Conflict saying a kiosk is needed."""
    state, ticket = ticket_in("waiting", issued_by=None)
    with pytest.raises(Conflict, match="A001 was issued at a counter.*which kiosk"):
        act(state, c.Reprint, ticket, MORNING + minutes(1))


@pytest.mark.parametrize("status", REFUSED)
def test_a_ticket_whose_visit_is_over_cannot_be_reprinted(status: str) -> None:
    """A done, no-show or cancelled ticket raises InvalidTransition (409) naming the ticket."""
    state, ticket = ticket_in(status)
    with pytest.raises(InvalidTransition, match="A001 cannot be reprinted"):
        act(state, c.Reprint, ticket, MORNING + minutes(10))


def test_reprinting_an_unknown_ticket_is_not_found() -> None:
    """A reprint of a ticket the site does not have today raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(c.Reprint, ticket_id="nope", kiosk=KIOSK), MORNING)


def test_a_reprint_changes_nothing_in_the_queue() -> None:
    """After a reprint the ticket, its position and the counters are exactly as before."""
    state, ticket = ticket_in("called")
    before = (dict(state.tickets), {k: list(v) for k, v in state.queues.items()}, dict(state.counters))
    act(state, c.Reprint, ticket, MORNING + minutes(10))
    assert (dict(state.tickets), {k: list(v) for k, v in state.queues.items()}, dict(state.counters)) == before


def test_a_reprint_retried_after_a_lost_reply_prints_once() -> None:
    """The same command decided again yields no second event, and still names its ticket."""
    state, ticket = ticket_in("waiting")
    cmd = command(c.Reprint, ticket_id=ticket.id)
    assert len(apply(state, cmd, MORNING + minutes(1))) == 1
    assert apply(state, cmd, MORNING + minutes(2)) == []
    assert state.applied[cmd.command_id] == ticket.id


def test_yesterdays_ticket_cannot_be_reprinted() -> None:
    """Once the day has changed, yesterday's ticket is unknown: its reprint is not found."""
    state, ticket = ticket_in("waiting")
    with pytest.raises(NotFound):
        apply(state, command(c.Reprint, ticket_id=ticket.id), MORNING + minutes(24 * 60))

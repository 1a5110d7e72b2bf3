"""The "your turn is near" SMS is due while a ticket waits with no more than its service's ``sms_ahead``
people ahead, for services that send it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.notify import sms_due

from .support import ETAT_CIVIL, MORNING, PASSEPORTS, act, issue, new_state, site


@pytest.mark.parametrize(("position", "due"), [(0, 0), (1, 1), (2, 2), (3, None), (4, None)])
def test_due_within_sms_ahead_people(position: int, due: int | None) -> None:
    """With sms_ahead = 2: the tickets with 0, 1 or 2 people ahead are due, with that number; not the others."""
    state = new_state(site(services=(replace(ETAT_CIVIL, sms_ahead=2), PASSEPORTS)))
    tickets = [issue(state, MORNING) for _ in range(5)]
    assert sms_due(state, tickets[position]) == due


@pytest.mark.parametrize("sms_ahead", [0, None])
def test_never_due_for_a_service_that_sends_none(sms_ahead: int | None) -> None:
    state = new_state(site(services=(replace(ETAT_CIVIL, sms_ahead=sms_ahead), PASSEPORTS)))
    assert sms_due(state, issue(state, MORNING)) is None


def test_never_due_once_called() -> None:
    """A called ticket is past the message (its position is no more)."""
    state = new_state()
    ticket = issue(state, MORNING)
    act(state, c.CallTicket, ticket, MORNING, counter="1")
    assert sms_due(state, state.tickets[ticket.id]) is None


def test_never_due_for_a_service_the_site_no_longer_has() -> None:
    """A ticket of a service removed from the configuration (after a restart) gets no message."""
    state = new_state()
    ticket = issue(state, MORNING)
    later = new_state(site(services=(PASSEPORTS,)))
    later.tickets[ticket.id] = ticket
    assert sms_due(later, ticket) is None

"""Appointment tickets: a booked citizen who checks in is called before the walk-ins, and says so only to staff.

The booking module issues them through the queue's service as any other ticket, with ``appointment`` set to its
opaque reference (the appointment's code). Order of a queue: appointment, then priority, then front, then arrival.
"""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from queue_server.queue.codec import decode_event, decode_state, encode_event, encode_state
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import ServiceConfig
from queue_server.queue.domain.decide import MAX_APPOINTMENT_REF
from queue_server.queue.domain.errors import IdempotencyKeyReused, Invalid
from queue_server.queue.domain.estimate import estimated_wait_s, seconds_per_place, wait_at
from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.domain.ordering import Candidate, first_come, weighted_wait
from queue_server.queue.domain.state import SiteState, Ticket

from .support import (
    ETAT_CIVIL,
    MORNING,
    act,
    apply,
    call_next,
    command,
    current,
    issue,
    minutes,
    new_state,
    site,
)

ORDERINGS = pytest.mark.parametrize("ordering", ["weighted_wait", "first_come"])


def checked_in(state: SiteState, now: datetime, code: str = "K7M2QX", service: str = "etat-civil",
               **fields: object) -> Ticket:
    """The ticket of an appointment ``code`` checked in at ``now``, as the booking module issues it."""
    return issue(state, now, service, appointment=code, idempotency_key=f"appointment:{code}", **fields)


def calls(state: SiteState, now: datetime, n: int, counter: str = "1") -> list[str]:
    """The numbers of the next ``n`` calls at ``counter`` (each visit finished by the next call)."""
    out = []
    for i in range(n):
        ticket = call_next(state, now + minutes(i), counter)
        assert ticket is not None
        act(state, c.Start, ticket, now + minutes(i))
        out.append(ticket.number)
    return out


# The order ------------------------------------------------------------------------------------


@ORDERINGS
def test_an_appointment_checked_in_after_three_walk_ins_is_called_first(ordering: str) -> None:
    """Three walk-ins wait; a booked citizen checks in after them: the next call is theirs, then the walk-ins'."""
    state = new_state(site(ordering=ordering))
    for i in range(3):
        issue(state, MORNING + minutes(i))
    booked = checked_in(state, MORNING + minutes(20))
    assert calls(state, MORNING + minutes(21), 4) == [booked.number, "A001", "A002", "A003"]


@ORDERINGS
def test_a_priority_walk_in_comes_after_the_appointment_but_before_other_walk_ins(ordering: str) -> None:
    """A priority walk-in who arrived before the booked citizen is still called after them, and before the
    ordinary walk-ins who arrived earlier."""
    state = new_state(site(ordering=ordering))
    issue(state, MORNING)
    issue(state, MORNING + minutes(1), priority=True)
    checked_in(state, MORNING + minutes(2))
    assert calls(state, MORNING + minutes(3), 3) == ["A003", "A002", "A001"]


@ORDERINGS
def test_among_appointment_tickets_the_earlier_check_in_goes_first(ordering: str) -> None:
    """Two booked citizens of two services: the one who checked in first is called first, whatever the weights."""
    passports = ServiceConfig("passeports", "Passeports", "P", weight=10)
    state = new_state(site(services=(ETAT_CIVIL, passports), ordering=ordering))
    issue(state, MORNING, "passeports")
    checked_in(state, MORNING + minutes(1), "AAAAAA")
    checked_in(state, MORNING + minutes(2), "BBBBBB", "passeports")
    assert calls(state, MORNING + minutes(30), 3) == ["A001", "P002", "P001"]


@ORDERINGS
def test_an_appointment_passes_the_walk_ins_of_every_service_the_counter_serves(ordering: str) -> None:
    """A walk-in of another service, of a heavy weight, waiting for an hour, is called after an appointment ticket
    that has just checked in."""
    passports = ServiceConfig("passeports", "Passeports", "P", weight=10)
    state = new_state(site(services=(ETAT_CIVIL, passports), ordering=ordering))
    issue(state, MORNING, "passeports", priority=True)
    booked = checked_in(state, MORNING + minutes(60))
    assert calls(state, MORNING + minutes(60), 2) == [booked.number, "P001"]


def test_a_walk_in_transferred_to_the_front_stays_behind_appointments() -> None:
    """"Front" orders walk-ins only: a walk-in moved to the front of a queue is called after the appointment
    tickets waiting there, and before the other walk-ins."""
    state = new_state()
    issue(state, MORNING)
    moved = issue(state, MORNING + minutes(1), "passeports")
    booked = checked_in(state, MORNING + minutes(2))
    act(state, c.Transfer, moved, MORNING + minutes(3), service="etat-civil", to_front=True)
    order = [state.tickets[key[-1]].number for key in state.queue("etat-civil")]
    assert order == [booked.number, "P001", "A001"]


def test_an_appointment_ticket_keeps_its_rank_when_transferred_or_requeued() -> None:
    """Transferred to another service, or put back after a no-show, an appointment ticket is still ahead of the
    walk-ins there, and keeps its reference."""
    state = new_state()
    issue(state, MORNING, "passeports")
    booked = checked_in(state, MORNING + minutes(1))
    act(state, c.Transfer, booked, MORNING + minutes(2), service="passeports")
    assert state.position(current(state, booked)) == 0
    assert call_next(state, MORNING + minutes(3), "3") == current(state, booked)
    act(state, c.MarkNoShow, booked, MORNING + minutes(5))
    act(state, c.Requeue, booked, MORNING + minutes(6))
    assert state.position(current(state, booked)) == 0
    assert current(state, booked).appointment == "K7M2QX"


def test_both_policies_call_an_appointment_head_before_any_walk_in() -> None:
    """Given the heads of their queues directly, both policies pick the appointment ticket, earlier check-in
    first, over a priority walk-in that waited longer."""
    state = new_state()
    walk_in = issue(state, MORNING, priority=True)
    late = checked_in(state, MORNING + minutes(9), "LATE22", "passeports")
    early = checked_in(state, MORNING + minutes(5), "EARLY2")
    heads = [Candidate(walk_in, 100.0), Candidate(late, 1.0), Candidate(early, 1.0)]
    for policy in (weighted_wait, first_come):
        assert policy(heads, MORNING + minutes(10)) == early


# Positions and estimates ----------------------------------------------------------------------


def test_a_walk_ins_position_counts_the_appointment_tickets_ahead() -> None:
    """Two walk-ins wait, then two booked citizens check in: the walk-ins are now 2 and 3 places from the counter,
    and their estimates are those of these places."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING + minutes(1))
    assert state.position(current(state, first)) == 0
    checked_in(state, MORNING + minutes(2), "AAAAAA")
    checked_in(state, MORNING + minutes(3), "BBBBBB")
    assert [state.position(current(state, t)) for t in (first, second)] == [2, 3]
    per_place = seconds_per_place(state, "etat-civil")
    assert [estimated_wait_s(state, "etat-civil", p) for p in (2, 3)] == [wait_at(2, per_place), wait_at(3, per_place)]
    assert wait_at(2, per_place) != wait_at(0, per_place)


# What the ticket carries ----------------------------------------------------------------------


def test_the_reference_goes_from_the_command_to_the_event_and_the_ticket() -> None:
    """The booking module's reference is in ticket.issued and on the ticket, which is ``booked``; a walk-in has
    none and is not booked."""
    state = new_state()
    cmd = command(c.IssueTicket, service="etat-civil", appointment="K7M2QX")
    [issued] = apply(state, cmd, MORNING)
    assert isinstance(issued, TicketIssued) and issued.appointment == "K7M2QX"
    ticket = state.tickets[cmd.ticket_id]
    walk_in = issue(state, MORNING)
    assert (ticket.appointment, ticket.booked, walk_in.appointment, walk_in.booked) == ("K7M2QX", True, None, False)


@pytest.mark.parametrize("reference", ["", "x" * (MAX_APPOINTMENT_REF + 1), "K7M\n2QX"],
                         ids=["empty", "too-long", "control-character"])
def test_a_reference_that_is_no_reference_is_refused(reference: str) -> None:
    """An empty, over-long or unprintable appointment reference is Invalid, and issues nothing."""
    state = new_state()
    with pytest.raises(Invalid):
        apply(state, command(c.IssueTicket, service="etat-civil", appointment=reference), MORNING)
    assert state.tickets == {}


def test_a_check_in_retried_issues_one_ticket_and_another_appointment_with_its_key_is_refused() -> None:
    """The booking module's key (``appointment:ID``) gives one ticket however often it is retried; the same key
    with another appointment reference is a conflict."""
    state = new_state()
    first = checked_in(state, MORNING)
    again = checked_in(state, MORNING + minutes(1))
    assert again.id == first.id and len(state.tickets) == 1
    with pytest.raises(IdempotencyKeyReused):
        apply(state, command(c.IssueTicket, service="etat-civil", appointment="OTHER1",
                             idempotency_key="appointment:K7M2QX"), MORNING + minutes(2))


# Stored forms ---------------------------------------------------------------------------------


def test_an_older_stream_entry_without_the_field_decodes_as_a_walk_in() -> None:
    """A ticket.issued written before appointment tickets existed has no ``appointment``: it reads as a walk-in."""
    event = TicketIssued(at=MORNING, command_id="c1", ticket_id="t1", service="etat-civil", seq=1, number="A001")
    type_name, data = encode_event(event)
    older = orjson.loads(data)
    del older["appointment"]
    decoded = decode_event(type_name, orjson.dumps(older))
    assert isinstance(decoded, TicketIssued) and decoded.appointment is None and decoded == event


def test_an_appointment_ticket_survives_a_snapshot_in_its_place() -> None:
    """A snapshot keeps the reference on the ticket and in its key's request, and the rebuilt queue puts the
    appointment ticket first; a snapshot written before appointments (no field, 4-item requests) reads none."""
    config = site()
    state = new_state(config)
    issue(state, MORNING, idempotency_key="kiosk-1")
    booked = checked_in(state, MORNING + minutes(1))
    decoded = decode_state(config, encode_state(state))
    assert decoded.tickets[booked.id].appointment == "K7M2QX"
    assert decoded.idempotency["appointment:K7M2QX"].request == ("etat-civil", False, "fr", None, "K7M2QX")
    assert decoded.queue("etat-civil") == state.queue("etat-civil") and decoded.head("etat-civil") == booked
    raw = orjson.loads(encode_state(state))
    for ticket in raw["tickets"]:
        del ticket["appointment"]
    raw["idempotency"]["kiosk-1"][1] = raw["idempotency"]["kiosk-1"][1][:4]
    older = decode_state(config, orjson.dumps(raw))
    assert all(t.appointment is None for t in older.tickets.values())
    assert older.idempotency["kiosk-1"].request == ("etat-civil", False, "fr", None, None)

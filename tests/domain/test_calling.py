"""Calling: which waiting ticket a counter gets next, and what a call does to the counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import ServiceConfig
from queue_server.queue.domain.errors import Conflict, InvalidTransition, NotFound
from queue_server.queue.domain.events import CounterOpened, TicketCalled, TicketFinished
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
    paris,
    site,
    utc,
)


def weighted(passport_weight: float, **fields: Any) -> SiteState:
    """A site whose passport minutes weigh ``passport_weight`` times an état-civil minute."""
    passports = ServiceConfig("passeports", "Passeports", "P", weight=passport_weight)
    return new_state(site(services=(ETAT_CIVIL, passports), **fields))


def called_number(state: SiteState, now: datetime, counter: str = "1", **fields: object) -> str | None:
    ticket = call_next(state, now, counter, **fields)
    return ticket.number if ticket else None


# What the call does ---------------------------------------------------------------------------


def test_nobody_waiting_yields_no_event() -> None:
    """Calling next when nobody waits for the counter's services produces nothing."""
    state = new_state()
    assert apply(state, command(c.CallNext, counter="1"), MORNING) == []


def test_nobody_waiting_leaves_the_visit_in_progress_alone() -> None:
    """With nobody waiting, the ticket being served at the counter is not finished."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    act(state, c.Start, ticket, MORNING)
    assert apply(state, command(c.CallNext, counter="1"), MORNING + minutes(5)) == []
    assert current(state, ticket).status == "serving"


def test_calling_a_closed_counter_opens_it() -> None:
    """A closed counter that calls next is opened first (CounterOpened, then TicketCalled)."""
    state = new_state()
    ticket = issue(state, MORNING)
    cmd = command(c.CallNext, counter="1")
    assert apply(state, cmd, MORNING + minutes(1)) == [
        CounterOpened(at=MORNING + minutes(1), command_id=cmd.command_id, counter="1"),
        TicketCalled(at=MORNING + minutes(1), command_id=cmd.command_id, ticket_id=ticket.id, counter="1"),
    ]
    assert (state.counter("1").status, state.counter("1").ticket_id) == ("open", ticket.id)


def test_calling_a_paused_counter_opens_it() -> None:
    """A paused counter that calls next is opened again."""
    state = new_state()
    apply(state, command(c.PauseCounter, counter="1"), MORNING)
    issue(state, MORNING)
    events = apply(state, command(c.CallNext, counter="1"), MORNING + minutes(1))
    assert [type(e) for e in events] == [CounterOpened, TicketCalled]


def test_an_open_counter_just_calls() -> None:
    """An open counter's call produces the TicketCalled event alone."""
    state = new_state()
    apply(state, command(c.OpenCounter, counter="1"), MORNING)
    issue(state, MORNING)
    events = apply(state, command(c.CallNext, counter="1"), MORNING + minutes(1))
    assert [type(e) for e in events] == [TicketCalled]


def test_the_visit_in_progress_is_finished_by_the_next_call() -> None:
    """Calling next while serving a ticket finishes that visit first."""
    state = new_state()
    first = issue(state, MORNING)
    second = issue(state, MORNING)
    call_next(state, MORNING)
    act(state, c.Start, first, MORNING + minutes(1))
    cmd = command(c.CallNext, counter="1")
    events = apply(state, cmd, MORNING + minutes(9))
    assert events == [
        TicketFinished(at=MORNING + minutes(9), command_id=cmd.command_id, ticket_id=first.id),
        TicketCalled(at=MORNING + minutes(9), command_id=cmd.command_id, ticket_id=second.id, counter="1"),
    ]
    assert current(state, first).status == "done"
    assert state.counter("1").ticket_id == second.id


def test_calling_while_the_current_ticket_is_still_called_is_refused() -> None:
    """A counter whose called ticket has not been served yet cannot call the next one."""
    state = new_state()
    issue(state, MORNING)
    issue(state, MORNING)
    call_next(state, MORNING)
    with pytest.raises(InvalidTransition, match="Guichet 1 has called A001"):
        apply(state, command(c.CallNext, counter="1"), MORNING + minutes(1))


def test_a_called_ticket_leaves_the_queue() -> None:
    """Once called, a ticket is no longer waiting and no other counter gets it."""
    state = new_state()
    issue(state, MORNING)
    assert called_number(state, MORNING, "1") == "A001"
    assert state.waiting("etat-civil") == 0
    assert called_number(state, MORNING, "2") is None


def test_an_unknown_counter_is_not_found() -> None:
    """Calling next at a counter the site does not have raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(c.CallNext, counter="9"), MORNING)


# Which ticket ---------------------------------------------------------------------------------


def test_a_counter_only_calls_the_services_it_serves() -> None:
    """A passport-only counter leaves état-civil tickets waiting."""
    state = new_state()
    issue(state, MORNING)
    assert called_number(state, MORNING + minutes(1), "3") is None
    issue(state, MORNING + minutes(2), "passeports")
    assert called_number(state, MORNING + minutes(3), "3") == "P001"


def test_within_a_service_the_earliest_arrival_is_called_first() -> None:
    """Tickets of one service are called in order of arrival."""
    state = new_state()
    issue(state, MORNING)
    issue(state, MORNING + minutes(1))
    assert called_number(state, MORNING + minutes(2)) == "A001"


def test_a_priority_ticket_is_called_before_earlier_arrivals_of_its_service() -> None:
    """A priority ticket goes ahead of the normal tickets of its own service."""
    state = new_state()
    issue(state, MORNING)
    issue(state, MORNING + minutes(5), priority=True)
    assert called_number(state, MORNING + minutes(6)) == "A002"


def test_a_priority_ticket_is_called_before_longer_waits_of_other_services() -> None:
    """Across services, a priority ticket beats any weighted wait of a normal ticket."""
    state = weighted(passport_weight=10)
    issue(state, MORNING, "passeports")
    issue(state, MORNING + minutes(30), priority=True)
    assert called_number(state, MORNING + minutes(31)) == "A001"


def test_among_priority_tickets_the_weighted_wait_decides() -> None:
    """When several services have priority tickets, the longest weighted wait among them wins."""
    state = weighted(passport_weight=1)
    issue(state, MORNING, "passeports")
    issue(state, MORNING + minutes(1), priority=True)
    issue(state, MORNING + minutes(2), "passeports", priority=True)
    assert called_number(state, MORNING + minutes(3)) == "A001"


def test_the_longest_wait_is_called_when_weights_are_equal() -> None:
    """With equal weights, the counter calls whoever has waited longest across its services."""
    state = weighted(passport_weight=1)
    issue(state, MORNING + minutes(1))
    issue(state, MORNING, "passeports")
    assert called_number(state, MORNING + minutes(10)) == "P001"


def test_a_heavier_service_counts_its_waiting_minutes_more() -> None:
    """Six minutes of a weight-2 service (12) beat ten minutes of a weight-1 service (10)."""
    state = weighted(passport_weight=2)
    issue(state, MORNING)
    issue(state, MORNING + minutes(4), "passeports")
    assert called_number(state, MORNING + minutes(10)) == "P001"


def test_a_lighter_wait_loses_even_in_a_heavier_service() -> None:
    """Four minutes of a weight-2 service (8) lose to ten minutes of a weight-1 service (10)."""
    state = weighted(passport_weight=2)
    issue(state, MORNING)
    issue(state, MORNING + minutes(6), "passeports")
    assert called_number(state, MORNING + minutes(10)) == "A001"


def test_equal_weighted_waits_go_to_the_earlier_arrival() -> None:
    """When weighted waits are equal, the earlier arrival is called."""
    state = weighted(passport_weight=2)
    issue(state, MORNING, ticket_id="z")  # 10 minutes × 1
    issue(state, MORNING + minutes(5), "passeports", ticket_id="a")  # 5 minutes × 2
    assert called_number(state, MORNING + minutes(10)) == "A001"


def test_exact_ties_go_to_the_smaller_ticket_id() -> None:
    """Two tickets arriving at the same instant with the same weight are ordered by ticket id."""
    state = weighted(passport_weight=1)
    issue(state, MORNING, ticket_id="b")
    issue(state, MORNING, "passeports", ticket_id="a")
    assert called_number(state, MORNING + minutes(1)) == "P001"


def test_the_weighted_wait_counts_real_time_across_a_dst_change() -> None:
    """Waits are real elapsed time even when the clock reads Paris time across the spring change."""
    state = weighted(passport_weight=5)
    issue(state, paris(2026, 3, 29, 1, 50))  # 20 real minutes before the call
    issue(state, paris(2026, 3, 29, 3, 5), "passeports")  # 5 real minutes, weighing 25
    assert called_number(state, paris(2026, 3, 29, 3, 10)) == "P001"


def test_first_come_ignores_weights() -> None:
    """With the first_come policy, the earliest arrival is called whatever the service weights."""
    state = weighted(passport_weight=100, ordering="first_come")
    issue(state, MORNING)
    issue(state, MORNING + minutes(1), "passeports")
    assert called_number(state, MORNING + minutes(10)) == "A001"


def test_first_come_still_calls_priority_first() -> None:
    """With the first_come policy, a priority ticket still goes first."""
    state = weighted(passport_weight=1, ordering="first_come")
    issue(state, MORNING)
    issue(state, MORNING + minutes(1), "passeports", priority=True)
    assert called_number(state, MORNING + minutes(10)) == "P001"


def test_first_come_orders_by_real_arrival_in_the_repeated_autumn_hour() -> None:
    """02:30 CEST comes before 02:30 CET on 25 October 2026, even with Paris-time clocks."""
    state = weighted(passport_weight=1, ordering="first_come")
    issue(state, paris(2026, 10, 25, 2, 30), ticket_id="z")
    issue(state, paris(2026, 10, 25, 2, 30, fold=1), "passeports", ticket_id="a")
    assert called_number(state, paris(2026, 10, 25, 2, 40, fold=1)) == "A001"


def test_first_come_ties_go_to_the_smaller_ticket_id() -> None:
    """With the first_come policy, simultaneous arrivals are ordered by ticket id."""
    state = weighted(passport_weight=1, ordering="first_come")
    issue(state, MORNING, ticket_id="b")
    issue(state, MORNING, "passeports", ticket_id="a")
    assert called_number(state, MORNING + minutes(1)) == "P001"


@pytest.mark.parametrize("policy", [weighted_wait, first_come], ids=lambda p: p.__name__)
def test_policies_do_not_depend_on_the_order_of_candidates(policy: object) -> None:
    """A policy picks the same ticket whatever order the candidates come in."""
    def ticket(ticket_id: str, at: datetime) -> Ticket:
        return Ticket(ticket_id, ticket_id, 1, "s", "waiting", at)

    candidates = [Candidate(ticket(i, utc(2026, 3, 10, 9)), 1.0) for i in ("c", "a", "b")]
    picks = {policy(order, utc(2026, 3, 10, 10)).id for order in (candidates, candidates[::-1])}  # type: ignore[operator]
    assert picks == {"a"}


def test_a_ticket_transferred_to_the_front_is_called_before_its_new_queue() -> None:
    """A ticket transferred to the front of a service is the next called there."""
    state = new_state()
    issue(state, MORNING, "passeports")
    moved = issue(state, MORNING + minutes(5))
    act(state, c.Transfer, moved, MORNING + minutes(6), service="passeports", to_front=True)
    assert called_number(state, MORNING + minutes(7), "3") == "A001"


# Narrowing the services ------------------------------------------------------------------------


def test_services_narrow_the_counters_own_list() -> None:
    """``services`` restricts the call to the listed services, even if others waited longer."""
    state = new_state()
    issue(state, MORNING)
    issue(state, MORNING + minutes(5), "passeports")
    assert called_number(state, MORNING + minutes(6), services=("passeports",)) == "P001"


def test_narrowing_to_an_empty_queue_calls_nobody() -> None:
    """Narrowed to a service with nobody waiting, the call produces nothing."""
    state = new_state()
    issue(state, MORNING)
    assert apply(state, command(c.CallNext, counter="1", services=("passeports",)), MORNING) == []


def test_narrowing_to_an_unknown_service_is_not_found() -> None:
    """Naming a service the site does not have raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(c.CallNext, counter="1", services=("cartes-grises",)), MORNING)


def test_narrowing_to_a_service_the_counter_does_not_serve_is_invalid() -> None:
    """Naming a service the counter does not serve raises Conflict (the counter's configuration forbids it)."""
    with pytest.raises(Conflict, match="Guichet 3 does not serve"):
        apply(new_state(), command(c.CallNext, counter="3", services=("etat-civil",)), MORNING)


# Out of turn ----------------------------------------------------------------------------------


def test_a_specific_waiting_ticket_can_be_called_out_of_turn() -> None:
    """CallTicket calls the named waiting ticket, ahead of earlier arrivals, marked out of turn."""
    state = new_state()
    apply(state, command(c.OpenCounter, counter="2"), MORNING)
    issue(state, MORNING)
    later = issue(state, MORNING + minutes(1))
    cmd = command(c.CallTicket, ticket_id=later.id, counter="2")
    assert apply(state, cmd, MORNING + minutes(2)) == [
        TicketCalled(at=MORNING + minutes(2), command_id=cmd.command_id, ticket_id=later.id, counter="2",
                     out_of_turn=True)
    ]
    assert (current(state, later).status, state.counter("2").ticket_id) == ("called", later.id)
    assert state.waiting("etat-civil") == 1


def test_an_out_of_turn_call_opens_the_counter_and_finishes_its_visit() -> None:
    """CallTicket finishes the counter's visit in progress and opens it like CallNext."""
    state = new_state()
    first = issue(state, MORNING)
    wanted = issue(state, MORNING)
    call_next(state, MORNING)
    act(state, c.Start, first, MORNING)
    apply(state, command(c.PauseCounter, counter="1"), MORNING + minutes(1))
    events = act(state, c.CallTicket, wanted, MORNING + minutes(2), counter="1")
    assert [type(e) for e in events] == [TicketFinished, CounterOpened, TicketCalled]


def test_an_out_of_turn_call_is_refused_while_the_counter_has_called_someone() -> None:
    """CallTicket is refused at a counter whose called ticket has not been served yet."""
    state = new_state()
    issue(state, MORNING)
    wanted = issue(state, MORNING)
    call_next(state, MORNING)
    with pytest.raises(InvalidTransition):
        act(state, c.CallTicket, wanted, MORNING, counter="1")


def test_an_out_of_turn_call_at_an_unknown_counter_is_not_found() -> None:
    """CallTicket at a counter the site does not have raises NotFound."""
    state = new_state()
    wanted = issue(state, MORNING)
    with pytest.raises(NotFound):
        act(state, c.CallTicket, wanted, MORNING, counter="9")


def test_an_out_of_turn_call_of_an_unknown_ticket_is_not_found() -> None:
    """CallTicket naming a ticket the site does not have raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(c.CallTicket, ticket_id="nope", counter="1"), MORNING)

"""Retries: an Idempotency-Key issues one ticket per request, a command id is applied once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import ServiceConfig
from queue_server.queue.domain.decide import decide, outcome
from queue_server.queue.domain.errors import IdempotencyKeyReused
from queue_server.queue.domain.events import CounterOpened, DayStarted, TicketIssued
from queue_server.queue.domain.state import IDEMPOTENCY_WINDOW, evolve

from .support import ETAT_CIVIL, MORNING, apply, command, issue, minutes, new_state, paris, site


def keyed(key: str = "kiosk-42", service: str = "etat-civil", **fields: Any) -> c.IssueTicket:
    """An IssueTicket carrying an Idempotency-Key, with a fresh command id and ticket id."""
    cmd: c.IssueTicket = command(c.IssueTicket, service=service, idempotency_key=key, **fields)
    return cmd


# Idempotency-Key ------------------------------------------------------------------------------


def test_the_same_key_and_request_issue_nothing_new() -> None:
    """A retry with the same key and request produces no event."""
    state = new_state()
    apply(state, keyed(), MORNING)
    assert apply(state, keyed(), MORNING + minutes(1)) == []
    assert state.seq["etat-civil"] == 1


def test_a_retry_with_the_same_key_returns_the_original_ticket() -> None:
    """``outcome`` of a retry with the same key is the ticket the first request issued."""
    state = new_state()
    first = keyed()
    apply(state, first, MORNING)
    retry = keyed()
    apply(state, retry, MORNING + minutes(1))
    ticket = outcome(state, retry)
    assert ticket is not None
    assert (ticket.id, ticket.number) == (first.ticket_id, "A001")


@pytest.mark.parametrize(
    "change", [{"service": "passeports"}, {"priority": True}, {"lang": "en"}, {"party": 7}, {"appointment": "K7M2QX"}],
    ids=["service", "priority", "lang", "party", "appointment"]
)
def test_the_same_key_with_a_different_request_is_refused(change: dict[str, Any]) -> None:
    """Reusing a key for a different service, priority, language, person (party) or appointment raises
    IdempotencyKeyReused."""
    state = new_state()
    apply(state, keyed(), MORNING)
    with pytest.raises(IdempotencyKeyReused):
        apply(state, keyed(**change), MORNING + minutes(1))


def test_different_keys_issue_different_tickets() -> None:
    """Two keys are two requests, even for the same service."""
    state = new_state()
    apply(state, keyed("a"), MORNING)
    events = apply(state, keyed("b"), MORNING)
    assert [e.number for e in events if isinstance(e, TicketIssued)] == ["A002"]


def test_a_retry_is_answered_even_after_the_service_closed() -> None:
    """A retry returns the original ticket although the service now refuses new ones."""
    closing = ServiceConfig("etat-civil", "État civil", "A", hours={1: ((540, 601),)})  # Tuesday 9:00–10:00
    state = new_state(site(services=(closing,)))
    first = keyed()
    apply(state, first, MORNING.replace(hour=9, minute=59))
    assert apply(state, keyed(), MORNING + minutes(30)) == []


def test_a_retry_is_answered_even_after_the_daily_cap() -> None:
    """A retry returns the original ticket although the service reached its daily cap."""
    capped = ServiceConfig("etat-civil", "État civil", "A", daily_cap=1)
    state = new_state(site(services=(capped,)))
    apply(state, keyed(), MORNING)
    assert apply(state, keyed(), MORNING + minutes(1)) == []


def test_a_key_older_than_24_hours_can_be_used_again() -> None:
    """After IDEMPOTENCY_WINDOW the same key issues a new ticket."""
    state = new_state()
    apply(state, keyed(), MORNING)
    retry = keyed()
    events = apply(state, retry, MORNING + IDEMPOTENCY_WINDOW + timedelta(seconds=1))
    assert [type(e) for e in events] == [DayStarted, TicketIssued]
    ticket = outcome(state, retry)
    assert ticket is not None and ticket.id == retry.ticket_id


def test_a_key_younger_than_24_hours_still_holds_the_next_day() -> None:
    """The same key is still recognised the next local day within IDEMPOTENCY_WINDOW."""
    state = new_state()
    apply(state, keyed(), MORNING)
    events = apply(state, keyed(), MORNING + IDEMPOTENCY_WINDOW - timedelta(seconds=1))
    assert [type(e) for e in events] == [DayStarted]


def test_a_key_survives_the_day_rollover() -> None:
    """DayStarted keeps keys younger than IDEMPOTENCY_WINDOW: a different request is still refused."""
    state = new_state()
    apply(state, keyed(), MORNING)
    apply(state, command(c.OpenCounter, counter="1"), MORNING + timedelta(hours=23))
    assert state.day == "2026-03-11"
    assert "kiosk-42" in state.idempotency
    with pytest.raises(IdempotencyKeyReused):
        apply(state, keyed(service="passeports"), MORNING + timedelta(hours=23, minutes=1))


def test_the_day_rollover_drops_keys_older_than_24_hours() -> None:
    """DayStarted forgets keys issued more than IDEMPOTENCY_WINDOW before it."""
    state = new_state()
    apply(state, keyed(), MORNING)
    apply(state, command(c.OpenCounter, counter="1"), MORNING + timedelta(hours=25))
    assert "kiosk-42" not in state.idempotency


def test_the_window_is_real_time_across_a_dst_change() -> None:
    """Noon on 28 March to 12:30 on 29 March 2026 in Paris is only 23.5 real hours: the key still holds."""
    state = new_state(site(services=(ETAT_CIVIL,)), started=None)
    apply(state, keyed(), paris(2026, 3, 28, 12))
    events = apply(state, keyed(), paris(2026, 3, 29, 12, 30))
    assert [type(e) for e in events] == [DayStarted]


# Command ids ----------------------------------------------------------------------------------


def test_a_command_already_applied_yields_no_event() -> None:
    """A command retried with the same command_id (its reply was lost) produces nothing."""
    state = new_state()
    cmd = command(c.IssueTicket, service="etat-civil")
    apply(state, cmd, MORNING)
    assert apply(state, cmd, MORNING + minutes(1)) == []
    assert state.seq["etat-civil"] == 1


def test_a_command_already_applied_returns_its_ticket() -> None:
    """``outcome`` of a retried command is the ticket the first attempt concerned."""
    state = new_state()
    cmd = command(c.IssueTicket, service="etat-civil")
    apply(state, cmd, MORNING)
    apply(state, cmd, MORNING + minutes(1))
    ticket = outcome(state, cmd)
    assert ticket is not None and ticket.id == cmd.ticket_id


def test_a_retried_call_returns_the_ticket_it_called() -> None:
    """``outcome`` of a CallNext that finished one visit and called the next is the called ticket."""
    state = new_state()
    first = issue(state, MORNING)
    second = issue(state, MORNING)
    call = command(c.CallNext, counter="1")
    apply(state, call, MORNING)
    apply(state, command(c.Start, ticket_id=first.id), MORNING)
    call_again = command(c.CallNext, counter="1")
    apply(state, call_again, MORNING + minutes(5))
    assert apply(state, call_again, MORNING + minutes(6)) == []
    assert outcome(state, call) == state.tickets[first.id]
    assert outcome(state, call_again) == state.tickets[second.id]


def test_a_command_about_no_ticket_has_no_outcome() -> None:
    """A counter command concerns no ticket: its outcome is None, even when retried."""
    state = new_state()
    cmd = command(c.OpenCounter, counter="1")
    apply(state, cmd, MORNING)
    assert apply(state, cmd, MORNING) == []
    assert outcome(state, cmd) is None


def test_a_command_never_applied_has_no_outcome() -> None:
    """``outcome`` of a command the state has not seen is None."""
    state = new_state()
    assert outcome(state, command(c.IssueTicket, service="etat-civil", idempotency_key="new")) is None


def test_an_event_without_a_command_id_records_no_command() -> None:
    """An event carrying no command id (written by an older version) marks no command as applied."""
    state = new_state()
    evolve(state, CounterOpened(at=MORNING, counter="1"))
    assert state.applied == {}


def test_deciding_never_changes_the_state() -> None:
    """``decide`` leaves the state untouched, including when it starts a new day."""
    state = new_state()
    issue(state, MORNING)
    tickets, day = dict(state.tickets), state.day
    decide(state, command(c.IssueTicket, service="etat-civil"), MORNING + timedelta(days=1))
    assert (state.tickets, state.day) == (tickets, day)

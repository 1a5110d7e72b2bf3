"""A new local day (DayStarted) starts the queue afresh; configuration is plain, immutable data."""

from __future__ import annotations

from datetime import timedelta

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.events import DayStarted, TicketCalled, TicketFinished, TicketRecalled
from queue_server.queue.domain.state import RECENT_CALLS, SiteState, evolve

from .support import MORNING, act, apply, call_next, command, issue, minutes, new_state, paris, serve, site

NEXT_MORNING = MORNING + timedelta(days=1)


def busy_day() -> SiteState:
    """A day with tickets waiting, called, served and counters open."""
    state = new_state()
    for service in ("etat-civil", "etat-civil", "passeports"):
        issue(state, MORNING, service)
    serve(state, MORNING, "1", minutes(5))
    call_next(state, MORNING + minutes(5), "2")
    return state


def next_day(state: SiteState) -> None:
    apply(state, command(c.PauseCounter, counter="3"), NEXT_MORNING)


def test_the_new_day_drops_yesterdays_tickets() -> None:
    """After DayStarted no ticket of the previous day remains, waiting or not."""
    state = busy_day()
    next_day(state)
    assert state.tickets == {}
    assert all(queue == [] for queue in state.queues.values())
    assert state.day == "2026-03-11"


def test_the_new_day_restarts_every_services_numbers() -> None:
    """After DayStarted each service numbers from 001 again."""
    state = busy_day()
    next_day(state)
    assert (issue(state, NEXT_MORNING).number, issue(state, NEXT_MORNING, "passeports").number) == ("A001", "P001")


def test_the_new_day_closes_and_frees_every_counter() -> None:
    """After DayStarted every counter is closed with no ticket, whatever it was doing."""
    state = busy_day()
    evolve(state, DayStarted(at=NEXT_MORNING, day="2026-03-11"))
    assert {s.status for s in state.counters.values()} == {"closed"}
    assert {s.ticket_id for s in state.counters.values()} == {None}


def test_the_new_day_forgets_yesterdays_commands_and_calls() -> None:
    """After DayStarted neither yesterday's command ids nor its recent calls are remembered."""
    state = busy_day()
    evolve(state, DayStarted(at=NEXT_MORNING, day="2026-03-11"))
    assert (state.applied, list(state.recent_calls)) == ({}, [])


def test_the_new_day_keeps_the_duration_history() -> None:
    """Visit durations outlive the day, so the morning estimate starts from recent visits."""
    state = busy_day()
    next_day(state)
    assert state.visit_s["etat-civil"] == 300.0 + 0.2 * (300.0 - 300.0)


# Recent calls (what the hall display lists) ---------------------------------------------------


def test_recent_calls_list_the_latest_calls_last() -> None:
    """Each call appends its ticket to the recent calls."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING)
    call_next(state, MORNING, "1")
    call_next(state, MORNING, "2")
    assert list(state.recent_calls) == [first.id, second.id]


def test_a_recall_moves_the_ticket_to_the_end_of_the_recent_calls() -> None:
    """A recalled ticket appears once, as the latest call."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING)
    call_next(state, MORNING, "1")
    call_next(state, MORNING, "2")
    act(state, c.Recall, first, MORNING + minutes(1))
    assert list(state.recent_calls) == [second.id, first.id]


def test_a_ticket_called_again_appears_once_in_the_recent_calls() -> None:
    """A requeued no-show called again is listed once, as the latest call."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING)
    call_next(state, MORNING, "1")
    call_next(state, MORNING, "2")
    act(state, c.MarkNoShow, first, MORNING + minutes(1))
    act(state, c.Requeue, first, MORNING + minutes(2))
    call_next(state, MORNING + minutes(3), "1")
    assert list(state.recent_calls) == [second.id, first.id]


def test_recent_calls_keep_only_the_latest() -> None:
    """Only the last RECENT_CALLS calls are kept; a recall brings an older ticket back in."""
    state = new_state()
    waiting = [issue(state, MORNING) for _ in range(RECENT_CALLS + 1)]
    call_next(state, MORNING, "1")  # stays called at counter 1
    for _ in range(RECENT_CALLS):
        ticket = call_next(state, MORNING, "2")
        assert ticket is not None
        act(state, c.Start, ticket, MORNING)
    assert waiting[0].id not in state.recent_calls
    act(state, c.Recall, waiting[0], MORNING + minutes(1))
    assert len(state.recent_calls) == RECENT_CALLS
    assert state.recent_calls[-1] == waiting[0].id


# Folding robustness ---------------------------------------------------------------------------


def test_finishing_a_ticket_never_frees_its_counter_from_a_later_ticket() -> None:
    """A visit finished after its counter moved on leaves the counter's current ticket alone."""
    state = new_state()
    first, second = issue(state, MORNING), issue(state, MORNING)
    evolve(state, TicketCalled(at=MORNING, ticket_id=first.id, counter="1"))
    evolve(state, TicketCalled(at=MORNING, ticket_id=second.id, counter="1"))
    evolve(state, TicketFinished(at=MORNING + minutes(5), ticket_id=first.id))
    assert state.counter("1").ticket_id == second.id


def test_a_recall_of_a_ticket_unknown_to_the_recent_calls_adds_it() -> None:
    """Folding a recall of a ticket missing from the recent calls appends it."""
    state = new_state()
    ticket = issue(state, MORNING)
    evolve(state, TicketCalled(at=MORNING, ticket_id=ticket.id, counter="1"))
    state.recent_calls.clear()
    evolve(state, TicketRecalled(at=MORNING, ticket_id=ticket.id))
    assert list(state.recent_calls) == [ticket.id]


def test_a_state_that_never_ran_has_no_day() -> None:
    """A fresh state has no day, no tickets and its configured counters closed."""
    state = SiteState(site())
    assert (state.day, state.tickets, state.last_event_id) == (None, {}, "0-0")
    assert state.head("etat-civil") is None and state.waiting("etat-civil") == 0


# Configuration ---------------------------------------------------------------------------------


def test_a_site_is_in_paris_unless_told_otherwise() -> None:
    """A site's time zone defaults to Europe/Paris."""
    assert SiteConfig("s").timezone == "Europe/Paris"


def test_a_site_belongs_to_a_tenant_and_has_services_and_counters() -> None:
    """A site names its tenant and finds its services and counters by id."""
    config = SiteConfig(
        "mairie-1", name="Mairie", tenant="ville", services=(ServiceConfig("ec", "État civil", "A", weight=2.0),),
        counters=(CounterConfig("1", "Guichet 1", ("ec",)),),
    )
    service, counter = config.service("ec"), config.counter("1")
    assert config.tenant == "ville"
    assert service is not None and (service.prefix, service.weight, service.daily_cap, service.hours) == (
        "A", 2.0, None, None
    )
    assert counter is not None and counter.services == ("ec",)
    assert (config.service("nope"), config.counter("nope")) == (None, None)


def test_the_sites_day_is_its_local_calendar_day() -> None:
    """``day`` gives the local date in the site's zone, as YYYY-MM-DD."""
    moment = paris(2026, 1, 15, 0, 30)
    assert SiteConfig("s").day(moment) == "2026-01-15"
    assert SiteConfig("s", timezone="America/Cayenne").day(moment) == "2026-01-14"


def test_service_config_defaults() -> None:
    """A service weighs 1, has no cap, is always open and is assumed to take 5 minutes a visit."""
    service = ServiceConfig("ec", "État civil", "A")
    assert (service.weight, service.daily_cap, service.hours, service.default_duration_s) == (1.0, None, None, 300)
    assert site(services=(service,)).open_now(service, paris(2026, 3, 15, 3))

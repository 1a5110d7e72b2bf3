"""Where a citizen stands (``position``) and how long the wait should be (``estimated_wait_s``)."""

from __future__ import annotations

from datetime import timedelta

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig
from queue_server.queue.domain.estimate import (
    counters_share,
    estimated_wait_s,
    mean_duration_s,
    next_shown,
    seconds_per_place,
    service_wait_s,
    shown_wait,
    wait_at,
)
from queue_server.queue.domain.events import TicketCalled, TicketFinished
from queue_server.queue.domain.state import SiteState, evolve

from .support import MORNING, act, apply, call_next, command, current, issue, minutes, new_state, paris, serve, site


def town_hall() -> SiteState:
    """État civil (4 min by default) at counters 1 and 2; passports (10 min) at counter 2 only;
    urbanism at no counter at all."""
    return new_state(site(
        services=(
            ServiceConfig("etat-civil", "État civil", "A", default_duration_s=240),
            ServiceConfig("passeports", "Passeports", "P", default_duration_s=600),
            ServiceConfig("urbanisme", "Urbanisme", "U"),
        ),
        counters=(
            CounterConfig("1", "Guichet 1", ("etat-civil",)),
            CounterConfig("2", "Guichet 2", ("etat-civil", "passeports")),
        ),
    ))


def one_service_hall() -> SiteState:
    """État civil (4 min by default) at counters 1 and 2, which serve nothing else."""
    return new_state(site(
        services=(ServiceConfig("etat-civil", "État civil", "A", default_duration_s=240),),
        counters=(CounterConfig("1", "Guichet 1", ("etat-civil",)), CounterConfig("2", "Guichet 2", ("etat-civil",))),
    ))


def open_counter(state: SiteState, counter: str) -> None:
    apply(state, command(c.OpenCounter, counter=counter), MORNING)


# Mean duration ----------------------------------------------------------------------------------


def test_before_any_visit_the_mean_is_the_configured_default() -> None:
    """With no visit finished yet, a service's mean duration is its default_duration_s."""
    assert mean_duration_s(town_hall(), "passeports") == 600.0


def test_an_unknown_service_is_assumed_to_take_five_minutes() -> None:
    """A service missing from the configuration falls back to 300 seconds."""
    assert mean_duration_s(town_hall(), "cartes-grises") == 300.0


def test_each_finished_visit_counts_for_a_fifth_from_start_to_finish() -> None:
    """Each finished visit, from its start to its finish, moves the mean a fifth of the way towards it."""
    state = town_hall()
    issue(state, MORNING)
    issue(state, MORNING)
    serve(state, MORNING, "1", minutes(4))
    serve(state, MORNING, "2", minutes(6))
    assert mean_duration_s(state, "etat-civil") == 240.0 + 0.2 * (360.0 - 240.0)


def test_the_time_between_call_and_start_does_not_count() -> None:
    """A visit's duration starts when serving starts, not when the ticket was called."""
    state = town_hall()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    act(state, c.Start, ticket, MORNING + minutes(3))
    act(state, c.Finish, ticket, MORNING + minutes(5))
    assert mean_duration_s(state, "etat-civil") == 240.0 + 0.2 * (120.0 - 240.0)


def test_a_visit_never_started_counts_from_its_call() -> None:
    """A ticket finished without a start (as older streams may hold) counts from its call."""
    state = town_hall()
    ticket = issue(state, MORNING)
    evolve(state, TicketCalled(at=MORNING + minutes(1), ticket_id=ticket.id, counter="1"))
    evolve(state, TicketFinished(at=MORNING + minutes(8), ticket_id=ticket.id))
    assert mean_duration_s(state, "etat-civil") == 240.0 + 0.2 * (420.0 - 240.0)


def test_durations_are_real_time_across_a_dst_change() -> None:
    """A visit from 01:58 CET to 03:03 CEST on 29 March 2026 lasted five minutes."""
    state = town_hall()
    ticket = issue(state, paris(2026, 3, 29, 1, 50))
    call_next(state, paris(2026, 3, 29, 1, 58))
    act(state, c.Start, ticket, paris(2026, 3, 29, 1, 58))
    act(state, c.Finish, ticket, paris(2026, 3, 29, 3, 3))
    assert mean_duration_s(state, "etat-civil") == 240.0 + 0.2 * (300.0 - 240.0)


def test_a_visit_left_open_moves_the_mean_by_a_fifth_at_most() -> None:
    """A visit counts at most twice the mean: an hour-long one (left open over lunch) adds a fifth."""
    state = town_hall()
    issue(state, MORNING)
    serve(state, MORNING, "1", minutes(60))
    assert mean_duration_s(state, "etat-civil") == 240.0 * 1.2


def test_a_visit_closed_at_once_lowers_the_mean_by_a_tenth_at_most() -> None:
    """A visit counts at least half the mean: one finished in a second takes a tenth off."""
    state = town_hall()
    issue(state, MORNING)
    serve(state, MORNING, "1", timedelta(seconds=1))
    assert mean_duration_s(state, "etat-civil") == 240.0 * 0.9


def test_old_visits_fade_away() -> None:
    """After thirty two-minute visits the mean is two minutes, whatever came before."""
    state = town_hall()
    for _ in range(31):
        issue(state, MORNING)
    serve(state, MORNING, "1", minutes(60))
    for _ in range(30):
        serve(state, MORNING, "1", minutes(2))
    assert abs(mean_duration_s(state, "etat-civil") - 120.0) < 1


def test_services_keep_separate_durations() -> None:
    """A passport visit does not change the état-civil mean."""
    state = town_hall()
    issue(state, MORNING, "passeports")
    serve(state, MORNING, "2", minutes(30))
    assert mean_duration_s(state, "etat-civil") == 240.0


# Counters sharing the work ----------------------------------------------------------------------


def test_the_open_counters_serving_a_service_share_its_queue() -> None:
    """Only open counters serving the service count once any of them is open."""
    state = one_service_hall()
    open_counter(state, "1")
    assert counters_share(state, "etat-civil") == 1
    open_counter(state, "2")
    assert counters_share(state, "etat-civil") == 2


def test_before_any_counter_opens_the_configured_ones_count() -> None:
    """When no counter serving the service is open (morning), the configured counters count."""
    state = one_service_hall()
    assert counters_share(state, "etat-civil") == 2
    open_counter(state, "1")
    assert counters_share(state, "etat-civil") == 1


def test_a_paused_counter_does_not_share_the_work() -> None:
    """A paused counter does not count among the open ones."""
    state = one_service_hall()
    open_counter(state, "1")
    apply(state, command(c.PauseCounter, counter="2"), MORNING)
    assert counters_share(state, "etat-civil") == 1


# The estimate ----------------------------------------------------------------------------------


def test_the_estimate_is_the_mean_times_people_ahead_plus_one_over_counters() -> None:
    """(ahead + 1) × mean duration ÷ counters, in seconds."""
    state = one_service_hall()
    open_counter(state, "1")
    open_counter(state, "2")
    assert estimated_wait_s(state, "etat-civil", ahead=3) == 4 * 240 // 2


def test_the_estimate_rounds_up_to_the_second() -> None:
    """A fractional estimate is rounded up to whole seconds."""
    state = one_service_hall()
    open_counter(state, "2")
    issue(state, MORNING)
    serve(state, MORNING, "1", timedelta(seconds=245))
    assert estimated_wait_s(state, "etat-civil", ahead=0) == 121  # (240 + (245 - 240) / 5) / 2 = 120.5


def test_there_is_no_estimate_when_no_counter_serves_the_service() -> None:
    """A service served by no counter has no estimate (None)."""
    assert estimated_wait_s(town_hall(), "urbanisme", ahead=0) is None


def test_the_estimate_follows_the_visits_of_the_day() -> None:
    """Once visits are finished, the estimate uses their mean instead of the default."""
    state = one_service_hall()
    open_counter(state, "2")
    issue(state, MORNING)
    serve(state, MORNING, "2", minutes(5))
    assert estimated_wait_s(state, "etat-civil", ahead=1) == 2 * 252  # 240 + (300 - 240) / 5


# Position ---------------------------------------------------------------------------------------


def test_the_position_counts_the_people_ahead() -> None:
    """The first in line has position 0, the next 1, and so on."""
    state = new_state()
    tickets = [issue(state, MORNING + minutes(i)) for i in range(3)]
    assert [state.position(t) for t in tickets] == [0, 1, 2]


def test_only_a_waiting_ticket_has_a_position() -> None:
    """A ticket that is not waiting has no position (None)."""
    state = new_state()
    ticket = issue(state, MORNING)
    call_next(state, MORNING)
    assert state.position(current(state, ticket)) is None


def test_priority_tickets_are_ahead_of_normal_ones() -> None:
    """A priority ticket is ahead of every normal ticket of its service, whenever it arrived."""
    state = new_state()
    normal = issue(state, MORNING)
    priority = issue(state, MORNING + minutes(10), priority=True)
    assert (state.position(current(state, priority)), state.position(current(state, normal))) == (0, 1)


def test_front_transfers_are_ahead_of_normal_arrivals_but_behind_priority() -> None:
    """A ticket transferred to the front waits behind priority tickets and ahead of normal arrivals."""
    state = new_state()
    normal = issue(state, MORNING, "passeports")
    priority = issue(state, MORNING + minutes(5), "passeports", priority=True)
    moved = issue(state, MORNING + minutes(10))
    act(state, c.Transfer, moved, MORNING + minutes(11), service="passeports", to_front=True)
    positions = [state.position(current(state, t)) for t in (priority, moved, normal)]
    assert positions == [0, 1, 2]


def test_positions_move_up_as_tickets_are_called() -> None:
    """When the head is called, everyone behind moves up one place."""
    state = new_state()
    issue(state, MORNING)
    second = issue(state, MORNING + minutes(1))
    call_next(state, MORNING + minutes(2))
    assert state.position(current(state, second)) == 0


def test_each_place_adds_the_mean_shared_by_the_counters() -> None:
    """``seconds_per_place`` is what a client folding the live feed needs to give each waiting ticket the
    server's estimate: the same figure for every place, rounded up as the server does."""
    state = one_service_hall()
    open_counter(state, "2")
    issue(state, MORNING)
    serve(state, MORNING, "1", timedelta(seconds=245))
    open_counter(state, "1")
    assert seconds_per_place(state, "etat-civil") == 241 / 2  # the mean: 240 + (245 - 240) / 5
    assert [wait_at(ahead, 241 / 2) for ahead in range(3)] == [121, 241, 362]
    assert [estimated_wait_s(state, "etat-civil", ahead) for ahead in range(3)] == [121, 241, 362]
    assert seconds_per_place(town_hall(), "urbanisme") is None and wait_at(4, None) is None


def test_a_counter_serving_two_services_shares_its_time_by_the_work_waiting() -> None:
    """Counter 2 serves état civil and passports: each gets its share in proportion to the people waiting
    (plus one) times their mean duration, so that the counter is not counted twice."""
    state = town_hall()
    open_counter(state, "2")
    for _ in range(2):
        issue(state, MORNING, "etat-civil")  # 3 × 240 s of work
    assert seconds_per_place(state, "passeports") == 600 / (600 / (600 + 720))
    assert seconds_per_place(state, "etat-civil") == 240 / (720 / (600 + 720))


# The service's published estimate -------------------------------------------------------------------


def test_nobody_waiting_is_no_wait() -> None:
    """With nobody waiting, the service's estimate is 0 (said "no wait"), not one visit's length."""
    state = town_hall()
    open_counter(state, "1")
    assert service_wait_s(state, "etat-civil") == 0


def test_the_first_one_waiting_gets_the_raw_estimate() -> None:
    """From "no wait", the first ticket gives the estimate of the next arrival: two places' worth."""
    state = town_hall()
    open_counter(state, "1")
    issue(state, MORNING)
    assert service_wait_s(state, "etat-civil") == 2 * 240


def test_a_burst_of_arrivals_raises_the_estimate_by_half_per_event() -> None:
    """Each new ticket raises the published estimate by half at most, until it meets the raw figure."""
    state = town_hall()
    open_counter(state, "1")
    shown = []
    for _ in range(8):
        issue(state, MORNING)
        shown.append(service_wait_s(state, "etat-civil"))
    assert shown[:3] == [480, 720, 960]  # raw: (waiting + 1) × 240; each within 1.5 × the previous
    assert shown[-1] == 9 * 240


def test_a_counter_opening_lowers_the_estimate_in_steps() -> None:
    """A second counter halves the raw estimate; the published one goes down by a third per event."""
    state = town_hall()
    open_counter(state, "1")
    for _ in range(5):
        issue(state, MORNING)
    before = service_wait_s(state, "etat-civil")
    open_counter(state, "2")
    after = service_wait_s(state, "etat-civil")
    assert before == 6 * 240 and after == 960  # raw 720 held at two thirds of 1440


def test_an_estimate_held_back_meets_the_raw_figure_again() -> None:
    """``next_shown`` keeps the raw figure when it is within bounds, and holds it to them otherwise."""
    assert (next_shown(600, 700), next_shown(600, 2000), next_shown(600, 100)) == (700, 900, 400)
    assert (next_shown(None, 300), next_shown(0, 300), next_shown(300, 0), next_shown(300, None)) == \
        (300, 300, 0, None)


def test_a_service_never_folded_gives_its_raw_estimate() -> None:
    """Before any event about it, the published estimate is the raw one (0: nobody waits)."""
    state = town_hall()
    state.shown_wait.clear()
    assert service_wait_s(state, "etat-civil") == 0


# Said in words ------------------------------------------------------------------------------------


def test_estimates_are_said_in_coarse_words() -> None:
    """Unknown; no wait; less than 5 min; about N min to the nearest 5; more than an hour."""
    said = {s: tuple(shown_wait(s)) for s in (None, 0, 1, 299, 300, 449, 450, 1799, 3299, 3599, 3600, 99999)}
    assert said == {None: ("unknown", 0), 0: ("none", 0), 1: ("under", 5), 299: ("under", 5),
                    300: ("about", 5), 449: ("about", 5), 450: ("about", 10), 1799: ("about", 30),
                    3299: ("about", 55), 3599: ("about", 55), 3600: ("over", 60), 99999: ("over", 60)}

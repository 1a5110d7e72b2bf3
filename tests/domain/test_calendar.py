"""When a site opens (weekly hours, closures, public holidays, the next opening) and how an administrator's
new configuration is decided: refused while it would drop a service or a counter in use, folded whole."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import Calendar, Closure, CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.errors import (
    CounterBusy,
    CounterWithoutService,
    Invalid,
    PrefixTaken,
    ServiceBusy,
    ServiceClosed,
)
from queue_server.queue.domain.events import SiteConfigured

from .support import COUNTERS, ETAT_CIVIL, PASSEPORTS, act, apply, call_next, command, issue, new_state, paris, site

KIOSK = 7
WEEKDAYS = ((510, 720), (810, 1050))  # 8:30–12:00 and 13:30–17:30
HOURS = {0: WEEKDAYS, 1: WEEKDAYS, 2: WEEKDAYS, 3: WEEKDAYS, 4: WEEKDAYS, 5: ((540, 720),)}
CHRISTMAS = ((date(2026, 12, 25), "Noël"),)


def hall(**calendar: object) -> SiteConfig:
    return site(calendar=Calendar(**calendar))  # type: ignore[arg-type]


def test_the_next_opening_is_the_next_span_of_the_week() -> None:
    """Closed at lunch: it opens at 13:30; on Saturday afternoon: Monday 8:30; open now: now."""
    calendar = Calendar(weekly=HOURS)
    assert calendar.next_opening(paris(2026, 3, 10, 12, 15)) == paris(2026, 3, 10, 13, 30)
    assert calendar.next_opening(paris(2026, 3, 14, 12, 0)) == paris(2026, 3, 16, 8, 30)
    assert calendar.next_opening(paris(2026, 3, 10, 9, 0)) == paris(2026, 3, 10, 9, 0)
    assert calendar.closes_at(paris(2026, 3, 10, 9, 0)) == paris(2026, 3, 10, 12, 0)
    assert calendar.closes_at(paris(2026, 3, 10, 12, 15)) is None


def test_a_closure_closes_every_day_it_covers_and_says_why() -> None:
    calendar = Calendar(weekly=HOURS, closures=(Closure(date(2026, 3, 10), date(2026, 3, 12), "Inventaire"),))
    assert calendar.closed_on(date(2026, 3, 11)) == "Inventaire"
    assert not calendar.is_open(paris(2026, 3, 12, 9, 0))
    assert calendar.next_opening(paris(2026, 3, 10, 9, 0)) == paris(2026, 3, 13, 8, 30)


def test_a_public_holiday_closes_even_a_site_open_all_the_time() -> None:
    calendar = Calendar(holidays=CHRISTMAS, holiday_region="FR")
    assert not calendar.is_open(paris(2026, 12, 25, 10, 0))
    assert calendar.next_opening(paris(2026, 12, 25, 10, 0)) == paris(2026, 12, 26, 0, 0)
    assert calendar.closes_at(paris(2026, 12, 24, 10, 0)) is None  # open without end in sight


def test_an_end_at_midnight_closes_at_the_next_day() -> None:
    calendar = Calendar(weekly={1: ((1200, 1440),)})
    assert calendar.closes_at(paris(2026, 3, 10, 23, 0)) == paris(2026, 3, 11, 0, 0)


def test_a_site_that_never_opens_has_no_next_opening() -> None:
    assert Calendar(weekly={}).next_opening(paris(2026, 3, 10, 9, 0)) is None


def test_a_service_with_hours_of_its_own_keeps_them_but_not_on_a_holiday() -> None:
    """The service's own hours replace the site's; the site's closures and holidays still close it."""
    evening = ServiceConfig("etat-civil", "État civil", "A", hours={4: ((1020, 1200),)})  # Friday 17–20
    config = site(services=(evening, PASSEPORTS), calendar=Calendar(weekly=HOURS, holidays=CHRISTMAS))
    assert config.open_now(evening, paris(2026, 12, 18, 18, 0))
    assert not config.open_now(PASSEPORTS, paris(2026, 12, 18, 18, 0))
    assert not config.open_now(evening, paris(2026, 12, 25, 18, 0))
    assert config.opens_at(evening, paris(2026, 12, 25, 18, 0)) == paris(2027, 1, 1, 17, 0)
    assert config.closes_at(evening, paris(2026, 12, 18, 18, 0)) == paris(2026, 12, 18, 20, 0)


def test_a_citizen_is_told_when_the_service_opens_again() -> None:
    state = new_state(hall(weekly=HOURS), started=None)
    with pytest.raises(ServiceClosed) as refused:
        apply(state, command(c.IssueTicket, service="etat-civil", issued_by=KIOSK), paris(2026, 3, 14, 12, 30))
    assert refused.value.opens_at == paris(2026, 3, 16, 8, 30)
    assert issue(state, paris(2026, 3, 14, 12, 30)).number == "A001"  # staff still may


# A new configuration -----------------------------------------------------------------------------

def configured(state_config: SiteConfig, **changes: object) -> SiteConfig:
    return SiteConfig.from_json({**state_config.to_json(), **changes})


def test_the_configuration_goes_through_json_unchanged() -> None:
    config = site(calendar=Calendar(weekly=HOURS, closures=(Closure(date(2026, 8, 3), date(2026, 8, 7), "Été"),),
                                    holiday_region="FR-57", holidays=CHRISTMAS),
                  address="1 place de la Mairie", colours=("#123456", "#abcdef"), kiosk_languages=("fr", "ar"))
    assert SiteConfig.from_json(config.to_json()) == config


def test_a_new_service_and_a_renamed_counter_are_folded() -> None:
    state = new_state()
    ticket = issue(state, paris(2026, 3, 10, 9))
    urbanisme = ServiceConfig("urbanisme", "Urbanisme", "U")
    renamed = (CounterConfig("1", "Accueil", ("etat-civil", "urbanisme")), *COUNTERS[1:])
    new = site(services=(ETAT_CIVIL, PASSEPORTS, urbanisme), counters=renamed)
    events = apply(state, command(c.Configure, config=new), paris(2026, 3, 10, 9, 1))
    assert [type(e) for e in events] == [SiteConfigured]
    assert state.config == new and state.config.counter("1").name == "Accueil"  # type: ignore[union-attr]
    assert state.tickets[ticket.id].status == "waiting"  # the queue is untouched
    assert issue(state, paris(2026, 3, 10, 9, 2), "urbanisme").number == "U001"


def test_a_service_with_waiting_tickets_cannot_be_removed() -> None:
    state = new_state()
    issue(state, paris(2026, 3, 10, 9), "passeports")
    with pytest.raises(ServiceBusy, match="1 ticket"):
        apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,))), paris(2026, 3, 10, 9, 1))
    assert state.config.service("passeports") is not None


def test_what_sql_holds_is_forced_whatever_waits() -> None:
    """At start, a process that finds SQL changed while it was away applies it: the tickets stay."""
    state = new_state()
    ticket = issue(state, paris(2026, 3, 10, 9), "passeports")
    apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,)), force=True), paris(2026, 3, 10, 9, 1))
    assert state.config.service("passeports") is None and state.tickets[ticket.id].status == "waiting"


def test_a_service_emptied_of_its_tickets_can_be_removed() -> None:
    state = new_state()
    ticket = issue(state, paris(2026, 3, 10, 9), "passeports")
    act(state, c.Cancel, ticket, paris(2026, 3, 10, 9, 1))
    without_3 = tuple(k for k in COUNTERS if k.id != "3")  # it served passports only
    apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,), counters=without_3)),
          paris(2026, 3, 10, 9, 2))
    assert state.config.service("passeports") is None


def test_a_counter_may_not_be_left_serving_no_service() -> None:
    """Removing the only service of a counter is refused, naming the counter, until the counter is given another
    service or removed; a new counter serving nothing is refused too."""
    state = new_state()
    with pytest.raises(CounterWithoutService, match="Guichet 3 serving no service") as refused:
        apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,))), paris(2026, 3, 10, 9))
    assert refused.value.counters == ("Guichet 3",)
    assert state.config.service("passeports") is not None
    moved = (*COUNTERS[:2], CounterConfig("3", "Guichet 3", ("etat-civil", "passeports")))
    apply(state, command(c.Configure, config=site(counters=moved)), paris(2026, 3, 10, 9, 1))
    apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,), counters=moved)), paris(2026, 3, 10, 9, 2))
    assert state.config.counters_serving("etat-civil") == ("1", "2", "3")
    empty = (*moved, CounterConfig("4", "Guichet 4", ()), CounterConfig("5", "Guichet 5", ()))
    with pytest.raises(CounterWithoutService, match="Guichet 4, Guichet 5 serving no service: give them") as both:
        apply(state, command(c.Configure, config=site(services=(ETAT_CIVIL,), counters=empty)),
              paris(2026, 3, 10, 9, 3))
    assert both.value.counters == ("Guichet 4", "Guichet 5")


def test_a_counter_that_already_served_nothing_does_not_block_other_changes() -> None:
    """A counter left serving nothing before the rule existed stays as it is while something else changes."""
    state = new_state(site(counters=(*COUNTERS, CounterConfig("4", "Guichet 4", ("gone",)))))
    apply(state, command(c.Configure, config=site(address="1 place de la Mairie", counters=state.config.counters)),
          paris(2026, 3, 10, 9))
    assert state.config.address == "1 place de la Mairie"


def test_an_open_counter_cannot_be_removed_a_closed_one_can() -> None:
    state = new_state()
    issue(state, paris(2026, 3, 10, 9))
    call_next(state, paris(2026, 3, 10, 9, 1), counter="2")
    without_2 = site(counters=tuple(k for k in COUNTERS if k.id != "2"))
    with pytest.raises(CounterBusy, match="close it first"):
        apply(state, command(c.Configure, config=without_2), paris(2026, 3, 10, 9, 2))
    without_1 = site(counters=tuple(k for k in COUNTERS if k.id != "1"))
    apply(state, command(c.Configure, config=without_1), paris(2026, 3, 10, 9, 3))
    assert "1" not in state.counters and state.config.counter("1") is None


def test_two_services_may_not_share_a_prefix() -> None:
    twin = ServiceConfig("urbanisme", "Urbanisme", "A")
    with pytest.raises(PrefixTaken, match="État civil"):
        apply(new_state(), command(c.Configure, config=site(services=(ETAT_CIVIL, twin))), paris(2026, 3, 10, 9))


def test_hours_that_close_now_refuse_the_kiosk_at_once() -> None:
    state = new_state()
    moment = paris(2026, 3, 10, 19, 0)
    assert issue(state, moment, issued_by=KIOSK)
    apply(state, command(c.Configure, config=hall(weekly=HOURS)), moment + timedelta(seconds=1))
    with pytest.raises(ServiceClosed):
        apply(state, command(c.IssueTicket, service="etat-civil", issued_by=KIOSK), moment + timedelta(seconds=2))


def test_a_configuration_for_another_site_is_refused() -> None:
    other = SiteConfig("ailleurs", services=(ETAT_CIVIL,))
    with pytest.raises(Invalid, match="another site"):
        apply(new_state(), command(c.Configure, config=other), paris(2026, 3, 10, 9))

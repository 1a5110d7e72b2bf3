"""Issuing a ticket: the service must exist, be open at the site's local time and under its daily cap."""

from __future__ import annotations

from datetime import datetime

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import ServiceConfig
from queue_server.queue.domain.errors import DailyCapReached, NotFound, ServiceClosed
from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.domain.state import SiteState

from .support import PASSEPORTS, act, apply, command, issue, minutes, new_state, paris, site, utc

KIOSK = 7  # a kiosk's device token id: citizens' tickets keep to the hours, staff's do not
WEEKDAYS = ((510, 720), (810, 1050))  # 8:30–12:00 and 13:30–17:30
HOURS = {0: WEEKDAYS, 1: WEEKDAYS, 2: WEEKDAYS, 3: WEEKDAYS, 4: WEEKDAYS, 5: ((540, 720),)}  # Saturday 9–12


def with_hours() -> SiteState:
    etat_civil = ServiceConfig("etat-civil", "État civil", "A", hours=HOURS)
    return new_state(site(services=(etat_civil, PASSEPORTS)), started=None)


def with_cap(cap: int) -> SiteState:
    etat_civil = ServiceConfig("etat-civil", "État civil", "A", daily_cap=cap)
    return new_state(site(services=(etat_civil, PASSEPORTS)), started=None)


def test_an_unknown_service_is_not_found() -> None:
    """Asking for a service the site does not have raises NotFound."""
    with pytest.raises(NotFound):
        apply(new_state(), command(c.IssueTicket, service="cartes-grises"), paris(2026, 3, 10, 10))


def test_a_new_ticket_waits_with_its_request() -> None:
    """An issued ticket is waiting, with the priority and language it was asked for."""
    state = new_state()
    ticket = issue(state, paris(2026, 3, 10, 10), priority=True, lang="ar")
    assert (ticket.status, ticket.priority, ticket.lang, ticket.issued_at) == (
        "waiting", True, "ar", paris(2026, 3, 10, 10)
    )
    assert state.waiting("etat-civil") == 1


def test_a_ticket_staff_issue_for_a_known_person_carries_the_party_to_the_end() -> None:
    """A ticket issued for a party (the citizen record's number) carries it in its event and on the ticket through
    its visit (called, served), so that the CRM can follow it; an anonymous ticket carries none."""
    state = new_state()
    cmd = command(c.IssueTicket, service="etat-civil", party=42)
    [issued] = apply(state, cmd, paris(2026, 3, 10, 10))
    assert isinstance(issued, TicketIssued) and issued.party == 42
    anonymous = issue(state, paris(2026, 3, 10, 10, 1))
    ticket = state.tickets[cmd.ticket_id]
    act(state, c.Transfer, ticket, paris(2026, 3, 10, 10, 2), service="passeports")
    act(state, c.CallTicket, ticket, paris(2026, 3, 10, 10, 3), counter="1")
    assert (state.tickets[ticket.id].party, state.tickets[ticket.id].status) == (42, "called")
    assert anonymous.party is None


# Daily cap ------------------------------------------------------------------------------------


def test_the_daily_cap_refuses_the_ticket_after_the_last() -> None:
    """Once a service issued its daily_cap tickets today, the next is refused with DailyCapReached."""
    state = with_cap(2)
    issue(state, paris(2026, 3, 10, 9))
    issue(state, paris(2026, 3, 10, 9))
    with pytest.raises(DailyCapReached, match="État civil takes no more tickets today"):
        apply(state, command(c.IssueTicket, service="etat-civil"), paris(2026, 3, 10, 9, 1))


def test_cancelled_tickets_still_count_against_the_cap() -> None:
    """The cap counts tickets issued, so cancelling one frees no place."""
    state = with_cap(1)
    ticket = issue(state, paris(2026, 3, 10, 9))
    act(state, c.Cancel, ticket, paris(2026, 3, 10, 9, 1))
    with pytest.raises(DailyCapReached):
        apply(state, command(c.IssueTicket, service="etat-civil"), paris(2026, 3, 10, 9, 2))


def test_the_cap_of_one_service_does_not_limit_another() -> None:
    """A capped service that is full leaves the other services issuing."""
    state = with_cap(1)
    issue(state, paris(2026, 3, 10, 9))
    assert issue(state, paris(2026, 3, 10, 9), "passeports").number == "P001"


def test_the_cap_is_per_local_day() -> None:
    """The next local day, a capped service issues again from A001."""
    state = with_cap(1)
    issue(state, paris(2026, 3, 10, 23, 59))
    assert issue(state, paris(2026, 3, 11, 0, 1)).number == "A001"


# Opening hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (paris(2026, 3, 10, 8, 29), False),
        (paris(2026, 3, 10, 8, 30), True),  # start included
        (paris(2026, 3, 10, 11, 59), True),
        (paris(2026, 3, 10, 12, 0), False),  # end excluded
        (paris(2026, 3, 10, 13, 30), True),
        (paris(2026, 3, 10, 17, 30), False),
        (paris(2026, 3, 14, 9, 0), True),  # Saturday morning
        (paris(2026, 3, 14, 14, 0), False),  # Saturday afternoon
        (paris(2026, 3, 15, 10, 0), False),  # Sunday: no hours at all
    ],
    ids=lambda v: v.strftime("%a-%H:%M") if isinstance(v, datetime) else str(v),
)
def test_opening_hours_are_per_weekday_minutes_start_included_end_excluded(moment: datetime, is_open: bool) -> None:
    """A service issues tickets within [start, end) of its weekday's intervals, and refuses otherwise."""
    state = with_hours()
    cmd = command(c.IssueTicket, service="etat-civil", issued_by=KIOSK)
    if is_open:
        assert apply(state, cmd, moment)
    else:
        with pytest.raises(ServiceClosed, match="État civil is closed"):
            apply(state, cmd, moment)
        assert issue(state, moment).number == "A001"  # staff may still issue one for someone who is there


def test_opening_hours_are_read_on_the_sites_wall_clock() -> None:
    """8:30 in Paris is 6:30 UTC in summer and 7:30 UTC in winter; the hours follow Paris."""
    assert issue(with_hours(), utc(2026, 7, 7, 6, 30), issued_by=KIOSK).number == "A001"
    with pytest.raises(ServiceClosed):
        apply(with_hours(), command(c.IssueTicket, service="etat-civil", issued_by=KIOSK), utc(2026, 1, 6, 6, 30))


def test_opening_hours_follow_an_overseas_zone() -> None:
    """In Cayenne (UTC−3), 8:30 local is 11:30 UTC."""
    etat_civil = ServiceConfig("etat-civil", "État civil", "A", hours=HOURS)
    state = new_state(site(services=(etat_civil,), timezone="America/Cayenne"), started=None)
    with pytest.raises(ServiceClosed):
        apply(state, command(c.IssueTicket, service="etat-civil", issued_by=KIOSK), utc(2026, 3, 10, 11, 29))
    assert issue(state, utc(2026, 3, 10, 11, 30), issued_by=KIOSK).number == "A001"


def test_a_service_without_hours_is_always_open() -> None:
    """A service with no opening hours issues at any time, even at night."""
    state = with_hours()
    assert issue(state, paris(2026, 3, 15, 3, 0), "passeports", issued_by=KIOSK).number == "P001"


def test_a_closed_service_does_not_use_up_a_number() -> None:
    """A refused ticket takes no number: the next one issued is still A001."""
    state = with_hours()
    with pytest.raises(ServiceClosed):
        apply(state, command(c.IssueTicket, service="etat-civil", issued_by=KIOSK), paris(2026, 3, 10, 8))
    assert issue(state, paris(2026, 3, 10, 8, 30) + minutes(1), issued_by=KIOSK).number == "A001"

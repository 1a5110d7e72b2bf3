"""Ticket numbers: a prefix and a per-service sequence that restarts at the site's local midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.events import DayStarted, TicketIssued
from queue_server.queue.domain.state import SiteState, evolve

from .support import MORNING, act, apply, command, issue, minutes, new_state, paris, site, utc


def numbers(state: SiteState, *moments: datetime, service: str = "etat-civil") -> list[str]:
    """The numbers of tickets issued at ``moments``, in order."""
    return [issue(state, moment, service).number for moment in moments]


def test_numbers_are_the_prefix_and_a_three_digit_sequence() -> None:
    """Tickets of a service are numbered A001, A002, A003… in order of issue."""
    state = new_state()
    assert numbers(state, MORNING, MORNING + minutes(1), MORNING + minutes(2)) == ["A001", "A002", "A003"]


def test_each_service_has_its_own_sequence() -> None:
    """Issuing in one service does not advance another service's numbers."""
    state = new_state()
    numbers(state, MORNING, MORNING)
    assert numbers(state, MORNING, service="passeports") == ["P001"]


def test_the_sequence_goes_past_three_digits() -> None:
    """After the 999th ticket of the day the number simply grows a digit."""
    state = new_state()
    evolve(state, TicketIssued(at=MORNING, ticket_id="t999", service="etat-civil", seq=999, number="A999"))
    assert numbers(state, MORNING) == ["A1000"]


def test_the_issued_event_carries_the_number_and_the_request() -> None:
    """TicketIssued records the service, sequence, number, priority, language and key."""
    state = new_state()
    cmd = command(c.IssueTicket, ticket_id="t-1", service="passeports", priority=True, lang="en",
                  idempotency_key="k")
    assert apply(state, cmd, MORNING) == [
        TicketIssued(at=MORNING, command_id=cmd.command_id, ticket_id="t-1", service="passeports", seq=1,
                     number="P001", priority=True, lang="en", idempotency_key="k")
    ]


def test_a_cancelled_ticket_keeps_its_number_and_the_number_is_not_reused() -> None:
    """Cancelling a ticket never frees its number for the next citizen."""
    state = new_state()
    first = issue(state, MORNING)
    act(state, c.Cancel, first, MORNING + minutes(1))
    assert state.tickets[first.id].number == "A001"
    assert numbers(state, MORNING + minutes(2)) == ["A002"]


# The day key is the site's local day -----------------------------------------------------------


def test_numbering_restarts_at_local_midnight_even_within_one_utc_day() -> None:
    """23:59 and 00:01 in Paris in winter are both on the same UTC day, yet numbering restarts."""
    state = new_state(started=None)
    before, after = paris(2026, 1, 14, 23, 59), paris(2026, 1, 15, 0, 1)
    assert before.astimezone(UTC).date() == after.astimezone(UTC).date()
    assert numbers(state, before - minutes(1), before) == ["A001", "A002"]
    assert numbers(state, after) == ["A001"]
    assert state.day == "2026-01-15"


def test_the_day_key_never_comes_from_utc() -> None:
    """At 00:30 in Paris the site is already in its new day although UTC is still on the previous one."""
    state = new_state(started=None)
    apply(state, command(c.OpenCounter, counter="1"), utc(2026, 3, 28, 23, 30))
    assert state.day == "2026-03-29"


def test_the_first_command_of_a_local_day_starts_it() -> None:
    """The first command of a new local day produces DayStarted first, keyed by the local date."""
    state = new_state(started=paris(2026, 1, 14, 18))
    cmd = command(c.IssueTicket, ticket_id="t", service="etat-civil")
    events = apply(state, cmd, paris(2026, 1, 15, 0, 1))
    assert events[0] == DayStarted(at=paris(2026, 1, 15, 0, 1), command_id=cmd.command_id, day="2026-01-15")
    assert isinstance(events[1], TicketIssued)


def test_no_day_starts_twice() -> None:
    """Later commands of the same local day produce no DayStarted."""
    state = new_state(started=None)
    issue(state, paris(2026, 1, 15, 8))
    cmd = command(c.IssueTicket, service="etat-civil")
    assert [type(e) for e in apply(state, cmd, paris(2026, 1, 15, 23, 59))] == [TicketIssued]


def test_numbering_continues_through_the_spring_dst_change() -> None:
    """On 29 March 2026 (02:00 CET → 03:00 CEST) numbers continue across the missing hour."""
    state = new_state(started=None)
    # 01:59 CET and 03:01 CEST, two minutes apart in real time.
    assert numbers(state, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 1)) == ["A001", "A002"]
    assert state.day == "2026-03-29"


def test_numbering_restarts_at_the_midnight_after_the_spring_dst_change() -> None:
    """After 29 March 2026, numbering restarts at local midnight, 22:00 UTC in summer time."""
    state = new_state(started=None)
    numbers(state, utc(2026, 3, 29, 1, 1), utc(2026, 3, 29, 21, 59))  # 03:01 and 23:59 CEST
    assert numbers(state, utc(2026, 3, 29, 22, 1)) == ["A001"]  # 00:01 CEST on the 30th
    assert state.day == "2026-03-30"


def test_numbering_continues_through_the_autumn_dst_change() -> None:
    """On 25 October 2026 (03:00 CEST → 02:00 CET) 02:30 happens twice and numbering just continues."""
    state = new_state(started=None)
    first, second = paris(2026, 10, 25, 2, 30), paris(2026, 10, 25, 2, 30, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == minutes(60)
    assert numbers(state, first, second) == ["A001", "A002"]
    assert state.day == "2026-10-25"


def test_numbering_restarts_at_the_midnight_after_the_autumn_dst_change() -> None:
    """After 25 October 2026, numbering restarts at local midnight, 23:00 UTC in winter time."""
    state = new_state(started=None)
    numbers(state, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 22, 59))  # 02:30 CEST and 23:59 CET
    assert numbers(state, utc(2026, 10, 25, 23, 1)) == ["A001"]  # 00:01 CET on the 26th
    assert state.day == "2026-10-26"


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Cayenne is UTC−3: both moments fall on 16 January in UTC.
        ("America/Cayenne", utc(2026, 1, 16, 2, 59), utc(2026, 1, 16, 3, 1)),
        # Réunion is UTC+4: both moments fall on 15 January in UTC.
        ("Indian/Reunion", utc(2026, 1, 15, 19, 59), utc(2026, 1, 15, 20, 1)),
    ],
)
def test_an_overseas_site_restarts_at_its_own_midnight(zone: str, before: datetime, after: datetime) -> None:
    """An overseas site's numbering restarts at midnight in its own time zone."""
    state = new_state(site(timezone=zone), started=None)
    assert numbers(state, before) == ["A001"]
    assert state.day == "2026-01-15"
    assert numbers(state, after) == ["A001"]
    assert state.day == "2026-01-16"


def test_an_overseas_evening_does_not_restart_at_utc_midnight() -> None:
    """In Cayenne, 20:00 and 22:00 local straddle UTC midnight but are the same local day."""
    state = new_state(site(timezone="America/Cayenne"), started=None)
    assert numbers(state, utc(2026, 1, 15, 23), utc(2026, 1, 16, 1)) == ["A001", "A002"]


def test_a_clock_that_lags_behind_never_restarts_numbering() -> None:
    """A command dated before the state's day continues the numbering and starts no day."""
    state = new_state(started=None)
    numbers(state, paris(2026, 1, 15, 0, 1))
    cmd = command(c.IssueTicket, service="etat-civil")
    events = apply(state, cmd, paris(2026, 1, 14, 23, 59))
    assert [(type(e), getattr(e, "number", None)) for e in events] == [(TicketIssued, "A002")]
    assert state.day == "2026-01-15"


def test_numbering_restarts_after_days_without_any_command() -> None:
    """A site quiet for several days starts the current day once, from A001."""
    state = new_state(started=paris(2026, 1, 9, 9))
    numbers(state, paris(2026, 1, 9, 10))
    cmd = command(c.IssueTicket, service="etat-civil")
    events = apply(state, cmd, paris(2026, 1, 12, 9))
    assert [type(e) for e in events] == [DayStarted, TicketIssued]
    assert events[1].number == "A001"  # type: ignore[attr-defined]

"""A small town hall and a few verbs to drive the pure rules with: build a site, apply commands.

Time is always an argument: every helper takes ``now`` (an aware datetime) and nothing reads a clock.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.decide import decide, outcome
from queue_server.queue.domain.events import DayStarted, Event
from queue_server.queue.domain.state import SiteState, Ticket, evolve

PARIS = ZoneInfo("Europe/Paris")

ETAT_CIVIL = ServiceConfig("etat-civil", "État civil", "A")
PASSEPORTS = ServiceConfig("passeports", "Passeports", "P")

# Counter 1 does everything, counter 2 too, counter 3 passports only.
COUNTERS = (
    CounterConfig("1", "Guichet 1", ("etat-civil", "passeports")),
    CounterConfig("2", "Guichet 2", ("etat-civil", "passeports")),
    CounterConfig("3", "Guichet 3", ("passeports",)),
)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
          *, fold: int = 0) -> datetime:
    """A wall-clock time in Paris (``fold=1``: the second of two identical autumn times)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# Tuesday 10 March 2026, 10:00 in Paris: an ordinary working morning.
MORNING = paris(2026, 3, 10, 10)

_ids = itertools.count(1)


def new_id(kind: str = "cmd") -> str:
    """A fresh identifier; callers draw them, as the real service does."""
    return f"{kind}-{next(_ids):05d}"


def site(*, services: tuple[ServiceConfig, ...] = (ETAT_CIVIL, PASSEPORTS),
         counters: tuple[CounterConfig, ...] = COUNTERS, **fields: Any) -> SiteConfig:
    """The test town hall, with any of its fields replaced."""
    return SiteConfig("mairie", name="Mairie de Test", tenant="ville", services=services, counters=counters,
                      **fields)


def new_state(config: SiteConfig | None = None, started: datetime | None = MORNING) -> SiteState:
    """A site's state; its day already started at ``started`` (``None``: a site that never ran)."""
    config = config or site()
    state = SiteState(config)
    if started is not None:
        evolve(state, DayStarted(at=started, day=config.day(started)))
    return state


def command(cls: type[c.Command], **fields: Any) -> Any:
    """``cls`` with a fresh ``command_id`` (and a fresh ``ticket_id`` for an ``IssueTicket``)."""
    if cls is c.IssueTicket:
        fields.setdefault("ticket_id", new_id("ticket"))
    return cls(command_id=new_id(), **fields)


def apply(state: SiteState, cmd: c.Command, now: datetime) -> list[Event]:
    """Decide ``cmd`` at ``now`` and fold its events into ``state``; the events, in order."""
    events = decide(state, cmd, now)
    for event in events:
        evolve(state, event)
    return events


def issue(state: SiteState, now: datetime, service: str = "etat-civil", **fields: Any) -> Ticket:
    """Issue a ticket and return it as it stands in ``state``."""
    cmd = command(c.IssueTicket, service=service, **fields)
    apply(state, cmd, now)
    ticket = outcome(state, cmd)
    assert ticket is not None
    return ticket


def call_next(state: SiteState, now: datetime, counter: str = "1", **fields: Any) -> Ticket | None:
    """``CallNext`` for ``counter``; the ticket called, if anyone was waiting."""
    cmd = command(c.CallNext, counter=counter, **fields)
    return outcome(state, cmd) if apply(state, cmd, now) else None


def act(state: SiteState, cls: type[c.Command], ticket: Ticket, now: datetime, **fields: Any) -> list[Event]:
    """Apply a command about ``ticket`` (``Start``, ``Finish``, ``Transfer``…)."""
    return apply(state, command(cls, ticket_id=ticket.id, **fields), now)


def current(state: SiteState, ticket: Ticket) -> Ticket:
    """``ticket`` as it stands now."""
    return state.tickets[ticket.id]


def serve(state: SiteState, now: datetime, counter: str, duration: timedelta) -> Ticket:
    """Call the next ticket at ``counter``, start at once, finish after ``duration``; the ticket."""
    ticket = call_next(state, now, counter)
    assert ticket is not None
    act(state, c.Start, ticket, now)
    act(state, c.Finish, ticket, now + duration)
    return current(state, ticket)

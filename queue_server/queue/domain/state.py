"""A site's state as the fold of its events, and ``evolve``, the fold step.

``evolve`` changes the state it is given **in place** and returns it: a site folds thousands of
events a second and copying its ticket table on each would dominate the hot path. Whoever needs the
state as it was (a tentative decision that may be thrown away) takes ``clone()`` first.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.domain.estimate import mean_duration_s, next_mean, next_shown, raw_service_wait_s
from queue_server.queue.domain.events import (
    CounterClosed,
    CounterEvent,
    CounterOpened,
    CounterPaused,
    DayStarted,
    DisplayMessageSet,
    Event,
    PrinterReported,
    SiteConfigured,
    TicketCalled,
    TicketCancelled,
    TicketEvent,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketNoted,
    TicketRecalled,
    TicketReprinted,
    TicketRequeued,
    TicketStarted,
    TicketTransferred,
)

Status = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
CounterStatus = Literal["open", "paused", "closed"]
# What a kiosk's printer agent may report: "offline" when the printer does not answer or cannot be
# opened, "error" for any other fault it signals.
PrinterStatus = Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]
MAX_DISPLAY_MESSAGE = 280  # characters: a line that scrolls by in half a minute
PRINTER_STATUSES: tuple[PrinterStatus, ...] = ("ok", "paper_low", "paper_out", "cover_open", "offline", "error")
# Why an agent pauses their counter (the pages name them: "Pause", "Tâche administrative", "Réunion", "Autre").
PauseReason = Literal["break", "admin", "meeting", "other"]
PAUSE_REASONS: tuple[PauseReason, ...] = ("break", "admin", "meeting", "other")

IDEMPOTENCY_WINDOW = timedelta(hours=24)
RECENT_CALLS = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Sort key of a waiting ticket inside its service's queue, the call order of that queue:
#   1. appointment tickets (a booked citizen who checked in), whatever their arrival, before every walk-in;
#   2. then priority tickets (reduced mobility, pregnancy...);
#   3. then tickets transferred "to the front" of the queue;
#   4. then arrival (for an appointment ticket: its check-in), the earlier first;
# and the ticket id breaks exact ties so that every process agrees. Each level applies within the one above it:
# appointment tickets among themselves are ordered by priority, front, arrival; a walk-in transferred to the front
# still comes after every appointment ticket of its new service. A ticket's ``position`` is its rank in this order
# (a walk-in counts the appointment tickets ahead of it), and ordering.py keeps the same levels across services.
QueueKey = tuple[int, int, int, int, str]


class Ticket(NamedTuple):
    """A ticket as of the last folded event (a named tuple: built and copied several times faster
    than a frozen dataclass, and the hot path builds one per event)."""

    id: str
    number: str
    seq: int
    service: str
    status: Status
    issued_at: datetime
    priority: bool = False
    lang: str = "fr"
    front: bool = False
    counter: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recalls: int = 0
    issued_by: int | None = None  # the kiosk (device token id) that issued it, so that it can reprint it
    noted: bool = False  # staff left a note about it (its text is outside the log)
    party: int | None = None  # the CRM party whose visit it is (staff only: never on a public screen)
    # The appointment it is the check-in of (an opaque reference, staff only; public views say ``booked``).
    appointment: str | None = None
    agent: str | None = None  # who called it last ("user:ID", "token:ID"; staff only): the agent's own figures
    outcome: str | None = None  # how its visit ended, one of its service's outcomes (None: not said)

    @property
    def booked(self) -> bool:
        """An appointment ticket: called before walk-ins (``queue_key``)."""
        return self.appointment is not None

    @property
    def queue_key(self) -> QueueKey:
        arrival = (self.issued_at - _EPOCH) // _MICROSECOND
        return (0 if self.appointment is not None else 1, 0 if self.priority else 1, 0 if self.front else 1,
                arrival, self.id)


class CounterState(NamedTuple):
    status: CounterStatus = "closed"
    ticket_id: str | None = None
    agent: str | None = None  # who opened it or called last ("user:ID", "token:ID"); None once closed
    agent_name: str = ""
    since: datetime | None = None  # when it took its present status
    pause_reason: str | None = None  # while paused: why (one of PAUSE_REASONS; None: not said)


class IdempotencyRecord(NamedTuple):
    ticket_id: str
    # service, priority, lang, party, appointment: what a retry must repeat exactly
    request: tuple[str, bool, str, int | None, str | None]
    issued_at: datetime


class SiteState:
    """Everything ``decide`` needs about one site, current to ``last_event_id``.

    Tickets of the current local day only; ``DayStarted`` drops the previous day's (their history is
    in SQL). ``applied`` maps each command id seen today to the ticket it concerned, which is how a
    command retried after a lost reply is recognised. ``printers`` (kiosk device token id -> its
    printer's last reported status) outlives the day: a printer out of paper at closing time still is
    in the morning.
    """

    __slots__ = (
        "config", "last_event_id", "day", "seq", "tickets", "queues", "idempotency", "applied",
        "counters", "visit_s", "shown_wait", "recent_calls", "printers", "display_message", "served",
    )

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.last_event_id = "0-0"
        self.day: str | None = None
        self.seq: dict[str, int] = {}
        self.tickets: dict[str, Ticket] = {}
        self.queues: dict[str, list[QueueKey]] = {s.id: [] for s in config.services}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.applied: dict[str, str | None] = {}
        self.counters: dict[str, CounterState] = {c.id: CounterState() for c in config.counters}
        self.visit_s: dict[str, float] = {}  # smoothed duration of visits, per service (estimate.py)
        self.shown_wait: dict[str, int | None] = {}  # published estimate, per service (estimate.py)
        self.served: dict[str, int] = {}  # visits finished today, per service
        self.recent_calls: deque[str] = deque(maxlen=RECENT_CALLS)
        self.printers: dict[int, str] = {}  # a PrinterStatus: decide lets no other through
        self.display_message = ""  # what the hall displays scroll; kept from one day to the next

    def clone(self) -> SiteState:
        """An independent copy (tickets are immutable, so the tables are copied shallowly)."""
        other = SiteState.__new__(SiteState)
        other.config = self.config
        other.last_event_id = self.last_event_id
        other.day = self.day
        other.seq = dict(self.seq)
        other.tickets = dict(self.tickets)
        other.queues = {k: list(v) for k, v in self.queues.items()}
        other.idempotency = dict(self.idempotency)
        other.applied = dict(self.applied)
        other.counters = dict(self.counters)
        other.visit_s = dict(self.visit_s)
        other.shown_wait = dict(self.shown_wait)
        other.served = dict(self.served)
        other.recent_calls = deque(self.recent_calls, maxlen=RECENT_CALLS)
        other.printers = dict(self.printers)
        other.display_message = self.display_message
        return other

    # Queries -------------------------------------------------------------------------------------

    def queue(self, service: str) -> list[QueueKey]:
        return self.queues.setdefault(service, [])

    def head(self, service: str) -> Ticket | None:
        """The ticket a counter serving only ``service`` would call next."""
        queue = self.queues.get(service)
        return self.tickets[queue[0][-1]] if queue else None

    def position(self, ticket: Ticket) -> int | None:
        """People ahead of a waiting ticket in its service's queue, in call order (``QueueKey``: appointment
        tickets, then priority, then front, then arrival), 0: next; ``None`` if not waiting. Only its own
        service's tickets count: which service a counter serving several calls first is the ordering policy's
        choice at the time of the call (ordering.py), so a rank across services would be no promise."""
        if ticket.status != "waiting":
            return None
        return bisect_left(self.queue(ticket.service), ticket.queue_key)

    def waiting(self, service: str) -> int:
        return len(self.queues.get(service, ()))

    def counter(self, counter_id: str) -> CounterState:
        return self.counters.get(counter_id, CounterState())


# The fold ----------------------------------------------------------------------------------------


def evolve(state: SiteState, event: Event) -> SiteState:
    """Fold ``event`` into ``state`` in place and return it. Never raises on a valid stream."""
    handler = _FOLDS[type(event)]
    handler(state, event)
    for service in changed_services(state, event):
        state.shown_wait[service] = next_shown(state.shown_wait.get(service), raw_service_wait_s(state, service))
    if not event.command_id:
        return state
    if isinstance(event, TicketEvent | TicketIssued):
        state.applied[event.command_id] = event.ticket_id
    else:
        state.applied.setdefault(event.command_id, None)
    return state


def changed_services(state: SiteState, event: Event) -> list[str]:
    """The services whose figures (waiting, estimate, served) ``event`` may change, as folded into
    ``state``: a ticket's service (both of a transfer), and those of the counter a call opens; a counter's
    services; every service at the start of a day or a new configuration. A counter's time is shared by
    the work waiting in its services (estimate.py ``counters_share``): the services of the counters that
    serve one of those change with them."""
    if isinstance(event, DayStarted | SiteConfigured):
        return [s.id for s in state.config.services]
    if isinstance(event, CounterEvent):
        counter = state.config.counter(event.counter)
        return list(counter.services) if counter else []
    if isinstance(event, TicketTransferred):
        direct = [event.from_service, event.to_service]
    elif isinstance(event, TicketEvent | TicketIssued):
        ticket = state.tickets.get(event.ticket_id)
        direct = [ticket.service] if ticket else []
        if isinstance(event, TicketCalled) and ticket is not None and ticket.counter:
            calling = state.config.counter(ticket.counter)  # a call at a counter not open opens it
            direct += [s for s in calling.services if s not in direct] if calling else []
    else:
        return []
    changed = list(direct)
    for counter in state.config.counters:
        if any(s in counter.services for s in direct):
            changed += [s for s in counter.services if s not in changed]
    return changed


def _dequeue(state: SiteState, ticket: Ticket) -> None:
    queue = state.queue(ticket.service)
    key = ticket.queue_key
    index = bisect_left(queue, key)
    if index < len(queue) and queue[index] == key:
        del queue[index]


def _release_counter(state: SiteState, ticket: Ticket) -> None:
    if ticket.counter is not None:
        current = state.counter(ticket.counter)
        if current.ticket_id == ticket.id:
            state.counters[ticket.counter] = current._replace(ticket_id=None)


def _day_started(state: SiteState, e: DayStarted) -> None:
    state.day = e.day
    state.seq = {}
    state.tickets = {}
    state.queues = {s.id: [] for s in state.config.services}
    state.applied = {}
    state.counters = {c.id: CounterState() for c in state.config.counters}
    state.recent_calls.clear()
    state.served = {}
    state.shown_wait = {}  # the pace of visits (visit_s) carries over: yesterday's is the best guess
    horizon = e.at - IDEMPOTENCY_WINDOW
    state.idempotency = {k: r for k, r in state.idempotency.items() if r.issued_at > horizon}


def _issued(state: SiteState, e: TicketIssued) -> None:
    ticket = Ticket(
        id=e.ticket_id, number=e.number, seq=e.seq, service=e.service, status="waiting",
        issued_at=e.at, priority=e.priority, lang=e.lang, issued_by=e.issued_by, party=e.party,
        appointment=e.appointment,
    )
    state.tickets[ticket.id] = ticket
    state.seq[e.service] = max(state.seq.get(e.service, 0), e.seq)
    insort(state.queue(e.service), ticket.queue_key)
    if e.idempotency_key is not None:
        state.idempotency[e.idempotency_key] = IdempotencyRecord(
            ticket.id, (e.service, e.priority, e.lang, e.party, e.appointment), e.at
        )


def _called(state: SiteState, e: TicketCalled) -> None:
    ticket = state.tickets[e.ticket_id]
    _dequeue(state, ticket)
    current = state.counter(e.counter)
    state.tickets[ticket.id] = ticket._replace(status="called", counter=e.counter, called_at=e.at,
                                               agent=e.agent or current.agent)
    since = current.since if current.status == "open" and current.since else e.at
    state.counters[e.counter] = CounterState("open", ticket.id, e.agent or current.agent,
                                             e.agent_name or current.agent_name, since)
    if ticket.id in state.recent_calls:
        state.recent_calls.remove(ticket.id)
    state.recent_calls.append(ticket.id)


def _recalled(state: SiteState, e: TicketRecalled) -> None:
    ticket = state.tickets[e.ticket_id]
    state.tickets[ticket.id] = ticket._replace(recalls=ticket.recalls + 1)
    if ticket.id in state.recent_calls:
        state.recent_calls.remove(ticket.id)
    state.recent_calls.append(ticket.id)


def _started(state: SiteState, e: TicketStarted) -> None:
    ticket = state.tickets[e.ticket_id]
    state.tickets[ticket.id] = ticket._replace(status="serving", started_at=e.at)


def _finished(state: SiteState, e: TicketFinished) -> None:
    ticket = state.tickets[e.ticket_id]
    began = ticket.started_at or ticket.called_at or e.at
    state.served[ticket.service] = state.served.get(ticket.service, 0) + 1
    state.visit_s[ticket.service] = next_mean(mean_duration_s(state, ticket.service), (e.at - began).total_seconds())
    _release_counter(state, ticket)
    state.tickets[ticket.id] = ticket._replace(status="done", finished_at=e.at, outcome=e.outcome)


def _no_show(state: SiteState, e: TicketNoShow) -> None:
    ticket = state.tickets[e.ticket_id]
    _release_counter(state, ticket)
    state.tickets[ticket.id] = ticket._replace(status="no_show", finished_at=e.at)


def _cancelled(state: SiteState, e: TicketCancelled) -> None:
    ticket = state.tickets[e.ticket_id]
    _dequeue(state, ticket)
    _release_counter(state, ticket)
    state.tickets[ticket.id] = ticket._replace(status="cancelled", finished_at=e.at)


def _requeued(state: SiteState, e: TicketRequeued) -> None:
    ticket = state.tickets[e.ticket_id]._replace(status="waiting", counter=None, called_at=None, finished_at=None)
    state.tickets[ticket.id] = ticket
    insort(state.queue(ticket.service), ticket.queue_key)


def _transferred(state: SiteState, e: TicketTransferred) -> None:
    ticket = state.tickets[e.ticket_id]
    _dequeue(state, ticket)
    _release_counter(state, ticket)
    moved = ticket._replace(service=e.to_service, status="waiting", front=e.to_front, counter=None,
                            called_at=None, started_at=None)
    state.tickets[moved.id] = moved
    insort(state.queue(moved.service), moved.queue_key)


def _noted(state: SiteState, e: TicketNoted) -> None:
    state.tickets[e.ticket_id] = state.tickets[e.ticket_id]._replace(noted=True)


def _reprinted(state: SiteState, e: TicketReprinted) -> None:
    """Nothing changes: the reprint is for the kiosk's printer agent, which follows the feed."""


def _printer_reported(state: SiteState, e: PrinterReported) -> None:
    state.printers[e.kiosk] = e.status


def _display_message_set(state: SiteState, e: DisplayMessageSet) -> None:
    state.display_message = e.text


def _configured(state: SiteState, e: SiteConfigured) -> None:
    """The new configuration; counters it no longer has are forgotten (they were closed and empty)."""
    state.config = SiteConfig.from_json(e.config)
    kept = {c.id for c in state.config.counters}
    state.counters = {k: v for k, v in state.counters.items() if k in kept}


def _counter_status(status: CounterStatus) -> Callable[[SiteState, Any], None]:
    def fold(state: SiteState, e: CounterOpened | CounterPaused | CounterClosed) -> None:
        reason = e.reason if isinstance(e, CounterPaused) else None
        current = state.counter(e.counter)._replace(status=status, since=e.at, pause_reason=reason)
        if isinstance(e, CounterOpened) and e.agent is not None:
            current = current._replace(agent=e.agent, agent_name=e.agent_name)
        elif isinstance(e, CounterClosed):
            current = current._replace(agent=None, agent_name="")
        state.counters[e.counter] = current

    return fold


_FOLDS: dict[type[Event], Callable[[SiteState, Any], None]] = {
    DayStarted: _day_started,
    TicketIssued: _issued,
    TicketCalled: _called,
    TicketRecalled: _recalled,
    TicketStarted: _started,
    TicketFinished: _finished,
    TicketNoShow: _no_show,
    TicketCancelled: _cancelled,
    TicketRequeued: _requeued,
    TicketTransferred: _transferred,
    CounterOpened: _counter_status("open"),
    CounterPaused: _counter_status("paused"),
    CounterClosed: _counter_status("closed"),
    TicketReprinted: _reprinted,
    TicketNoted: _noted,
    PrinterReported: _printer_reported,
    DisplayMessageSet: _display_message_set,
    SiteConfigured: _configured,
}

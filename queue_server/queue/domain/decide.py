"""``decide``: what a command makes happen, as events, or why it is refused.

``decide(state, command, now)`` never changes ``state``, never reads a clock and never performs I/O;
refusals raise a ``DomainError``. A command whose ``command_id`` the state has already seen yields
no event (it was applied before a reply got lost), and ``outcome`` tells which ticket it concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, SiteConfig
from queue_server.queue.domain.errors import (
    Conflict,
    CounterBusy,
    CounterWithoutService,
    DailyCapReached,
    IdempotencyKeyReused,
    Invalid,
    InvalidTransition,
    NotAChoice,
    NotFound,
    PrefixTaken,
    ServiceBusy,
    ServiceClosed,
)
from queue_server.queue.domain.events import (
    CounterClosed,
    CounterOpened,
    CounterPaused,
    DayStarted,
    DisplayMessageSet,
    Event,
    PrinterReported,
    SiteConfigured,
    TicketCalled,
    TicketCancelled,
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
from queue_server.queue.domain.ordering import POLICIES, Candidate
from queue_server.queue.domain.state import (
    IDEMPOTENCY_WINDOW,
    MAX_DISPLAY_MESSAGE,
    PAUSE_REASONS,
    PRINTER_STATUSES,
    SiteState,
    Status,
    Ticket,
    evolve,
)


def decide(state: SiteState, command: c.Command, now: datetime) -> list[Event]:
    """The events that ``command`` produces at ``now`` (an aware datetime), in order."""
    if command.command_id in state.applied:
        return []
    # Python compares and subtracts datetimes sharing a tzinfo on their wall clocks, which is wrong
    # across a DST change; in UTC every wait, duration and ordering is real elapsed time.
    now = now.astimezone(UTC)
    events: list[Event] = []
    today = state.config.day(now)
    # Only ever move forward: a process whose clock lags behind must not restart yesterday.
    if state.day is None or today > state.day:
        started = DayStarted(at=now, command_id=command.command_id, day=today)
        events.append(started)
        state = evolve(state.clone(), started)
    events.extend(_DECIDERS[type(command)](state, command, now))
    return events


def outcome(state: SiteState, command: c.Command) -> Ticket | None:
    """The ticket ``command`` concerned, looked up after its events were folded into ``state``."""
    if isinstance(command, c.IssueTicket) and command.idempotency_key is not None:
        record = state.idempotency.get(command.idempotency_key)
        if record is not None:
            return state.tickets.get(record.ticket_id)
    ticket_id = state.applied.get(command.command_id)
    return state.tickets.get(ticket_id) if ticket_id else None


# The longest appointment reference a ticket takes (the booking module gives 6-character codes; an opaque string
# all the same, bounded so that no caller fills the log with one).
MAX_APPOINTMENT_REF = 64

# The statuses in which a ticket may get a note: its visit is still ahead or under way.
NOTABLE: tuple[Status, ...] = ("waiting", "called", "serving")
ACTIVE = NOTABLE  # and so a service that holds such a ticket cannot be removed

# Helpers -----------------------------------------------------------------------------------------

_VERBS = {
    "recall": ("recalled", ("called",)),
    "start": ("started", ("called",)),
    "finish": ("finished", ("serving",)),
    "no_show": ("marked as no-show", ("called",)),
    "cancel": ("cancelled", ("waiting", "called")),
    "requeue": ("put back in the queue", ("no_show",)),
    "transfer": ("transferred", ("waiting", "called", "serving")),
    "call": ("called", ("waiting",)),
    "reprint": ("reprinted", ("waiting", "called", "serving")),
    "note": ("annotated", NOTABLE),
}
_STATUS_WORDS: dict[Status, str] = {
    "waiting": "waiting",
    "called": "called",
    "serving": "being served",
    "done": "done",
    "no_show": "a no-show",
    "cancelled": "cancelled",
}


def _ticket(state: SiteState, ticket_id: str, action: str) -> Ticket:
    """The ticket, if it exists and ``action`` is allowed in its status; else a clear refusal."""
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket at this site today.")
    verb, allowed = _VERBS[action]
    if ticket.status not in allowed:
        words = [_STATUS_WORDS[s] for s in allowed]
        wanted = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        raise InvalidTransition(
            f"Ticket {ticket.number} cannot be {verb}: it is {_STATUS_WORDS[ticket.status]}, "
            f"and only a {wanted} ticket can be."
        )
    return ticket


def _counter_ready(state: SiteState, counter_id: str, now: datetime, cmd: c.CallNext | c.CallTicket) -> list[Event]:
    """Checks that the counter may call someone; opens it if needed, finishes a visit in progress."""
    counter = state.config.counter(counter_id)
    if counter is None:
        raise NotFound(f"No counter {counter_id!r} at this site.")
    current = state.counter(counter_id)
    events: list[Event] = []
    if current.ticket_id is not None:
        ticket = state.tickets[current.ticket_id]
        if ticket.status == "called":
            raise InvalidTransition(
                f"Counter {counter.name} has called {ticket.number}, who has not been served yet: "
                "start serving, recall or mark as no-show first."
            )
        events.append(TicketFinished(at=now, command_id=cmd.command_id, ticket_id=ticket.id))
    if current.status != "open":
        events.append(CounterOpened(at=now, command_id=cmd.command_id, counter=counter_id, agent=cmd.agent,
                                    agent_name=cmd.agent_name))
    return events


# Deciders ----------------------------------------------------------------------------------------


def _issue(state: SiteState, cmd: c.IssueTicket, now: datetime) -> list[Event]:
    service = state.config.service(cmd.service)
    if service is None:
        raise NotFound(f"No service {cmd.service!r} at this site.")
    if cmd.appointment is not None and not (
            0 < len(cmd.appointment) <= MAX_APPOINTMENT_REF and cmd.appointment.isprintable()):
        raise Invalid(f"An appointment reference is 1 to {MAX_APPOINTMENT_REF} printable characters.")
    if cmd.idempotency_key is not None:
        record = state.idempotency.get(cmd.idempotency_key)
        if record is not None and record.issued_at > now - IDEMPOTENCY_WINDOW:
            if record.request != (cmd.service, cmd.priority, cmd.lang, cmd.party, cmd.appointment):
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used for a different request; "
                    "use a new key for a new ticket."
                )
            return []
    # Citizens take tickets within the hours; staff may still issue one for someone who is there.
    if cmd.issued_by is not None and not state.config.open_now(service, now):
        raise ServiceClosed(f"The service {service.name} is closed at this time.", state.config.opens_at(service, now))
    seq = state.seq.get(service.id, 0) + 1
    if service.daily_cap is not None and seq > service.daily_cap:
        raise DailyCapReached(f"The service {service.name} takes no more tickets today.")
    return [
        TicketIssued(
            at=now, command_id=cmd.command_id, ticket_id=cmd.ticket_id, service=service.id, seq=seq,
            number=f"{service.prefix}{seq:03d}", priority=cmd.priority, lang=cmd.lang,
            idempotency_key=cmd.idempotency_key, issued_by=cmd.issued_by, party=cmd.party,
            appointment=cmd.appointment,
        )
    ]


def _call_next(state: SiteState, cmd: c.CallNext, now: datetime) -> list[Event]:
    counter = state.config.counter(cmd.counter)
    if counter is None:
        raise NotFound(f"No counter {cmd.counter!r} at this site.")
    services = counter.services if cmd.services is None else cmd.services
    for service_id in services:
        if state.config.service(service_id) is None:
            raise NotFound(f"No service {service_id!r} at this site.")
        if service_id not in counter.services:
            raise Conflict(f"Counter {counter.name} does not serve {service_id!r}.")
    candidates = []
    for service_id in services:
        head = state.head(service_id)
        if head is not None:
            weight = state.config.service(service_id).weight  # type: ignore[union-attr]
            candidates.append(Candidate(head, weight))
    events = _counter_ready(state, counter.id, now, cmd)
    if not candidates:
        return []
    chosen = POLICIES[state.config.ordering](candidates, now)
    return [*events, TicketCalled(at=now, command_id=cmd.command_id, ticket_id=chosen.id, counter=counter.id,
                                  agent=cmd.agent, agent_name=cmd.agent_name)]


def _call_ticket(state: SiteState, cmd: c.CallTicket, now: datetime) -> list[Event]:
    ticket = _ticket(state, cmd.ticket_id, "call")
    events = _counter_ready(state, cmd.counter, now, cmd)
    return [
        *events,
        TicketCalled(at=now, command_id=cmd.command_id, ticket_id=ticket.id, counter=cmd.counter, out_of_turn=True,
                     agent=cmd.agent, agent_name=cmd.agent_name),
    ]


def _simple(action: str, event: type[Event]) -> Callable[[SiteState, Any, datetime], list[Event]]:
    def decide_one(state: SiteState, cmd: c.TicketCommand, now: datetime) -> list[Event]:
        ticket = _ticket(state, cmd.ticket_id, action)
        return [event(at=now, command_id=cmd.command_id, ticket_id=ticket.id)]  # type: ignore[call-arg]

    return decide_one


def _finish(state: SiteState, cmd: c.Finish, now: datetime) -> list[Event]:
    """The visit ends, with its outcome if one is said: one of those its service offers, as written there."""
    ticket = _ticket(state, cmd.ticket_id, "finish")
    if cmd.outcome is not None:
        service = state.config.service(ticket.service)
        offered = service.outcomes if service is not None else ()
        if cmd.outcome not in offered:
            listed = "; ".join(offered) if offered else "none"
            raise NotAChoice(f"{cmd.outcome!r} is not an outcome of this service (its outcomes: {listed}).",
                             "outcome")
    return [TicketFinished(at=now, command_id=cmd.command_id, ticket_id=ticket.id, outcome=cmd.outcome)]


def _transfer(state: SiteState, cmd: c.Transfer, now: datetime) -> list[Event]:
    ticket = _ticket(state, cmd.ticket_id, "transfer")
    target = state.config.service(cmd.service)
    if target is None:
        raise NotFound(f"No service {cmd.service!r} at this site.")
    if ticket.status == "waiting" and ticket.service == target.id and ticket.front == cmd.to_front:
        raise InvalidTransition(f"Ticket {ticket.number} is already waiting for {target.name}.")
    return [
        TicketTransferred(
            at=now, command_id=cmd.command_id, ticket_id=ticket.id, from_service=ticket.service,
            to_service=target.id, to_front=cmd.to_front,
        )
    ]


def _reprint(state: SiteState, cmd: c.Reprint, now: datetime) -> list[Event]:
    ticket = _ticket(state, cmd.ticket_id, "reprint")
    kiosk = cmd.kiosk if cmd.kiosk is not None else ticket.issued_by
    if kiosk is None:
        raise Conflict(f"Ticket {ticket.number} was issued at a counter, not by a kiosk: "
                      "say which kiosk should print it.")
    return [TicketReprinted(at=now, command_id=cmd.command_id, ticket_id=ticket.id, kiosk=kiosk)]


def _report_printer(state: SiteState, cmd: c.ReportPrinter, now: datetime) -> list[Event]:
    """An event only when the status changes, so that an agent may repeat its report as often as it likes."""
    if cmd.status not in PRINTER_STATUSES:
        raise Invalid(f"{cmd.status!r} is not a printer status (one of {', '.join(PRINTER_STATUSES)}).")
    if state.printers.get(cmd.kiosk) == cmd.status:
        return []
    return [PrinterReported(at=now, command_id=cmd.command_id, kiosk=cmd.kiosk, status=cmd.status)]


def _set_display_message(state: SiteState, cmd: c.SetDisplayMessage, now: datetime) -> list[Event]:
    """Spaces around the text do not count; the same message again is no event."""
    text = " ".join(cmd.text.split())
    if len(text) > MAX_DISPLAY_MESSAGE:
        raise Invalid(f"The displays' message may have {MAX_DISPLAY_MESSAGE} characters at most ({len(text)} given).")
    if text == state.display_message:
        return []
    return [DisplayMessageSet(at=now, command_id=cmd.command_id, text=text)]


def _close_counter(state: SiteState, cmd: c.CloseCounter, now: datetime) -> list[Event]:
    """Close the counter (a closed one again is no event); refused while a visitor is at it."""
    counter = state.config.counter(cmd.counter)
    if counter is None:
        raise NotFound(f"No counter {cmd.counter!r} at this site.")
    current = state.counter(counter.id)
    if current.status == "closed":
        return []
    if current.ticket_id is not None:
        number = state.tickets[current.ticket_id].number
        raise InvalidTransition(f"Counter {counter.name} is still busy with {number}: finish it first.")
    return [CounterClosed(at=now, command_id=cmd.command_id, counter=counter.id)]


def _pause_counter(state: SiteState, cmd: c.PauseCounter, now: datetime) -> list[Event]:
    """Pause the counter, saying why; a paused counter paused again for another reason takes the new one
    (the same reason again is no event)."""
    counter = state.config.counter(cmd.counter)
    if counter is None:
        raise NotFound(f"No counter {cmd.counter!r} at this site.")
    if cmd.reason is not None and cmd.reason not in PAUSE_REASONS:
        raise NotAChoice(f"{cmd.reason!r} is not a reason for a pause (one of {', '.join(PAUSE_REASONS)}).",
                         "reason")
    current = state.counter(counter.id)
    if current.status == "paused" and current.pause_reason == cmd.reason:
        return []
    return [CounterPaused(at=now, command_id=cmd.command_id, counter=counter.id, reason=cmd.reason)]


def _open_counter(state: SiteState, cmd: c.OpenCounter, now: datetime) -> list[Event]:
    """Open the counter, named after its agent; an open counter taken over by another agent (a change
    of shift) is opened again in their name; the same agent opening it again is no event."""
    counter = state.config.counter(cmd.counter)
    if counter is None:
        raise NotFound(f"No counter {cmd.counter!r} at this site.")
    current = state.counter(counter.id)
    if current.status == "open" and (cmd.agent is None or cmd.agent == current.agent):
        return []
    return [CounterOpened(at=now, command_id=cmd.command_id, counter=counter.id, agent=cmd.agent,
                          agent_name=cmd.agent_name)]


def _configure(state: SiteState, cmd: c.Configure, now: datetime) -> list[Event]:
    new = cmd.config
    if new.id != state.config.id:
        raise Invalid("A site's configuration cannot be given to another site.")
    if cmd.force:
        return [SiteConfigured(at=now, command_id=cmd.command_id, config=new.to_json())]
    prefixes: dict[str, str] = {}
    for service in new.services:
        if service.prefix in prefixes:
            raise PrefixTaken(f"The prefix {service.prefix} is already used by the service {prefixes[service.prefix]}.")
        prefixes[service.prefix] = service.name
    kept = {s.id for s in new.services}
    for service in state.config.services:
        if service.id in kept:
            continue
        busy = sum(1 for t in state.tickets.values() if t.service == service.id and t.status in ACTIVE)
        if busy:
            raise ServiceBusy(f"The service {service.name} cannot be removed: {busy} ticket(s) are waiting in it or "
                              "at a counter. Wait until they are served, or transfer them.")
    kept = {c.id for c in new.counters}
    for counter in state.config.counters:
        current = state.counter(counter.id)
        if counter.id not in kept and (current.status != "closed" or current.ticket_id):
            raise CounterBusy(f"The counter {counter.name} cannot be removed while it is open: close it first.")
    # A counter serves one service or more: a change may not leave one serving none (one that already served none,
    # from before this rule, may stay so until it is changed).
    stranded = tuple(k.name for k in new.counters if _serves_nothing(new, k)
                     and ((was := state.config.counter(k.id)) is None or not _serves_nothing(state.config, was)))
    if stranded:
        raise CounterWithoutService(f"This change would leave {', '.join(stranded)} serving no service: give "
                                    f"{'it' if len(stranded) == 1 else 'them'} another service, or remove "
                                    f"{'it' if len(stranded) == 1 else 'them'}, first.", stranded)
    return [SiteConfigured(at=now, command_id=cmd.command_id, config=new.to_json())]


def _serves_nothing(config: SiteConfig, counter: CounterConfig) -> bool:
    return not any(config.service(s) is not None for s in counter.services)


_DECIDERS: dict[type[c.Command], Callable[[SiteState, Any, datetime], list[Event]]] = {
    c.IssueTicket: _issue,
    c.CallNext: _call_next,
    c.CallTicket: _call_ticket,
    c.Recall: _simple("recall", TicketRecalled),
    c.Start: _simple("start", TicketStarted),
    c.Finish: _finish,
    c.MarkNoShow: _simple("no_show", TicketNoShow),
    c.Cancel: _simple("cancel", TicketCancelled),
    c.Requeue: _simple("requeue", TicketRequeued),
    c.Transfer: _transfer,
    c.OpenCounter: _open_counter,
    c.PauseCounter: _pause_counter,
    c.CloseCounter: _close_counter,
    c.Reprint: _reprint,
    c.Note: _simple("note", TicketNoted),
    c.ReportPrinter: _report_printer,
    c.SetDisplayMessage: _set_display_message,
    c.Configure: _configure,
}

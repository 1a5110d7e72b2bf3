"""What happened at a site: one frozen dataclass per event, each with a stable ``type`` name.

Events are facts; they carry what is needed to fold them (``evolve``) without consulting anything
else, and never personal data beyond the ticket's language. ``command_id`` ties an event to the
command that produced it, so a command retried after a lost reply is recognised instead of applied
twice. Renaming a ``type`` breaks every stored stream: add a new type instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    type: ClassVar[str] = ""
    at: datetime
    command_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DayStarted(Event):
    """The first command of a new local day: numbering restarts, yesterday's open tickets expire."""

    type: ClassVar[str] = "day.started"
    day: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketIssued(Event):
    type: ClassVar[str] = "ticket.issued"
    ticket_id: str
    service: str
    seq: int
    number: str
    priority: bool = False
    lang: str = "fr"
    idempotency_key: str | None = None
    issued_by: int | None = None  # the kiosk's device token id, None when staff issued it
    party: int | None = None  # the CRM party whose visit it is (staff issued it for a known person); None: anonymous
    # The appointment it is the check-in of (the booking module's opaque reference); None: a walk-in, and every
    # ticket.issued written before appointment tickets existed.
    appointment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketEvent(Event):
    """An event about one existing ticket."""

    ticket_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCalled(TicketEvent):
    type: ClassVar[str] = "ticket.called"
    counter: str
    out_of_turn: bool = False
    # Who called: "user:ID" or "token:ID" and their name then (staff only; None in streams written
    # before it was recorded, and for calls whose caller is unknown).
    agent: str | None = None
    agent_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRecalled(TicketEvent):
    type: ClassVar[str] = "ticket.recalled"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketStarted(TicketEvent):
    type: ClassVar[str] = "ticket.started"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFinished(TicketEvent):
    type: ClassVar[str] = "ticket.finished"
    outcome: str | None = None  # how the visit ended, one of its service's outcomes (None: not said)


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketNoShow(TicketEvent):
    type: ClassVar[str] = "ticket.no_show"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCancelled(TicketEvent):
    type: ClassVar[str] = "ticket.cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRequeued(TicketEvent):
    """A no-show put back in its queue with its original arrival time."""

    type: ClassVar[str] = "ticket.requeued"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketTransferred(TicketEvent):
    type: ClassVar[str] = "ticket.transferred"
    from_service: str
    to_service: str
    to_front: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketNoted(TicketEvent):
    """Staff left a note about the ticket (its text is kept outside the log until the visit ends)."""

    type: ClassVar[str] = "ticket.noted"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketReprinted(TicketEvent):
    """Staff asked for the ticket to be printed again, by the printer of ``kiosk`` (a device token id)."""

    type: ClassVar[str] = "ticket.reprinted"
    kiosk: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterReported(Event):
    """A kiosk's printer is in a new ``status`` (a report of the status it already had is no event)."""

    type: ClassVar[str] = "kiosk.printer"
    kiosk: int  # the kiosk's device token id
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DisplayMessageSet(Event):
    """The hall displays now scroll ``text`` (empty: no message)."""

    type: ClassVar[str] = "display.message"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterEvent(Event):
    counter: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterOpened(CounterEvent):
    type: ClassVar[str] = "counter.opened"
    agent: str | None = None  # who opened it, as in TicketCalled
    agent_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterPaused(CounterEvent):
    type: ClassVar[str] = "counter.paused"
    reason: str | None = None  # one of state.PAUSE_REASONS (None: not said, and pauses written before reasons)


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterClosed(CounterEvent):
    type: ClassVar[str] = "counter.closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfigured(Event):
    """An administrator changed the site's configuration: ``config`` is the whole new one, as
    ``SiteConfig.to_json`` gives it (so that every process folds the same, whatever its SQL says)."""

    type: ClassVar[str] = "site.configured"
    config: dict[str, Any]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        DayStarted,
        TicketIssued,
        TicketCalled,
        TicketRecalled,
        TicketStarted,
        TicketFinished,
        TicketNoShow,
        TicketCancelled,
        TicketRequeued,
        TicketTransferred,
        CounterOpened,
        CounterPaused,
        CounterClosed,
        TicketReprinted,
        PrinterReported,
        DisplayMessageSet,
        TicketNoted,
        SiteConfigured,
    )
}

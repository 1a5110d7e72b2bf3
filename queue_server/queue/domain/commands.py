"""What someone asks of a site. Commands are decided by ``decide``; they are never stored.

Identifiers that must be random (``command_id``, a new ticket's ``ticket_id``) are drawn by the
caller, so that the rules stay pure and a retried command is recognisable.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.queue.domain.config import SiteConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    command_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueTicket(Command):
    ticket_id: str
    service: str
    priority: bool = False
    lang: str = "fr"
    idempotency_key: str | None = None
    issued_by: int | None = None  # the kiosk (device token id) that asked, so that its printer prints it
    # Staff only: the CRM party (an opaque number, never a name) whose visit this is; the web layer checks that
    # it exists. Never on a public screen (hub.py PUBLIC_TICKET).
    party: int | None = None
    # The appointment this ticket is the check-in of: an opaque reference the booking module gives (its 6-character
    # code, "K7M2QX"; never a name). Such a ticket is called before walk-ins (ordering.py). Staff only: public views
    # say ``booked`` instead (hub.py PUBLIC_TICKET). None: a walk-in.
    appointment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallNext(Command):
    """Call the next ticket for ``counter``; ``services`` narrows the counter's own list."""

    counter: str
    services: tuple[str, ...] | None = None
    agent: str | None = None  # who calls: "user:ID" or "token:ID" (per-agent reports, the counter's agent)
    agent_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCommand(Command):
    ticket_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTicket(TicketCommand):
    """Call one specific waiting ticket out of turn."""

    counter: str
    agent: str | None = None
    agent_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recall(TicketCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Start(TicketCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish(TicketCommand):
    """End the visit; ``outcome``: how it ended, one of its service's ``outcomes`` (``None``: not said)."""

    outcome: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkNoShow(TicketCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel(TicketCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Requeue(TicketCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(TicketCommand):
    service: str
    to_front: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(TicketCommand):
    """Staff left a note about the ticket for the agent who serves it (the text itself is kept outside
    the log, store/visits.py: it may say things about a person; the log only knows that there is one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reprint(TicketCommand):
    """Print the ticket again at ``kiosk`` (a kiosk's device token id); ``None``: the kiosk that issued it."""

    kiosk: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPrinter(Command):
    """A kiosk's printer agent tells what its printer said: one of ``state.PRINTER_STATUSES``."""

    kiosk: int  # the kiosk's device token id
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDisplayMessage(Command):
    """The message the hall displays scroll, set by a supervisor (empty: none)."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterCommand(Command):
    counter: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenCounter(CounterCommand):
    agent: str | None = None  # who opens it: "user:ID" or "token:ID"
    agent_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseCounter(CounterCommand):
    """Pause the counter; ``reason``: one of ``state.PAUSE_REASONS`` (``None``: not said), shown to supervisors."""

    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseCounter(CounterCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Configure(Command):
    """Replace the site's configuration (services, counters, hours...) by ``config``, as an administrator
    saved it; refused while it would remove a service that still has tickets or a counter in use.
    ``force``: what SQL holds is the truth whatever the queue (a process that finds, at start, a
    configuration changed while it was away): nothing is refused, tickets of a removed service stay."""

    config: SiteConfig
    force: bool = False

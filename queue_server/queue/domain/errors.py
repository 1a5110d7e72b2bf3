"""Why a command was refused.

    DomainError
    ├── NotFound            unknown service, counter or ticket            (HTTP 404)
    ├── Conflict            the state forbids it now                      (HTTP 409)
    │   ├── InvalidTransition
    │   ├── ServiceClosed   (with ``opens_at``: when it opens again)
    │   ├── DailyCapReached
    │   ├── ServiceBusy     a service removed while tickets wait in it
    │   ├── CounterBusy     a counter removed while it is open
    │   ├── CounterWithoutService  a counter left serving no service
    │   └── PrefixTaken     two services of a site with one prefix
    └── Invalid             well-formed but meaningless                   (HTTP 422)
        ├── IdempotencyKeyReused
        └── NotAChoice      a value outside its list (``field`` names it)

Messages are plain English sentences meant for the person who pressed the button; the web layer
maps each class to a status (``web/errors.py``) and never inspects the text.
"""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base of every refusal decided by the rules."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The command names a service, counter or ticket the site does not have."""


class Conflict(DomainError):
    """The command is valid in general but the current state forbids it."""


class InvalidTransition(Conflict):
    """The ticket's status does not allow this action."""


class ServiceClosed(Conflict):
    """Outside the service's opening hours, on a closure or a public holiday; ``opens_at`` (aware, on the
    site's wall clock) says when it opens again (``None``: not within the next months)."""

    def __init__(self, message: str, opens_at: datetime | None = None) -> None:
        super().__init__(message)
        self.opens_at = opens_at


class ServiceBusy(Conflict):
    """A service cannot be removed while tickets wait in it or are at a counter."""


class CounterBusy(Conflict):
    """A counter cannot be removed while it is open (or paused with an agent at it)."""


class CounterWithoutService(Conflict):
    """A change would leave counters serving no service (the only one they serve removed): they must be given
    another service, or be removed, first. ``counters``: their names."""

    def __init__(self, message: str, counters: tuple[str, ...]) -> None:
        super().__init__(message)
        self.counters = counters


class PrefixTaken(Conflict):
    """Another service of the site already numbers its tickets with this prefix."""


class DailyCapReached(Conflict):
    """The service has issued all the tickets it takes today."""


class Invalid(DomainError):
    """The command is well-formed but cannot mean anything."""


class IdempotencyKeyReused(Invalid):
    """An Idempotency-Key came back with a different request body."""


class NotAChoice(Invalid):
    """A value that is none of those allowed (a visit's outcome that its service does not offer); ``field``
    names the field of the command that held it (``outcome``), so that the web layer can name it too."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field

"""Why a command was refused.

    DomainError
    ├── NotFound            unknown service, counter or ticket            (HTTP 404)
    ├── Conflict            the state forbids it now                      (HTTP 409)
    │   ├── InvalidTransition
    │   ├── ServiceClosed
    │   └── DailyCapReached
    └── Invalid             well-formed but meaningless                   (HTTP 422)
        └── IdempotencyKeyReused

Messages are plain English sentences meant for the person who pressed the button; the web layer
maps each class to a status (``web/errors.py``) and never inspects the text.
"""

from __future__ import annotations


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
    """Outside the service's opening hours."""


class DailyCapReached(Conflict):
    """The service has issued all the tickets it takes today."""


class Invalid(DomainError):
    """The command is well-formed but cannot mean anything."""


class IdempotencyKeyReused(Invalid):
    """An Idempotency-Key came back with a different request body."""

"""The phone desk's refusals, in words for whoever asked; ``web/errors.py`` turns them into problem+json like every
``PlatformError`` (its status, its kind, the field it names)."""

from __future__ import annotations

from queue_server.phone.domain.errors import Refused
from queue_server.platform.errors import PlatformError

STATUS_OF = {"already-done": 409}  # every other rule's refusal is a 422


class Refusal(PlatformError):
    """A refusal with its own status: 404 (an unknown tenant, call or callback), 409 (a callback done already), 422
    (an unknown reason, party, service or agent; a callback's time)."""

    def __init__(self, status: int, message: str, kind: str, field: str = "") -> None:
        super().__init__(message, kind=kind, field=field, field_message=message)
        self.status = status


def refusal_of(refused: Refused) -> Refusal:
    return Refusal(STATUS_OF.get(refused.kind, 422), f"{refused.field}: {refused.detail}.", refused.kind,
                   refused.field)


def unknown_tenant() -> Refusal:
    return Refusal(404, "No such collectivity.", "unknown-tenant")


def unknown_call() -> Refusal:
    return Refusal(404, "No such call.", "unknown-call")


def unknown_callback() -> Refusal:
    return Refusal(404, "No such callback.", "unknown-callback")


def unknown(field: str, kind: str, what: str) -> Refusal:
    """A 422 naming ``field``: ``what`` (a reason, a party, a service, an agent) is not the collectivity's."""
    return Refusal(422, f"{field}: {what} is not one of this collectivity's.", kind, field)

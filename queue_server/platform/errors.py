"""Refusals of the shared parts and of the modules' services (beyond a queue decision's own, in
``queue_server.queue.domain.errors``), in words for the person who asked. ``web/errors.py`` alone turns
them into problem+json:

    PlatformError
    ├── InvalidField     a value that is well-formed but not acceptable, naming its field   (HTTP 422)
    └── UnknownField     a value naming something the site does not have, naming its field (HTTP 404)
"""

from __future__ import annotations


class PlatformError(Exception):
    status = 422

    def __init__(self, message: str, *, kind: str, field: str, field_message: str) -> None:
        super().__init__(message)
        self.message, self.kind, self.field, self.field_message = message, kind, field, field_message


class InvalidField(PlatformError):
    status = 422


class UnknownField(PlatformError):
    status = 404


def invalid(field: str, message: str, kind: str = "invalid-body") -> InvalidField:
    """A 422 naming ``field``, with ``message`` both as the detail and the field's. ``kind``: ``invalid-body``
    for what a schema states (a format, a range), a kind of its own for what only the server can tell (two
    ranges that overlap, a service the site does not have)."""
    return InvalidField(f"{field}: {message}", kind=kind, field=field, field_message=message)

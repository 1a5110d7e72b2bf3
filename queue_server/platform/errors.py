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


def invalid(field: str, message: str) -> InvalidField:
    """A 422 ``invalid-body`` naming ``field``, with ``message`` both as the detail and the field's."""
    return InvalidField(f"{field}: {message}", kind="invalid-body", field=field, field_message=message)

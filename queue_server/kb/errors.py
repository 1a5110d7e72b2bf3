"""The knowledge base's refusals, in words for whoever asked; ``web/errors.py`` turns them into problem+json like
every ``PlatformError`` (its status, its kind, the field it names)."""

from __future__ import annotations

from queue_server.kb.domain.errors import Refused
from queue_server.platform.errors import PlatformError


class Refusal(PlatformError):
    """A refusal with its own status: 404 (an unknown tenant, a sheet the reader may not read, a version) or 422
    (a rule of ``domain/``)."""

    def __init__(self, status: int, message: str, kind: str, field: str = "") -> None:
        super().__init__(message, kind=kind, field=field, field_message=message)
        self.status = status


def refusal_of(refused: Refused) -> Refusal:
    return Refusal(422, f"{refused.field}: {refused.detail}.", refused.kind, refused.field)


def unknown_tenant() -> Refusal:
    return Refusal(404, "No such collectivity.", "unknown-tenant")


def unknown_sheet() -> Refusal:
    """A sheet that does not exist, or that the reader may not read: the same answer, so that neither is told."""
    return Refusal(404, "No such sheet.", "unknown-sheet")


def unknown_version(field: str) -> Refusal:
    return Refusal(404, f"{field}: no such version of this sheet.", "unknown-version", field)

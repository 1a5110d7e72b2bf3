"""The requests' refusals, in words for whoever asked; ``web/errors.py`` turns them into problem+json like every
``PlatformError`` (its status, its kind, the field it names)."""

from __future__ import annotations

from queue_server.platform.errors import PlatformError
from queue_server.requests.domain.errors import Refused

STATUS_OF = {"wrong-status": 409, "merge-into-itself": 409}  # every other rule's refusal is a 422


class Refusal(PlatformError):
    """A refusal with its own status: 404 (an unknown tenant or request), 409 (a status that forbids the change, a
    request merged into itself), 413 (a file too large), 422 (an unknown category, a sender incomplete, a file's
    type)."""

    def __init__(self, status: int, message: str, kind: str, field: str = "") -> None:
        super().__init__(message, kind=kind, field=field, field_message=message)
        self.status = status


def refusal_of(refused: Refused) -> Refusal:
    return Refusal(STATUS_OF.get(refused.kind, 422), f"{refused.field}: {refused.detail}.", refused.kind,
                   refused.field)


def unknown_tenant() -> Refusal:
    return Refusal(404, "No such collectivity.", "unknown-tenant")


def unknown_request() -> Refusal:
    return Refusal(404, "No such request.", "unknown-request")


def unknown_category(category: str) -> Refusal:
    return Refusal(422, f"category: no category {category!r} here.", "unknown-category", "category")

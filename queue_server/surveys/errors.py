"""The surveys' refusals, in words for whoever asked; ``web/errors.py`` turns them into problem+json like every
``PlatformError`` (its status, its kind, the field it names)."""

from __future__ import annotations

from queue_server.platform.errors import PlatformError
from queue_server.surveys.domain.errors import Refused

STATUS_OF = {"already-answered": 409, "expired": 410}  # every other rule's refusal is a 422


class Refusal(PlatformError):
    """A refusal with its own status: 404 (an unknown survey, site, collectivity or campaign), 409 (answered
    already), 410 (expired), 422 (a score, an answer, a campaign)."""

    def __init__(self, status: int, message: str, kind: str, field: str = "") -> None:
        super().__init__(message, kind=kind, field=field, field_message=message)
        self.status = status


def refusal_of(refused: Refused) -> Refusal:
    if refused.kind in STATUS_OF:
        return Refusal(STATUS_OF[refused.kind], f"{refused.detail[0].upper()}{refused.detail[1:]}.", refused.kind)
    return Refusal(422, f"{refused.field}: {refused.detail}.", refused.kind, refused.field)


def unknown_survey() -> Refusal:
    return Refusal(404, "No such survey.", "unknown-survey")


def unknown_site() -> Refusal:
    return Refusal(404, "No such site.", "unknown-site")


def unknown_tenant() -> Refusal:
    return Refusal(404, "No such collectivity.", "unknown-tenant")


def unknown_campaign() -> Refusal:
    return Refusal(404, "No such campaign.", "unknown-campaign")

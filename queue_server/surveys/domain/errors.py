"""Why a survey rule said no: one exception, ``Refused``, whose ``kind`` the service maps to a status.

    Refused(kind)
    ├── "invalid-answer"     a score out of 1..5, an answer to no question, a choice not offered   (HTTP 422)
    ├── "invalid-campaign"   a campaign's period or questions that make no sense                    (HTTP 422)
    ├── "already-answered"   the survey was answered already                                        (HTTP 409)
    └── "expired"            the link is older than its validity                                    (HTTP 410)

``field`` names the body's field at fault (``score``, ``answers.q1``, ``questions[2].choices``); ``detail`` is an
English sentence for developers and logs.
"""

from __future__ import annotations

from typing import Literal

RefusalKind = Literal["invalid-answer", "invalid-campaign", "already-answered", "expired"]


class Refused(Exception):
    """A survey rule says no; ``kind`` says which rule, ``field`` what is at fault, ``detail`` why."""

    def __init__(self, kind: RefusalKind, field: str, detail: str) -> None:
        super().__init__(detail)
        self.kind: RefusalKind = kind
        self.field = field
        self.detail = detail

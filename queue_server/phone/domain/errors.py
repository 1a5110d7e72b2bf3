"""Why a phone desk rule said no: one exception, ``Refused``, whose ``kind`` the service maps to a status.

    Refused(kind)
    ├── "invalid-due-time"   a callback due too long ago or too far ahead                      (HTTP 422)
    ├── "duplicate-reason"   two reasons of a list with one id                                  (HTTP 422)
    └── "already-done"       a callback that was done already                                   (HTTP 409)

``field`` names the body's field at fault (``callback.due_at``, ``reasons[2].id``); ``detail`` is an English
sentence for developers and logs.
"""

from __future__ import annotations

from typing import Literal

RefusalKind = Literal["invalid-due-time", "duplicate-reason", "already-done"]


class Refused(Exception):
    """A phone desk rule says no; ``kind`` says which rule, ``field`` what is at fault, ``detail`` why."""

    def __init__(self, kind: RefusalKind, field: str, detail: str) -> None:
        super().__init__(detail)
        self.kind: RefusalKind = kind
        self.field = field
        self.detail = detail

"""Why a knowledge-base rule said no: one exception, ``Refused``, whose ``kind`` the service maps to a status.

    Refused(kind)
    ├── "self-partner"   a collectivity named itself among its partners               (HTTP 422)
    └── "own-sheet"      a local note on the collectivity's own sheet (edit the sheet) (HTTP 422)

``field`` names the body's field at fault (``tenants[0]``); ``detail`` is an English sentence for developers and
logs."""

from __future__ import annotations

from typing import Literal

RefusalKind = Literal["self-partner", "own-sheet"]


class Refused(Exception):
    """A knowledge-base rule says no; ``kind`` says which rule, ``field`` what is at fault, ``detail`` why."""

    def __init__(self, kind: RefusalKind, field: str, detail: str) -> None:
        super().__init__(detail)
        self.kind: RefusalKind = kind
        self.field = field
        self.detail = detail

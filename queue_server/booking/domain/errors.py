"""Why booking refused: one exception, ``Refused``, whose ``kind`` the web layer maps to a status.

    Refused(kind)
    ├── "closed"         the day is a closure or a public holiday (``detail`` names it)   (HTTP 422)
    ├── "outside-hours"  not a start the motif's grid offers that day                     (HTTP 422)
    ├── "too-soon"       sooner than the motif's minimum notice                           (HTTP 422)
    ├── "too-far"        later than the motif's horizon                                   (HTTP 422)
    └── "wrong-status"   the appointment's status does not allow the action               (HTTP 409)

``detail`` is an English sentence for developers and logs; what a citizen reads is chosen from ``kind``
by the web layer (and translated there).
"""

from __future__ import annotations

from typing import Literal

RefusalKind = Literal["closed", "outside-hours", "too-soon", "too-far", "wrong-status"]


class Refused(Exception):
    """A booking rule says no; ``kind`` says which rule, ``detail`` says why in plain English."""

    def __init__(self, kind: RefusalKind, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind: RefusalKind = kind
        self.detail = detail

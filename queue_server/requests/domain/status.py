"""A request's life: its statuses and the changes staff may make.

    received ──> in_progress <──> waiting_citizen
        │             │                 │
        ╰─────────────┴──> closed <─────╯
                             │
                             ╰──> in_progress   (reopened)

A request is ``received`` until someone takes it up; ``waiting_citizen`` while the town hall waits for the
citizen's answer or document; ``closed`` once answered (or transmitted elsewhere, or a duplicate). Nothing goes
back to ``received``. Asking for the status a request already has changes nothing (and is no error)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from queue_server.requests.domain.errors import Refused

Status = Literal["received", "in_progress", "waiting_citizen", "closed"]
Target = Literal["in_progress", "waiting_citizen", "closed"]  # what staff may set
STATUSES: tuple[Status, ...] = ("received", "in_progress", "waiting_citizen", "closed")
TARGETS: tuple[Target, ...] = ("in_progress", "waiting_citizen", "closed")
OPEN: tuple[Status, ...] = ("received", "in_progress", "waiting_citizen")
# From a status, the statuses it may change to.
NEXT: Mapping[Status, frozenset[Status]] = {
    "received": frozenset({"in_progress", "waiting_citizen", "closed"}),
    "in_progress": frozenset({"waiting_citizen", "closed"}),
    "waiting_citizen": frozenset({"in_progress", "closed"}),
    "closed": frozenset({"in_progress"}),
}


def allowed(current: Status, wanted: Status) -> bool:
    """Whether a request ``current`` may become ``wanted`` (the same status: yes, nothing changes)."""
    return wanted == current or wanted in NEXT[current]


def after(current: Status, wanted: Status) -> Status:
    """``wanted`` when allowed from ``current``; raises ``Refused("wrong-status")`` otherwise."""
    if not allowed(current, wanted):
        raise Refused("wrong-status", "status", f"a request {current!r} cannot become {wanted!r}")
    return wanted

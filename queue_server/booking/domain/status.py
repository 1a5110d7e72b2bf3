"""An appointment's life: the statuses, the actions, and which action each status allows.

    booked ──check_in──> checked_in ──finish──> done
      │  ╰──move──> booked      │
      ├──cancel──> cancelled    │
      ╰──no_show──> no_show <───╯

``move`` keeps the appointment booked (at another start); ``cancelled``, ``done`` and ``no_show`` are final.
Who may act is not decided here, except the citizen's own deadline (``can_citizen_change``); staff may
cancel or move at any time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from queue_server.booking.domain.errors import Refused
from queue_server.booking.domain.motifs import Motif

Status = Literal["booked", "cancelled", "checked_in", "done", "no_show"]
Action = Literal["cancel", "move", "check_in", "finish", "no_show"]
STATUSES: tuple[Status, ...] = ("booked", "cancelled", "checked_in", "done", "no_show")
# Action -> the statuses it applies to -> the status it leads to.
ACTIONS: Mapping[Action, Mapping[Status, Status]] = {
    "cancel": {"booked": "cancelled"},
    "move": {"booked": "booked"},
    "check_in": {"booked": "checked_in"},
    "finish": {"checked_in": "done"},
    "no_show": {"booked": "no_show", "checked_in": "no_show"},
}


def allowed(status: Status, action: Action) -> bool:
    """Whether ``action`` may be taken on an appointment in ``status``."""
    return status in ACTIONS[action]


def after(status: Status, action: Action) -> Status:
    """The status ``action`` leads to from ``status``; raises ``Refused("wrong-status")`` when not allowed."""
    following = ACTIONS[action].get(status)
    if following is None:
        raise Refused("wrong-status", f"{action!r} is not allowed on an appointment {status!r}")
    return following


def can_citizen_change(motif: Motif, start: datetime, now: datetime) -> bool:
    """Whether the citizen may still cancel or move their appointment at ``start``: not once ``now`` is within
    ``cancel_cutoff_min`` minutes of it (nor after it)."""
    return now <= start - timedelta(minutes=motif.cancel_cutoff_min)

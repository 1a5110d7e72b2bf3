"""A call as the desk logs it: how it ended (``OUTCOMES``) and when it took place.

The agent's page runs the call's clock from the moment the agent takes the call (F2) to the moment they save it,
and sends that duration in whole seconds; the server's clock says when it ended. So a call is dated by the server
(a desk computer's clock may be wrong), and lasts what the agent's page measured, within ``MAX_DURATION_S``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Outcome = Literal["answered", "transferred", "callback", "appointment", "request"]
# In the order the desk offers them: the question answered on the spot first.
OUTCOMES: tuple[Outcome, ...] = ("answered", "transferred", "callback", "appointment", "request")
MAX_DURATION_S = 4 * 3600  # no call lasts longer; a page left open over lunch sends more, and is refused


def started_at(ended_at: datetime, duration_s: int) -> datetime:
    """When a call that ended at ``ended_at`` after ``duration_s`` seconds began. ``ValueError`` for a duration
    below zero or beyond ``MAX_DURATION_S`` (the web layer's schema refuses those before)."""
    if not 0 <= duration_s <= MAX_DURATION_S:
        raise ValueError(f"a call lasts 0 to {MAX_DURATION_S} s, not {duration_s}")
    return ended_at - timedelta(seconds=duration_s)


def mean_seconds(durations: list[int]) -> float | None:
    """The mean of ``durations``, in seconds to one decimal; ``None`` for none."""
    return round(sum(durations) / len(durations), 1) if durations else None

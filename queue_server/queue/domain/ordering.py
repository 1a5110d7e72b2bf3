"""Which waiting ticket a counter calls next: one replaceable policy.

A policy sees the head of each queue the counter serves (the queue itself already puts priority
tickets, then tickets transferred to the front, then arrivals in order) and picks one. Register a
new policy in ``POLICIES``, add its name to ``config.ORDERINGS``, and name it in the site's configuration
(``ordering``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from queue_server.queue.domain.config import ORDERINGS
from queue_server.queue.domain.state import Ticket


@dataclass(frozen=True, slots=True)
class Candidate:
    ticket: Ticket
    weight: float


OrderingPolicy = Callable[[Sequence[Candidate], datetime], Ticket]


def weighted_wait(candidates: Sequence[Candidate], now: datetime) -> Ticket:
    """Priority tickets first; then the longest wait, each second multiplied by its service's weight.

    Ties go to the earlier arrival, then to the earlier ticket id, so every process picks the same.
    ``candidates`` must not be empty.
    """
    pool = [c for c in candidates if c.ticket.priority] or list(candidates)

    def urgency(c: Candidate) -> tuple[float, float, str]:
        waited = (now - c.ticket.issued_at).total_seconds()
        return (-waited * c.weight, c.ticket.issued_at.timestamp(), c.ticket.id)

    return min(pool, key=urgency).ticket


def first_come(candidates: Sequence[Candidate], now: datetime) -> Ticket:
    """Priority first, then strictly by arrival, whatever the service's weight."""
    pool = [c for c in candidates if c.ticket.priority] or list(candidates)
    return min(pool, key=lambda c: (c.ticket.issued_at, c.ticket.id)).ticket


POLICIES: dict[str, OrderingPolicy] = {
    "weighted_wait": weighted_wait,
    "first_come": first_come,
}
if POLICIES.keys() != ORDERINGS:  # pragma: no cover - a policy added here and not named in config.py, or back
    raise ImportError("ordering.POLICIES and config.ORDERINGS must name the same policies")

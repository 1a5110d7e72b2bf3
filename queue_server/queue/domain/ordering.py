"""Which waiting ticket a counter calls next: one replaceable policy.

A policy sees the head of each queue the counter serves and picks one. Each queue already puts its
tickets in call order (state.py ``QueueKey``): appointment tickets first, then priority tickets, then
tickets transferred to the front, then arrivals in order. Across the counter's services every policy
keeps the first two levels:

1. an appointment ticket (a booked citizen who checked in) is called before any walk-in, whatever
   their arrival; among appointment tickets, the earlier check-in first (arrival order, whatever the
   service's weight: an appointment is a promise of a time, not a share of the counters);
2. then a priority walk-in before other walk-ins;
3. then, among the walk-ins left, the policy's own rule (``weighted_wait``, ``first_come``).

"Front" (a transfer to the front of a queue) only orders tickets within their queue: it never lets a
walk-in pass an appointment ticket, nor a plain walk-in pass a priority one.

Register a new policy in ``POLICIES``, add its name to ``config.ORDERINGS``, and name it in the site's
configuration (``ordering``).
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


def _by_arrival(c: Candidate) -> tuple[datetime, str]:
    return (c.ticket.issued_at, c.ticket.id)


def _walk_ins(candidates: Sequence[Candidate]) -> list[Candidate] | None:
    """The walk-ins a policy chooses among: the priority ones if any, else all. ``None`` when an
    appointment ticket waits: it goes first (``booked_first``), whatever the policy."""
    if any(c.ticket.appointment is not None for c in candidates):
        return None
    return [c for c in candidates if c.ticket.priority] or list(candidates)


def booked_first(candidates: Sequence[Candidate]) -> Ticket:
    """Among the candidates that are appointment tickets (there must be one), the earlier check-in."""
    return min((c for c in candidates if c.ticket.appointment is not None), key=_by_arrival).ticket


def weighted_wait(candidates: Sequence[Candidate], now: datetime) -> Ticket:
    """Appointment tickets first (earlier check-in first); then priority walk-ins; then the longest wait,
    each second multiplied by its service's weight.

    Ties go to the earlier arrival, then to the earlier ticket id, so every process picks the same.
    ``candidates`` must not be empty.
    """
    pool = _walk_ins(candidates)
    if pool is None:
        return booked_first(candidates)

    def urgency(c: Candidate) -> tuple[float, float, str]:
        waited = (now - c.ticket.issued_at).total_seconds()
        return (-waited * c.weight, c.ticket.issued_at.timestamp(), c.ticket.id)

    return min(pool, key=urgency).ticket


def first_come(candidates: Sequence[Candidate], now: datetime) -> Ticket:
    """Appointment tickets first (earlier check-in first); then priority walk-ins; then strictly by
    arrival, whatever the service's weight."""
    pool = _walk_ins(candidates)
    if pool is None:
        return booked_first(candidates)
    return min(pool, key=_by_arrival).ticket


POLICIES: dict[str, OrderingPolicy] = {
    "weighted_wait": weighted_wait,
    "first_come": first_come,
}
if POLICIES.keys() != ORDERINGS:  # pragma: no cover - a policy added here and not named in config.py, or back
    raise ImportError("ordering.POLICIES and config.ORDERINGS must name the same policies")

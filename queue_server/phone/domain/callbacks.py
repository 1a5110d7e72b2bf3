"""Callbacks: a call whose outcome is "callback" promises the caller to be called back by a time (``due_at``), by an
agent or by anyone of a service. A callback is to do until someone marks it done, saying how it went
(``DONE_OUTCOMES``); it is overdue once its time has passed and it is still to do.

The lists of callbacks to do show the overdue ones first (the longest overdue on top), then the others by the time
they are due: the order of the times themselves, told apart so that a list sorted otherwise (by agent) keeps the
overdue together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from queue_server.phone.domain.errors import Refused

DoneOutcome = Literal["reached", "message_left", "unreachable"]
DONE_OUTCOMES: tuple[DoneOutcome, ...] = ("reached", "message_left", "unreachable")
Status = Literal["todo", "done"]
# A callback may be promised for a time just past (the agent typed "now", the page took a while), never for a day
# gone; nor beyond a quarter (a promise nobody keeps in mind).
EARLIEST_PAST = timedelta(hours=1)
LATEST_AHEAD = timedelta(days=92)

T = TypeVar("T")


def check_due(due_at: datetime, now: datetime, field: str = "callback.due_at") -> datetime:
    """``due_at`` if a callback may be promised for then, seen at ``now``: not more than ``EARLIEST_PAST`` ago nor
    more than ``LATEST_AHEAD`` ahead; ``Refused("invalid-due-time")`` naming ``field`` otherwise."""
    if due_at < now - EARLIEST_PAST:
        raise Refused("invalid-due-time", field, "a callback is promised for a time to come, not one gone")
    if due_at > now + LATEST_AHEAD:
        raise Refused("invalid-due-time", field, f"a callback is due within {LATEST_AHEAD.days} days")
    return due_at


def overdue(status: Status, due_at: datetime, now: datetime) -> bool:
    """Whether a callback is overdue at ``now``: still to do, its time passed."""
    return status == "todo" and due_at < now


def check_done(status: Status) -> None:
    """A callback is marked done once: ``Refused("already-done")`` when it was."""
    if status == "done":
        raise Refused("already-done", "status", "this callback was done already")


def ordered(items: Sequence[T], now: datetime, due: Callable[[T], datetime], status: Callable[[T], Status],
            key: Callable[[T], object] = lambda item: 0) -> list[T]:
    """``items`` as the lists show them: the overdue first, then the rest to do, then those done; by due time within
    each (``key`` breaks ties: an id, so that the order is the same every time)."""
    def rank(item: T) -> tuple[int, datetime, object]:
        state = status(item)
        group = 0 if overdue(state, due(item), now) else 1 if state == "todo" else 2
        return group, due(item), key(item)

    return sorted(items, key=rank)

"""A visit on a party's timeline: a ticket staff issued for a known person, followed as the queue moves it on.

The timeline keeps, for each such ticket, one entry: its outcome in one machine word (``summary``: the pages
translate it) and what people ask about afterwards: how long the person waited, how long they were served, at
which counter and by whom. The worker that reads the queue's events (``crm/visits.py``) turns each event of the
ticket into one step below; every step is a pure function of the visit and the event's facts.

- ``wait_s``: from the ticket's issue to its (last) call; ``served_s``: from the start of the service (or the
  call, when the agent never pressed start) to its end, for a visit that was served.
- A transfer sends the visit on to another service, waiting again: its call, counter and agent are forgotten
  until the next service calls it (its sector follows its service: the worker looks it up).
- A no-show put back in the queue waits again likewise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

# The ticket's status (the queue's words) -> the visit's outcome on the timeline.
OUTCOMES: dict[str, str] = {
    "waiting": "waiting", "called": "called", "serving": "serving", "done": "served", "no_show": "no_show",
    "cancelled": "cancelled",
}


def iso(moment: datetime | None) -> str | None:
    """``2026-11-27T08:30:00.123456Z``, as the queue writes times (``None`` stays ``None``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else None


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


@dataclass(frozen=True, slots=True)
class Visit:
    ticket: str  # its number, as the person saw it ("A042")
    service: str
    issued_at: datetime
    status: str = "waiting"  # the ticket's status, one of OUTCOMES
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    agent_name: str | None = None  # who called it
    transfers: int = 0

    @property
    def summary(self) -> str:
        return OUTCOMES.get(self.status, self.status)

    @property
    def wait_s(self) -> int | None:
        return _seconds(self.issued_at, self.called_at)

    @property
    def served_s(self) -> int | None:
        if self.status != "done":
            return None
        return _seconds(self.started_at or self.called_at or self.finished_at, self.finished_at)

    # Steps: one per event of the ticket ------------------------------------------------------------

    def called(self, at: datetime, counter: str, agent_name: str) -> Visit:
        return replace(self, status="called", called_at=at, counter=counter, agent_name=agent_name or None)

    def started(self, at: datetime) -> Visit:
        return replace(self, status="serving", started_at=at)

    def finished(self, at: datetime) -> Visit:
        return replace(self, status="done", finished_at=at)

    def no_show(self, at: datetime) -> Visit:
        return replace(self, status="no_show", finished_at=at)

    def cancelled(self, at: datetime) -> Visit:
        return replace(self, status="cancelled", finished_at=at)

    def requeued(self) -> Visit:
        return replace(self, status="waiting", called_at=None, started_at=None, finished_at=None, counter=None,
                       agent_name=None)

    def transferred(self, service: str) -> Visit:
        return replace(self, service=service, status="waiting", called_at=None, started_at=None, counter=None,
                       agent_name=None, transfers=self.transfers + 1)

    # As the timeline keeps it --------------------------------------------------------------------------

    def detail(self) -> dict[str, Any]:
        """The entry's ``detail``: JSON-ready, times in UTC with a ``Z``."""
        return {
            "ticket": self.ticket, "status": self.status, "issued_at": iso(self.issued_at),
            "called_at": iso(self.called_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at), "wait_s": self.wait_s, "served_s": self.served_s,
            "counter": self.counter, "agent_name": self.agent_name, "transfers": self.transfers,
        }

    @classmethod
    def from_entry(cls, service: str, at: datetime, detail: Mapping[str, Any]) -> Visit:
        """The visit an entry holds (``at``: the entry's time, the ticket's issue), from its ``detail``;
        what the detail lacks takes its default."""
        counter, agent = detail.get("counter"), detail.get("agent_name")
        transfers = detail.get("transfers")
        return cls(
            ticket=str(detail.get("ticket", "")), service=service, issued_at=_moment(detail.get("issued_at")) or at,
            status=str(detail.get("status", "waiting")), called_at=_moment(detail.get("called_at")),
            started_at=_moment(detail.get("started_at")), finished_at=_moment(detail.get("finished_at")),
            counter=counter if isinstance(counter, str) else None,
            agent_name=agent if isinstance(agent, str) else None,
            transfers=transfers if isinstance(transfers, int) else 0,
        )

"""What the agent's screen knows: the site as the live feed last said it, the tickets seen by number,
the live feed's state and the outcome of the last action (no I/O, no clock: times are arguments).

``snapshot`` is the truth for everything shown. It comes whole from ``GET /state`` at start, and from
the feed's snapshot messages (when the feed cannot replay what followed the view held: after a
reconnection that missed too much, a server's restart); every event then updates it in place
(``view.apply``: events carry the ticket after them and the figures of the services they change), so
that it says what ``GET /state`` would, without asking. An event that cannot be applied whole (a
server from before those figures) sets ``incomplete``: only then is the state worth fetching again.

Events also feed ``tickets``, the directory that turns a typed number (``A042``) into a ticket id. A
server whose snapshots list the waiting tickets to staff (``queue``) lets any of them be called by
number; with one that does not, only the tickets seen since the client started (issued, called,
transferred… while it ran, or among the recent calls) can be. A new day (``day.started``) empties it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from queue_server.queue.protocol import CounterView, ServiceView, SnapshotView, TicketView

from .view import apply

Tone = Literal["ok", "refused", "info"]
Connection = Literal["connecting", "live", "lost"]
MAX_TICKETS = 5000  # numbers remembered (a busy site issues a few hundred a day)


@dataclass(frozen=True)
class Message:
    """The status line: the outcome of the last action, as the agent should read it."""

    text: str
    tone: Tone
    at: datetime


def event_key(event_id: str) -> tuple[int, int]:
    """A stream id (``"1712345678901-3"``) as a sortable pair; (0, 0) if it is not one."""
    ms, _, seq = event_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return 0, 0


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class Board:
    site: str
    counter: str
    services: tuple[str, ...] | None = None  # the services this counter calls today (None: all of its own)
    snapshot: SnapshotView | None = None
    tickets: dict[str, TicketView] = field(default_factory=dict)  # by number
    started: dict[str, datetime] = field(default_factory=dict)  # ticket id -> when its service started
    notes: dict[str, str | None] = field(default_factory=dict)  # ticket id -> its note (None: none)
    mine: set[str] = field(default_factory=set)  # ids of the tickets whose last call was at this counter
    last_no_show: str | None = None  # the number of the last ticket this counter marked as no-show
    connection: Connection = "connecting"
    message: Message | None = None
    latest_event: str = ""  # the last event id the feed gave
    incomplete: bool = False  # an event could not be applied whole since the last snapshot: fetch the state

    # Reading ------------------------------------------------------------------------------------------

    def counter_view(self) -> CounterView | None:
        if self.snapshot is None:
            return None
        return next((c for c in self.snapshot["counters"] if c["id"] == self.counter), None)

    def current(self) -> TicketView | None:
        """The ticket at this counter (called or being served), if any."""
        view = self.counter_view()
        return view["ticket"] if view is not None else None

    def service(self, service_id: str) -> ServiceView | None:
        if self.snapshot is None:
            return None
        return next((s for s in self.snapshot["services"] if s["id"] == service_id), None)

    def service_name(self, service_id: str) -> str:
        found = self.service(service_id)
        return found["name"] if found is not None else service_id

    def counter_name(self, counter_id: str | None) -> str:
        if self.snapshot is not None:
            for counter in self.snapshot["counters"]:
                if counter["id"] == counter_id:
                    return counter["name"]
        return counter_id or "?"

    def serves(self, service_id: str) -> bool:
        return self.services is None or service_id in self.services

    def ticket(self, number: str) -> TicketView | None:
        return self.tickets.get(number)

    def waiting_numbers(self, service_id: str) -> list[str]:
        """The numbers waiting for ``service_id`` in call order, if the server lists them (else none)."""
        if self.snapshot is None:
            return []
        return [t["number"] for t in self.snapshot.get("queue", []) if t["service"] == service_id]

    def note_wanted(self) -> TicketView | None:
        """The ticket at the counter if a colleague left it a note this client has not read yet."""
        ticket = self.current()
        if ticket is not None and ticket.get("noted") and ticket["id"] not in self.notes:
            return ticket
        return None

    def behind(self, snapshot: SnapshotView) -> bool:
        """Whether ``snapshot`` is older than the last event the feed gave (another process answered
        ``GET /state`` before it had caught up): taking it would step the view back."""
        return event_key(snapshot["last_event_id"]) < event_key(self.latest_event)

    def stale(self) -> bool:
        """Whether the snapshot held is older than the last event the feed gave."""
        return self.snapshot is not None and self.behind(self.snapshot)

    # Changing ----------------------------------------------------------------------------------------

    def say(self, text: str, tone: Tone, now: datetime) -> None:
        self.message = Message(text, tone, now)

    def take_snapshot(self, snapshot: SnapshotView) -> None:
        """A whole snapshot, from ``GET /state`` or the feed, which replaces the view held (events change
        it in place from then on: give one no one else holds)."""
        self.snapshot = snapshot
        self.incomplete = False
        for ticket in [*snapshot["recent_calls"], *snapshot.get("queue", [])]:
            self.note(ticket)
        for counter in snapshot["counters"]:
            if counter["ticket"] is not None:
                self.note(counter["ticket"])

    def note(self, ticket: TicketView) -> None:
        """Remember a ticket by its number (the latest view of it wins)."""
        self.tickets.pop(ticket["number"], None)
        self.tickets[ticket["number"]] = ticket
        while len(self.tickets) > MAX_TICKETS:
            del self.tickets[next(iter(self.tickets))]
        if ticket["counter"] == self.counter:
            if len(self.mine) >= MAX_TICKETS:
                self.mine.clear()
            self.mine.add(ticket["id"])
        elif ticket["counter"] is not None:
            self.mine.discard(ticket["id"])

    def colleagues_calls(self) -> list[TicketView]:
        """The site's recent calls made at other counters, latest first (a ticket called here, then
        transferred, no longer says which counter called it: ``mine`` remembers)."""
        if self.snapshot is None:
            return []
        return [t for t in self.snapshot["recent_calls"]
                if t["counter"] != self.counter and t["id"] not in self.mine]

    def take_event(self, message: dict[str, Any]) -> None:
        """A message of the feed: a snapshot replaces the view, an event updates it; a ticket is
        remembered by its number, and when its service started (for the timer)."""
        if isinstance(message.get("id"), str):
            self.latest_event = message["id"]  # in log order; a snapshot starts again (the log may be new)
        if message.get("type") == "snapshot":
            data = message.get("data")
            if isinstance(data, dict):
                self.take_snapshot(cast(SnapshotView, data))
            return
        if message.get("type") == "day.started":
            self.forget_the_day()
        if self.snapshot is not None and not apply(self.snapshot, message):
            self.incomplete = True
        data = message.get("data")
        ticket = data.get("ticket") if isinstance(data, dict) else None
        if not isinstance(ticket, dict) or not isinstance(ticket.get("number"), str):
            return
        view = cast(TicketView, ticket)
        self.note(view)
        at = parse_time(message.get("at") if isinstance(message.get("at"), str) else None)
        if message.get("type") == "ticket.started" and at is not None:
            self.started[view["id"]] = at
            if len(self.started) > MAX_TICKETS:
                del self.started[next(iter(self.started))]

    def forget_the_day(self) -> None:
        """A new day: yesterday's tickets are gone, their numbers start again."""
        self.tickets.clear()
        self.started.clear()
        self.notes.clear()
        self.mine.clear()
        self.last_no_show = None

    def since(self, ticket: TicketView) -> datetime | None:
        """When the ticket's timer starts: when its service started, else when it was called."""
        if ticket["status"] == "serving" and ticket["id"] in self.started:
            return self.started[ticket["id"]]
        return parse_time(ticket["called_at"])

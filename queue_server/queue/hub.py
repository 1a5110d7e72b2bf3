"""The hub: every event of a site, turned once into a wire message and pushed to every subscriber.

Per active site per process there is one ``SiteHub``, fed by the ``SiteEngine`` as it folds the
stream (its writer's own appends and its tail of everyone else's), so subscribers see events in log
order, each once, whatever process appended them.

- A message is built once per event and serialised once per audience (``public``: displays and
  kiosks, never personal data, and not the starts and ends of visits, which they do not show;
  ``staff``: agents, supervisors, admins: everything), then the same bytes go to every matching
  subscriber: written straight to its connection when the server offers a ``FrameSink``
  (web/wsserver.py), else queued for its connection's task.
- Each subscriber has a bounded outbox: its connection's write buffer (``OUTBOX_BYTES``) or its
  queue (``OUTBOX`` frames). A subscriber that falls that far behind is cut (``dropped``, close code
  1013), never waited for: it reconnects with ``since`` and catches up from the replay buffer.
- A citizen's phone follows one ticket (``watch``): after each event it gets the ticket's public view
  again, only when that view changed (its position moved, it was called...), never anyone else's.
- The replay buffer keeps the last ``REPLAY`` messages. ``since`` an id in it replays exactly what
  followed; any other id (trimmed, another process's restart, Redis lost data) gets a fresh snapshot
  flagged ``"resumed": false``: never a partial replay.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from bisect import bisect_left
from collections.abc import Callable
from functools import cached_property
from typing import Any, Literal, Protocol, cast

import orjson
from websockets.frames import Frame, Opcode

from queue_server.queue.codec import iso
from queue_server.queue.domain.events import (
    CounterEvent,
    DayStarted,
    DisplayMessageSet,
    Event,
    PrinterReported,
    SiteConfigured,
    TicketCalled,
    TicketEvent,
    TicketIssued,
    TicketRecalled,
    TicketReprinted,
)
from queue_server.queue.domain.state import SiteState, changed_services
from queue_server.queue.protocol import (
    CLOSE_TOO_SLOW,
    Announcement,
    CounterEventType,
    EventMessage,
    FeedMessage,
    SnapshotMessage,
    TicketEventData,
    TicketEventType,
    TicketFeedMessage,
    counter_view,
    printer_view,
    service_figures,
    snapshot_view,
    ticket_view,
)
from queue_server.store.keys import stream_id

log = logging.getLogger(__name__)

Audience = Literal["public", "staff"]
AUDIENCE: dict[str, Audience] = {
    "display": "public", "kiosk": "public", "agent": "staff", "supervisor": "staff", "admin": "staff",
}
# What public screens (displays, kiosks, a citizen's ticket page) may see of a ticket (a dict with a "number"):
# an allow-list, so that a field added to tickets later (a name, an e-mail, a party id) reaches staff only until
# it is named here. tests/system/test_hub_projection.py makes every TicketView field be classed as one or other.
# ``booked`` (an appointment ticket, yes or no) is public; the appointment's reference is not.
PUBLIC_TICKET = frozenset({"id", "number", "service", "status", "priority", "position", "estimated_wait_s",
                           "counter", "issued_at", "called_at", "recalls", "booked"})
# Ticket fields known to be for staff only (notes left, transfers to the front, the CRM party whose visit it is, the
# appointment it is the check-in of) or personal: never public.
PERSONAL = frozenset({"phone", "name", "email", "note", "noted", "front", "party", "appointment"})
# Fields, at any depth, for staff only: the agents' names, the list of waiting tickets, a link to a person's record
# or to their appointment (whose code, typed at the kiosk, is what the holder shows to check in), the outcomes a
# service offers its agents and why a counter is paused (the desk's own business).
STAFF_ONLY = frozenset({"agent", "queue", "party", "appointment", "outcomes", "pause_reason"})
OUTBOX = 512  # frames a queued subscriber may fall behind before it is cut
OUTBOX_BYTES = 256 * 1024  # bytes a directly written subscriber's peer may leave unread (beyond the kernel's)
REPLAY = 10_000  # messages kept per site for clients resuming with `since`

# Spoken and shown form of a call. Numbers are read naturally ("A 42", not "A zero four two").
ANNOUNCEMENTS = {
    "fr": "Ticket {letters} {number}, guichet {counter}",
    "en": "Ticket {letters} {number}, counter {counter}",
    "es": "Turno {letters} {number}, ventanilla {counter}",
    "ar": "التذكرة {letters} {number}، الشباك {counter}",
}


# Names the WAV of a phrase spoken in a language (queue_server/speech.py), or None without speech.
# ``render=False``: only name it (rebuilding old messages must not render a whole day of calls).
Voice = Callable[..., "str | None"]


def announcements(state: SiteState, ticket_id: str, voice: Voice | None = None,
                  render: bool = True) -> list[Announcement]:
    """One ``{"lang", "text", "audio_url"}`` per language the site announces in; ``audio_url`` is
    ``None`` when the server cannot speak (displays then play their chime alone)."""
    ticket = state.tickets[ticket_id]
    service = state.config.service(ticket.service)
    letters = service.prefix if service else ticket.number.rstrip("0123456789")
    out: list[Announcement] = []
    for lang in state.config.languages:
        template = ANNOUNCEMENTS.get(lang, ANNOUNCEMENTS["fr"])
        text = template.format(letters=letters, number=ticket.seq, counter=ticket.counter or "")
        out.append({"lang": lang, "text": text, "audio_url": voice(lang, text, render=render) if voice else None})
    return out


def event_message(state: SiteState, rid: str, event: Event, voice: Voice | None = None,
                  render: bool = True) -> EventMessage:
    """The wire form of ``event``, with the state just after it (``data.ticket`` for ticket events);
    ``voice`` names the spoken form of calls (``render``: and has it rendered now). Ticket, counter and
    day events carry ``data.services``: the figures of each service they change (waiting, estimate,
    served), so that screens keep their counts without asking for the state again."""
    site, at = state.config.id, iso(event.at)
    if isinstance(event, TicketEvent | TicketIssued):
        ticket = state.tickets.get(event.ticket_id)
        data: TicketEventData = {"ticket": ticket_view(state, ticket) if ticket else None,
                                 "services": [service_figures(state, s) for s in changed_services(state, event)]}
        if isinstance(event, TicketIssued):
            data["issued_by"] = event.issued_by  # a kiosk's printer prints the tickets of its kiosk
            data["lang"] = event.lang  # ... in the language the citizen chose
        if isinstance(event, TicketCalled | TicketRecalled) and ticket is not None:
            data["announcements"] = announcements(state, event.ticket_id, voice, render)
            data["out_of_turn"] = isinstance(event, TicketCalled) and event.out_of_turn
        if isinstance(event, TicketCalled):
            data["agent"] = event.agent_name or None  # staff only (STAFF_ONLY)
        if isinstance(event, TicketReprinted):
            data["kiosk"] = event.kiosk  # the kiosk whose printer prints it again
            data["lang"] = ticket.lang if ticket else None
        return {"id": rid, "type": cast(TicketEventType, event.type), "site": site, "at": at, "data": data}
    if isinstance(event, DisplayMessageSet):
        return {"id": rid, "type": "display.message", "site": site, "at": at, "data": {"text": event.text}}
    if isinstance(event, PrinterReported):
        # Every role receives it: kiosk pages stop taking tickets, supervisors see the alert.
        return {"id": rid, "type": "kiosk.printer", "site": site, "at": at,
                "data": printer_view(event.kiosk, event.status)}
    if isinstance(event, CounterEvent):
        return {"id": rid, "type": cast(CounterEventType, event.type), "site": site, "at": at, "data": {
            "counter": counter_view(state, event.counter),  # its services' estimates change with it
            "services": [service_figures(state, s) for s in changed_services(state, event)]}}
    if isinstance(event, SiteConfigured):
        return {"id": rid, "type": "site.configured", "site": site, "at": at,
                "data": snapshot_view(state, staff=True, now=event.at)}  # public screens get its public view
    if isinstance(event, DayStarted):
        return {"id": rid, "type": "day.started", "site": site, "at": at, "data": {
            "day": event.day, "services": [service_figures(state, s.id) for s in state.config.services]}}
    raise TypeError(f"no wire form for {event.type!r}")  # every event type has one (tests/domain/test_codec.py)


def ticket_message(state: SiteState, rid: str, ticket_id: str) -> TicketFeedMessage:
    """What a citizen's phone receives about its ticket: the public Ticket (``None`` once the day it
    belonged to is over), the name of the counter that called it and the number called last in its service."""
    ticket = state.tickets.get(ticket_id)
    view = public(ticket_view(state, ticket)) if ticket is not None else None
    counter = state.config.counter(ticket.counter) if ticket is not None and ticket.counter else None
    return {"type": "ticket", "id": rid, "site": state.config.id,
            "data": {"ticket": view, "counter_name": counter.name if counter else None,
                     "now_serving": now_serving(state, ticket.service) if ticket is not None else None}}


def now_serving(state: SiteState, service: str) -> str | None:
    """The number called last in ``service``, looked for among the site's latest calls only (``recent_calls``,
    at most RECENT_CALLS: a look in O(1)); ``None`` when none of them is of this service."""
    for ticket_id in reversed(state.recent_calls):
        ticket = state.tickets.get(ticket_id)
        if ticket is not None and ticket.service == service:
            return ticket.number
    return None


def public(message: Any) -> Any:
    """What displays and kiosks may see of a message: every ticket at any depth (``data.ticket``, a
    counter's ticket, a snapshot's recent calls) reduced to the ``PUBLIC_TICKET`` fields, and the staff's
    fields (``STAFF_ONLY``) left out everywhere. Only tickets hold people's data: the names of the site,
    its services and counters stay."""
    if isinstance(message, dict):
        if "number" in message:
            return {k: public(v) for k, v in message.items() if k in PUBLIC_TICKET}
        return {k: public(v) for k, v in message.items() if k not in STAFF_ONLY}
    if isinstance(message, list):
        return [public(v) for v in message]
    return message


# A note is for staff: public screens are not sent it. They are sent the start and end of a visit: those
# change what they show (a counter freed, the visits served, the estimates the kiosk gives), and a screen
# that folds its view from the feed must stay what GET /state says (tests/browser/test_live_fold.py).
HIDDEN: dict[Audience, frozenset[str]] = {
    "public": frozenset({"ticket.noted"}),
    "staff": frozenset(),
}

# Any message of the live feeds, as a projection or a Wire takes it.
Message = FeedMessage | TicketFeedMessage

PROJECTIONS: dict[Audience, Callable[[Message], Message]] = {
    "public": public,
    "staff": lambda message: message,
}


class FrameSink(Protocol):
    """A connection the hub can write whole WebSocket frames to, from the event loop, without waiting."""

    def write_frame(self, frame: bytes, limit: int | None = None) -> bool: ...

    def shed(self, code: int, reason: str) -> None: ...


class Wire:
    """One message as sent: its JSON once, and the forms each kind of subscriber needs, each made once."""

    __slots__ = ("payload", "__dict__")

    def __init__(self, message: Message) -> None:
        self.payload = orjson.dumps(message)

    @cached_property
    def frame(self) -> bytes:
        return Frame(Opcode.TEXT, self.payload).serialize(mask=False)

    @cached_property
    def text(self) -> str:
        return self.payload.decode()


class Subscriber:
    """One WebSocket connection's place in the hub: its audience and its bounded outbox."""

    _ids = itertools.count(1)

    def __init__(self, role: str, sink: FrameSink | None = None) -> None:
        self.id = next(self._ids)
        self.role = role
        self.audience: Audience = AUDIENCE[role]
        self.sink = sink
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX)
        self.dropped = asyncio.Event()
        self.close_code, self.close_reason = CLOSE_TOO_SLOW, "too far behind: reconnect with since"

    def push(self, wire: Wire) -> None:
        if self.dropped.is_set():
            return
        if self.sink is not None:
            if not self.sink.write_frame(wire.frame, OUTBOX_BYTES):
                log.warning("conn %d: over %d bytes unread, dropped (it will resume with since)", self.id,
                            OUTBOX_BYTES)
                self.drop()
            return
        try:
            self.outbox.put_nowait(wire.text)
        except asyncio.QueueFull:
            log.warning("conn %d: %d frames behind, dropped (it will resume with since)", self.id, OUTBOX)
            self.drop()

    def drop(self, code: int = CLOSE_TOO_SLOW, reason: str = "too far behind: reconnect with since") -> None:
        """Cut this subscriber with a close ``code`` (by default: come back with ``since``)."""
        if self.dropped.is_set():
            return
        self.close_code, self.close_reason = code, reason
        self.dropped.set()
        if self.sink is not None:
            self.sink.shed(code, reason)


class SiteHub:
    """Subscribers of one site in this process, and the recent messages they may resume from."""

    def __init__(self, site: str, voice: Voice | None = None) -> None:
        self.site = site
        self.voice = voice
        self.subscribers: set[Subscriber] = set()
        self._base = (0, 0)  # the id the first buffered message follows
        self._keys: list[tuple[int, int]] = []
        self._messages: list[EventMessage] = []
        self.watchers: dict[str, set[Subscriber]] = {}  # ticket id -> the phones that follow it
        self._watched: dict[str, bytes] = {}  # ticket id -> the view its watchers last received

    def record(self, state: SiteState, rid: str, event: Event) -> None:
        """Called by the engine right after folding ``event``: remember it, push it to everyone."""
        message = event_message(state, rid, event, self.voice)
        self._keys.append(stream_id(rid))
        self._messages.append(message)
        if len(self._keys) > 2 * REPLAY:
            self._base = self._keys[REPLAY - 1]
            del self._keys[:REPLAY]
            del self._messages[:REPLAY]
        if self.subscribers:
            self.fan_out(message)
        changed = message["data"].get("services")
        # No service changed (a printer, a message): no ticket's view did.
        if self.watchers and isinstance(changed, list) and changed:
            self.update_watchers(state, rid, {s["id"] for s in changed})

    def reset(self, base: str, recorded: list[tuple[str, EventMessage]]) -> None:
        """The state was (re)built from a snapshot at ``base`` and then ``recorded``: keep those as the
        replay buffer, and cut every subscriber (their view followed the old state; they resume)."""
        self._base = stream_id(base)
        self._keys = [stream_id(rid) for rid, _ in recorded]
        self._messages = [m for _, m in recorded]
        for subscriber in (*self.subscribers, *(w for ws in self.watchers.values() for w in ws)):
            subscriber.drop()
        self.subscribers.clear()
        self.watchers.clear()
        self._watched.clear()

    def fan_out(self, message: EventMessage) -> None:
        wires: dict[Audience, Wire] = {}
        kind = message["type"]
        for subscriber in tuple(self.subscribers):
            if kind in HIDDEN[subscriber.audience]:
                continue
            wire = wires.get(subscriber.audience)
            if wire is None:
                wire = wires[subscriber.audience] = Wire(PROJECTIONS[subscriber.audience](message))
            subscriber.push(wire)

    def subscribe(self, state: SiteState, role: str, since: str | None,
                  sink: FrameSink | None = None) -> tuple[Subscriber, list[str]]:
        """A new subscriber and the frames it must get first: the replay after ``since`` if this
        hub holds it whole, else a snapshot (flagged ``"resumed": false`` when ``since`` was given).
        With a ``sink`` those first frames are written to it here, and the list returned is empty.

        Synchronous on purpose: between the first frames and the live ones there is no await, so
        nothing can fall in between or be sent twice.
        """
        subscriber = Subscriber(role, sink)
        project = PROJECTIONS[subscriber.audience]
        replay = self._after(since) if since else None
        if replay is not None:
            hidden = HIDDEN[subscriber.audience]
            first = [Wire(project(m)) for m in replay if m["type"] not in hidden]
        else:
            snapshot: SnapshotMessage = {"type": "snapshot", "id": state.last_event_id, "site": self.site,
                                        "data": snapshot_view(state, subscriber.audience == "staff")}
            if since:
                snapshot["resumed"] = False
            first = [Wire(project(snapshot))]
        self.subscribers.add(subscriber)
        if sink is None:
            return subscriber, [wire.text for wire in first]
        for wire in first:  # the whole catch-up is taken, however large: no limit
            sink.write_frame(wire.frame)
        return subscriber, []

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    # Watchers of one ticket (a citizen's phone) ------------------------------------------------------

    def watch(self, state: SiteState, ticket_id: str, sink: FrameSink | None = None) -> tuple[Subscriber, list[str]]:
        """A new watcher of ``ticket_id`` (which must be in ``state``) and its first frame, the
        ticket as it is now (written to ``sink`` when given, as ``subscribe`` does)."""
        subscriber = Subscriber("display", sink)
        message = ticket_message(state, state.last_event_id, ticket_id)
        wire = Wire(message)
        self.watchers.setdefault(ticket_id, set()).add(subscriber)
        self._watched[ticket_id] = orjson.dumps(message["data"])
        if sink is None:
            return subscriber, [wire.text]
        sink.write_frame(wire.frame)
        return subscriber, []

    def unwatch(self, ticket_id: str, subscriber: Subscriber) -> None:
        watchers = self.watchers.get(ticket_id)
        if watchers is not None:
            watchers.discard(subscriber)
            if not watchers:
                del self.watchers[ticket_id]
                self._watched.pop(ticket_id, None)

    def update_watchers(self, state: SiteState, rid: str, services: set[str] | None = None) -> None:
        """Push each watched ticket whose view changed, looking only at the tickets of ``services``
        (those the event changed; ``None``: all) and at tickets the day no longer holds. Each view is
        computed in O(log n)."""
        for ticket_id, watchers in tuple(self.watchers.items()):
            ticket = state.tickets.get(ticket_id)
            if services is not None and ticket is not None and ticket.service not in services:
                continue
            message = ticket_message(state, rid, ticket_id)
            payload = orjson.dumps(message["data"])
            if self._watched.get(ticket_id) == payload:  # unchanged view: nothing to send
                continue
            self._watched[ticket_id] = payload
            wire = Wire(message)
            for subscriber in tuple(watchers):
                subscriber.push(wire)

    def _after(self, since: str) -> list[EventMessage] | None:
        """The messages after ``since`` if ``since`` is exactly one this hub holds; else ``None``."""
        try:
            key = stream_id(since)
        except ValueError:
            return None
        if key == self._base:
            return list(self._messages)
        index = bisect_left(self._keys, key)
        if index == len(self._keys) or self._keys[index] != key:
            return None
        return self._messages[index + 1:]


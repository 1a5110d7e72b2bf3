"""Wire shapes shared by the server and the device clients (TypedDicts), and how state becomes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, NotRequired, cast
from urllib.parse import quote

from typing_extensions import TypedDict

from queue_server.queue.codec import iso
from queue_server.queue.domain.estimate import estimated_wait_s, seconds_per_place, service_wait_s
from queue_server.queue.domain.estimate import wait_at as wait_at  # the estimate of a rank, for clients that fold
from queue_server.queue.domain.state import PrinterStatus, SiteState, Status, Ticket

# Close codes of the live feed besides the standard ones (1012 restart: come back; 1013 too far
# behind: come back with since).
CLOSE_TOO_SLOW = 1013
CLOSE_REVOKED = 4001  # the token was revoked or the session ended: do not come back with it


class TicketView(TypedDict):
    id: str
    number: str
    service: str
    status: Status
    priority: bool
    # A waiting ticket's rank in its service's queue (0: next), in the server's call order; a client that
    # keeps the queue from the feed puts the ticket of an event at this rank, after taking it out of the
    # queue, and never sorts the queue itself (each rank behind it then moves by one).
    position: int | None
    estimated_wait_s: int | None
    counter: str | None
    issued_at: str
    called_at: str | None
    recalls: int
    noted: NotRequired[bool]  # staff left a note for its agent (GET …/tickets/{id}/note; staff only, an extension)
    # Transferred "to the front" of its queue: waiting lists order by (appointment, priority, front, arrival)
    # (staff only).
    front: NotRequired[bool]
    # The CRM party whose visit it is (an opaque number; None: anonymous), so that the agent who calls it can open
    # the person's record (staff only, never on a public screen: hub.py PUBLIC_TICKET; an extension of API.md).
    party: NotRequired[int | None]
    # The appointment this ticket is the check-in of: the booking module's opaque reference (its code, "K7M2QX";
    # None: a walk-in). Staff only, never on a public screen (hub.py PUBLIC_TICKET; an extension of API.md).
    appointment: NotRequired[str | None]
    # Whether it is an appointment ticket (called before walk-ins), which the public may know: the citizen's page
    # and the agents' screens say "appointment" by its number (an extension of API.md). Present on every ticket of
    # the day; absent from a ticket of a past day read from the history, which does not keep it.
    booked: NotRequired[bool]


class ServiceView(TypedDict):
    id: str
    name: str
    prefix: str
    waiting: int
    estimated_wait_s: int | None
    # Extensions of API.md: what the kiosk shows on the service's button, and what its tickets end with.
    description: str
    icon: str  # one of domain/config.py ICONS
    ticket_message: str  # "": none
    served: int  # visits finished today
    alert_wait_s: int  # supervisors are alerted when someone has waited longer
    seconds_per_place: float | None  # see ServiceFigures
    # Whether the kiosk offers priority tickets for it; whether citizens may take a ticket now (its hours,
    # the site's closures and public holidays), when it opens next if not (None: open, or not within
    # reach) and when it closes if open (None: no end in sight). A kiosk asks /state again at those times.
    offers_priority: bool
    open_now: bool
    opens_at: str | None
    closes_at: str | None
    # What its visits may end with, offered to the agent who finishes one (staff only; an extension of API.md).
    outcomes: NotRequired[list[str]]


class ServiceFigures(TypedDict):
    """What moves in a service's line of the snapshot; ticket and counter events carry it for the
    services they change (``data.services``), so that screens never ask ``/state`` again."""

    id: str
    waiting: int
    estimated_wait_s: int | None
    served: int
    # What each place in the queue adds to the wait (None: no counter serves the service): the estimate of
    # a waiting ticket with ``position`` p is ceil((p + 1) × seconds_per_place), in IEEE doubles as
    # domain/estimate.py ``wait_at`` computes it, so that a client keeping the queue gives every ticket the
    # server's figure without the whole queue being sent again on each event (an extension of API.md).
    seconds_per_place: float | None


class CounterView(TypedDict):
    id: str
    name: str
    status: Literal["open", "paused", "closed"]
    ticket: TicketView | None
    # Extensions (staff only): who opened it or called last, and since when it has its status.
    agent: NotRequired[str | None]
    since: str | None
    # While paused: why (one of domain/state.py PAUSE_REASONS; None: not said or not paused; staff only, an
    # extension of API.md).
    pause_reason: NotRequired[str | None]


class PrinterView(TypedDict):
    """A kiosk's printer as its agent last reported it (``kiosk``: the kiosk's device token id); also
    the ``data`` of a ``kiosk.printer`` event."""

    kiosk: int
    status: PrinterStatus


class SnapshotView(TypedDict):
    site: str
    name: str  # the site's name, for screens and printed tickets (an extension of API.md)
    last_event_id: str
    services: list[ServiceView]
    counters: list[CounterView]
    recent_calls: list[TicketView]
    message: str  # what the hall displays scroll, set by supervisors ("": none; an extension of API.md)
    printers: list[PrinterView]  # kiosks whose printer agent reported at least once (an extension of API.md)
    # The site's logo, "/sites/{site}/logo?v={version}" (None: it has none). The URL changes with the
    # logo, so it may be cached for good (an extension of API.md).
    logo: str | None
    # Every waiting ticket, each service's queue in call order (staff only; an extension of API.md).
    queue: NotRequired[list[TicketView]]
    # What the site's screens show besides the queue (extensions of API.md): its postal address, its two
    # colours ("#RRGGBB": main, accent), the languages the kiosk offers and its idle time before it goes
    # back to its start screen (seconds).
    address: str
    colours: list[str]
    kiosk: KioskSettings
    timezone: str  # the site's ("Europe/Paris"): screens write its times on its wall clock


class KioskSettings(TypedDict):
    languages: list[str]
    idle_s: int | None  # None: the server's [kiosk] idle_s


# The live feed's messages (API.md, WebSocket section): one TypedDict per kind, each with its ``type`` as a
# Literal, built by the hub (hub.py) and read by the pages and the device agents. Every event type of the
# domain has its message kind here (tests/domain/test_codec.py checks it).

class Announcement(TypedDict):
    lang: str
    text: str  # "Ticket A 42, guichet 3"
    audio_url: str | None  # the spoken phrase's WAV (None: the server cannot speak; displays chime alone)


TicketEventType = Literal["ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
                          "ticket.no_show", "ticket.cancelled", "ticket.requeued", "ticket.transferred",
                          "ticket.noted", "ticket.reprinted"]
CounterEventType = Literal["counter.opened", "counter.paused", "counter.closed"]


class TicketEventData(TypedDict):
    ticket: TicketView | None
    services: list[ServiceFigures]  # the figures of each service the event changed
    issued_by: NotRequired[int | None]  # ticket.issued: the kiosk that issued it (its printer prints it)
    lang: NotRequired[str | None]  # ticket.issued and ticket.reprinted: the language the citizen chose
    announcements: NotRequired[list[Announcement]]  # calls and recalls: what the displays say
    out_of_turn: NotRequired[bool]  # calls and recalls
    agent: NotRequired[str | None]  # ticket.called: who called (staff only)
    kiosk: NotRequired[int | None]  # ticket.reprinted: the kiosk that prints it again


class TicketEventMessage(TypedDict):
    id: str
    type: TicketEventType
    site: str
    at: str
    data: TicketEventData


class CounterEventData(TypedDict):
    counter: CounterView | None
    services: list[ServiceFigures]  # the counter's services: their estimates change with it


class CounterEventMessage(TypedDict):
    id: str
    type: CounterEventType
    site: str
    at: str
    data: CounterEventData


class DayEventData(TypedDict):
    day: str  # the site's local date, YYYY-MM-DD
    services: list[ServiceFigures]


class DayEventMessage(TypedDict):
    id: str
    type: Literal["day.started"]
    site: str
    at: str
    data: DayEventData


class DisplayTextData(TypedDict):
    text: str


class DisplayMessageMessage(TypedDict):
    id: str
    type: Literal["display.message"]
    site: str
    at: str
    data: DisplayTextData


class PrinterMessage(TypedDict):
    id: str
    type: Literal["kiosk.printer"]
    site: str
    at: str
    data: PrinterView


class SiteConfiguredMessage(TypedDict):
    """An administrator changed the site's configuration: ``data`` is the whole snapshot after it (names of
    services and counters, hours, settings); a client takes it as it would take a snapshot."""

    id: str
    type: Literal["site.configured"]
    site: str
    at: str
    data: SnapshotView


class SnapshotMessage(TypedDict):
    type: Literal["snapshot"]
    id: str  # the last event id the snapshot holds: resume with since=id
    site: str
    data: SnapshotView
    resumed: NotRequired[bool]  # False: the client's since could not be resumed (replay not held)


class TicketFeedData(TypedDict):
    ticket: TicketView | None  # None once the day it belonged to is over
    counter_name: str | None  # the counter that called it
    # The number called last in the ticket's service, among the site's RECENT_CALLS latest calls (None: none of
    # them), so that the citizen sees the queue move ("now serving A012"; an extension of API.md).
    now_serving: NotRequired[str | None]


class TicketFeedMessage(TypedDict):
    """What a citizen's phone receives on /ws/tickets/{id}."""

    type: Literal["ticket"]
    id: str
    site: str
    data: TicketFeedData


EventMessage = (TicketEventMessage | CounterEventMessage | DayEventMessage | DisplayMessageMessage | PrinterMessage
                | SiteConfiguredMessage)
FeedMessage = SnapshotMessage | EventMessage


def ticket_view(state: SiteState, ticket: Ticket) -> TicketView:
    position = state.position(ticket)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "status": ticket.status,
        "priority": ticket.priority,
        "position": position,
        "estimated_wait_s": None if position is None else estimated_wait_s(state, ticket.service, position),
        "counter": ticket.counter,
        "issued_at": iso(ticket.issued_at),
        "called_at": iso(ticket.called_at) if ticket.called_at else None,
        "recalls": ticket.recalls,
        "noted": ticket.noted,
        "front": ticket.front,
        "party": ticket.party,
        "appointment": ticket.appointment,
        "booked": ticket.booked,
    }


def service_figures(state: SiteState, service_id: str) -> ServiceFigures:
    waiting = state.waiting(service_id)
    return {"id": service_id, "waiting": waiting, "estimated_wait_s": service_wait_s(state, service_id),
            "served": state.served.get(service_id, 0), "seconds_per_place": seconds_per_place(state, service_id)}


def counter_view(state: SiteState, counter_id: str) -> CounterView | None:
    config = state.config.counter(counter_id)
    if config is None:
        return None
    current = state.counter(counter_id)
    ticket = state.tickets.get(current.ticket_id) if current.ticket_id else None
    return {
        "id": config.id, "name": config.name, "status": current.status,
        "ticket": ticket_view(state, ticket) if ticket else None,
        "agent": current.agent_name or None, "since": iso(current.since) if current.since else None,
        "pause_reason": current.pause_reason if current.status == "paused" else None,
    }


def printer_view(kiosk: int, status: str) -> PrinterView:
    return {"kiosk": kiosk, "status": cast(PrinterStatus, status)}  # decide lets no other status in


def logo_url(site: str, version: str | None) -> str | None:
    """Where the site's logo is served (``None``: it has none); the version makes the URL cacheable."""
    return None if version is None else f"/sites/{quote(site, safe='')}/logo?v={version}"


def snapshot_view(state: SiteState, staff: bool = True, now: datetime | None = None) -> SnapshotView:
    """The site's state at ``now`` (for the services' opening; default: the clock); ``staff=False`` leaves
    out ``queue`` (public screens never receive it, and a hall's worth of displays reconnecting at once
    need not build it)."""
    config = state.config
    now = now or datetime.now(UTC)
    counters = [view for c in config.counters if (view := counter_view(state, c.id)) is not None]
    services: list[ServiceView] = []
    for s in config.services:
        open_now = config.open_now(s, now)
        opens = None if open_now else config.opens_at(s, now)
        closes = config.closes_at(s, now) if open_now else None
        services.append({
            "id": s.id, "name": s.name, "prefix": s.prefix, "waiting": state.waiting(s.id),
            "estimated_wait_s": service_wait_s(state, s.id),
            "description": s.description, "icon": s.icon, "ticket_message": s.ticket_message,
            "served": state.served.get(s.id, 0), "alert_wait_s": s.alert_wait_s,
            "seconds_per_place": seconds_per_place(state, s.id), "offers_priority": s.priority,
            "open_now": open_now, "opens_at": iso(opens) if opens else None,
            "closes_at": iso(closes) if closes else None, "outcomes": list(s.outcomes),
        })
    snapshot: SnapshotView = {
        "site": config.id,
        "name": config.name,
        "last_event_id": state.last_event_id,
        "services": services,
        "counters": counters,
        "recent_calls": [
            ticket_view(state, state.tickets[t]) for t in reversed(state.recent_calls) if t in state.tickets
        ],
        "message": state.display_message,
        "printers": [printer_view(kiosk, state.printers[kiosk]) for kiosk in sorted(state.printers)],
        "logo": logo_url(config.id, config.logo_version),
        "address": config.address,
        "colours": list(config.colours),
        "kiosk": {"languages": list(config.kiosk_languages), "idle_s": config.kiosk_idle_s},
        "timezone": config.timezone,
    }
    if staff:
        snapshot["queue"] = [ticket_view(state, state.tickets[key[-1]]) for s in config.services
                             for key in state.queue(s.id)]
    return snapshot

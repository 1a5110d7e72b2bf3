"""The site's snapshot kept current by the live feed's events: the counter client's fold (no I/O).

``apply(view, message)`` changes ``view`` (a ``SnapshotView``, from the feed or ``GET /state``) in
place, so that it says what ``GET /state`` would say just after the event, without asking: the
browser pages do the same (``queue_server/queue/web/static/live.js``, ``fold``). It reads only what
the event carries, and computes nothing the server decides:

- ``data.ticket`` (the ticket after the event): it takes the place of the copies the view holds; in
  the staff ``queue`` it is taken out and, when it waits, put back at its ``position`` (the server's
  rank) in its service's part of the queue: the queue is never sorted here;
- ``data.services`` (the figures of each service the event changed), applied as they are; each
  waiting ticket's ``position`` is then its rank in its service's part, and its ``estimated_wait_s``
  the server's formula over its service's ``seconds_per_place`` (``domain/estimate.py`` ``wait_at``);
- ``data.counter`` and ``data.agent``;
- ``site.configured`` (an administrator changed the site): its ``data`` is the whole snapshot after it,
  taken as it is.

``apply`` answers ``False`` for an event it could not apply whole (a server from before
``data.services``, or a ticket event without its ticket): the view is then worth fetching again. A
``ticket.*`` type it does not know (a newer server's) places its ticket like any other; any other type
it does not know changes nothing. A public view (no ``queue``) keeps the positions its events gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from queue_server.queue.protocol import CounterView, PrinterView, SnapshotView, TicketView, wait_at

RECENT_CALLS = 20  # calls the snapshot lists (the server's domain/state.py RECENT_CALLS)
CALLS = frozenset({"ticket.called", "ticket.recalled"})  # these put the ticket first in the recent calls
# The ticket leaves the counter that called it (a transferred one waits again elsewhere).
RELEASES = frozenset({"ticket.finished", "ticket.no_show", "ticket.cancelled", "ticket.transferred"})
COUNTER_EVENTS = frozenset({"counter.opened", "counter.paused", "counter.closed"})



def apply(view: SnapshotView, message: Mapping[str, Any]) -> bool:
    """Fold one event of the feed (not a snapshot) into ``view``; whether it could be applied whole.
    ``view["last_event_id"]`` becomes the event's id."""
    kind = message.get("type")
    data = message.get("data")
    if not isinstance(kind, str):
        return True
    if not isinstance(data, dict):
        data = {}
    at = message.get("at") if isinstance(message.get("at"), str) else None
    whole = True
    if kind.startswith("ticket."):
        ticket = _ticket(data.get("ticket"))
        if ticket is None:
            whole = False
        else:
            _ticket_event(view, kind, ticket, data.get("agent"), at)
    elif kind in COUNTER_EVENTS:
        if "counter" not in data:
            whole = False
        elif isinstance(data["counter"], dict):
            _replace_counter(view, cast(CounterView, data["counter"]))
    elif kind == "day.started":
        _new_day(view)
    elif kind == "site.configured":
        if isinstance(data.get("services"), list) and isinstance(data.get("counters"), list):
            whole_view = cast(dict[str, Any], view)  # the whole snapshot after it (services, counters, hours)
            whole_view.clear()
            whole_view.update(data)
        else:
            whole = False
    elif kind == "kiosk.printer":
        _printer(view, data)
    elif kind == "display.message" and isinstance(data.get("text"), str):
        view["message"] = data["text"]
    if kind.startswith("ticket.") or kind in COUNTER_EVENTS or kind == "day.started":
        figures = data.get("services")
        if isinstance(figures, list):
            _figures(view, figures)
        else:
            whole = False
        if "queue" in view:
            _rank(view)
    if isinstance(message.get("id"), str):
        view["last_event_id"] = message["id"]
    return whole


def _ticket(value: Any) -> TicketView | None:
    if not isinstance(value, dict):
        return None
    if not all(isinstance(value.get(key), str) for key in ("id", "number", "service", "status", "issued_at")):
        return None
    return cast(TicketView, value)


def _ticket_event(view: SnapshotView, kind: str, ticket: TicketView, agent: Any, at: str | None) -> None:
    """Where the ticket shows (its counter, the recent calls, the queue), as the server's fold does."""
    for counter in view["counters"]:
        held = counter["ticket"]
        if held is not None and held["id"] == ticket["id"]:
            # Released only by the counter that called it last, as the server's fold does.
            counter["ticket"] = None if kind in RELEASES and held["counter"] == counter["id"] else ticket
    if kind == "ticket.called":
        calling = next((c for c in view["counters"] if c["id"] == ticket["counter"]), None)
        if calling is not None:
            if calling["status"] != "open" or not calling.get("since"):
                calling["since"] = at
            calling["status"] = "open"
            calling["ticket"] = ticket
            if "pause_reason" in calling:
                calling["pause_reason"] = None  # a call reopens a paused counter
            if isinstance(agent, str) and agent:
                calling["agent"] = agent
    others = [t for t in view["recent_calls"] if t["id"] != ticket["id"]]
    if kind in CALLS:
        view["recent_calls"] = [ticket, *others][:RECENT_CALLS]
    else:
        view["recent_calls"] = [ticket if t["id"] == ticket["id"] else t for t in view["recent_calls"]]
    if "queue" in view:
        _requeue(view, ticket)


def _requeue(view: SnapshotView, ticket: TicketView) -> None:
    """The queue without the ticket, then, if it waits, with it at its rank in its service's part."""
    parts: dict[str, list[TicketView]] = {}
    for waiting in view.get("queue", []):
        if waiting["id"] != ticket["id"]:
            parts.setdefault(waiting["service"], []).append(waiting)
    if ticket["status"] == "waiting" and isinstance(ticket["position"], int):
        part = parts.setdefault(ticket["service"], [])
        part.insert(max(0, ticket["position"]), ticket)
    order = [s["id"] for s in view["services"]]
    view["queue"] = [t for service in [*order, *(s for s in parts if s not in order)] for t in parts.get(service, [])]


def _rank(view: SnapshotView) -> None:
    """Each waiting ticket's ``position`` (its rank in its service's part of the queue) and estimate (its
    service's ``seconds_per_place``, as the server works it out), there and in the recent calls."""
    per_place = {s["id"]: s.get("seconds_per_place") for s in view["services"]}
    ahead: dict[str, int] = {}
    placed: dict[str, TicketView] = {}
    queue = view.get("queue", [])
    for i, waiting in enumerate(queue):
        position = ahead.get(waiting["service"], 0)
        ahead[waiting["service"]] = position + 1
        estimate = wait_at(position, per_place.get(waiting["service"]))
        if waiting["position"] != position or waiting["estimated_wait_s"] != estimate:
            queue[i] = cast(TicketView, {**waiting, "position": position, "estimated_wait_s": estimate})
        placed[waiting["id"]] = queue[i]
    view["recent_calls"] = [placed.get(t["id"], t) for t in view["recent_calls"]]


def _replace_counter(view: SnapshotView, counter: CounterView) -> None:
    view["counters"] = [counter if c["id"] == counter.get("id") else c for c in view["counters"]]


def _new_day(view: SnapshotView) -> None:
    """A new day: nobody waits, no call is recent, every counter is closed (and nobody's)."""
    if "queue" in view:
        view["queue"] = []
    view["recent_calls"] = []
    for counter in view["counters"]:
        counter["status"], counter["ticket"], counter["since"] = "closed", None, None
        if "agent" in counter:
            counter["agent"] = None
        if "pause_reason" in counter:
            counter["pause_reason"] = None


def _printer(view: SnapshotView, data: Mapping[str, Any]) -> None:
    kiosk, status = data.get("kiosk"), data.get("status")
    if not isinstance(kiosk, int) or not isinstance(status, str):
        return
    printers = [p for p in view.get("printers", []) if p["kiosk"] != kiosk]
    printers.append(cast(PrinterView, {"kiosk": kiosk, "status": status}))
    view["printers"] = sorted(printers, key=lambda p: p["kiosk"])


def _figures(view: SnapshotView, figures: list[Any]) -> None:
    """The server's figures of the services an event changed, as they are."""
    services = {s["id"]: s for s in view["services"]}
    for figure in figures:
        if not isinstance(figure, dict) or figure.get("id") not in services:
            continue
        service = services[figure["id"]]
        if isinstance(figure.get("waiting"), int):
            service["waiting"] = figure["waiting"]
        if "estimated_wait_s" in figure:
            service["estimated_wait_s"] = figure["estimated_wait_s"]
        if isinstance(figure.get("served"), int):
            service["served"] = figure["served"]
        if "seconds_per_place" in figure:
            service["seconds_per_place"] = figure["seconds_per_place"]

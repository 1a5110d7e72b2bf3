"""The one place where events and site state become bytes and back.

A stream entry holds two fields: ``t`` (the event's stable type name) and ``d`` (its other fields as
JSON, times as ISO 8601 UTC with a ``Z``). Snapshots of a site's state use the same conventions.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import orjson

from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.domain.events import EVENT_TYPES, Event
from queue_server.queue.domain.state import CounterState, IdempotencyRecord, SiteState, Ticket


class CodecError(ValueError):
    """A stored entry that this version cannot read (unknown type or missing field)."""


def iso(moment: datetime) -> str:
    """``2026-11-27T08:30:00.123456Z``: UTC, microseconds, a ``Z``."""
    # isoformat is several times faster than strftime, and this runs for every time in every answer.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


_FIELDS: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()
}


def event_payload(event: Event) -> dict[str, Any]:
    """The event's fields but its type, JSON-ready."""
    out: dict[str, Any] = {}
    for name in _FIELDS[type(event)]:
        value = getattr(event, name)
        out[name] = iso(value) if isinstance(value, datetime) else value
    return out


def encode_event(event: Event) -> tuple[str, bytes]:
    """``(type, data)``: the two fields of a stream entry."""
    return event.type, orjson.dumps(event_payload(event))


_FIELD_NAMES = {cls: frozenset(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()}


def decode_event(type_name: str, data: str | bytes) -> Event:
    """The event of a stream entry. Fields this version does not know are ignored: a newer process
    may add fields (always with defaults) while an older one still reads the stream (rolling upgrade)."""
    cls = EVENT_TYPES.get(type_name if isinstance(type_name, str) else type_name.decode())
    if cls is None:
        raise CodecError(f"unknown event type {type_name!r}")
    try:
        fields = orjson.loads(data)
        fields["at"] = parse_iso(fields["at"])
        known = _FIELD_NAMES[cls]
        return cls(**{k: v for k, v in fields.items() if k in known})
    except (TypeError, KeyError, ValueError) as exc:
        raise CodecError(f"cannot read a {type_name} event: {exc!r}") from exc


# Snapshots of a site's state ---------------------------------------------------------------------


def _ticket_json(t: Ticket) -> dict[str, Any]:
    out = t._asdict()
    for key in ("issued_at", "called_at", "started_at", "finished_at"):
        if out[key] is not None:
            out[key] = iso(out[key])
    return out


def _ticket_from(d: dict[str, Any]) -> Ticket:
    for key in ("issued_at", "called_at", "started_at", "finished_at"):
        if d[key] is not None:
            d[key] = parse_iso(d[key])
    return Ticket(**{k: v for k, v in d.items() if k in Ticket._fields})  # a newer process's fields: ignored


def encode_state(state: SiteState) -> bytes:
    """The whole state at ``state.last_event_id``, for a snapshot stored beside the stream."""
    return orjson.dumps({
        "v": 1,
        "last_event_id": state.last_event_id,
        "day": state.day,
        "seq": state.seq,
        "tickets": [_ticket_json(t) for t in state.tickets.values()],
        "idempotency": {
            k: [r.ticket_id, list(r.request), iso(r.issued_at)] for k, r in state.idempotency.items()
        },
        "applied": state.applied,
        "counters": {k: [c.status, c.ticket_id, c.agent, c.agent_name, iso(c.since) if c.since else None,
                         c.pause_reason] for k, c in state.counters.items()},
        "visit_s": state.visit_s,
        "shown_wait": state.shown_wait,
        "recent_calls": list(state.recent_calls),
        "printers": [[kiosk, status] for kiosk, status in state.printers.items()],  # JSON keys are strings
        "display_message": state.display_message,
        "config": state.config.to_json(),  # as the last site.configured event left it
    })


def decode_state(config: SiteConfig, data: str | bytes) -> SiteState:
    """Rebuild a state from ``encode_state``'s output, with the configuration it was taken under
    (``config``, the site's as SQL holds it, for a snapshot from before configurations were kept)."""
    raw = orjson.loads(data)
    if raw.get("v") != 1:
        raise CodecError("unknown snapshot version")
    state = SiteState(SiteConfig.from_json(raw["config"]) if "config" in raw else config)
    state.last_event_id = raw["last_event_id"]
    state.day = raw["day"]
    state.seq = raw["seq"]
    for d in raw["tickets"]:
        ticket = _ticket_from(d)
        state.tickets[ticket.id] = ticket
        if ticket.status == "waiting":
            state.queue(ticket.service).append(ticket.queue_key)
    for queue in state.queues.values():
        queue.sort()
    state.idempotency = {  # a request's party, appointment: absent in snapshots written before them
        k: IdempotencyRecord(tid, (req[0], req[1], req[2], *(req[3:] + [None, None])[:2]), parse_iso(at))
        for k, (tid, req, at) in raw["idempotency"].items()
    }
    state.applied = raw["applied"]
    for k, (status, tid, *rest) in raw["counters"].items():  # agent, name, since, reason: absent in older ones
        agent, name, since, reason = (rest + [None, "", None, None])[:4]
        state.counters[k] = CounterState(status, tid, agent, name or "", parse_iso(since) if since else None, reason)
    # Snapshots from before the smoothed estimates kept the last visits' durations: their mean starts it.
    state.visit_s = raw.get("visit_s") or {k: sum(v) / len(v) for k, v in raw.get("durations", {}).items() if v}
    state.shown_wait = raw.get("shown_wait", {})
    for ticket in state.tickets.values():  # not stored: counted again from today's tickets
        if ticket.status == "done":
            state.served[ticket.service] = state.served.get(ticket.service, 0) + 1
    state.recent_calls.extend(raw["recent_calls"])
    state.printers = {int(kiosk): status for kiosk, status in raw.get("printers", ())}  # none before printers
    state.display_message = raw.get("display_message", "")
    return state

"""The codec: events and snapshots survive bytes, and old state + new events == fresh state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from queue_server.queue.codec import CodecError, decode_event, decode_state, encode_event, encode_state, event_payload
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.decide import decide
from queue_server.queue.domain.errors import DomainError
from queue_server.queue.domain.events import (
    EVENT_TYPES,
    CounterClosed,
    CounterOpened,
    CounterPaused,
    DayStarted,
    DisplayMessageSet,
    Event,
    PrinterReported,
    SiteConfigured,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketNoted,
    TicketRecalled,
    TicketReprinted,
    TicketRequeued,
    TicketStarted,
    TicketTransferred,
)
from queue_server.queue.domain.state import SiteState, evolve

from .support import MORNING, apply, command, minutes, new_id, new_state, paris, site

AT = datetime(2026, 3, 10, 9, 15, 42, 123456, tzinfo=UTC)

SAMPLES: list[Event] = [
    DayStarted(at=AT, command_id="c1", day="2026-03-10"),
    TicketIssued(at=AT, command_id="c2", ticket_id="t1", service="passeports", seq=7, number="P007",
                 priority=True, lang="en", idempotency_key="kiosk-1"),
    TicketIssued(at=AT, command_id="c3", ticket_id="t2", service="etat-civil", seq=1, number="A001"),
    TicketCalled(at=AT, command_id="c4", ticket_id="t1", counter="2", out_of_turn=True),
    TicketRecalled(at=AT, command_id="c5", ticket_id="t1"),
    TicketStarted(at=AT, command_id="c6", ticket_id="t1"),
    TicketFinished(at=AT, command_id="c7", ticket_id="t1"),
    TicketNoShow(at=AT, command_id="c8", ticket_id="t1"),
    TicketCancelled(at=AT, command_id="c9", ticket_id="t1"),
    TicketRequeued(at=AT, command_id="c10", ticket_id="t1"),
    TicketTransferred(at=AT, command_id="c11", ticket_id="t1", from_service="etat-civil", to_service="passeports",
                      to_front=True),
    CounterOpened(at=AT, command_id="c12", counter="1"),
    CounterPaused(at=AT, command_id="c13", counter="1"),
    CounterClosed(at=AT, counter="1"),
    TicketReprinted(at=AT, command_id="c14", ticket_id="t1", kiosk=12),
    PrinterReported(at=AT, command_id="c15", kiosk=12, status="paper_low"),
    DisplayMessageSet(at=AT, command_id="c16", text="Fermeture à 16 h aujourd'hui"),
    TicketNoted(at=AT, command_id="c17", ticket_id="t1"),
    TicketCalled(at=AT, command_id="c18", ticket_id="t2", counter="1", agent="user:7", agent_name="Léa Martin"),
    CounterOpened(at=AT, command_id="c19", counter="2", agent="token:3", agent_name="Guichet 2"),
    SiteConfigured(at=AT, command_id="c20", config=site(address="2 rue Haute", kiosk_idle_s=45).to_json()),
    TicketIssued(at=AT, command_id="c21", ticket_id="t3", service="etat-civil", seq=2, number="A002", party=42,
                 idempotency_key="desk-1"),
    TicketFinished(at=AT, command_id="c22", ticket_id="t3", outcome="Dossier complet"),
    CounterPaused(at=AT, command_id="c23", counter="2", reason="meeting"),
]


# Events -----------------------------------------------------------------------------------------


def test_the_samples_cover_every_event_type() -> None:
    """Every registered event type has a sample below, so every type is round-tripped."""
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES.values())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}-{e.command_id}")
def test_every_event_survives_encoding(event: Event) -> None:
    """decode_event(encode_event(e)) == e for every event type."""
    assert decode_event(*encode_event(event)) == event


def test_an_event_decodes_from_bytes_fields() -> None:
    """A stream entry read as bytes (type and data) decodes like one read as text."""
    event = SAMPLES[1]
    type_name, data = encode_event(event)
    assert decode_event(type_name.encode(), data) == event  # type: ignore[arg-type]


def test_times_are_stored_in_utc_with_microseconds() -> None:
    """An event's time is written as ISO 8601 UTC with microseconds and a Z, whatever its zone."""
    event = DayStarted(at=paris(2026, 3, 10, 10, 15), day="2026-03-10")
    assert event_payload(event)["at"] == "2026-03-10T09:15:00.000000Z"
    assert decode_event(*encode_event(event)).at == event.at


def test_an_unknown_event_type_is_a_codec_error() -> None:
    """An entry whose type this version does not know raises CodecError."""
    with pytest.raises(CodecError, match="unknown event type"):
        decode_event("ticket.teleported", b'{"at": "2026-03-10T09:15:00Z"}')


def test_an_event_missing_a_field_is_a_codec_error() -> None:
    """An entry lacking a required field raises CodecError."""
    with pytest.raises(CodecError, match="cannot read"):
        decode_event("ticket.called", b'{"at": "2026-03-10T09:15:00Z", "ticket_id": "t1"}')


# Snapshots --------------------------------------------------------------------------------------


def a_days_events() -> tuple[SiteConfig, list[Event]]:
    """Every kind of event a site produces, over two days, in order."""
    config = site()
    state = SiteState(config)
    events: list[Event] = []

    def run(cmd: c.Command, now: datetime) -> None:
        events.extend(apply(state, cmd, now))

    def ticket(service: str = "etat-civil", **fields: object) -> str:
        ticket_id = new_id("ticket")
        run(command(c.IssueTicket, ticket_id=ticket_id, service=service, **fields), t)
        return ticket_id

    t = MORNING - timedelta(days=1)
    ticket(idempotency_key="yesterday")
    t = MORNING
    run(command(c.ReportPrinter, kiosk=12, status="ok"), t - timedelta(days=1))
    run(command(c.OpenCounter, counter="1", agent="user:7", agent_name="Léa Martin"), t)
    run(command(c.ReportPrinter, kiosk=12, status="paper_low"), t)
    run(command(c.ReportPrinter, kiosk=13, status="offline"), t)
    run(command(c.SetDisplayMessage, text="Bienvenue à la mairie"), t)
    a1 = ticket(idempotency_key="k1", issued_by=12)
    a2 = ticket(lang="en")
    p1 = ticket("passeports", priority=True)
    a3 = ticket()
    run(command(c.CallNext, counter="1"), t + minutes(1))  # P001, priority
    run(command(c.Recall, ticket_id=p1), t + minutes(2))
    run(command(c.Reprint, ticket_id=a1), t + minutes(2))
    run(command(c.Start, ticket_id=p1), t + minutes(3))
    run(command(c.CallNext, counter="1"), t + minutes(9))  # finishes P001, calls A001
    run(command(c.MarkNoShow, ticket_id=a1), t + minutes(11))
    run(command(c.Note, ticket_id=a3), t + minutes(11))
    run(command(c.CallTicket, ticket_id=a3, counter="2", agent="user:8", agent_name="Paul Roux"), t + minutes(12))
    run(command(c.Transfer, ticket_id=a3, service="passeports", to_front=True), t + minutes(13))
    run(command(c.Requeue, ticket_id=a1), t + minutes(14))
    run(command(c.PauseCounter, counter="3"), t + minutes(15))
    run(command(c.Cancel, ticket_id=a2), t + minutes(16))
    ticket(priority=True)
    run(command(c.CallNext, counter="1"), t + minutes(17))
    run(command(c.CloseCounter, counter="3"), t + minutes(18))
    # An administrator renames a counter and adds a service with hours of its own.
    evening = ServiceConfig("urbanisme", "Urbanisme", "U", hours={1: ((1020, 1200),)})
    renamed = tuple(CounterConfig(k.id, f"Bureau {k.id}", k.services) for k in config.counters)
    run(command(c.Configure, config=site(services=(*config.services, evening), counters=renamed)), t + minutes(19))
    ticket("passeports")
    ticket("urbanisme")
    assert {type(e) for e in events} == set(EVENT_TYPES.values())
    return config, events


def fold(state: SiteState, events: list[Event]) -> SiteState:
    for event in events:
        evolve(state, event)
    return state


def probes() -> list[c.Command]:
    """Commands whose decisions reveal the whole state: numbers, keys, queues, counters."""
    return [
        command(c.IssueTicket, service="etat-civil"),
        command(c.IssueTicket, service="passeports", idempotency_key="k1"),
        command(c.IssueTicket, service="etat-civil", idempotency_key="k1"),
        *(command(c.CallNext, counter=counter) for counter in ("1", "2", "3")),
        *(command(c.CloseCounter, counter=counter) for counter in ("1", "2", "3")),
    ]


def decisions(state: SiteState, commands: list[c.Command], now: datetime) -> list[list[Event] | tuple[str, str]]:
    out: list[list[Event] | tuple[str, str]] = []
    for cmd in commands:
        try:
            out.append(decide(state, cmd, now))
        except DomainError as refusal:
            out.append((type(refusal).__name__, refusal.message))
    return out


def test_a_decoded_snapshot_plus_the_rest_equals_folding_everything() -> None:
    """Fold half the events, snapshot, decode, fold the rest: the same state as folding all of them."""
    config, events = a_days_events()
    half = len(events) // 2
    whole = fold(SiteState(config), events)
    resumed = fold(decode_state(config, encode_state(fold(SiteState(config), events[:half]))), events[half:])
    assert encode_state(resumed) == encode_state(whole)


def test_a_decoded_snapshot_decides_exactly_like_the_original() -> None:
    """Every probe command gets the same events (or refusal) from the resumed and the original state."""
    config, events = a_days_events()
    half = len(events) // 2
    whole = fold(SiteState(config), events)
    resumed = fold(decode_state(config, encode_state(fold(SiteState(config), events[:half]))), events[half:])
    commands = probes()
    for later in (MORNING + minutes(30), MORNING + timedelta(hours=23)):
        assert decisions(resumed, commands, later) == decisions(whole, commands, later)


def test_a_snapshot_taken_after_any_event_resumes_to_the_same_state() -> None:
    """Whatever event the snapshot was taken after, resuming from it gives the same final state."""
    config, events = a_days_events()
    expected = encode_state(fold(SiteState(config), events))
    for split in range(len(events) + 1):
        snapshot = encode_state(fold(SiteState(config), events[:split]))
        assert encode_state(fold(decode_state(config, snapshot), events[split:])) == expected, split


def test_a_snapshot_keeps_positions_and_counters() -> None:
    """A decoded state has the same queues, positions and counters as the original."""
    config, events = a_days_events()
    whole = fold(SiteState(config), events)
    decoded = decode_state(config, encode_state(whole))
    assert {k: v for k, v in decoded.queues.items() if v} == {k: v for k, v in whole.queues.items() if v}
    assert decoded.counters == whole.counters
    positions = [whole.position(t) for t in whole.tickets.values()]
    assert [decoded.position(t) for t in decoded.tickets.values()] == positions


def test_a_snapshot_keeps_printers_and_who_issued_each_ticket() -> None:
    """A decoded state has the same printer statuses and tickets' issuing kiosks as the original."""
    config, events = a_days_events()
    whole = fold(SiteState(config), events)
    decoded = decode_state(config, encode_state(whole))
    assert decoded.printers == whole.printers == {12: "paper_low", 13: "offline"}
    assert {t.issued_by for t in decoded.tickets.values()} == {12, None}
    assert decoded.tickets == whole.tickets


def test_a_snapshot_written_before_printers_existed_still_reads() -> None:
    """A snapshot without printers (or tickets without issued_by) decodes with none."""
    config, events = a_days_events()
    raw = orjson.loads(encode_state(fold(SiteState(config), events)))
    del raw["printers"]
    for ticket in raw["tickets"]:
        del ticket["issued_by"]
    decoded = decode_state(config, orjson.dumps(raw))
    assert decoded.printers == {} and all(t.issued_by is None for t in decoded.tickets.values())


def test_an_event_written_before_parties_decodes_as_anonymous() -> None:
    """A ticket.issued of a stream written before tickets could be a known person's visit has no ``party``:
    it decodes as an anonymous ticket."""
    type_name, data = encode_event(SAMPLES[2])
    older = orjson.loads(data)
    del older["party"]
    decoded = decode_event(type_name, orjson.dumps(older))
    assert isinstance(decoded, TicketIssued) and decoded.party is None and decoded == SAMPLES[2]


def test_a_snapshot_keeps_the_party_of_each_ticket_and_key() -> None:
    """A staff ticket's party survives a snapshot, in the ticket and in its Idempotency-Key's request; a snapshot
    written before parties (tickets and requests without one) reads with none."""
    config = site()
    state = new_state(config)
    for event in (SAMPLES[21], SAMPLES[2]):
        evolve(state, event)
    decoded = decode_state(config, encode_state(state))
    assert decoded.tickets["t3"].party == 42 and decoded.tickets["t2"].party is None
    assert decoded.idempotency["desk-1"].request == ("etat-civil", False, "fr", 42, None)
    raw = orjson.loads(encode_state(state))
    for ticket in raw["tickets"]:
        del ticket["party"]
    raw["idempotency"]["desk-1"][1] = raw["idempotency"]["desk-1"][1][:3]
    older = decode_state(config, orjson.dumps(raw))
    assert older.tickets["t3"].party is None
    assert older.idempotency["desk-1"].request == ("etat-civil", False, "fr", None, None)


def test_a_snapshot_of_an_unknown_version_is_refused() -> None:
    """decode_state raises CodecError for a snapshot of another version."""
    with pytest.raises(CodecError):
        decode_state(site(), orjson.dumps({"v": 2}))


def test_a_snapshot_of_a_site_that_never_ran_round_trips() -> None:
    """An empty state encodes and decodes to an empty state."""
    config = site()
    state = new_state(config, started=None)
    assert encode_state(decode_state(config, encode_state(state))) == encode_state(state)


def test_fields_of_a_newer_version_are_ignored() -> None:
    """During a rolling upgrade an older process reads events and snapshots a newer one wrote, with
    fields it does not know: it folds them as if those were absent."""
    event = TicketCalled(at=AT, command_id="c1", ticket_id="t1", counter="2")
    type_name, data = encode_event(event)
    newer = orjson.dumps({**orjson.loads(data), "mood": "cheerful"})
    assert decode_event(type_name, newer) == event
    config, events = a_days_events()
    state = fold(SiteState(config), events)
    raw = orjson.loads(encode_state(state))
    for ticket in raw["tickets"]:
        ticket["mood"] = "cheerful"
    assert decode_state(config, orjson.dumps(raw)).tickets == state.tickets

"""What public screens are sent never holds a personal field, wherever a ticket appears."""

from datetime import timedelta
from typing import Any, get_args, get_type_hints

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.decide import decide
from queue_server.queue.domain.errors import DomainError
from queue_server.queue.domain.events import EVENT_TYPES, TicketIssued
from queue_server.queue.domain.state import evolve
from queue_server.queue.hub import PERSONAL, PUBLIC_TICKET, event_message, public, ticket_message
from queue_server.queue.protocol import EventMessage, TicketView, snapshot_view, ticket_view
from tests.domain.support import MORNING, new_state


def test_personal_fields_are_removed_at_any_depth() -> None:
    """A phone in data.ticket, in a counter's ticket or in a snapshot's lists never reaches a screen."""
    ticket = {"id": "t", "number": "A001", "phone": "+33612345678", "name": "Mme Martin"}
    message = {
        "type": "snapshot", "id": "1-0",
        "data": {"ticket": ticket, "counter": {"id": "1", "ticket": ticket},
                 "counters": [{"id": "2", "ticket": ticket}], "recent_calls": [ticket]},
    }
    cleaned = public(message)

    def keys(value: object) -> set[str]:
        if isinstance(value, dict):
            return set(value) | set().union(*(keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value))
        return set()

    assert not PERSONAL & keys(cleaned)
    assert cleaned["data"]["counters"][0]["ticket"] == {"id": "t", "number": "A001"}
    assert message["data"]["ticket"]["phone"] == "+33612345678"  # the staff copy is untouched


def test_the_names_of_the_site_services_and_counters_stay() -> None:
    """Screens and printers need the names of what they show: only tickets lose personal fields."""
    message = {"type": "snapshot", "data": {"name": "Mairie", "services": [{"id": "ec", "name": "État civil"}],
                                            "counters": [{"id": "1", "name": "Guichet 1", "ticket": None}]}}
    assert public(message) == message


@given(extra=st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in PUBLIC_TICKET),
                             st.one_of(st.text(max_size=20), st.integers(), st.none()), min_size=1, max_size=5))
def test_a_field_added_to_tickets_later_never_reaches_a_public_screen(extra: dict[str, object]) -> None:
    """Whatever field a ticket gains (a name, an e-mail, a party id...), public screens get only the allow-listed
    ones, at any depth."""
    ticket = {"id": "t", "number": "A001", "status": "called", "party_id": 42, "email": "a@b.fr", **extra}
    message = {"type": "ticket.called", "data": {"ticket": ticket, "counters": [{"id": "1", "ticket": ticket}]}}
    cleaned = public(message)
    assert cleaned["data"]["ticket"] == {"id": "t", "number": "A001", "status": "called"}
    assert cleaned["data"]["counters"][0]["ticket"] == cleaned["data"]["ticket"]


def test_every_field_of_a_ticket_view_is_classed_public_or_not() -> None:
    """A field added to TicketView must be named public (PUBLIC_TICKET) or staff-only (PERSONAL): until then this
    fails, so that nobody adds one without deciding who may see it."""
    fields = set(TicketView.__annotations__)
    assert fields <= PUBLIC_TICKET | PERSONAL, fields - PUBLIC_TICKET - PERSONAL
    assert not PUBLIC_TICKET & PERSONAL


def test_every_event_type_has_a_typed_message_kind() -> None:
    """Each event type of the domain is one of the live feed's typed message kinds (protocol.py), and no kind
    names a type the domain does not have."""
    kinds = set()
    for message in get_args(EventMessage):
        kinds |= set(get_args(get_type_hints(message)["type"]))
    assert kinds == set(EVENT_TYPES)


def keys_at_any_depth(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_at_any_depth(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_at_any_depth(v) for v in value))
    return set()


# What a site may go through: tickets issued by a kiosk or by staff for a known person, called, served, moved.
STEPS = st.lists(st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["etat-civil", "passeports"]), st.none() | st.integers(1, 2**31 - 1),
              st.sampled_from([None, 12]), st.sampled_from([None, "K7M2QX"])),
    st.tuples(st.just("next"), st.sampled_from(["1", "2", "3"])),
    st.tuples(st.sampled_from(["start", "finish", "no_show", "requeue", "recall", "note", "cancel"]),
              st.integers(0, 9)),
    st.tuples(st.just("transfer"), st.integers(0, 9), st.sampled_from(["etat-civil", "passeports"])),
), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps=STEPS)
def test_a_party_or_appointment_never_reaches_a_public_screen_whatever_the_site_goes_through(
        steps: list[tuple[Any, ...]]) -> None:
    """Tickets staff issued for known persons (``party``), and appointment tickets (``appointment``), go through
    calls, services, transfers, no-shows: staff messages carry each ticket's party and appointment; what displays,
    kiosks and citizens' phones receive (every event message, the snapshot, a ticket's own feed, the answers of
    GET /state and GET …/tickets/{id}) never holds either (an appointment ticket says only ``booked``)."""
    state = new_state()
    now = MORNING
    simple = {"start": c.Start, "finish": c.Finish, "no_show": c.MarkNoShow, "requeue": c.Requeue,
              "recall": c.Recall, "note": c.Note, "cancel": c.Cancel}
    for n, step in enumerate(steps):
        now += timedelta(seconds=30)
        tickets = sorted(state.tickets)
        command: c.Command
        if step[0] == "issue":
            command = c.IssueTicket(command_id=f"c{n}", ticket_id=f"t{n}", service=step[1], party=step[2],
                                    issued_by=step[3], appointment=step[4])
        elif step[0] == "next":
            command = c.CallNext(command_id=f"c{n}", counter=step[1])
        elif not tickets:
            continue
        elif step[0] == "transfer":
            command = c.Transfer(command_id=f"c{n}", ticket_id=tickets[step[1] % len(tickets)], service=step[2])
        else:
            command = simple[step[0]](command_id=f"c{n}", ticket_id=tickets[step[1] % len(tickets)])
        try:
            events = decide(state, command, now)
        except DomainError:
            continue
        for m, event in enumerate(events):
            evolve(state, event)
            message = event_message(state, f"{n + 1}-{m}", event)
            assert not {"party", "appointment"} & keys_at_any_depth(public(message))
            if isinstance(event, TicketIssued):
                assert message["data"]["ticket"]["party"] == event.party  # type: ignore[index,typeddict-item]
                assert message["data"]["ticket"]["appointment"] == event.appointment  # type: ignore[index,typeddict-item]
                assert public(message)["data"]["ticket"]["booked"] == (event.appointment is not None)
        for ticket_id in state.tickets:
            assert not {"party", "appointment"} & keys_at_any_depth(ticket_message(state, "1-0", ticket_id))
            assert not {"party", "appointment"} & set(public(ticket_view(state, state.tickets[ticket_id])))
        assert not {"party", "appointment"} & keys_at_any_depth(public(snapshot_view(state, staff=False, now=now)))
    staff = snapshot_view(state, staff=True, now=now)
    assert {t["party"] for t in staff.get("queue", [])} <= {t.party for t in state.tickets.values()}

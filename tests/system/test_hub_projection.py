"""What public screens are sent never holds a personal field, wherever a ticket appears."""

from typing import get_args, get_type_hints

from hypothesis import given
from hypothesis import strategies as st

from queue_server.queue.domain.events import EVENT_TYPES
from queue_server.queue.hub import PERSONAL, PUBLIC_TICKET, public
from queue_server.queue.protocol import EventMessage, TicketView


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

"""What public screens are sent never holds a personal field, wherever a ticket appears."""

from queue_server.hub import PERSONAL, public


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

"""Configuration and stored data that cannot work are refused early and plainly."""

from __future__ import annotations

import pytest

from queue_server.queue.codec import CodecError, decode_event
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.domain.state import evolve
from tests.domain.support import MORNING, new_state


def test_an_unknown_ordering_policy_is_refused_when_the_site_is_configured() -> None:
    """A misspelt ordering policy fails when the configuration is built, not at the first call."""
    with pytest.raises(ValueError, match="unknown ordering policy 'fifo'"):
        SiteConfig(id="s", ordering="fifo")


def test_a_stored_event_without_its_time_is_a_codec_error() -> None:
    """A stream entry missing a field is reported as unreadable, never as a KeyError."""
    with pytest.raises(CodecError, match="ticket.issued"):
        decode_event("ticket.issued", b'{"ticket_id": "t", "service": "s", "seq": 1, "number": "A001"}')
    with pytest.raises(CodecError):
        decode_event("ticket.issued", b"not json")
    with pytest.raises(CodecError, match="unknown event type"):
        decode_event("ticket.teleported", b"{}")


def test_events_without_a_command_id_do_not_count_as_applied_commands() -> None:
    """An event written without a command id leaves the record of applied commands untouched."""
    state = new_state()
    evolve(state, TicketIssued(at=MORNING, ticket_id="t", service="etat-civil", seq=1, number="A001"))
    assert "" not in state.applied and state.tickets["t"].number == "A001"

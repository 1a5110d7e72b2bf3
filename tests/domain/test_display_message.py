"""The message the hall displays scroll: set by supervisors, kept until changed, across days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import Invalid
from queue_server.queue.domain.events import DisplayMessageSet
from queue_server.queue.domain.state import MAX_DISPLAY_MESSAGE

from .support import MORNING, apply, command, new_state


def say(text: str) -> c.SetDisplayMessage:
    cmd: c.SetDisplayMessage = command(c.SetDisplayMessage, text=text)
    return cmd


def test_a_message_is_an_event_and_is_kept() -> None:
    """Setting a message produces its event and the state holds it, spaces folded."""
    state = new_state()
    cmd = say("  Fermeture à 16 h\n aujourd'hui ")
    assert apply(state, cmd, MORNING) == [DisplayMessageSet(at=MORNING, command_id=cmd.command_id,
                                                            text="Fermeture à 16 h aujourd'hui")]
    assert state.display_message == "Fermeture à 16 h aujourd'hui"


def test_the_same_message_again_is_no_event() -> None:
    """Setting the message already shown changes nothing."""
    state = new_state()
    apply(state, say("Bienvenue"), MORNING)
    assert apply(state, say(" Bienvenue "), MORNING) == []


def test_an_empty_message_clears_it() -> None:
    """An empty text takes the message off the displays."""
    state = new_state()
    apply(state, say("Bienvenue"), MORNING)
    assert apply(state, say(""), MORNING) != []
    assert state.display_message == ""


def test_a_message_too_long_is_refused() -> None:
    """Beyond the limit the message is refused and the previous one stays."""
    state = new_state()
    apply(state, say("Bienvenue"), MORNING)
    with pytest.raises(Invalid):
        apply(state, say("x" * (MAX_DISPLAY_MESSAGE + 1)), MORNING)
    assert state.display_message == "Bienvenue"
    assert apply(state, say("x" * MAX_DISPLAY_MESSAGE), MORNING) != []


def test_the_message_stays_the_next_day() -> None:
    """A new day restarts the numbering, not the displays' message."""
    state = new_state()
    apply(state, say("Bienvenue"), MORNING)
    apply(state, command(c.IssueTicket, ticket_id="t1", service="etat-civil"), MORNING + timedelta(days=1))
    assert state.display_message == "Bienvenue"
    assert state.clone().display_message == "Bienvenue"

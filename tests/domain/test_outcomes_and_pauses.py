"""A visit ends with an outcome its service offers; a counter pauses for a reason; an agent's own figures."""

from __future__ import annotations

import orjson
import pytest

from queue_server.queue.codec import decode_event, decode_state, encode_event, encode_state
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.agents import AgentDay, agent_day
from queue_server.queue.domain.config import ServiceConfig, SiteConfig
from queue_server.queue.domain.errors import NotAChoice
from queue_server.queue.domain.events import CounterPaused, TicketFinished
from queue_server.queue.domain.state import SiteState, Ticket

from .support import (
    ETAT_CIVIL,
    MORNING,
    PASSEPORTS,
    act,
    apply,
    call_next,
    command,
    current,
    issue,
    minutes,
    new_state,
    site,
)

OUTCOMES = ("Dossier complet", "Pièce manquante", "Renseignement donné")
WITH_OUTCOMES = ServiceConfig("etat-civil", "État civil", "A", outcomes=OUTCOMES)


def serving(config: SiteConfig | None = None) -> tuple[SiteState, Ticket]:
    """A site whose first ticket is being served at counter 1, called by user 7."""
    state = new_state(config or site(services=(WITH_OUTCOMES, PASSEPORTS)))
    ticket = issue(state, MORNING)
    call_next(state, MORNING, agent="user:7", agent_name="Léa")
    act(state, c.Start, ticket, MORNING + minutes(1))
    return state, ticket


def test_a_visit_finished_with_one_of_its_services_outcomes_keeps_it() -> None:
    """Finish with an outcome the service offers: the event and the ticket carry it."""
    state, ticket = serving()
    cmd = command(c.Finish, ticket_id=ticket.id, outcome="Pièce manquante")
    events = apply(state, cmd, MORNING + minutes(6))
    assert events == [TicketFinished(at=MORNING + minutes(6), command_id=cmd.command_id, ticket_id=ticket.id,
                                     outcome="Pièce manquante")]
    assert current(state, ticket).outcome == "Pièce manquante" and current(state, ticket).status == "done"


def test_a_visit_finished_without_an_outcome_has_none() -> None:
    """Finishing without saying how (the bodyless call) is still allowed, and keeps no outcome."""
    state, ticket = serving()
    act(state, c.Finish, ticket, MORNING + minutes(6))
    assert current(state, ticket).status == "done" and current(state, ticket).outcome is None


@pytest.mark.parametrize("services", [(WITH_OUTCOMES, PASSEPORTS), (ETAT_CIVIL, PASSEPORTS)],
                         ids=["not-offered", "service-without-outcomes"])
def test_an_outcome_the_service_does_not_offer_is_refused_naming_the_field(services: tuple[ServiceConfig, ...]) -> None:
    """An outcome outside the service's list is refused (NotAChoice on ``outcome``) and the visit goes on."""
    state, ticket = serving(site(services=services))
    with pytest.raises(NotAChoice, match="not an outcome of this service") as refusal:
        act(state, c.Finish, ticket, MORNING + minutes(6), outcome="Dossier perdu")
    assert refusal.value.field == "outcome"
    assert current(state, ticket).status == "serving"


def test_an_outcome_of_a_service_removed_meanwhile_is_refused() -> None:
    """A ticket whose service left the configuration (forced) may finish, but with no outcome to choose."""
    state, ticket = serving()
    without = site(services=(PASSEPORTS,))
    apply(state, command(c.Configure, config=without, force=True), MORNING + minutes(2))
    with pytest.raises(NotAChoice):
        act(state, c.Finish, ticket, MORNING + minutes(6), outcome="Dossier complet")
    act(state, c.Finish, ticket, MORNING + minutes(6))
    assert current(state, ticket).status == "done"


def test_outcomes_survive_the_configurations_json() -> None:
    """A service's outcomes go through site.configured's JSON and come back in order."""
    config = site(services=(WITH_OUTCOMES, PASSEPORTS))
    again = SiteConfig.from_json(orjson.loads(orjson.dumps(config.to_json())))
    assert again.service("etat-civil").outcomes == OUTCOMES  # type: ignore[union-attr]
    assert again == config


def test_a_pause_keeps_its_reason_until_the_counter_opens_again() -> None:
    """Pausing for a reason records it on the counter; opening again (or a call) forgets it."""
    state = new_state()
    cmd = command(c.PauseCounter, counter="2", reason="meeting")
    assert apply(state, cmd, MORNING) == [CounterPaused(at=MORNING, command_id=cmd.command_id, counter="2",
                                                        reason="meeting")]
    assert state.counter("2").status == "paused" and state.counter("2").pause_reason == "meeting"
    apply(state, command(c.OpenCounter, counter="2"), MORNING + minutes(10))
    assert state.counter("2").status == "open" and state.counter("2").pause_reason is None


def test_a_paused_counter_paused_for_another_reason_takes_it() -> None:
    """A new reason is a new event; the same reason again is none."""
    state = new_state()
    apply(state, command(c.PauseCounter, counter="2", reason="break"), MORNING)
    assert apply(state, command(c.PauseCounter, counter="2", reason="break"), MORNING + minutes(1)) == []
    events = apply(state, command(c.PauseCounter, counter="2", reason="admin"), MORNING + minutes(2))
    assert [e.reason for e in events if isinstance(e, CounterPaused)] == ["admin"]
    assert state.counter("2").pause_reason == "admin"


def test_an_unknown_pause_reason_or_counter_is_refused() -> None:
    """A reason outside PAUSE_REASONS is refused naming ``reason``; an unknown counter is not found."""
    state = new_state()
    with pytest.raises(NotAChoice) as refusal:
        apply(state, command(c.PauseCounter, counter="2", reason="nap"), MORNING)
    assert refusal.value.field == "reason" and state.counter("2").status == "closed"
    with pytest.raises(Exception, match="No counter"):
        apply(state, command(c.PauseCounter, counter="9"), MORNING)


def test_outcomes_and_pause_reasons_survive_a_snapshot() -> None:
    """A snapshot keeps each ticket's outcome and agent, and a paused counter's reason; one written before
    reasons existed reads with none."""
    state, ticket = serving()
    act(state, c.Finish, ticket, MORNING + minutes(6), outcome="Dossier complet")
    apply(state, command(c.PauseCounter, counter="1", reason="admin"), MORNING + minutes(7))
    decoded = decode_state(state.config, encode_state(state))
    assert decoded.tickets == state.tickets and decoded.counters == state.counters
    assert decoded.counter("1").pause_reason == "admin" and decoded.tickets[ticket.id].agent == "user:7"
    raw = orjson.loads(encode_state(state))
    raw["counters"] = {k: v[:5] for k, v in raw["counters"].items()}
    assert decode_state(state.config, orjson.dumps(raw)).counter("1").pause_reason is None


def test_a_finish_and_a_pause_written_before_outcomes_decode_without_them() -> None:
    """Events of streams written before outcomes and reasons decode with None."""
    for event in (TicketFinished(at=MORNING, command_id="c1", ticket_id="t1", outcome="x"),
                  CounterPaused(at=MORNING, command_id="c2", counter="1", reason="break")):
        type_name, data = encode_event(event)
        older = orjson.loads(data)
        older.pop("outcome", None)
        older.pop("reason", None)
        decoded = decode_event(type_name, orjson.dumps(older))
        assert getattr(decoded, "outcome", getattr(decoded, "reason", "absent")) is None


def test_an_agents_day_counts_their_visits_mean_length_and_no_shows() -> None:
    """Visits finished and no-shows count for the agent who called them; the mean runs from start to end."""
    state = new_state()
    first, second, third, other = (issue(state, MORNING) for _ in range(4))
    assert agent_day(state, "user:7") == AgentDay(0, None, 0)
    call_next(state, MORNING, agent="user:7")
    act(state, c.Start, first, MORNING + minutes(1))
    act(state, c.Finish, first, MORNING + minutes(5))  # 4 minutes from the start
    call_next(state, MORNING + minutes(5), agent="user:7")
    act(state, c.MarkNoShow, second, MORNING + minutes(7))
    call_next(state, MORNING + minutes(7), agent="user:7")
    act(state, c.Start, third, MORNING + minutes(7))
    act(state, c.Finish, third, MORNING + minutes(13))  # 6 minutes
    call_next(state, MORNING + minutes(7), counter="2", agent="user:8")
    assert agent_day(state, "user:7") == AgentDay(2, 300.0, 1)
    assert agent_day(state, "user:8") == AgentDay(0, None, 0)
    assert current(state, other).agent == "user:8"

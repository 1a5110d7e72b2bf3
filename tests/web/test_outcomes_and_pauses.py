"""Extensions of the frozen API for the counter: a visit finished with an outcome its service offers (the
bodyless call still works), a pause with a reason that supervisors see on the counter, an agent's own
figures of the day; the history keeps the outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from queue_server.queue.archiver import apply_to_record
from queue_server.queue.domain import events as ev
from queue_server.queue.domain.config import SiteConfig
from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]
OUTCOMES = ["Dossier complet", "Pièce manquante", "Renseignement donné"]


async def offer_outcomes(client: httpx.AsyncClient, stack: Stack) -> None:
    """The demo's État civil offers OUTCOMES (the administrator's service set-up)."""
    answer = await client.put("/api/v1/sites/demo/services/etat-civil", json={"outcomes": OUTCOMES},
                              headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcomes"] == OUTCOMES


async def serving(desk: Desk) -> dict[str, object]:
    await desk.issue()
    called = await desk.called()
    assert (await desk.act(str(called["id"]), "start")).status_code == 200
    return called


async def test_a_visit_finishes_with_one_of_its_services_outcomes(client: httpx.AsyncClient, stack: Stack,
                                                                   desk: Desk) -> None:
    """POST …/finish with {"outcome"} among the service's ends the visit (200 done); agents read the list in
    the state's services, public screens do not."""
    await offer_outcomes(client, stack)
    ticket = await serving(desk)
    answer = await desk.act(str(ticket["id"]), "finish", json={"outcome": "Pièce manquante"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "done"
    staff = {s["id"]: s for s in (await desk.state("agent"))["services"]}
    assert staff["etat-civil"]["outcomes"] == OUTCOMES and staff["passeports"]["outcomes"] == []
    assert all("outcomes" not in s for s in (await desk.state("display"))["services"])


async def test_an_outcome_the_service_does_not_offer_is_a_422_naming_it(client: httpx.AsyncClient, stack: Stack,
                                                                        desk: Desk) -> None:
    """An outcome outside the service's list is a problem+json 422 whose errors name ``outcome``; the visit
    goes on."""
    await offer_outcomes(client, stack)
    ticket = await serving(desk)
    answer = await desk.act(str(ticket["id"]), "finish", json={"outcome": "Dossier perdu"})
    problem = assert_problem(answer, 422)
    assert [e["field"] for e in problem["errors"]] == ["outcome"]
    assert (await desk.ticket(str(ticket["id"])))["status"] == "serving"
    too_long = await desk.act(str(ticket["id"]), "finish", json={"outcome": "x" * 61})
    assert [e["field"] for e in assert_problem(too_long, 422)["errors"]] == ["outcome"]


async def test_finishing_without_a_body_still_works(desk: Desk) -> None:
    """The bodyless POST …/finish of API.md ends the visit as before, with or without an empty body."""
    ticket = await serving(desk)
    answer = await desk.act(str(ticket["id"]), "finish")
    assert answer.status_code == 200 and answer.json()["status"] == "done"


async def test_a_pause_says_why_to_supervisors(desk: Desk, stack: Stack, client: httpx.AsyncClient) -> None:
    """POST …/pause with {"reason"} pauses the counter; staff see its pause_reason, displays do not; opening
    it again clears it; a bodyless pause has none."""
    answer = await client.post("/api/v1/sites/demo/counters/2/pause", json={"reason": "meeting"},
                               headers=stack.auth("agent"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["pause_reason"]) == ("paused", "meeting")
    counters = {c["id"]: c for c in (await desk.state("supervisor"))["counters"]}
    assert counters["2"]["pause_reason"] == "meeting"
    assert all("pause_reason" not in c for c in (await desk.state("display"))["counters"])
    await desk.counter("2", "open")
    bare = await desk.counter("2", "pause")
    assert bare.status_code == 200 and bare.json()["pause_reason"] is None


async def test_an_unknown_pause_reason_is_a_422_naming_it(stack: Stack, client: httpx.AsyncClient) -> None:
    """A reason outside the list is refused naming ``reason``, and the counter stays as it was."""
    answer = await client.post("/api/v1/sites/demo/counters/2/pause", json={"reason": "sieste"},
                               headers=stack.auth("agent"))
    assert [e["field"] for e in assert_problem(answer, 422)["errors"]] == ["reason"]


async def test_an_agent_reads_their_own_figures_of_the_day(desk: Desk, stack: Stack,
                                                           client: httpx.AsyncClient) -> None:
    """GET …/agents/me/today counts the visits the caller finished and their no-shows, not a colleague's."""
    url = "/api/v1/sites/demo/agents/me/today"
    before = await client.get(url, headers=stack.auth("agent"))
    assert before.json() == {"served": 0, "mean_visit_s": None, "no_shows": 0}
    ticket = await serving(desk)
    await desk.act(str(ticket["id"]), "finish")
    await desk.issue()
    await desk.act(str((await desk.called())["id"]), "no-show")
    mine = (await client.get(url, headers=stack.auth("agent"))).json()
    assert (mine["served"], mine["no_shows"]) == (1, 1) and mine["mean_visit_s"] >= 0
    theirs = (await client.get(url, headers=stack.auth("supervisor"))).json()
    assert theirs == {"served": 0, "mean_visit_s": None, "no_shows": 0}
    assert_problem(await client.get(url, headers=stack.auth("display")), 403)


def test_the_history_keeps_the_outcome_of_a_visit() -> None:
    """The archiver's row of a finished ticket holds the outcome said (none for a visit finished without)."""
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    config = SiteConfig("demo")
    row = apply_to_record(None, "1-0", ev.TicketIssued(at=at, ticket_id="t1", service="a", seq=1, number="A001"),
                          config)
    assert row is not None and row["outcome"] is None
    done = apply_to_record(row, "2-0", ev.TicketFinished(at=at, ticket_id="t1", outcome="Dossier complet"), config)
    assert done is not None and (done["status"], done["outcome"]) == ("done", "Dossier complet")

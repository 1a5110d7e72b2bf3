"""Callbacks over HTTP, on every storage stack: a call whose outcome is a callback promises one, by a time, to a
number, assigned to an agent or a service (nobody named: the agent who took the call); the lists of callbacks to do
(mine, my service's, everyone's) show the overdue first; supervisors list every overdue one; a callback is done once,
saying how it went."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.phone.conftest import NOW, Desk
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio


def promised(at: str, **changes: Any) -> dict[str, Any]:
    """A callback's body: due at ``at`` (UTC), to Anne's mobile."""
    return {"due_at": at, "phone": "06 12 34 56 78", **changes}


async def callback(desk: Desk, who: str = "lea", reason: str = "urbanisme", **changes: Any) -> dict[str, Any]:
    call = await desk.log(who=who, reason=reason, outcome="callback",
                          callback=promised(changes.pop("due_at", "2026-03-16T13:00:00Z"), **changes))
    assert call["callback"] is not None
    return dict(call["callback"])


async def todo(desk: Desk, who: str, **query: str) -> list[dict[str, Any]]:
    answer = await desk.call(who, "GET", "callbacks", params=query)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_a_callback_assigned_to_nobody_is_the_agents_own(desk: Desk) -> None:
    """Léa promises a callback at 14:00 Paris to a number typed as people do: it is hers, in E.164, to do, not
    overdue, and carries the call's reason and caller; it is in her list, not in Hugo's."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    call = await desk.log(party=anne["id"], reason="urbanisme", outcome="callback",
                          callback=promised("2026-03-16T13:00:00Z", note="Rappeler après avoir vu le dossier."))
    cb = call["callback"]
    assert (cb["agent"], cb["service"], cb["phone"], cb["status"], cb["overdue"]) == (
        "lea", None, "+33612345678", "todo", False)
    assert (cb["due_at"], cb["call"], cb["caller"], cb["reason_name"]) == (
        "2026-03-16T13:00:00Z", call["id"], "Anne Lefèvre", "Urbanisme")
    assert cb["note"] == "Rappeler après avoir vu le dossier."
    assert [c["id"] for c in await todo(desk, "lea", mine="true")] == [cb["id"]]
    assert await todo(desk, "hugo", mine="true") == []


async def test_a_callback_for_a_service_is_that_services_and_an_agent_given_theirs(desk: Desk) -> None:
    """One for the urbanisme service, one for Hugo: the service's list has the first, Hugo's own the second, and
    Hugo's own and his service's together both."""
    for_service = await callback(desk, service="urbanisme")
    for_hugo = await callback(desk, agent="hugo", due_at="2026-03-16T15:00:00Z")
    assert (for_service["agent"], for_service["service"], for_service["service_name"]) == (
        None, "urbanisme", "Urbanisme")
    assert [c["id"] for c in await todo(desk, "lea", service="urbanisme")] == [for_service["id"]]
    assert [c["id"] for c in await todo(desk, "hugo", mine="true")] == [for_hugo["id"]]
    both = await todo(desk, "hugo", mine="true", service="urbanisme")
    assert [c["id"] for c in both] == [for_service["id"], for_hugo["id"]]


async def test_the_overdue_come_first_and_supervisors_list_every_overdue_one(desk: Desk) -> None:
    """Three callbacks due at 11:00, 12:00 and 15:00 (Paris) promised at 10:00; at 12:30 the first two are overdue,
    listed first, the longest overdue on top; a supervisor's ``overdue=true`` lists those two, whoever's; an agent
    may not ask for that list."""
    late = await callback(desk, due_at="2026-03-16T10:00:00Z")
    later = await callback(desk, who="hugo", due_at="2026-03-16T14:00:00Z")
    soon = await callback(desk, who="hugo", due_at="2026-03-16T11:00:00Z")
    desk.clock.now = NOW + timedelta(hours=2, minutes=30)
    every = await todo(desk, "lea")
    assert [(c["id"], c["overdue"]) for c in every] == [(late["id"], True), (soon["id"], True), (later["id"], False)]
    overdue = await todo(desk, "sophie", overdue="true")
    assert [c["id"] for c in overdue] == [late["id"], soon["id"]]
    assert_problem(await desk.call("lea", "GET", "callbacks", params={"overdue": "true"}), 403)


async def test_a_callback_is_done_once_saying_how_it_went(desk: Desk) -> None:
    """Hugo calls back and reaches the person: the callback is done, by him, at the server's time, with its outcome
    and note; it leaves the lists to do and is among those done; doing it again is a 409; the call shows it done."""
    cb = await callback(desk, agent="hugo")
    desk.clock.now = NOW + timedelta(hours=1)
    answer = await desk.call("hugo", "POST", f"callbacks/{cb['id']}/done",
                             json={"outcome": "reached", "note": " Dossier complet, RDV pris. "})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["status"], done["outcome"], done["done_by"], done["overdue"]) == (
        "done", "reached", "user:hugo", False)
    assert (done["done_at"], done["outcome_note"]) == ("2026-03-16T10:00:00Z", "Dossier complet, RDV pris.")
    assert await todo(desk, "hugo", mine="true") == []
    assert [c["id"] for c in await todo(desk, "hugo", mine="true", status="done")] == [cb["id"]]
    again = assert_problem(await desk.call("lea", "POST", f"callbacks/{cb['id']}/done",
                                           json={"outcome": "unreachable"}), 409)
    assert again["type"] == "/problems/already-done"
    call = (await desk.call("lea", "GET", f"calls/{cb['call']}")).json()
    assert call["callback"]["status"] == "done"
    [audited] = await desk.audit("phone.callback")
    assert audited.actor == "user:hugo" and "reached" in audited.detail


async def test_a_callback_of_another_collectivity_or_none_is_unknown(desk: Desk) -> None:
    """Another collectivity's agent cannot mark the demo's callback done (404), nor list its callbacks; a number
    that names no callback is a 404; a wrong outcome a 422 naming it."""
    cb = await callback(desk)
    assert_problem(await desk.call("other-tenant", "POST", f"/api/v1/tenants/voisine/phone/callbacks/{cb['id']}/done",
                                   json={"outcome": "reached"}), 404)
    assert_problem(await desk.call("other-tenant", "GET", "callbacks"), 404)
    for number in ("999999", "x", "0"):
        assert_problem(await desk.call("lea", "POST", f"callbacks/{number}/done", json={"outcome": "reached"}), 404)
    wrong = assert_problem(await desk.call("lea", "POST", f"callbacks/{cb['id']}/done", json={"outcome": "maybe"}),
                           422)
    assert wrong["errors"][0]["field"] == "outcome"
    assert (await desk.call("lea", "GET", f"calls/{cb['call']}")).json()["callback"]["status"] == "todo"


async def test_a_device_tokens_own_callbacks_are_nobodys(desk: Desk) -> None:
    """An agent's device token promises a callback naming nobody: it is nobody's own (a token has no login), in
    everyone's list only."""
    call = await desk.log(who="agent", outcome="callback", callback=promised("2026-03-16T13:00:00Z"))
    assert (call["callback"]["agent"], call["callback"]["service"]) == (None, None)
    assert await todo(desk, "agent", mine="true") == []
    assert [c["id"] for c in await todo(desk, "lea")] == [call["callback"]["id"]]


@pytest.mark.parametrize(("query", "field"), [({"status": "later"}, "status"), ({"service": "Urbanisme!"}, "service"),
                                              ({"mine": "1"}, "mine")])
async def test_a_list_asked_wrongly_names_the_parameter(desk: Desk, query: dict[str, str], field: str) -> None:
    """An unknown status, a service id that is none, a flag that is neither true nor false: 422 naming it."""
    problem = assert_problem(await desk.call("lea", "GET", "callbacks", params=query), 422, query)
    assert problem["errors"][0]["field"] == field

"""The phone desk's API over HTTP, on every storage stack, with the server's clock fixed on Monday 16 March 2026,
10:00 in Paris: a call logged with its caller (a party of the citizen record, or anonymous), reason, sheets and
outcome, dated by the server; each outcome's own fields; every refusal names its field and saves nothing; the reasons'
list per collectivity; another collectivity sees nothing; reading a call is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.phone.conftest import BASE, NOW, Desk
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio
SHEETS = [{"id": "12", "title": "Perte du passeport"}, {"id": "7", "title": "Collecte des encombrants",
                                                          "tenant": "agglo"}]


def iso(moment: object) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")  # type: ignore[attr-defined]


async def test_an_agent_logs_a_call_from_a_party_dated_by_the_server(desk: Desk) -> None:
    """Anne Lefèvre, found in the record, called about état civil for 2 min 05: the call names her (her record's
    name), ends at the server's 10:00 and began 125 s before, keeps the note and the sheets consulted, and who took
    it; read again by its id, it is the same."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre", phones=["06 12 34 56 78"])
    call = await desk.log(party=anne["id"], duration_s=125, note="  Demande un acte de naissance.  ", sheets=SHEETS)
    assert call["party"] == anne["id"] and call["caller"] == "Anne Lefèvre"
    assert call["ended_at"] == iso(NOW) and call["started_at"] == iso(NOW - timedelta(seconds=125))
    assert (call["reason"], call["reason_name"], call["outcome"]) == ("etat-civil", "État civil", "answered")
    assert call["note"] == "Demande un acte de naissance."
    assert call["sheets"] == [{"id": "12", "title": "Perte du passeport", "tenant": None},
                              {"id": "7", "title": "Collecte des encombrants", "tenant": "agglo"}]
    assert (call["agent"], call["agent_name"], call["callback"]) == ("user:lea", "Léa Martin", None)
    read = await desk.call("hugo", "GET", f"calls/{call['id']}")
    assert read.status_code == 200 and read.json() == call


async def test_reading_a_call_is_audited_and_so_is_logging_it(desk: Desk) -> None:
    """A call names a person: its reading is in the audit log (who, which call), as its logging is."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    call = await desk.log(party=anne["id"])
    assert (await desk.call("sophie", "GET", f"calls/{call['id']}")).status_code == 200
    [read] = await desk.audit("phone.call.read")
    assert (read.actor, read.target, read.tenant_id) == ("user:sophie", f"call:{call['id']}", "demo")
    [logged] = await desk.audit("phone.call")
    assert logged.actor == "user:lea" and f"party:{anne['id']}" in logged.detail


async def test_an_anonymous_call_put_through_to_a_service_names_it(desk: Desk) -> None:
    """Nobody named, transferred to urbanisme: the call names no party and the service by its name."""
    call = await desk.log(reason="urbanisme", outcome="transferred", service="urbanisme")
    assert (call["party"], call["caller"]) == (None, "")
    assert (call["service"], call["service_name"]) == ("urbanisme", "Urbanisme")


async def test_an_appointment_or_a_request_is_an_outcome_of_its_own(desk: Desk) -> None:
    """A call that ended with an appointment booked, another with a request created: each says so."""
    assert (await desk.log(outcome="appointment"))["outcome"] == "appointment"
    assert (await desk.log(outcome="request", reason="voirie"))["outcome"] == "request"


@pytest.mark.one_stack  # decided before anything is written: the storage plays no part
@pytest.mark.parametrize(("change", "field", "kind", "status"), [
    ({"reason": "piscine"}, "reason", "unknown-reason", 422),
    ({"party": 999_999}, "party", "unknown-party", 422),
    ({"outcome": "transferred"}, "service", "invalid-body", 422),
    ({"outcome": "transferred", "service": "piscine"}, "service", "unknown-service", 422),
    ({"outcome": "callback"}, "callback", "invalid-body", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-16T14:00:00Z"}}, "callback.phone", "invalid-body", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-16T14:00:00Z", "phone": "12 34 5"}},
     "callback.phone", "invalid-phone", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-16T14:00:00", "phone": "0612345678"}},
     "callback.due_at", "invalid-body", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-07-01T08:00:00Z", "phone": "0612345678"}},
     "callback.due_at", "invalid-due-time", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-15T14:00:00Z", "phone": "0612345678"}},
     "callback.due_at", "invalid-due-time", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-16T14:00:00Z", "phone": "0612345678",
                                          "agent": "nobody"}}, "callback.agent", "unknown-agent", 422),
    ({"outcome": "callback", "callback": {"due_at": "2026-03-16T14:00:00Z", "phone": "0612345678",
                                          "service": "piscine"}}, "callback.service", "unknown-service", 422),
    ({"outcome": "hung-up"}, "outcome", "invalid-body", 422),
    ({"duration_s": 4 * 3600 + 1}, "duration_s", "invalid-body", 422),
    ({"sheets": [{"id": "1"}]}, "sheets.0.title", "invalid-body", 422),
])
async def test_a_refused_call_names_its_field_and_saves_nothing(desk: Desk, change: dict[str, object], field: str,
                                                                 kind: str, status: int) -> None:
    """Each refusal is a problem naming the field at fault (and its kind); no call, no callback is written."""
    body = {"reason": "etat-civil", "outcome": "answered", "duration_s": 60, **change}
    answer = await desk.call("lea", "POST", "calls", json=body)
    problem = assert_problem(answer, status, change)
    assert problem["type"] == f"/problems/{kind}", problem
    assert field in [e["field"] for e in problem["errors"]], problem
    assert (await desk.call("lea", "GET", "calls")).json()["items"] == []
    assert (await desk.call("sophie", "GET", "callbacks?status=todo")).json()["items"] == []


async def test_only_the_collectivitys_staff_log_and_read_calls(desk: Desk) -> None:
    """Nobody signed in: 401; a kiosk: 403; another collectivity's agent: 404, for the list as for a call."""
    call = await desk.log()
    assert_problem(await desk.call("anonymous", "GET", "calls"), 401)
    assert_problem(await desk.call("kiosk", "POST", "calls", json={"reason": "autre", "outcome": "answered",
                                                                   "duration_s": 1}), 403)
    assert_problem(await desk.call("other-tenant", "GET", "calls"), 404)
    assert_problem(await desk.call("other-tenant", "GET", f"calls/{call['id']}"), 404)
    assert_problem(await desk.call("other-tenant", "GET", "/api/v1/tenants/voisine/phone/calls/" + call["id"]), 404)
    assert_problem(await desk.call("lea", "GET", "calls/no-such-call"), 404)


async def test_a_device_token_logs_calls_too(desk: Desk) -> None:
    """An agent's device token (no person) logs a call; it is the token's."""
    call = await desk.log(who="agent")
    assert call["agent"].startswith("token:")


async def test_a_partys_calls_newest_first_the_reading_audited(desk: Desk) -> None:
    """Two calls of Anne and one of Bruno, over the morning: ``?party=`` lists Anne's, newest first, and the audit
    log says who read a person's calls; ``?mine=true`` lists the caller's own."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    bruno = await desk.party(first_name="Bruno", last_name="Martin")
    first = await desk.log(party=anne["id"])
    desk.clock.now = NOW + timedelta(minutes=10)
    await desk.log(who="hugo", party=bruno["id"])
    desk.clock.now = NOW + timedelta(minutes=20)
    last = await desk.log(party=anne["id"], reason="voirie")
    found = await desk.call("sophie", "GET", "calls", params={"party": anne["id"]})
    assert [c["id"] for c in found.json()["items"]] == [last["id"], first["id"]]
    [audited] = await desk.audit("phone.calls.read")
    assert (audited.actor, audited.target) == ("user:sophie", f"party:{anne['id']}")
    mine = await desk.call("hugo", "GET", "calls", params={"mine": "true"})
    assert [c["caller"] for c in mine.json()["items"]] == ["Bruno Martin"]
    for query, field in (({"party": "x"}, "party"), ({"limit": "0"}, "limit"), ({"mine": "yes"}, "mine")):
        problem = assert_problem(await desk.call("lea", "GET", "calls", params=query), 422, query)
        assert problem["errors"][0]["field"] == field


async def test_every_collectivity_starts_with_the_usual_reasons(desk: Desk) -> None:
    """État civil, urbanisme, déchets, voirie ... autre, for any staff member."""
    answer = await desk.call("lea", "GET", "reasons")
    reasons = answer.json()["reasons"]
    assert [r["id"] for r in reasons][:4] == ["etat-civil", "urbanisme", "dechets", "voirie"]
    assert reasons[0]["name"] == "État civil" and reasons[-1]["id"] == "autre"


async def test_an_administrator_sets_the_reasons_and_calls_keep_theirs(desk: Desk) -> None:
    """The administrator puts their own list (renaming état civil, dropping the rest but cimetière and autre): the
    desk offers it in that order; a call logged before keeps the name its reason had; a reason dropped is refused
    for a new call; agents may not change the list; an id given twice is refused, naming the second."""
    before = await desk.log(reason="voirie")
    reasons = [{"id": "etat-civil", "name": "État civil et élections"}, {"id": "cimetiere", "name": " Cimetière "},
               {"id": "autre", "name": "Autre"}]
    answer = await desk.call("alain", "PUT", "reasons", json={"reasons": reasons})
    assert answer.status_code == 200, answer.text
    listed = (await desk.call("lea", "GET", "reasons")).json()["reasons"]
    assert listed == [{"id": "etat-civil", "name": "État civil et élections"}, {"id": "cimetiere", "name": "Cimetière"},
                      {"id": "autre", "name": "Autre"}]
    assert (await desk.log(reason="cimetiere"))["reason_name"] == "Cimetière"
    assert (await desk.call("lea", "GET", f"calls/{before['id']}")).json()["reason_name"] == "Voirie et propreté"
    problem = assert_problem(await desk.call("lea", "POST", "calls", json={
        "reason": "voirie", "outcome": "answered", "duration_s": 5}), 422)
    assert problem["type"] == "/problems/unknown-reason"
    assert_problem(await desk.call("lea", "PUT", "reasons", json={"reasons": reasons}), 403)
    twice = assert_problem(await desk.call("alain", "PUT", "reasons", json={"reasons": [*reasons, reasons[1]]}), 422)
    assert (twice["type"], twice["errors"][0]["field"]) == ("/problems/duplicate-reason", "reasons[3].id")
    assert_problem(await desk.call("alain", "PUT", "reasons", json={"reasons": []}), 422)
    [changed] = await desk.audit("config.phone-reasons")
    assert changed.actor == "user:alain" and changed.detail == "etat-civil cimetiere autre"


async def test_the_reasons_are_each_collectivitys_own(desk: Desk) -> None:
    """Another collectivity's agent does not read the demo's list (404)."""
    assert_problem(await desk.call("other-tenant", "GET", f"{BASE}/phone/reasons"), 404)
    answer = await desk.call("other-tenant", "GET", "/api/v1/tenants/voisine/phone/reasons")
    assert answer.status_code == 200 and answer.json()["reasons"][0]["id"] == "etat-civil"

"""The calls' retention and the erasure of a caller, on every storage stack: ``[phone] retention_days`` (730) after
it ended a call goes with its callback, and a deletion report says when and how many (never a name), read by
administrators; erasing a party of the citizen record blanks its calls (their figures stay) and the callbacks'
numbers. The server's clock is moved by the test."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from tests.phone.conftest import BASE, NOW, Desk
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio


async def test_calls_ended_two_years_ago_go_with_a_deletion_report(desk: Desk) -> None:
    """Two calls on 16 March 2026 (one with its callback), one on 1 April: on 17 March 2028 (731 days on) the purge
    takes the first two and writes one report (2 calls, 1 callback, no name); the April call stays; within the
    period the job ran (at start) it does not run again; only administrators read the reports."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    first = await desk.log(party=anne["id"], outcome="callback",
                           callback={"due_at": "2026-03-16T13:00:00Z", "phone": "0612345678"})
    await desk.log(reason="voirie")
    desk.clock.now = NOW + timedelta(days=16)
    kept = await desk.log(reason="dechets")
    desk.clock.now = NOW + timedelta(days=731)
    retention = desk.app.state.phone_retention
    with anyio.fail_after(10):  # the lifespan's run, at start, holds the period
        while not await retention.redis.exists(retention.key):
            await anyio.sleep(0.05)
    assert await retention.run_once() is None
    [report] = await retention.purge(desk.clock.now)
    assert (report["tenant"], report["calls"], report["callbacks"]) == ("demo", 2, 1)
    assert await retention.purge(desk.clock.now) == []
    listed = await desk.call("alain", "GET", "calls")
    assert [c["id"] for c in listed.json()["items"]] == [kept["id"]]
    assert_problem(await desk.call("lea", "GET", f"calls/{first['id']}"), 404)
    assert (await desk.call("lea", "GET", "callbacks")).json()["items"] == []
    reports = await desk.call("alain", "GET", "purges")
    assert reports.status_code == 200
    [shown] = reports.json()["items"]
    assert (shown["calls"], shown["callbacks"]) == (2, 1) and "Anne" not in reports.text
    assert_problem(await desk.call("sophie", "GET", "purges"), 403)
    [audited] = await desk.audit("phone.purged")
    assert audited.actor == "retention" and "2 calls" in audited.target


async def test_erasing_a_party_blanks_its_calls_and_the_numbers_called_back(desk: Desk) -> None:
    """Anne's call with a note, sheets and a callback to her number, and an anonymous call whose callback is to her
    number too: once an administrator erases her record, her call names nobody and holds no note nor sheet, the two
    callbacks no number; the reasons, outcomes and durations stay (the figures do not change); another caller's call
    is untouched."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre", phones=["06 12 34 56 78"])
    bruno = await desk.party(first_name="Bruno", last_name="Martin")
    mine = await desk.log(party=anne["id"], note="Son fils a perdu son passeport",
                          sheets=[{"id": "12", "title": "Perte du passeport"}], outcome="callback",
                          callback={"due_at": "2026-03-16T13:00:00Z", "phone": "0612345678", "note": "Le soir"})
    anonymous = await desk.log(outcome="callback", callback={"due_at": "2026-03-16T14:00:00Z",
                                                             "phone": "+33 6 12 34 56 78"})
    other = await desk.log(party=bruno["id"], note="Rien de personnel")
    before = (await desk.call("sophie", "GET", "stats")).json()
    erased = await desk.call("alain", "DELETE", f"{BASE}/parties/{anne['id']}")
    assert erased.status_code == 204, erased.text
    call = (await desk.call("lea", "GET", f"calls/{mine['id']}")).json()
    assert (call["party"], call["caller"], call["note"], call["sheets"]) == (None, "", "", [])
    assert (call["reason"], call["outcome"], call["duration_s"]) == ("etat-civil", "callback", 120)
    assert call["callback"]["phone"] == "[effacé]" and call["callback"]["note"] == ""
    assert (await desk.call("lea", "GET", f"calls/{anonymous['id']}")).json()["callback"]["phone"] == "[effacé]"
    kept = (await desk.call("lea", "GET", f"calls/{other['id']}")).json()
    assert (kept["caller"], kept["note"]) == ("Bruno Martin", "Rien de personnel")
    assert (await desk.call("sophie", "GET", "stats")).json() == before
    [purge] = (await desk.call("alain", "GET", f"{BASE}/purges")).json()["items"]
    assert purge["parties"][0]["erased_elsewhere"] >= 1

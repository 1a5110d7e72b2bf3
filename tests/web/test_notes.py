"""Notes for the agent who serves a ticket, and who called: the reception and counter side of the API.

A note is left by reception (``PUT …/note``) or with a transfer; the agent reads it (``GET …/note``, every
read audited); the log only says that there is one (``noted``); displays never learn of it; it is gone
from Redis when the visit ends.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Stack
from tests.web.support import Desk, assert_problem, eventually, visit_entries

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def put_note(desk: Desk, ticket_id: str, text: str, role: str = "agent") -> httpx.Response:
    return await desk.client.put(f"{desk.base}/tickets/{ticket_id}/note", json={"text": text},
                                 headers=desk.stack.auth(role))


async def get_note(desk: Desk, ticket_id: str, role: str = "agent") -> httpx.Response:
    return await desk.client.get(f"{desk.base}/tickets/{ticket_id}/note", headers=desk.stack.auth(role))


async def notes_in_redis(stack: Stack) -> dict[str, str]:
    return await visit_entries(stack, "notes")


async def test_reception_leaves_a_note_that_the_agent_reads_when_calling(desk: Desk, stack: Stack) -> None:
    """Reception notes a waiting ticket: it is ``noted`` for staff, and the agent who calls it reads the text;
    the read is in the audit log with the ticket's number."""
    ticket = await desk.issue()
    response = await put_note(desk, ticket["id"], "  Malentendante : parler face à elle.  ")
    assert response.status_code == 200, response.text
    assert response.json()["noted"] is True
    called = await desk.called()
    assert called["id"] == ticket["id"] and called["noted"] is True
    note = await get_note(desk, ticket["id"])
    assert note.status_code == 200 and note.json() == {"text": "Malentendante : parler face à elle."}
    log = (await desk.client.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    reads = [e for e in log if e["action"] == "note.read"]
    assert len(reads) == 1 and reads[0]["target"] == f"ticket:{ticket['number']}"
    assert reads[0]["actor"].startswith("token:")


async def test_a_ticket_without_a_note_reads_null_and_is_not_audited(desk: Desk, stack: Stack) -> None:
    ticket = await desk.issue(role="agent")
    assert (await get_note(desk, ticket["id"])).json() == {"text": None}
    assert ticket["noted"] is False
    log = (await desk.client.get("/api/v1/audit", headers=stack.auth("admin"))).json()
    assert not [e for e in log if e["action"] == "note.read"]


async def test_a_transfer_carries_a_note_to_the_next_service(desk: Desk) -> None:
    """The agent transfers with a note: the ticket waits in the new service, noted, with that text."""
    ticket = await desk.issue()
    await desk.called()
    response = await desk.act(ticket["id"], "transfer", json={"service": "passeports", "note": "Dossier complet."})
    assert response.status_code == 200, response.text
    assert (response.json()["service"], response.json()["status"], response.json()["noted"]) == \
        ("passeports", "waiting", True)
    assert (await get_note(desk, ticket["id"])).json() == {"text": "Dossier complet."}


async def test_displays_and_kiosks_never_learn_of_notes_or_agents(desk: Desk, stack: Stack) -> None:
    """A display's state has no ``noted``, no agent's name and no list of waiting tickets; staff's has them."""
    ticket = await desk.issue()
    await put_note(desk, ticket["id"], "Fauteuil roulant")
    await desk.counter("1", "open")
    for role in ("display", "kiosk"):
        state = await desk.state(role)
        assert "queue" not in state
        assert all("agent" not in c for c in state["counters"])
        text = str(state)
        assert "noted" not in text
    staff = await desk.state("supervisor")
    assert [t["id"] for t in staff["queue"]] == [ticket["id"]] and staff["queue"][0]["noted"] is True
    assert next(c for c in staff["counters"] if c["id"] == "1")["agent"] == "agent"  # the token's name


async def test_notes_are_refused_to_devices_and_checked(desk: Desk) -> None:
    """Kiosks and displays can neither write nor read notes; blank, too long or unknown: clear errors."""
    ticket = await desk.issue()
    for role in ("kiosk", "display"):
        assert_problem(await put_note(desk, ticket["id"], "x", role=role), 403)
        assert_problem(await get_note(desk, ticket["id"], role=role), 403)
    assert_problem(await put_note(desk, ticket["id"], "   "), 422)
    assert_problem(await put_note(desk, ticket["id"], "x" * 501), 422)
    assert_problem(await put_note(desk, "no-such-ticket", "x"), 404)
    assert_problem(await get_note(desk, "no-such-ticket"), 404)
    finished = await desk.issue()
    await desk.act(finished["id"], "cancel")
    assert_problem(await put_note(desk, finished["id"], "trop tard"), 409)
    assert await notes_in_redis(desk.stack) == {}  # a refused note is not kept
    blank = await desk.act(ticket["id"], "transfer", json={"service": "passeports", "note": "  "})
    assert_problem(blank, 422)
    assert (await desk.ticket(ticket["id"]))["service"] == "etat-civil"  # nothing was transferred


async def test_anyone_holding_the_id_does_not_learn_of_the_note(desk: Desk) -> None:
    """The public read of a ticket (its holder's phone, a kiosk) says nothing of a note."""
    ticket = await desk.issue()
    await put_note(desk, ticket["id"], "Fauteuil roulant")
    public = await desk.ticket(ticket["id"])
    assert "noted" not in public and "front" not in public and public["number"] == ticket["number"]


async def test_the_note_is_deleted_when_the_visit_ends(desk: Desk, stack: Stack) -> None:
    """Once the visit is finished, the note's text is gone from Redis (the archiver deletes it)."""
    ticket = await desk.issue()
    await put_note(desk, ticket["id"], "Vient pour le dossier de son père")
    assert await notes_in_redis(stack) == {ticket["id"]: "Vient pour le dossier de son père"}
    await desk.called()
    await desk.act(ticket["id"], "start")
    await desk.act(ticket["id"], "finish")

    async def gone() -> bool:
        return await notes_in_redis(stack) == {}

    await eventually(gone)


async def test_a_call_names_the_agent_who_made_it(desk: Desk) -> None:
    """The counter that called shows the caller's name (a person's name, or a token's) to staff."""
    await desk.issue()
    await desk.called("2")
    counters = {c["id"]: c for c in (await desk.state("agent"))["counters"]}
    assert counters["2"]["agent"] == "agent" and counters["2"]["status"] == "open"
    assert counters["2"]["since"] is not None

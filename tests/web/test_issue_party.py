"""POST /api/v1/sites/{site}/tickets with ``party``: staff issue a ticket for a known person of the citizen
record; the ticket is then that person's visit. Kiosks may not, an unknown party is refused, and nothing of the
link ever reaches what public screens and citizens receive."""

from __future__ import annotations

import httpx
import pytest

from queue_server.web.openapi import openapi_document
from tests.conftest import Stack
from tests.parties import add_party, keys_at_any_depth
from tests.web.conftest import Neighbours
from tests.web.support import Desk, assert_problem, assert_ticket

pytestmark = pytest.mark.anyio

URL = "/api/v1/sites/demo/tickets"


async def waiting(desk: Desk) -> int:
    return sum(s["waiting"] for s in (await desk.state("agent"))["services"])


async def test_staff_issue_a_ticket_for_a_known_person(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """An agent, a supervisor and an admin may each issue a ticket for a party of the site's collectivity: 201,
    and the staff's answer and state say whose visit it is."""
    party = await add_party(stack.settings.database_url)
    for role in ("agent", "supervisor", "admin"):
        response = await client.post(URL, json={"service": "etat-civil", "party": party}, headers=stack.auth(role))
        assert response.status_code == 201, (role, response.text)
        assert_ticket(response.json())
        assert response.json()["party"] == party
    queue = (await desk.state("agent"))["queue"]
    assert [t["party"] for t in queue] == [party] * 3
    anonymous = await desk.issue()
    assert (await desk.state("agent"))["queue"][-1]["id"] == anonymous["id"]
    assert (await desk.state("agent"))["queue"][-1]["party"] is None


async def test_public_answers_never_name_the_party(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """Once a known person's ticket is called, GET /state for a display or a kiosk, the ticket's public GET and its
    page hold no party anywhere; the staff's state does."""
    party = await add_party(stack.settings.database_url)
    response = await client.post(URL, json={"service": "etat-civil", "party": party}, headers=stack.auth("agent"))
    ticket = response.json()
    await desk.issue()  # and an anonymous one, still waiting
    assert (await desk.called("1"))["id"] == ticket["id"]
    for role in ("display", "kiosk"):
        state = await desk.state(role)
        assert state["counters"][0]["ticket"]["id"] == ticket["id"]
        assert "party" not in keys_at_any_depth(state), role
    assert "party" not in await desk.ticket(ticket["id"])
    page = await client.get(f"/t/{ticket['id']}")
    assert page.status_code == 200 and "party" not in page.text
    staff = await desk.state("supervisor")
    assert staff["counters"][0]["ticket"]["party"] == party


async def test_a_kiosk_may_not_name_a_party(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """A kiosk's tickets are anonymous: with ``party`` it gets 403 wrong-role, whether the party exists or not (a
    kiosk learns nothing of the record), and nothing is issued."""
    party = await add_party(stack.settings.database_url)
    for number in (party, party + 1000):
        response = await client.post(URL, json={"service": "etat-civil", "party": number},
                                     headers=stack.auth("kiosk"))
        assert assert_problem(response, 403)["type"] == "/problems/wrong-role"
    assert await waiting(desk) == 0
    # null is no party: an ordinary kiosk ticket.
    response = await client.post(URL, json={"service": "etat-civil", "party": None}, headers=stack.auth("kiosk"))
    assert response.status_code == 201 and "party" not in response.json()


async def test_an_unknown_party_is_404_naming_the_field(client: httpx.AsyncClient, stack: Stack, desk: Desk,
                                                        neighbours: Neighbours) -> None:
    """A number that is no party of the site's collectivity, a party of another collectivity among them, is a 404
    unknown-party naming ``party``, and issues nothing."""
    elsewhere = await add_party(stack.settings.database_url, "autre")
    for number in (elsewhere, elsewhere + 1, 2**31 - 1):
        response = await client.post(URL, json={"service": "etat-civil", "party": number},
                                     headers=stack.auth("agent"))
        problem = assert_problem(response, 404, number)
        assert problem["type"] == "/problems/unknown-party"
        assert problem["errors"] == [{"field": "party", "message": "no such party"}]
    assert await waiting(desk) == 0
    # The other collectivity's staff may, at their site.
    response = await client.post("/api/v1/sites/ailleurs/tickets", json={"service": "etat-civil", "party": elsewhere},
                                 headers=neighbours.auth("ailleurs", "agent"))
    assert response.status_code == 201 and response.json()["party"] == elsewhere


@pytest.mark.parametrize("value", ["1", True, 0, -3, 2**31, 1.5, [1], {"id": 1}])
async def test_a_party_is_a_positive_whole_number(client: httpx.AsyncClient, stack: Stack, value: object) -> None:
    """``party`` is an integer of SQL's range (a JSON number without a fraction): anything else is a 422 naming it."""
    response = await client.post(URL, json={"service": "etat-civil", "party": value}, headers=stack.auth("agent"))
    problem = assert_problem(response, 422, value)
    assert {e["field"] for e in problem["errors"]} == {"party"}, problem


async def test_a_retry_names_the_same_party(client: httpx.AsyncClient, stack: Stack) -> None:
    """A retry with the same Idempotency-Key and the same party gives the same ticket (200); the same key for
    another person is a 422 idempotency-key-reused."""
    first, second = await add_party(stack.settings.database_url), await add_party(stack.settings.database_url)
    headers = {**stack.auth("agent"), "Idempotency-Key": "accueil-1"}
    issued = await client.post(URL, json={"service": "etat-civil", "party": first}, headers=headers)
    again = await client.post(URL, json={"service": "etat-civil", "party": first}, headers=headers)
    assert (issued.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == issued.json()["id"]
    other = await client.post(URL, json={"service": "etat-civil", "party": second}, headers=headers)
    assert assert_problem(other, 422)["type"] == "/problems/idempotency-key-reused"


def test_the_document_describes_party() -> None:
    """/openapi.json states what ``party`` is, who may send it, and the refusals."""
    schemas = openapi_document()["components"]["schemas"]
    party = schemas["IssueBody"]["properties"]["party"]
    assert {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} in party["anyOf"]
    assert "Staff only" in party["description"] and "403 wrong-role" in party["description"]
    assert "404 unknown-party" in party["description"]
    ticket = schemas["Ticket"]["properties"]["party"]
    assert "party" not in schemas["Ticket"]["required"] and {"type": "null"} in ticket["anyOf"]

"""POST /api/v1/sites/{site}/tickets: issuing a ticket, as API.md promises it."""

from __future__ import annotations

from datetime import timedelta

import anyio
import httpx
import pytest

from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import Clock, Desk, assert_problem, assert_ticket, eventually, visit_entries

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

URL = "/api/v1/sites/demo/tickets"


async def test_issue_answers_201_with_a_complete_ticket(client: httpx.AsyncClient, stack: Stack) -> None:
    """A first ticket is 201 with every field of the Ticket shape: A001, waiting, uncalled."""
    response = await client.post(URL, json={"service": "etat-civil", "priority": False, "lang": "fr"},
                                 headers=stack.auth("kiosk"))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    ticket = response.json()
    assert_ticket(ticket)
    assert ticket["number"] == "A001"
    assert ticket["service"] == "etat-civil"
    assert ticket["status"] == "waiting"
    assert ticket["priority"] is False
    assert isinstance(ticket["position"], int)
    assert isinstance(ticket["estimated_wait_s"], int)
    assert ticket["counter"] is None
    assert ticket["called_at"] is None


async def test_ticket_ids_are_opaque_and_unguessable(desk: Desk) -> None:
    """Ids are long random strings that reveal neither the number nor the order of issue."""
    first, second = await desk.issue(), await desk.issue()
    for ticket in (first, second):
        assert len(ticket["id"]) >= 20
        assert ticket["number"] not in ticket["id"]
        assert ticket["id"].replace("-", "").replace("_", "").isalnum()
    assert first["id"] != second["id"]
    assert first["id"][:8] != second["id"][:8]


async def test_numbers_follow_each_service_prefix(desk: Desk) -> None:
    """Each service numbers its own tickets with its prefix, without gaps."""
    numbers = [(await desk.issue(s))["number"] for s in ("etat-civil", "passeports", "etat-civil", "urbanisme")]
    assert numbers == ["A001", "B001", "A002", "C001"]


async def test_optional_fields_default(client: httpx.AsyncClient, stack: Stack) -> None:
    """Without ``priority`` and ``lang`` a ticket is an ordinary one."""
    response = await client.post(URL, json={"service": "passeports"}, headers=stack.auth("kiosk"))
    assert response.status_code == 201, response.text
    assert response.json()["priority"] is False


async def test_priority_ticket_is_flagged(desk: Desk) -> None:
    """``priority: true`` is kept on the ticket."""
    assert (await desk.issue(priority=True))["priority"] is True


async def test_every_issuing_role_may_issue(client: httpx.AsyncClient, stack: Stack) -> None:
    """Kiosks, agents, supervisors and admins issue tickets."""
    for role in ("kiosk", "agent", "supervisor", "admin"):
        response = await client.post(URL, json={"service": "etat-civil"}, headers=stack.auth(role))
        assert response.status_code == 201, (role, response.text)


# Idempotency-Key ---------------------------------------------------------------------------------


async def test_same_idempotency_key_returns_the_same_ticket_with_200(
        client: httpx.AsyncClient, stack: Stack) -> None:
    """A retried request with the same key gets the first ticket back, with 200."""
    headers = {**stack.auth("kiosk"), "Idempotency-Key": "kiosk-1:press-42"}
    first = await client.post(URL, json={"service": "etat-civil"}, headers=headers)
    again = await client.post(URL, json={"service": "etat-civil"}, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == "A001"


async def test_a_replayed_key_issues_nothing(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """After a replay, the next new ticket is A002: the replay took no number."""
    headers = {**stack.auth("kiosk"), "Idempotency-Key": "press-1"}
    for _ in range(3):
        await client.post(URL, json={"service": "etat-civil"}, headers=headers)
    assert (await desk.issue())["number"] == "A002"
    assert (await desk.state())["services"][0]["waiting"] == 2


async def test_same_key_with_another_body_is_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """A key reused for a different request is refused, naming the key."""
    headers = {**stack.auth("kiosk"), "Idempotency-Key": "press-7"}
    await client.post(URL, json={"service": "etat-civil"}, headers=headers)
    response = await client.post(URL, json={"service": "passeports"}, headers=headers)
    assert "Idempotency-Key" in assert_problem(response, 422)["detail"]


async def test_different_keys_issue_different_tickets(client: httpx.AsyncClient, stack: Stack) -> None:
    """Two keys are two presses: two tickets."""
    numbers = []
    for key in ("press-a", "press-b"):
        response = await client.post(URL, json={"service": "etat-civil"},
                                     headers={**stack.auth("kiosk"), "Idempotency-Key": key})
        assert response.status_code == 201
        numbers.append(response.json()["number"])
    assert numbers == ["A001", "A002"]


async def test_concurrent_retries_get_one_ticket(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """Two requests with the same key at the same time issue one ticket: one 201, one 200."""
    headers = {**stack.auth("kiosk"), "Idempotency-Key": "double-tap"}
    responses: list[httpx.Response] = []

    async def press() -> None:
        responses.append(await client.post(URL, json={"service": "etat-civil"}, headers=headers))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(press)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await desk.issue())["number"] == "A002"


async def test_a_replay_after_midnight_returns_the_ticket_of_the_day_before(
        clocked_desk: tuple[Desk, Clock]) -> None:
    """A key replayed after the local midnight, within 24 h, still gets its ticket with 200."""
    desk, clock = clocked_desk
    headers = {**desk.stack.auth("kiosk"), "Idempotency-Key": "late-press"}
    first = await desk.client.post(URL, json={"service": "etat-civil"}, headers=headers)
    assert first.status_code == 201
    clock.now += timedelta(minutes=2)  # 00:01 in Paris: a new day, a new queue
    replies: list[httpx.Response] = []

    async def replayed() -> bool:
        replies.append(await desk.client.post(URL, json={"service": "etat-civil"}, headers=headers))
        assert replies[-1].status_code in (200, 503), replies[-1].text  # 503 until the archiver has it
        return replies[-1].status_code == 200

    await eventually(replayed)
    assert replies[-1].json()["id"] == first.json()["id"]
    assert replies[-1].json()["number"] == "A001"
    assert (await desk.issue())["number"] == "A001"  # the new day's first ticket


async def test_idempotency_key_of_300_characters_is_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """A key longer than 255 characters is refused as invalid."""
    response = await client.post(URL, json={"service": "etat-civil"},
                                 headers={**stack.auth("kiosk"), "Idempotency-Key": "k" * 300})
    assert_problem(response, 422)


# Bodies ------------------------------------------------------------------------------------------


async def test_malformed_json_is_400(client: httpx.AsyncClient, stack: Stack) -> None:
    """A body that is not JSON is a malformed request."""
    for content in (b"{", b"service=etat-civil", b"\xff\xfe{}", b'{"service": "etat-civil",}'):
        response = await client.post(URL, content=content,
                                     headers={**stack.auth("kiosk"), "Content-Type": "application/json"})
        assert_problem(response, 400, content)


async def test_json_that_is_not_an_object_is_400(client: httpx.AsyncClient, stack: Stack) -> None:
    """Arrays, strings, numbers and null are not a ticket request."""
    for content in (b'["etat-civil"]', b'"etat-civil"', b"42", b"null"):
        response = await client.post(URL, content=content,
                                     headers={**stack.auth("kiosk"), "Content-Type": "application/json"})
        assert_problem(response, 400, content)


async def test_empty_body_is_400(client: httpx.AsyncClient, stack: Stack) -> None:
    """Issuing needs a body."""
    assert_problem(await client.post(URL, headers=stack.auth("kiosk")), 400)


INVALID_BODIES: list[dict[str, object]] = [
    {},
    {"priority": True},
    {"service": "etat-civil", "colour": "blue"},
    {"service": "etat-civil", "priority": "yes"},
    {"service": "etat-civil", "priority": 1},
    {"service": 42},
    {"service": ["etat-civil"]},
    {"service": ""},
    {"service": "etat-civil", "lang": "français"},
    {"service": "etat-civil", "lang": 7},
]


async def test_invalid_body_is_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """A well-formed body with a missing, unknown or mistyped field is invalid, and lists the fields."""
    for body in INVALID_BODIES:
        response = await client.post(URL, json=body, headers=stack.auth("kiosk"))
        problem = assert_problem(response, 422, body)
        assert problem["errors"] and all("field" in e and "message" in e for e in problem["errors"]), problem


async def test_unknown_service_is_404(client: httpx.AsyncClient, stack: Stack) -> None:
    """A service the site does not have is not found, and is named."""
    response = await client.post(URL, json={"service": "piscine"}, headers=stack.auth("kiosk"))
    assert "piscine" in assert_problem(response, 404)["detail"]


# Credentials -------------------------------------------------------------------------------------


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    """Issuing needs a bearer token, and says so in WWW-Authenticate."""
    response = await client.post(URL, json={"service": "etat-civil"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_bad_token_is_401(client: httpx.AsyncClient) -> None:
    """An unknown token, an empty one, a huge one or another scheme are refused as bad credentials."""
    for authorization in ("Bearer gq_not-a-real-token", "Bearer ", "Basic a2lvc2s6a2lvc2s=",
                          "gq_token-without-scheme", "Bearer " + "x" * 5000):
        response = await client.post(URL, json={"service": "etat-civil"}, headers={"Authorization": authorization})
        assert_problem(response, 401, authorization[:40])


async def test_display_token_is_403(client: httpx.AsyncClient, stack: Stack) -> None:
    """A display shows the queue; it cannot issue."""
    response = await client.post(URL, json={"service": "etat-civil"}, headers=stack.auth("display"))
    assert "display" in assert_problem(response, 403)["detail"]


async def test_token_of_another_site_of_the_tenant_is_403(
        client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """A kiosk of the annexe cannot issue at the town hall: same tenant, so 403."""
    response = await client.post(URL, json={"service": "etat-civil"}, headers=neighbours.auth("annexe", "kiosk"))
    assert_problem(response, 403)


async def test_token_of_another_tenant_is_404(client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """For another tenant's token the demo site does not exist: 404, exactly as an unknown site."""
    response = await client.post(URL, json={"service": "etat-civil"}, headers=neighbours.auth("ailleurs", "admin"))
    unknown = await client.post("/api/v1/sites/nowhere/tickets", json={"service": "etat-civil"},
                                headers=neighbours.auth("ailleurs", "admin"))
    assert assert_problem(response, 404) == assert_problem(unknown, 404)


async def test_admin_token_covers_every_site_of_its_tenant(
        client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """An admin of the tenant may issue at any of its sites."""
    response = await client.post(URL, json={"service": "etat-civil"}, headers=neighbours.auth("annexe", "admin"))
    assert response.status_code == 201, response.text


async def test_the_second_site_numbers_on_its_own(client: httpx.AsyncClient, neighbours: Neighbours,
                                                  desk: Desk) -> None:
    """Each site has its own sequence: the annexe's first ticket is A001 too."""
    await desk.issue()
    response = await client.post("/api/v1/sites/annexe/tickets", json={"service": "etat-civil"},
                                 headers=neighbours.auth("annexe", "kiosk"))
    assert response.status_code == 201, response.text
    assert response.json()["number"] == "A001"


async def test_a_service_past_its_daily_cap_is_409(client: httpx.AsyncClient, neighbours: Neighbours) -> None:
    """A service that takes no more tickets today refuses with 409, saying so."""
    headers = neighbours.auth("annexe", "kiosk")
    url = "/api/v1/sites/annexe/tickets"
    assert (await client.post(url, json={"service": "cartes"}, headers=headers)).status_code == 201
    problem = assert_problem(await client.post(url, json={"service": "cartes"}, headers=headers), 409)
    assert "no more tickets" in problem["detail"]


async def test_unknown_site_is_404(client: httpx.AsyncClient, stack: Stack) -> None:
    """A site that does not exist is not found."""
    response = await client.post("/api/v1/sites/nowhere/tickets", json={"service": "etat-civil"},
                                 headers=stack.auth("admin"))
    assert_problem(response, 404)


async def _phones(stack: Stack) -> dict[str, str]:
    return await visit_entries(stack, "phones")


async def test_a_mobile_number_is_kept_in_e164_and_never_answered(desk: Desk, stack: Stack) -> None:
    """A local mobile number is read with the site's region and kept as E.164 for the SMS; the ticket
    answered to the kiosk does not repeat it."""
    ticket = await desk.issue(phone="06 12 34 56 78")
    assert "phone" not in ticket
    assert await _phones(stack) == {ticket["id"]: "+33612345678"}


@pytest.mark.parametrize(("phone", "says"), [
    ("12", "not a valid phone number"),
    ("bonjour", "not a valid phone number"),
    ("0692 12 34 56", "not a valid phone number"),  # La Réunion's mobiles are not French metropolitan ones
    ("01 23 45 67 89", "not a mobile number"),  # a landline cannot receive the SMS
    ("", "at least 1 character"),
    ("+33 6" + " 12" * 20, "at most 32 characters"),
])
async def test_a_bad_phone_number_is_refused_and_issues_nothing(
        client: httpx.AsyncClient, stack: Stack, desk: Desk, phone: str, says: str) -> None:
    response = await client.post(URL, json={"service": "etat-civil", "phone": phone}, headers=stack.auth("kiosk"))
    problem = assert_problem(response, 422)
    assert says in problem["detail"] and problem["errors"][0]["field"] == "phone"
    assert (await desk.issue())["number"] == "A001"
    assert await _phones(stack) == {}


async def test_local_numbers_are_read_in_the_sites_region(client: httpx.AsyncClient, stack: Stack,
                                                          neighbours: Neighbours) -> None:
    """In La Réunion, 0692 12 34 56 is a local mobile (+262); a metropolitan one still works in full form."""
    url = "/api/v1/sites/ailleurs/tickets"
    for phone, expected in (("0692 12 34 56", "+262692123456"), ("+33 6 12 34 56 78", "+33612345678")):
        response = await client.post(url, json={"service": "etat-civil", "phone": phone},
                                     headers=neighbours.auth("ailleurs", "kiosk"))
        assert response.status_code == 201, response.text
        assert (await _phones(stack))[response.json()["id"]] == expected

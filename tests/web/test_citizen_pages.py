"""The citizen's endpoints over HTTP: the ticket page, its QR code, the phone number left for an SMS."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from queue_server.queue.phones import PhoneBook
from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def phone_of(stack: Stack, ticket_id: str) -> str | None:
    redis = Redis.from_url(stack.settings.redis.url)
    try:
        return await PhoneBook(redis, stack.settings.redis.key_prefix).get("demo", ticket_id)
    finally:
        await redis.aclose()


async def test_a_phone_number_left_on_the_ticket_page_is_kept_in_e164(desk: Desk, client: httpx.AsyncClient,
                                                                       stack: Stack) -> None:
    """A national mobile number, sent without any credentials (the ticket id is the key), is kept as E.164."""
    ticket = await desk.issue()
    answer = await client.put(f"/api/v1/sites/demo/tickets/{ticket['id']}/phone", json={"phone": "06 12 34 56 78"})
    assert answer.status_code == 204
    assert await phone_of(stack, ticket["id"]) == "+33612345678"
    assert (await client.delete(f"/api/v1/sites/demo/tickets/{ticket['id']}/phone")).status_code == 204
    assert await phone_of(stack, ticket["id"]) is None


async def test_a_wrong_phone_number_is_refused_plainly(desk: Desk, client: httpx.AsyncClient, stack: Stack) -> None:
    """A landline, garbage or an empty number get 422 and keep nothing."""
    ticket = await desk.issue()
    for phone in ("01 23 45 67 89", "call me", "", "0" * 40):
        answer = await client.put(f"/api/v1/sites/demo/tickets/{ticket['id']}/phone", json={"phone": phone})
        assert_problem(answer, 422, phone)
    assert await phone_of(stack, ticket["id"]) is None


async def test_a_phone_number_is_taken_only_while_the_ticket_waits(desk: Desk, client: httpx.AsyncClient) -> None:
    """Once called, a ticket takes no number (409); an unknown ticket or site is 404."""
    ticket = await desk.issue()
    await desk.called("1")
    answer = await client.put(f"/api/v1/sites/demo/tickets/{ticket['id']}/phone", json={"phone": "0612345678"})
    assert_problem(answer, 409)
    assert_problem(await client.put("/api/v1/sites/demo/tickets/nope/phone", json={"phone": "0612345678"}), 404)
    assert_problem(await client.put(f"/api/v1/sites/nope/tickets/{ticket['id']}/phone",
                                    json={"phone": "0612345678"}), 404)


async def test_the_qr_code_of_a_ticket_leads_to_its_page(desk: Desk, client: httpx.AsyncClient) -> None:
    """The QR code is an SVG image; an unknown ticket has none."""
    ticket = await desk.issue()
    answer = await client.get(f"/t/{ticket['id']}/qr.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.text.startswith("<svg") and "<path" in answer.text
    assert_problem(await client.get("/t/unknown/qr.svg"), 404)


async def test_the_ticket_page_works_without_script(desk: Desk, client: httpx.AsyncClient) -> None:
    """The page is complete as served: number, service, people ahead, in the ticket's language."""
    await desk.issue()
    ticket = await desk.issue(lang="en")
    answer = await client.get(f"/t/{ticket['id']}")
    assert answer.status_code == 200
    assert "A002" in answer.text and "État civil" in answer.text and "1 person ahead of you" in answer.text
    assert '<html lang="en" dir="ltr">' in answer.text
    french = await client.get(f"/t/{ticket['id']}?lang=fr")
    assert "1 personne avant vous" in french.text
    arabic = await client.get(f"/t/{ticket['id']}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text


async def test_the_kiosk_page_keeps_scripts_out_of_its_data(client: httpx.AsyncClient) -> None:
    """The page's messages ride in a JSON block the CSP does not run, and no inline script exists."""
    answer = await client.get("/kiosk?lang=es")
    assert answer.status_code == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert '<script type="application/json" id="strings">' in answer.text
    assert answer.text.count("<script") == 3  # the JSON block, /static/live.js and /static/kiosk.js
    assert (await client.get("/static/kiosk.js")).status_code == 200
    assert (await client.get("/kiosk?lang=xx")).text.count('lang="fr"') >= 2  # unknown: French

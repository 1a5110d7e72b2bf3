"""The phone desk's pages as the server draws them, on every storage stack: ``/phone`` for the collectivity's staff
(its reasons, services and agents offered, the script's data), reached from every staff page's links; a call's page
``/phone/appels/{id}`` (the read audited); the sign-in page for nobody signed in."""

from __future__ import annotations

import re

import orjson
import pytest

from tests.phone.conftest import Desk

pytestmark = pytest.mark.anyio


async def test_an_agent_opens_the_desk_with_the_lists_it_offers(desk: Desk) -> None:
    """Léa's desk offers the collectivity's reasons, the demo site's services to transfer to and the agents to call
    back (herself chosen first), and hands its script the tenant, her login and the clock's zone; every staff page
    links to it; supervisors see the report's link, agents do not."""
    page = await desk.call("lea", "GET", "/phone")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<option value="etat-civil">État civil</option>' in html
    assert '<option value="passeports">' in html
    assert re.search(r'<option value="lea" selected>Léa Martin \(', html)
    data = orjson.loads(re.search(r'<script type="application/json" id="staff-data">(.*?)</script>', html, re.S)
                        .group(1))  # type: ignore[union-attr]
    assert (data["tenant"], data["login"], data["zone"]) == ("demo", "lea", "Europe/Paris")
    assert 'href="/phone" aria-current="page"' in html and 'href="/phone/bilan"' not in html
    other = await desk.call("lea", "GET", "/demandes")
    assert 'href="/phone"' in other.text
    assert 'href="/phone/bilan"' in (await desk.call("sophie", "GET", "/phone")).text


async def test_a_calls_page_shows_it_and_its_reading_is_audited(desk: Desk) -> None:
    """The call of Anne (a callback to do, by Hugo) on its page: her name linking to her record, the reason, the
    outcome, the note, the sheet, the callback's number and who calls back; the reading is in the audit log; another
    id is a 404."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    call = await desk.log(party=anne["id"], note="Perte de livret de famille",
                          sheets=[{"id": "4", "title": "Livret de famille"}], outcome="callback",
                          callback={"due_at": "2026-03-16T13:00:00Z", "phone": "0612345678", "agent": "hugo"})
    page = await desk.call("hugo", "GET", f"/phone/appels/{call['id']}")
    assert page.status_code == 200, page.text
    for shown in (f'href="/crm/{anne["id"]}">Anne Lefèvre', "État civil", "Perte de livret de famille",
                  "Livret de famille", 'href="tel:+33612345678"', "<dd>Hugo Petit</dd>"):
        assert shown in page.text, shown
    [audited] = await desk.audit("phone.call.read")
    assert (audited.actor, audited.target) == ("user:hugo", f"call:{call['id']}")
    assert (await desk.call("hugo", "GET", "/phone/appels/nothing-here")).status_code == 404


async def test_nobody_signed_in_is_sent_to_sign_in(desk: Desk) -> None:
    """/phone without a session: the sign-in page, then back to the desk."""
    answer = await desk.call("anonymous", "GET", "/phone", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fphone"

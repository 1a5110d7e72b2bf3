"""The staff's requests page (/demandes) in chromium: an agent opens a request from the list and answers it from a
template with the keyboard only; the citizen's e-mail waits in the outbox with the reference in its subject, the
status changes; axe-clean in French, nothing spilling at a desk's sizes."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.requests.seed import demo_categories
from queue_server.settings import load_settings
from tests.browser.conftest import Hall
from tests.browser.looks import DESK, DESK_WIDE, overflowing, shoot
from tests.browser.test_setup import no_violations


async def _put_categories(hall: Hall) -> None:
    engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
    try:
        async with sessions(engine)() as session:
            for row in demo_categories():
                row.tenant_id = hall.site
                session.add(row)
            await session.commit()
    finally:
        await engine.dispose()


async def _emails(hall: Hall) -> list[OutboxMessage]:
    engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
    try:
        async with sessions(engine)() as session:
            return list((await session.exec(select(OutboxMessage).where(
                col(OutboxMessage.tenant_id) == hall.site).order_by(col(OutboxMessage.id)))).all())
    finally:
        await engine.dispose()


def run(coroutine: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, coroutine).result()


def test_an_agent_answers_a_request_from_a_template_with_the_keyboard(page: Page, hall: Hall) -> None:
    """Léa opens Anne's request from the list, puts the first template in with 1, sends it with Ctrl+Enter and
    sets the request in progress; the e-mail to Anne carries the reference."""
    run(_put_categories(hall))
    made = hall.api("POST", f"/api/v1/tenants/{hall.site}/requests", json={
        "category": "voirie", "subject": "Trottoir abîmé rue Haute",
        "body": "Bonjour,\nle trottoir devant le 12 rue Haute est défoncé depuis l'orage.",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}})
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/demandes")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    row = page.locator("table.requests tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Anne Lefèvre")
    expect(row).to_contain_text("Services techniques — voirie")
    no_violations(page)
    shoot(page, "demandes-list")
    assert overflowing(page, scrolls=True, root="main") == []
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.keyboard.type("rue haute")
    page.keyboard.press("Enter")
    page.wait_for_url("**/demandes?*q=rue+haute*")
    page.locator(f"a:text('{reference}')").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{hall.url}/demandes/{made.json()['id']}")
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator(".message.citizen")).to_contain_text("défoncé depuis l'orage")
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    no_violations(page)
    page.keyboard.press("Escape")
    expect(page.locator("#help-dialog")).to_be_hidden()
    page.keyboard.press("1")
    expect(page.locator("#text")).to_be_focused()
    text = page.locator("#text").input_value()
    assert reference in text and "Anne Lefèvre" in text and "Services techniques — voirie" in text
    for size in (DESK, DESK_WIDE):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        shoot(page, "demandes-request")
        assert overflowing(page, scrolls=True, root="main") == []
    page.keyboard.press("Control+Enter")

    expect(page.locator(".message.staff")).to_contain_text(reference)
    expect(page.locator("#said")).not_to_be_empty()
    emails = run(_emails(hall))
    replies = [e for e in emails if e.recipient == "anne@example.fr" and reference in e.subject]
    assert len(replies) == 2  # the acknowledgement, then the reply
    assert "Anne Lefèvre" in replies[-1].body
    page.keyboard.press("s")
    expect(page.locator("#status")).to_be_focused()
    page.locator("#status").select_option("in_progress")
    page.keyboard.press("Tab")
    expect(page.locator("#status-ok")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#status-now")).to_have_class("state in_progress")
    no_violations(page)

"""The staff's requests page (/demandes) in chromium: an agent opens a request from the list and answers it from a
template with the keyboard only; the citizen's e-mail waits in the outbox with the reference in its subject, the
status changes; an agent takes a request, answers it from the town hall's own template and transmits it, and a
supervisor sees the overdue band and the templates page; axe-clean in French, nothing spilling at a desk's
sizes."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.requests.seed import demo_categories
from queue_server.requests.tables import RequestRow
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


AGGLO = "Communauté d'agglomération de Démoville"


async def _make_late(hall: Hall, reference: str, days: int) -> None:
    """The request ``reference`` of the hall's collectivity due ``days`` days ago (it was received long ago)."""
    engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
    try:
        async with sessions(engine)() as session:
            row = (await session.exec(select(RequestRow).where(col(RequestRow.tenant_id) == hall.site,
                                                              col(RequestRow.reference) == reference))).one()
            row.due_on = date.today() - timedelta(days=days)
            session.add(row)
            await session.commit()
    finally:
        await engine.dispose()


def test_an_agent_takes_a_request_answers_it_from_the_town_halls_template_and_transmits_it(
        page: Page, browser: Browser, hall: Hall) -> None:
    """With the keyboard only, Léa assigns Anne's request to herself (M), answers it from the town hall's own
    template (1, Ctrl+Enter: her name and the reference filled in) and transmits it to the agglomeration (T): the
    request is closed, Anne is told to whom it went (L114-2) and the agglomeration gets it. Paul, supervisor, sees
    the overdue band and the templates page. Axe-clean, nothing spilling at 1366×768."""
    run(_put_categories(hall))
    tenant = f"/api/v1/tenants/{hall.site}"
    written = hall.api("POST", f"{tenant}/request-templates", role="supervisor", json={
        "title": "Intervention programmée", "position": 0,
        "body": "Bonjour {name},\n\nPour votre demande {reference}, l'équipe de la {service} intervient le …\n\n"
                "{agent}"})
    assert written.status_code == 201, written.text
    made = hall.api("POST", f"{tenant}/requests", json={
        "category": "voirie", "subject": "Nid-de-poule avenue de la Gare",
        "body": "Bonjour,\nun nid-de-poule s'est ouvert devant le 8 avenue de la Gare.",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}})
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    other = hall.api("POST", f"{tenant}/requests", json={
        "category": "urbanisme", "subject": "Abri de jardin", "body": "Faut-il une déclaration préalable ?",
        "person": {"first_name": "Bruno", "last_name": "Carré", "email": "bruno@example.fr"}})
    run(_make_late(hall, other.json()["reference"], 12))
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", f"/demandes/{made.json()['id']}")

    expect(page.locator("#assignee-now")).to_contain_text("Non attribuée")
    page.keyboard.press("m")
    expect(page.locator("#assignee-now")).to_contain_text("Léa Martin")
    expect(page.locator("#said")).to_contain_text("Léa Martin")
    page.keyboard.press("1")
    expect(page.locator("#text")).to_be_focused()
    text = page.locator("#text").input_value()
    assert reference in text and "Anne Lefèvre" in text and text.rstrip().endswith("Léa Martin")
    page.keyboard.press("End")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message.staff").first).to_contain_text("Pour votre demande")
    page.keyboard.press("t")
    expect(page.locator("#transmit-box")).to_have_attribute("open", "")
    expect(page.locator("#transmit-tenant")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#transmit-to")).to_be_focused()
    page.keyboard.type(AGGLO)
    page.keyboard.press("Tab")
    page.keyboard.type("voirie@agglo-demoville.fr")
    page.keyboard.press("Tab")
    page.keyboard.type("La voirie de cette avenue relève de l'agglomération.")
    no_violations(page)
    shoot(page, "demandes-transmit")
    assert overflowing(page, scrolls=True, root="main") == []
    page.keyboard.press("Tab")
    expect(page.locator("#transmit-ok")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#status-now")).to_have_class("state closed")
    expect(page.locator("#transmitted")).to_contain_text(AGGLO)
    expect(page.locator("#said")).to_contain_text(AGGLO)
    expect(page.locator("#transmit-box")).to_have_count(0)
    no_violations(page)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "demandes-transmitted")
    emails = run(_emails(hall))
    [told] = [e for e in emails if e.key.endswith(":transmitted:email")]
    assert told.recipient == "anne@example.fr" and reference in told.subject and "L114-2" in told.body
    [forwarded] = [e for e in emails if e.key.startswith("transmission:")]
    assert forwarded.recipient == "voirie@agglo-demoville.fr" and "avenue de la Gare" in forwarded.body

    context = browser.new_context(viewport={"width": DESK[0], "height": DESK[1]}, locale="fr-FR")
    supervisor = context.new_page()
    errors: list[str] = []
    supervisor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        hall.sign_in(supervisor, "supervisor", "/demandes")
        expect(supervisor.locator(".late-band")).to_contain_text("1 demande en retard")
        expect(supervisor.locator(".late-band")).to_contain_text("Service urbanisme")
        expect(supervisor.locator("#late-count")).to_have_text("1")
        expect(supervisor.locator("table.requests tbody tr", has_text=reference)).to_contain_text("Léa Martin")
        no_violations(supervisor)
        shoot(supervisor, "demandes-supervisor")
        assert overflowing(supervisor, scrolls=True, root="main") == []
        supervisor.locator("a:text('Modèles de réponse')").click()
        supervisor.wait_for_url(f"{hall.url}/demandes/modeles")
        expect(supervisor.locator(".template-form[data-id]")).to_have_count(4)  # its own and the three built-in
        expect(supervisor.locator(".template-form[data-id]").first).to_contain_text("Intervention programmée")
        no_violations(supervisor)
        shoot(supervisor, "demandes-templates")
        assert overflowing(supervisor, scrolls=True, root="main") == []
    finally:
        context.close()
    assert errors == []

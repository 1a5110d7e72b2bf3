"""The ticket widget in chromium: embedded by one script tag in a page of the city's website (another origin,
declared), it shows each service's people waiting and takes a ticket from home that /t/{id} then follows; an
undeclared origin cannot frame it; a site that does not allow tickets from home offers no button."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Site
from queue_server.settings import load_settings
from tests.browser.conftest import Hall
from tests.browser.looks import DESK, PHONE, overflowing, shoot
from tests.browser.test_booking_widget import city_website, declare_origins

AXE = Axe()


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def allow_remote_tickets(hall: Hall) -> None:
    """The site's administrator allows tickets from home (the setting the setup page changes), in the database the
    server reads, before the widget is first asked for."""
    async def work() -> None:
        engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
        try:
            async with sessions(engine)() as session:
                site = await session.get(Site, hall.site)
                assert site is not None
                site.remote_tickets = True
                session.add(site)
                await session.commit()
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()


def city_page(hall: Hall) -> str:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Ville de Démoville</title></head>'
            f'<body><main><h1>Venir en mairie</h1><p>Consultez l’attente avant de vous déplacer.</p>'
            f'<script src="{hall.url}/embed.js" data-widget="ticket" data-site="{hall.site}" '
            f'data-tenant="{hall.site}" async></script></main></body></html>')


def issue(hall: Hall, service: str) -> None:
    assert hall.api("POST", "/tickets", "kiosk", json={"service": service}).status_code == 201


def test_the_widget_in_a_declared_website_shows_the_queue_and_takes_a_ticket_from_home(browser: Browser,
                                                                                      hall: Hall) -> None:
    """Counts per service inside the city's page (frame-ancestors naming it, the frame as tall as its content); a
    ticket taken there says when to leave and its page /t/{id} follows it to the call; a stranger's page gets
    nothing of ours."""
    allow_remote_tickets(hall)
    issue(hall, "passeports")
    issue(hall, "passeports")
    page = browser.new_page(viewport={"width": DESK[0], "height": DESK[1]}, locale="fr-FR")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with city_website(city_page(hall)) as origin:
        declare_origins(hall, origin)
        with page.expect_response(lambda r: "/ticket-widget?" in r.url) as framed:
            page.goto(origin)
        assert f"frame-ancestors 'self' {origin}" in framed.value.headers["content-security-policy"]
        assert page.locator("iframe.guichet-widget").get_attribute("title") == "Temps d’attente et tickets"
        widget = page.frame_locator("iframe.guichet-widget")
        expect(widget.locator("[data-service=passeports] .waiting")).to_have_text("2 personnes en attente")
        expect(widget.locator("[data-service=etat-civil] .waiting")).to_have_text("Personne n’attend")
        expect(widget.locator("#hours-text")).to_have_text("Ouvert toute la journée")
        page.wait_for_function("() => document.querySelector('iframe').style.height !== '480px'")
        shoot(page, "ticket-widget-embedded")

        widget.locator("[data-take=etat-civil]").click()
        expect(widget.locator("#taken-number")).to_have_text("A001")
        expect(widget.locator("#taken-ahead")).to_have_text("Vous êtes le prochain.")
        leave = re.compile(r"^Partez (maintenant|dans .+) pour arriver à temps\.$")
        expect(widget.locator("#taken-leave")).to_have_text(leave)
        expect(widget.locator("[data-take]").first).to_be_hidden()  # one ticket from this page
        shoot(page, "ticket-widget-taken")
        link = widget.locator("#taken-link").get_attribute("href")
        assert link is not None and link.startswith("/t/")

        phone = browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="fr-FR")
        phone.goto(hall.url + link)
        expect(phone.locator("#number")).to_have_text("A001")
        assert hall.api("POST", "/counters/1/next", json={"services": ["etat-civil"]}).json()["number"] == "A001"
        expect(phone.locator(".turn")).to_have_text("C’est votre tour : présentez-vous au Guichet 1.")
        expect(widget.locator("#taken-ahead")).to_have_text("C’est votre tour : présentez-vous au Guichet 1.")
        phone.close()
    with city_website(city_page(hall)) as stranger:
        with page.expect_response(lambda r: "/ticket-widget?" in r.url) as refused:
            page.goto(stranger)
        assert stranger not in refused.value.headers["content-security-policy"]
        frame = page.locator("iframe.guichet-widget").element_handle().content_frame()
        assert frame is not None
        frame.wait_for_load_state()
        assert frame.locator("#services").count() == 0  # blocked by frame-ancestors: nothing of ours inside
    page.close()
    assert errors == []


def test_the_widget_on_a_phone_is_readable_and_offers_tickets_only_where_allowed(
        page: Page, hall: Hall, make_hall: Callable[..., Hall]) -> None:
    """At 390×844, the widget of a site that keeps the default (no tickets from home) shows the counts and no button;
    where allowed, each open service has one, and a ticket taken shows its number: nothing spills, axe-clean."""
    issue(hall, "urbanisme")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{hall.url}/ticket-widget?site={hall.site}&tenant={hall.site}&lang=fr")
    expect(page.locator("[data-service=urbanisme] .waiting")).to_have_text("1 personne en attente")
    expect(page.locator("[data-take]")).to_have_count(0)
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ticket-widget-phone-no-remote", full_page=True)

    allowing = make_hall()
    allow_remote_tickets(allowing)
    issue(allowing, "urbanisme")
    page.goto(f"{allowing.url}/ticket-widget?site={allowing.site}&lang=fr")
    expect(page.locator("[data-take]")).to_have_count(3)
    no_violations(page)
    page.locator("[data-take=urbanisme]").click()
    expect(page.locator("#taken-number")).to_have_text("C002")
    expect(page.locator("#taken-ahead")).to_have_text("1 personne avant vous")
    expect(page.locator("#taken-title")).to_be_focused()
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ticket-widget-phone-taken", full_page=True)

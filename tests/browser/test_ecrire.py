"""Citizens writing to the town hall, in chromium: the widget embedded on a page of another declared origin files a
request and gives its reference, the citizen follows it at /r/{id} and answers there; an undeclared origin cannot
frame it; /ecrire on a phone says a wrong file before sending. Every page axe-clean, nothing overflowing;
screenshots at 390×844 and 1366×768 (tests/browser/looks.py)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Browser, Page, expect

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.outbox import MessageTemplates
from queue_server.requests.seed import SEEDER, demo_categories
from queue_server.requests.service import Requests
from queue_server.settings import load_settings
from tests.browser.conftest import Hall
from tests.browser.looks import DESK, PHONE, overflowing, shoot
from tests.browser.test_booking_widget import city_website, declare_origins, no_violations

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def with_categories(hall: Hall) -> Hall:
    """The demo's four categories for the hall's collectivity, as ``queue-server demo`` puts them."""
    async def work() -> None:
        settings = load_settings(server={"data_dir": hall.data_dir})
        engine = make_engine(settings.database_url)
        try:
            requests = Requests(sessions(engine), MessageTemplates(), settings.server.data_dir / "requests")
            if not await requests.categories(hall.site, staff=True):
                for row in demo_categories():
                    row.tenant_id = hall.site
                    await requests.put_category(row, SEEDER)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()
    return hall


def city_page(hall: Hall) -> str:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Ville de Démoville</title></head>'
            f'<body><main><h1>Écrire à la mairie</h1>'
            f'<script src="{hall.url}/embed.js" data-widget="request" data-tenant="{hall.site}" async></script>'
            f'</main></body></html>')


def test_a_citizen_writes_through_the_widget_then_follows_and_answers_the_request(browser: Browser,
                                                                                   hall: Hall) -> None:
    """On a declared website the framed form files a request with a PDF and shows its reference and link; at
    /r/{id} (a phone) the citizen sees it received and answers; a website not declared gets nothing framed."""
    with_categories(hall)
    page = browser.new_page(viewport={"width": DESK[0], "height": DESK[1]}, locale="fr-FR")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with city_website(city_page(hall)) as origin:
        declare_origins(hall, origin)
        with page.expect_response(lambda r: "/ecrire?" in r.url) as framed:
            page.goto(origin)
        assert f"frame-ancestors 'self' {origin}" in framed.value.headers["content-security-policy"]
        iframe = page.locator("iframe.guichet-widget")
        assert iframe.get_attribute("title")
        widget = page.frame_locator("iframe.guichet-widget")
        expect(widget.locator("#category")).to_be_visible()
        page.wait_for_function("() => document.querySelector('iframe').style.height !== '480px'")
        assert overflowing(page, scrolls=True) == []
        shoot(page, "ecrire-widget", full_page=True)
        widget.locator("#category").select_option("voirie")
        widget.locator("#subject").fill("Lampadaire éteint rue des Lilas")
        widget.locator("#body").fill("Bonjour, le lampadaire devant le 8 rue des Lilas est éteint depuis lundi.")
        widget.locator("#first_name").fill("Bruno")
        widget.locator("#last_name").fill("Martin")
        widget.locator("#email").fill("bruno@example.fr")
        widget.locator("#attachments").set_input_files(
            [{"name": "photo.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        widget.locator("#send").click()
        reference = widget.locator("#reference")
        expect(reference).to_have_text(re.compile(r"^DEM-\d{4}-\d{6}$"), timeout=20_000)
        shoot(page, "ecrire-widget-sent", full_page=True)
        link = widget.locator("#follow").get_attribute("href")
        assert link is not None and re.search(r"/r/[A-Za-z0-9_-]{16,}$", link)
        number = reference.inner_text()
    with city_website(city_page(hall)) as stranger:
        with page.expect_response(lambda r: "/ecrire?" in r.url) as refused:
            page.goto(stranger)
        assert stranger not in refused.value.headers["content-security-policy"]
        frame = page.locator("iframe.guichet-widget").element_handle().content_frame()
        assert frame is not None
        frame.wait_for_load_state()
        assert frame.locator("#write").count() == 0  # blocked by frame-ancestors: nothing of ours inside
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(link)
    expect(page.locator("#reference")).to_have_text(number)
    expect(page.locator("#messages > li")).to_have_count(1)
    expect(page.locator("#messages > li")).to_contain_text("photo.pdf")
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "request-follow", full_page=True)
    page.locator("#body").fill("J'ajoute une seconde photo prise ce soir.")
    page.locator("#attachments").set_input_files([{"name": "soir.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.locator("#send").click()
    expect(page.locator("#sent")).to_be_visible()
    expect(page.locator("#messages > li")).to_have_count(2)
    expect(page.locator("#messages > li").last).to_contain_text("seconde photo")
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "request-follow-answered", full_page=True)
    page.close()
    assert errors == []


def test_the_form_says_a_wrong_file_before_sending_and_reads_well_on_a_phone_and_a_desk(page: Page,
                                                                                        hall: Hall) -> None:
    """/ecrire at 390×844: axe-clean, nothing overflowing; a .exe chosen is refused next to the field and the form
    is not sent; at 1366×768 the same page is clean too."""
    with_categories(hall)
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method))
    page.goto(f"{hall.url}/ecrire?tenant={hall.site}")
    expect(page.locator("#h-write")).to_be_visible()
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ecrire", full_page=True)
    page.locator("#attachments").set_input_files(
        [{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}])
    expect(page.locator("#attachments-check")).to_contain_text("setup.exe")
    expect(page.locator("#attachments")).to_have_attribute("aria-invalid", "true")
    page.locator("#send").click()
    expect(page.locator("#attachments")).to_be_focused()
    assert "POST" not in requests
    no_violations(page)
    shoot(page, "ecrire-wrong-file", full_page=True)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ecrire", full_page=True)

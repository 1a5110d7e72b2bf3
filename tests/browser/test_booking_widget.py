"""Citizens booking online, in chromium: /book with the keyboard alone on a phone, the widget embedded in a page of
another origin (declared, then not), and /a/{id} cancelling. Days and times are the ones the API lists (never the
wall clock's weekday). ``GUICHET_BOOKING_SCREENSHOTS=DIR`` also saves the steps at 390×844 and 1366×768 into DIR."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

from queue_server.booking.web.challenge import solve
from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Tenant
from queue_server.settings import load_settings
from tests.browser.conftest import Hall

AXE = Axe()
SHOTS = os.environ.get("GUICHET_BOOKING_SCREENSHOTS", "")
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport ou carte d'identité : dépôt du dossier", "duration_min": 20,
             "capacity": 2, "public": True, "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS,
             "description": "Première demande ou renouvellement.",
             "instructions": "Présentez-vous 10 minutes avant l'heure avec votre pré-demande imprimée.",
             "documents": ["Numéro de pré-demande ANTS", "Photo d'identité de moins de 6 mois",
                           "Justificatif de domicile de moins d'un an"],
             "questions": [{"id": "personnes", "label": "Nombre de personnes", "kind": "count", "required": True,
                            "minimum": 1, "maximum": 5}],
             "duration_rule": {"question": "personnes", "per_extra_min": 10}}
MARIAGE = {"service": "etat-civil", "name": "Mariage : dépôt du dossier", "duration_min": 30, "capacity": 1,
           "public": True, "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS,
           "description": "Les deux futurs époux viennent ensemble.",
           "documents": ["Pièces d'identité des deux futurs époux", "Justificatifs de domicile"]}


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def with_motifs(hall: Hall) -> Hall:
    for motif, body in (("passeport", PASSEPORT), ("mariage", MARIAGE)):
        answer = hall.api("PUT", f"/motifs/{motif}", "admin", json=body)
        assert answer.status_code == 201, answer.text
    return hall


def shot(page: Page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def tab_to(page: Page, target: Locator, presses: int = 60) -> None:
    """Press Tab until ``target`` has the focus (the keyboard alone, as a person without a mouse)."""
    handle = target.element_handle()
    for _ in range(presses):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def declare_origins(hall: Hall, *origins: str) -> None:
    """``queue-server tenant origins`` for the hall's tenant, in the database the server reads."""
    async def work() -> None:
        engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
        try:
            async with sessions(engine)() as session:
                tenant = await session.get(Tenant, hall.site)
                assert tenant is not None
                tenant.website_origins = list(origins)
                session.add(tenant)
                await session.commit()
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()


@contextmanager
def city_website(html: str) -> Iterator[str]:
    """A tiny website on another origin (another port) serving ``html`` at /; its origin."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def city_page(hall: Hall) -> str:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Ville de Démoville</title></head>'
            f'<body><main><h1>Prendre rendez-vous en mairie</h1>'
            f'<script src="{hall.url}/embed.js" data-widget="booking" data-site="{hall.site}" '
            f'data-tenant="{hall.site}" async></script></main></body></html>')


def first_slot(hall: Hall, motif: str = "passeport") -> dict[str, Any]:
    today = date.today()
    answer = hall.api("GET", f"/slots?motif={motif}&from={today}&to={today + timedelta(days=20)}")
    assert answer.status_code == 200, answer.text
    return answer.json()["slots"][0]  # type: ignore[no-any-return]


def test_a_citizen_books_on_a_phone_with_the_keyboard_alone(browser: Browser, hall: Hall) -> None:
    """Motif and its question, day, time, name and e-mail, all by Tab and Enter at 390×844: the code is shown with
    the day, the time and what to bring; every step is axe-clean."""
    with_motifs(hall)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{hall.url}/book?site={hall.site}")
    expect(page.locator("h1")).to_be_visible()
    no_violations(page)
    shot(page, "phone-1-motif")
    tab_to(page, page.locator("[data-motif=passeport]"))
    page.keyboard.press("Enter")
    expect(page.locator("#step-questions")).to_be_visible()
    expect(page.locator("#h-questions")).to_be_focused()
    tab_to(page, page.locator("#q-personnes"))
    page.keyboard.press("ArrowDown")  # two people
    tab_to(page, page.locator("#questions button[type=submit]"))
    page.keyboard.press("Enter")
    first_day = page.locator("#days .day").first
    expect(first_day).to_be_visible(timeout=10_000)
    no_violations(page)
    shot(page, "phone-2-day")
    tab_to(page, first_day)
    page.keyboard.press("Enter")
    first_time = page.locator("#slots .slot").first
    expect(first_time).to_be_visible()
    expect(first_time).to_have_text(re.compile(r"^\d{1,2} h \d\d$"))
    no_violations(page)
    shot(page, "phone-3-time")
    tab_to(page, first_time)
    page.keyboard.press("Enter")
    expect(page.locator("#step-contact")).to_be_visible()
    tab_to(page, page.locator("#first-name"))
    page.keyboard.type("Anne")
    page.keyboard.press("Tab")
    page.keyboard.type("Lefèvre")
    tab_to(page, page.locator("#email"))
    page.keyboard.type("anne@example.fr")
    no_violations(page)
    shot(page, "phone-4-contact")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/appointments")) as sent:
        page.keyboard.press("Enter")  # submits the form
    code = page.locator("#done-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"), timeout=60_000)
    headers = sent.value.headers
    assert headers["x-guichet-proof"].startswith("v1.") and headers["idempotency-key"]  # solved by the worker
    expect(page.locator("#done-documents li")).to_have_count(3)
    no_violations(page)
    shot(page, "phone-5-done")
    context.close()
    assert errors == []


def test_the_widget_books_inside_a_city_website_that_was_declared(browser: Browser, hall: Hall) -> None:
    """A page of a declared origin with the one script tag: the iframe appears, grows to its content, answers with
    frame-ancestors naming that origin, and a booking completes inside it; an undeclared origin cannot frame it."""
    with_motifs(hall)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with city_website(city_page(hall)) as origin:
        declare_origins(hall, origin)
        with page.expect_response(lambda r: "/book?" in r.url) as framed:
            page.goto(origin)
        assert f"frame-ancestors 'self' {origin}" in framed.value.headers["content-security-policy"]
        iframe = page.locator("iframe.guichet-widget")
        assert iframe.get_attribute("title")  # a name for screen readers, in the page's language
        widget = page.frame_locator("iframe.guichet-widget")
        expect(widget.locator("[data-motif=mariage]")).to_be_visible()
        page.wait_for_function("() => document.querySelector('iframe').style.height !== '480px'")
        height = iframe.bounding_box()
        inner = widget.locator("html").evaluate("(el) => Math.ceil(el.getBoundingClientRect().height)")
        assert height is not None and abs(height["height"] - inner) <= 2
        shot(page, "desk-embedded-1")
        widget.locator("[data-motif=mariage]").click()
        widget.locator("#days .day").first.click()
        widget.locator("#slots .slot").first.click()
        widget.locator("#first-name").fill("Bruno")
        widget.locator("#last-name").fill("Martin")
        widget.locator("#email").fill("bruno@example.fr")
        widget.locator("#contact button[type=submit]").click()
        expect(widget.locator("#done-code")).to_have_text(re.compile(r"^[A-Z0-9]{6}$"), timeout=60_000)
        shot(page, "desk-embedded-2-done")
    with city_website(city_page(hall)) as stranger:
        with page.expect_response(lambda r: "/book?" in r.url) as refused:
            page.goto(stranger)
        assert stranger not in refused.value.headers["content-security-policy"]
        expect(page.locator("iframe.guichet-widget")).to_be_attached()
        frame = page.locator("iframe.guichet-widget").element_handle().content_frame()
        assert frame is not None
        frame.wait_for_load_state()
        assert frame.locator("#step-motif").count() == 0  # blocked by frame-ancestors: nothing of ours inside
    page.close()
    assert errors == []


def book_online(hall: Hall, slot: dict[str, Any]) -> httpx.Response:
    """A citizen's booking of ``slot`` (mariage) through the API, with a proof of work as the page sends."""
    challenge = httpx.get(f"{hall.url}/api/v1/sites/{hall.site}/challenge").json()
    proof = f"{challenge['challenge']}:{solve(challenge['challenge'], challenge['difficulty'])}"
    email = f"claire-{hashlib.sha256(hall.site.encode()).hexdigest()[:6]}@example.fr"
    booked = httpx.post(f"{hall.url}/api/v1/sites/{hall.site}/appointments", headers={"X-Guichet-Proof": proof},
                        json={"motif": "mariage", "start": slot["start"],
                              "person": {"first_name": "Claire", "last_name": "Roux", "email": email}})
    assert booked.status_code == 201, booked.text
    return booked


def test_the_holder_moves_the_appointment_to_another_time(page: Page, hall: Hall) -> None:
    """/a/{id}: move, pick a day and a time from the same lists as booking; the page and the API show the new start."""
    with_motifs(hall)
    booked = book_online(hall, first_slot(hall, "mariage"))
    page.goto(f"{hall.url}/a/{booked.json()['id']}")
    page.locator("#move").click()
    page.locator("#days .day").first.click()
    target = page.locator("#slots .slot").last
    start = target.get_attribute("data-start")
    target.click()
    expect(page.locator("#notice .ok")).to_be_visible()
    no_violations(page)
    assert hall.api("GET", f"/appointments/{booked.json()['id']}").json()["start"] == start


def test_the_holder_cancels_on_the_appointment_page_and_the_slot_is_free_again(page: Page, hall: Hall) -> None:
    """/a/{id}: cancel, confirm; the page says cancelled and the slot has its place back."""
    with_motifs(hall)
    slot = first_slot(hall, "mariage")
    booked = book_online(hall, slot)
    day = slot["start"][:10]
    listed = hall.api("GET", f"/slots?motif=mariage&from={day}&to={day}").json()["slots"]
    assert slot["start"] not in [s["start"] for s in listed]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{hall.url}/a/{booked.json()['id']}")
    expect(page.locator(".code")).to_have_text(booked.json()["code"])
    no_violations(page)
    shot(page, "phone-6-manage")
    page.locator("#cancel").click()
    expect(page.locator("#h-cancel")).to_be_focused()
    no_violations(page)
    page.locator("#cancel-yes").click()
    expect(page.locator("#state")).to_have_class(re.compile("cancelled"))
    expect(page.locator("#cancel")).to_have_count(0)
    no_violations(page)
    shot(page, "phone-7-cancelled")
    listed = hall.api("GET", f"/slots?motif=mariage&from={day}&to={day}").json()["slots"]
    assert slot["start"] in [s["start"] for s in listed]

"""The kiosk's touch page, driven in chromium: two touches make a ticket; it stays accessible."""

from __future__ import annotations

import io
import re

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall

AXE = Axe()


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def open_kiosk(page: Page, hall: Hall, lang: str = "") -> None:
    page.goto(f"{hall.url}/kiosk?token={hall.tokens['kiosk']}" + (f"&lang={lang}" if lang else ""))
    expect(page.locator("#start")).to_be_visible()


def waiting(hall: Hall, service: str) -> int:
    state = hall.api("GET", "/state").json()
    return next(s["waiting"] for s in state["services"] if s["id"] == service)


def test_a_ticket_is_taken_in_one_touch_and_shown(page: Page, hall: Hall) -> None:
    """Touching a service issues a ticket and shows its number, service, place and QR code."""
    open_kiosk(page, hall)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(f"{hall.url}/kiosk")  # the token left the address bar
    expect(page.locator("#site-name")).to_have_text("Mairie de Démoville")
    page.wait_for_function("() => document.getElementById('logo').naturalWidth === 120")  # the site's logo
    expect(page.get_by_role("button", name=re.compile("État civil"))).to_contain_text("Naissance, mariage")
    page.get_by_role("button", name=re.compile("État civil")).click()
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("#t-number")).to_have_text("A001")
    expect(page.locator("#t-service")).to_have_text("État civil")
    expect(page.locator("#t-ahead")).to_have_text("Vous êtes le prochain.")
    expect(page.locator("#t-qr")).to_have_js_property("complete", True)
    assert page.locator("#t-qr").evaluate("img => img.naturalWidth") > 100  # the QR code loaded
    assert waiting(hall, "etat-civil") == 1
    ticket_id = page.locator("#ticket").get_attribute("data-ticket")
    assert hall.api("GET", f"/tickets/{ticket_id}").json()["number"] == "A001"


def test_a_new_logo_and_its_removal_reach_the_kiosk_without_a_reload(page: Page, hall: Hall) -> None:
    """The site's administrator sends another logo: the kiosk on screen shows it; removes it: the kiosk shows the
    site's name alone (the page is never reloaded: a mark set on it stays)."""
    open_kiosk(page, hall)
    page.wait_for_function("() => document.getElementById('logo').naturalWidth === 120")
    page.evaluate("() => { window.notReloaded = true; }")
    out = io.BytesIO()
    Image.new("RGB", (200, 50), "#e1000f").save(out, "PNG")
    changed = hall.api("PUT", "/logo", "admin", content=out.getvalue())
    assert changed.status_code == 200, changed.text
    page.wait_for_function("() => document.getElementById('logo').naturalWidth === 200", timeout=5000)
    assert hall.api("DELETE", "/logo", "admin").status_code == 204
    expect(page.locator("#logo")).to_be_hidden(timeout=5000)
    expect(page.locator("#site-name")).to_have_text("Mairie de Démoville")
    assert page.evaluate("() => window.notReloaded") is True


def test_a_double_tap_issues_one_ticket(page: Page, hall: Hall) -> None:
    """Two quick touches on a service make one ticket, not two."""
    open_kiosk(page, hall)
    page.get_by_role("button", name=re.compile("Urbanisme")).dblclick()
    expect(page.locator("#t-number")).to_have_text("C001")
    assert waiting(hall, "urbanisme") == 1


def test_every_kiosk_screen_has_no_accessibility_violation(page: Page, hall: Hall) -> None:
    """axe-core finds nothing on the start screen, the ticket screen, the text-message form, and
    the start screen in Arabic (right to left)."""
    open_kiosk(page, hall)
    no_violations(page)
    page.get_by_role("button", name=re.compile("État civil")).click()
    expect(page.locator("#ticket")).to_be_visible()
    no_violations(page)
    page.get_by_role("button", name="M’envoyer un SMS quand mon tour approche").click()
    expect(page.locator("#sms")).to_be_visible()
    no_violations(page)
    open_kiosk(page, hall, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    no_violations(page)


def test_the_page_is_usable_with_the_keyboard(page: Page, hall: Hall) -> None:
    """Tab reaches the services and Enter takes a ticket, for people who cannot touch the screen."""
    open_kiosk(page, hall)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.service") == "passeports":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#t-number")).to_have_text("B001")


def test_a_citizen_can_choose_another_language(page: Page, hall: Hall) -> None:
    """The language buttons switch the page to English, Spanish or Arabic; the ticket keeps it."""
    open_kiosk(page, hall)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("#start-title")).to_have_text("Toque el servicio que necesita")
    page.get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#start-title")).to_have_text("Touch the service you need")
    page.get_by_role("button", name=re.compile("Urbanisme")).click()
    expect(page.locator("#t-ahead")).to_have_text("You are next.")
    ticket_id = page.locator("#ticket").get_attribute("data-ticket")
    page.goto(f"{hall.url}/t/{ticket_id}")  # the printed QR code leads to the page in English
    expect(page.locator("h1")).to_have_text("Your ticket")


def test_an_unpaired_kiosk_pairs_with_a_code(page: Page, hall: Hall) -> None:
    """A kiosk without a token asks for a pairing code, and takes tickets once paired."""
    page.goto(f"{hall.url}/kiosk")
    expect(page.locator("#pairing")).to_be_visible()
    no_violations(page)
    pairing = hall.api("POST", "/pairings", "admin", json={"role": "kiosk", "name": "Hall"})
    code = pairing.json()["code"]
    page.get_by_label("Code d'appairage").fill(code)
    page.get_by_role("button", name="Appairer cette borne").click()
    expect(page.locator("#start")).to_be_visible()
    page.get_by_role("button", name=re.compile("État civil")).click()
    expect(page.locator("#t-number")).to_have_text("A001")


def test_a_revoked_kiosk_says_so(page: Page, hall: Hall) -> None:
    """Revoking the kiosk's token from the admin API turns the open page into a clear "revoked" screen."""
    open_kiosk(page, hall)
    me = hall.api("GET", "/api/v1/me", "kiosk").json()
    assert hall.api("POST", f"/devices/{me['token_id']}/revoke", "admin").status_code == 200
    expect(page.locator("#pairing")).to_be_visible(timeout=15_000)
    expect(page.locator("#pairing-reason")).to_contain_text("révoqué")


def test_the_kiosk_refuses_tickets_while_the_server_is_away_and_recovers(page: Page, own_hall: Hall) -> None:
    """With the server down the page says tickets cannot be taken and disables the services; once
    the server is back it recovers by itself."""
    hall = own_hall
    open_kiosk(page, hall)
    assert hall.process is not None
    hall.process.stop()
    expect(page.get_by_role("alert")).to_contain_text("Impossible de prendre un ticket", timeout=10_000)
    expect(page.get_by_role("button", name=re.compile("État civil"))).to_be_disabled()
    from tests.system.servers import server

    with server(hall.data_dir, port=hall.port, name="again"):
        expect(page.get_by_role("alert")).to_be_hidden(timeout=20_000)
        page.get_by_role("button", name=re.compile("État civil")).click()
        expect(page.locator("#t-number")).to_have_text("A001")


def test_the_ticket_screen_goes_back_to_the_start_by_itself(page: Page, hall: Hall) -> None:
    """Left alone, the ticket screen returns to the start (kiosk.idle_s, 4 s here)."""
    open_kiosk(page, hall)
    page.get_by_role("button", name=re.compile("État civil")).click()
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("#start")).to_be_visible(timeout=8_000)


def test_the_next_person_finds_the_kiosk_in_french(page: Page, hall: Hall) -> None:
    """After a ticket taken in Arabic, the idle kiosk comes back in French for the next person."""
    open_kiosk(page, hall, "ar")
    page.locator("button.service").first.click()
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr", timeout=8_000)
    expect(page.locator("#start-title")).to_have_text("Touchez le service dont vous avez besoin")


def test_the_kiosk_stops_taking_tickets_while_its_printer_is_out_of_paper(page: Page, hall: Hall) -> None:
    """The printer agent's "paper out" turns the page to a plain message and disabled services;
    "ok" brings it back, without anyone touching the kiosk."""
    open_kiosk(page, hall)
    report = hall.api("PUT", "/kiosks/self/printer", "kiosk", json={"status": "paper_out"})
    assert report.status_code == 200
    expect(page.get_by_role("alert")).to_have_text(
        "L’imprimante des tickets n’a plus de papier. Adressez-vous à l’accueil.", timeout=2_000)
    expect(page.get_by_role("button", name=re.compile("État civil"))).to_be_disabled()
    hall.api("PUT", "/kiosks/self/printer", "kiosk", json={"status": "ok"})
    expect(page.get_by_role("alert")).to_be_hidden(timeout=2_000)
    page.get_by_role("button", name=re.compile("État civil")).click()
    expect(page.locator("#t-printed")).to_have_text("Prenez votre ticket sous l’écran.")


def test_a_kiosk_reloaded_while_out_of_paper_still_says_so(page: Page, hall: Hall) -> None:
    """The printer's state comes with the snapshot too: a page (re)started meanwhile knows it."""
    hall.api("PUT", "/kiosks/self/printer", "kiosk", json={"status": "offline"})
    open_kiosk(page, hall)
    expect(page.get_by_role("alert")).to_have_text(
        "L’imprimante des tickets ne fonctionne pas. Adressez-vous à l’accueil.")
    expect(page.get_by_role("button", name=re.compile("Urbanisme"))).to_be_disabled()


def test_a_new_service_and_closing_hours_reach_the_kiosk_without_a_reload(page: Page, hall: Hall) -> None:
    """An administrator adds a service: its button appears; hours that close the site now: the closed screen
    says when it opens again, and a ticket is refused; hours removed: the services are back, all live."""
    open_kiosk(page, hall)
    page.evaluate("window.reloaded = false")  # set on this page: gone if the page were reloaded
    added = hall.api("PUT", "/services/social", "admin", json={"name": "Action sociale", "prefix": "S",
                                                              "description": "CCAS, aides"})
    assert added.status_code == 201, added.text
    expect(page.get_by_role("button", name=re.compile("Action sociale"))).to_be_visible()
    closed = hall.api("PUT", "/hours", "admin", json={"weekly": {"mon": [["08:30", "08:31"]]},
                                                      "public_holidays": None})
    assert closed.status_code == 200, closed.text
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed-when")).to_contain_text("lundi")  # "Réouverture lundi … 08:30."
    expect(page.locator("#closed-when")).to_contain_text("08:30")
    refused = hall.api("POST", "/tickets", "kiosk", json={"service": "social"})
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/service-closed"
    no_violations(page)
    assert hall.api("PUT", "/hours", "admin", json={"weekly": None}).status_code == 200
    expect(page.locator("#start")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Action sociale"))).to_be_enabled()
    assert page.evaluate("window.reloaded") is False


def test_the_kiosk_offers_the_languages_its_site_chose(page: Page, hall: Hall) -> None:
    """The site's kiosk languages (set live by an administrator) are the ones offered; French, on screen, stays."""
    open_kiosk(page, hall)
    expect(page.locator(".langs a[hreflang=ar]")).to_be_visible()
    answer = hall.api("PUT", "", "admin", json={"kiosk": {"languages": ["fr", "en"], "idle_s": 45}})
    assert answer.status_code == 200, answer.text
    expect(page.locator(".langs a[hreflang=ar]")).to_be_hidden()
    expect(page.locator(".langs a[hreflang=en]")).to_be_visible()
    expect(page.locator(".langs a[hreflang=fr]")).to_be_visible()

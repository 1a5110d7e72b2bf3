"""Checking in at the kiosk with an appointment's code, in chromium: the ticket is the appointment's, and the hall
display calls it before the walk-ins who came earlier; a wrong code says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect

from queue_server.queue.web.citizen import kiosk_strings
from tests.browser.conftest import Hall
from tests.browser.test_kiosk import no_violations

MOTIF = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "min_notice_h": 0}


def book_soon(hall: Hall) -> dict[str, Any]:
    """An appointment in the passports' service starting within the next 20 minutes, on a slot the API lists
    (the hall's site is always open, and so is a motif without hours of its own)."""
    put = hall.api("PUT", "/motifs/passeport", "admin", json=MOTIF)
    assert put.status_code in (200, 201), put.text
    now = datetime.now(UTC)
    days = {"motif": "passeport", "from": (now - timedelta(days=1)).date().isoformat(),
            "to": (now + timedelta(days=1)).date().isoformat()}
    slots = hall.api("GET", "/slots", params=days).json()["slots"]
    soon = [s["start"] for s in slots if s["free"] and now + timedelta(seconds=30)
            < datetime.fromisoformat(s["start"].replace("Z", "+00:00")) <= now + timedelta(minutes=20, seconds=30)]
    assert soon, slots
    booked = hall.api("POST", "/appointments", json={
        "motif": "passeport", "start": soon[0], "person": {"first_name": "Anne", "last_name": "Lefèvre"}})
    assert booked.status_code == 201, booked.text
    return booked.json()  # type: ignore[no-any-return]


def kiosk(browser: Browser, hall: Hall) -> Page:
    page = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="fr-FR").new_page()
    page.goto(f"{hall.url}/kiosk?token={hall.tokens['kiosk']}")
    expect(page.locator("#start")).to_be_visible()
    return page


def test_the_kiosk_checks_in_by_code_and_the_display_calls_the_appointment_before_earlier_walk_ins(
        browser: Browser, hall: Hall) -> None:
    """Two walk-ins take tickets; the booked citizen types the code on the screen's keys (the code screen is
    axe-clean) and gets the appointment's ticket, marked; the next call, on the hall display, is that ticket."""
    appointment = book_soon(hall)
    walk_ins = [hall.api("POST", "/tickets", "kiosk", json={"service": "passeports"}).json()["number"]
                for _ in range(2)]
    assert walk_ins == ["B001", "B002"]
    display = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
    display.goto(f"{hall.url}/display?token={hall.tokens['display']}")
    expect(display.locator("#site-name")).to_have_text("Mairie de Démoville")

    page = kiosk(browser, hall)
    page.locator("#appointment-open").click()
    expect(page.locator("#appointment")).to_be_visible()
    for char in appointment["code"]:
        page.locator(f".a-keys button[data-char='{char}']").click()
    expect(page.locator(".a-box").last).to_have_text(appointment["code"][-1])
    no_violations(page)
    page.locator("#a-submit").click()
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("#t-number")).to_have_text("B003")
    expect(page.locator("#t-booked")).to_be_visible()
    ticket = hall.api("GET", f"/tickets/{page.locator('#ticket').get_attribute('data-ticket')}").json()
    assert ticket["booked"] is True and ticket["service"] == "passeports"
    assert hall.api("GET", f"/appointments/{appointment['id']}").json()["status"] == "checked_in"

    called = hall.api("POST", "/counters/1/next")
    assert called.status_code == 200, called.text
    expect(display.locator("#current .number")).to_contain_text("B003")
    expect(display.locator("#current .number .booked")).to_be_visible()
    for step in ("start", "finish"):
        assert hall.api("POST", f"/tickets/{called.json()['id']}/{step}").status_code == 200
    assert hall.api("POST", "/counters/1/next").json()["number"] == "B001"
    expect(display.locator("#current .number")).to_have_text("B001")  # a walk-in: no mark
    history = display.locator("#history li .number")
    expect(history.nth(0)).to_have_text("B001")
    expect(history.nth(1)).to_contain_text("B003")  # called first


def test_a_wrong_code_read_from_a_qr_on_the_start_screen_is_refused_in_words(browser: Browser, hall: Hall) -> None:
    """A reader types a confirmation's URL ending in an unknown code, then Enter, on the start screen: the code screen
    opens with the code in its boxes and says, in an alert, that the code is unknown and what to do."""
    page = kiosk(browser, hall)
    page.keyboard.type("https://guichet.example.fr/a/K7M4PX\n")
    expect(page.locator("#appointment")).to_be_visible()
    expect(page.locator(".a-box")).to_have_text(list("K7M4PX"))
    alert = page.get_by_role("alert").filter(has_text=kiosk_strings("fr")["a_unknown"])
    expect(alert).to_be_visible()
    expect(page.locator("#a-walk-in")).to_be_hidden()  # retype, or ask at the reception desk
    no_violations(page)

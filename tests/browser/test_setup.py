"""The back office where a town hall configures itself (/admin/sites), in chromium: an administrator of the
whole collectivity creates a site with its services, counters and hours with the keyboard alone, and its
kiosk offers them; mistakes are refused next to their field with nothing saved; the queue's refusals are
said in French; supervisors read without forms. Every page is axe-clean in French and in English.

``GUICHET_SETUP_SCREENSHOTS=DIR`` also saves the pages at a desk's size (1366×768) into DIR."""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.users import add_user
from queue_server.settings import load_settings
from tests.browser.conftest import PASSWORD, Hall

AXE = Axe()
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCREENSHOTS = os.environ.get("GUICHET_SETUP_SCREENSHOTS", "")


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    """The page as a desk's screen shows it (whole, or what is in view) into GUICHET_SETUP_SCREENSHOTS (when set)."""
    if SCREENSHOTS:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"setup-{name}.png"), full_page=full_page)


def tenant_admin(hall: Hall) -> str:
    """A person administering every site of the hall's collectivity (an admin role without a site); their login."""
    login = f"chief@{hall.site}"

    async def add() -> None:
        engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
        try:
            async with sessions(engine)() as session:
                await add_user(session, hall.site, login, PASSWORD, "Claire Roux", [(None, "admin")])
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may own this thread's event loop
        pool.submit(asyncio.run, add()).result()
    return login


def config(hall: Hall, site: str | None = None) -> dict[str, Any]:
    answer = hall.api("GET", f"/api/v1/sites/{site or hall.site}/config", "admin")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


# The keyboard --------------------------------------------------------------------------------------------

def focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("(s) => document.activeElement !== null && document.activeElement.matches(s)", selector))


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Presses Tab until the focus is on ``selector`` (a time field takes two Tabs: hours, then minutes)."""
    for _ in range(limit):
        if focused(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def type_in(page: Page, selector: str, text: str) -> None:
    """Tabs to the text field ``selector``, empties it and types ``text``."""
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def twelve_hour_clock(page: Page) -> bool:
    """Whether this browser's time fields take hours 1 to 12 and AM/PM (a Chromium without a French locale
    pack, as Debian's package is: fields follow the browser's own locale, not the page's): tried on a field
    of a blank page, before the test's."""
    page.set_content('<html lang="fr"><input type="time" id="probe"></html>')
    page.focus("#probe")
    page.keyboard.type("0900")  # a 12-hour field still waits for AM or PM
    return page.input_value("#probe") != "09:00"


def type_time(page: Page, selector: str, hhmm: str, twelve: bool) -> None:
    """Tabs to the time field ``selector`` and types ``hhmm`` ("0900") as its clock takes it: hours then
    minutes, and on a 12-hour clock AM or PM."""
    tab_to(page, selector)
    hours, minutes = int(hhmm[:2]), hhmm[2:]
    page.keyboard.type(f"{hours % 12 or 12:02d}{minutes}{'A' if hours < 12 else 'P'}" if twelve else hhmm)
    expect(page.locator(selector)).to_have_value(f"{hhmm[:2]}:{minutes}")


def press_button(page: Page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Enter")


def add_service_by_keyboard(page: Page, name: str, prefix: str, description: str) -> None:
    type_in(page, "#svc-name", name)
    type_in(page, "#svc-prefix", prefix)
    type_in(page, "#svc-description", description)
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#done")).to_have_text("Le service a été ajouté : les bornes le proposent désormais.")


def add_counter_by_keyboard(page: Page, name: str, services: list[str]) -> None:
    type_in(page, "#ctr-name", name)
    for service in services:
        tab_to(page, f"#ctr-services-{service}")
        page.keyboard.press("Space")
    press_button(page, "#counter-form button[type=submit]")
    expect(page.locator("#done")).to_have_text("Le guichet a été ajouté.")


# The tests -----------------------------------------------------------------------------------------------

def test_a_collectivity_administrator_sets_up_a_site_with_the_keyboard_alone(page: Page, hall: Hall) -> None:
    """From /admin, with Tab, typing, Space and Enter only: a new site, two services, three counters and its
    week's hours; every page is axe-clean in French and English; the site's kiosk offers the two services."""
    login = tenant_admin(hall)
    site = f"{hall.site}-port"
    twelve = twelve_hour_clock(page)
    page.goto(f"{hall.url}/login?next=/admin")
    expect(page.locator("#login")).to_be_focused()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{hall.url}/admin")
    press_button(page, ".pages .menu-button")  # the administrators' pages: one menu
    press_button(page, "a[href='/admin/sites']")
    page.wait_for_url(f"{hall.url}/admin/sites")
    expect(page.locator("h1")).to_have_text("Sites et services")
    no_violations(page)

    type_in(page, "#new-name", "Mairie annexe du Port")
    type_in(page, "#new-id", site)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(f"/admin/sites/{site}?done=site-created")))
    expect(page.locator("h1")).to_have_text("Mairie annexe du Port")
    add_service_by_keyboard(page, "État civil", "A", "Naissance, mariage, décès")
    add_service_by_keyboard(page, "Urbanisme", "U", "Permis de construire")
    add_counter_by_keyboard(page, "Guichet 1", ["etat-civil", "urbanisme"])
    add_counter_by_keyboard(page, "Guichet 2", ["etat-civil"])
    add_counter_by_keyboard(page, "Bureau urbanisme", ["urbanisme"])

    # The week: open all of today (on the site's clock: the kiosk below must be open), and Saturday morning.
    today = WEEKDAYS[datetime.now(ZoneInfo("Europe/Paris")).weekday()]
    week = {"sat": ["0900", "1200", "", ""], today: ["0000", "1200", "1200", "2359"]}
    for day in sorted(week, key=WEEKDAYS.index):  # in the page's order: Tab goes forward
        for field, hhmm in zip(("0-start", "0-end", "1-start", "1-end"), week[day], strict=True):
            if hhmm:
                type_time(page, f"#hrs-{day}-{field}", hhmm, twelve)
    tab_to(page, "#hrs-region")
    page.keyboard.press("Home")  # "None": open on public holidays too (today might be one)
    press_button(page, "#hours button[type=submit]")
    expect(page.locator("#done")).to_have_text("Les horaires d’ouverture ont été enregistrés.")

    saved = config(hall, site)
    assert [(s["id"], s["name"], s["prefix"]) for s in saved["services"]] == [
        ("etat-civil", "État civil", "A"), ("urbanisme", "Urbanisme", "U")]
    assert [(k["name"], k["services"]) for k in saved["counters"]] == [
        ("Guichet 1", ["etat-civil", "urbanisme"]), ("Guichet 2", ["etat-civil"]),
        ("Bureau urbanisme", ["urbanisme"])]
    assert saved["hours"]["weekly"][today] == [["00:00", "12:00"], ["12:00", "24:00"]]
    assert saved["hours"]["weekly"]["sat"][0] == ["09:00", "12:00"]
    assert saved["hours"]["public_holidays"] is None
    expect(page.locator("#hours table.week tbody th").first).to_have_text("Lundi")
    no_violations(page)
    screenshot(page, "site")

    page.goto(f"{hall.url}/admin/sites/{site}?lang=en")
    expect(page.locator("#services-title")).to_have_text("Services")
    expect(page.locator("#hours table.week tbody th").first).to_have_text("Monday")
    no_violations(page)
    screenshot(page, "site-en")
    page.goto(f"{hall.url}/admin/sites?lang=fr")
    expect(page.locator("table.list tbody tr")).to_have_count(2)  # the hall's site and the new one
    no_violations(page)
    screenshot(page, "sites")

    # The new site's kiosk (paired with a code, as a kiosk is) offers the two services.
    pairing = hall.api("POST", f"/api/v1/sites/{site}/pairings", "admin", json={"role": "kiosk", "name": "Port"})
    assert pairing.status_code == 201, pairing.text
    paired = httpx.post(f"{hall.url}/api/v1/pair", json={"code": pairing.json()["code"]}, timeout=10)
    assert paired.status_code == 201, paired.text
    page.goto(f"{hall.url}/kiosk?token={paired.json()['token']}")
    expect(page.get_by_role("button", name=re.compile("État civil"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Urbanisme"))).to_be_visible()


def test_mistakes_are_refused_next_to_their_field_and_nothing_is_saved(page: Page, hall: Hall) -> None:
    """A prefix "a1", a range ending before it starts, two ranges that overlap, an unknown time zone: each
    form comes back with the error summary focused, the message next to the field, the person's values, and
    the configuration as it was."""
    before = config(hall)
    hall.sign_in(page, "admin", f"/admin/sites/{hall.site}")

    page.fill("#svc-name", "Cartes grises")
    page.fill("#svc-prefix", "a1")
    page.click("#service-form button[type=submit]")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#svc-prefix-error")).to_contain_text("Une à trois lettres capitales")
    expect(page.locator("#svc-prefix")).to_have_attribute("aria-describedby", "svc-prefix-hint svc-prefix-error")
    expect(page.locator("#svc-prefix")).to_have_value("a1")
    expect(page.locator("#svc-name")).to_have_value("Cartes grises")
    no_violations(page)

    page.goto(f"{hall.url}/admin/sites/{hall.site}")
    page.check("#hrs-mode-hours")
    page.fill("#hrs-mon-0-start", "12:00")
    page.fill("#hrs-mon-0-end", "08:30")
    page.fill("#hrs-tue-0-start", "08:00")
    page.fill("#hrs-tue-0-end", "12:00")
    page.fill("#hrs-tue-1-start", "11:00")
    page.fill("#hrs-tue-1-end", "14:00")
    page.click("#hours button[type=submit]")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary li")).to_have_count(2)
    expect(page.locator("#hrs-mon-error")).to_contain_text("Lundi : la plage 12:00–08:30 se termine avant de commencer")
    expect(page.locator("#hrs-tue-error")).to_contain_text(
        "Mardi : les plages 08:00–12:00 et 11:00–14:00 se chevauchent")
    expect(page.locator("#hrs-mon-0-start")).to_have_attribute("aria-describedby", "hrs-mon-error")
    expect(page.locator("#hrs-tue-1-end")).to_have_value("14:00")
    no_violations(page)
    screenshot(page, "errors", full_page=False)

    page.goto(f"{hall.url}/admin/sites/{hall.site}")
    page.evaluate("""() => {  // what a form from an older page, or a forged one, would send
        const option = new Option("Europe/Atlantis", "Europe/Atlantis", true, true);
        document.getElementById("set-timezone").add(option);
    }""")
    page.fill("#set-name", "Mairie de Démoville (centre)")
    page.click("#settings button[type=submit]")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#set-timezone-error")).to_contain_text("Fuseau horaire inconnu")
    expect(page.locator("#set-timezone")).to_have_value("Europe/Atlantis")
    expect(page.locator("#set-name")).to_have_value("Mairie de Démoville (centre)")
    page.click("#error-summary a")  # the summary's link leads to the field
    expect(page.locator("#set-timezone")).to_be_focused()

    after = config(hall)
    assert after == before


def test_a_service_with_a_waiting_ticket_is_kept_and_the_refusal_is_said_in_french(page: Page, hall: Hall) -> None:
    """Removing a service while someone waits in it: confirmed, refused by the queue (409), said in French on
    the page; the service stays."""
    ticket = hall.api("POST", "/tickets", "kiosk", json={"service": "etat-civil"})
    assert ticket.status_code == 201, ticket.text
    hall.sign_in(page, "admin", f"/admin/sites/{hall.site}")
    page.get_by_role("link", name="Supprimer État civil").click()
    expect(page.locator("h1")).to_have_text("Supprimer le service État civil ?")
    no_violations(page)
    screenshot(page, "confirm", full_page=False)
    page.get_by_role("button", name="Oui, supprimer").click()
    expect(page.locator("#services-error")).to_contain_text(
        "Ce service a encore des tickets en attente ou à un guichet : il ne peut pas être supprimé maintenant.")
    expect(page.locator("#error-summary")).to_be_focused()
    assert "etat-civil" in [s["id"] for s in config(hall)["services"]]
    expect(page.locator("#services tbody tr", has_text="État civil")).to_be_visible()
    no_violations(page)
    screenshot(page, "conflict", full_page=False)


def test_a_supervisor_reads_the_configuration_without_any_form(page: Page, hall: Hall) -> None:
    """The supervisor sees the site's settings, services, counters and hours, and no form to change them
    (a form sent anyway is refused)."""
    hall.sign_in(page, "supervisor", "/admin/sites")
    expect(page.get_by_role("link", name="Voir Mairie de Démoville")).to_be_visible()
    page.get_by_role("link", name="Voir Mairie de Démoville").click()
    expect(page.locator("h1")).to_have_text("Mairie de Démoville")
    expect(page.locator("#services tbody tr")).to_have_count(3)
    expect(page.locator("#counters tbody tr")).to_have_count(4)
    expect(page.locator("#hours")).to_contain_text("À toute heure")
    assert page.locator("main form").count() == 0
    assert page.locator("main input, main select, main textarea").count() == 0
    no_violations(page)
    screenshot(page, "readonly")
    refused = page.request.post(f"{hall.url}/admin/sites/{hall.site}/services",
                                form={"svc-name": "Test", "svc-prefix": "T"})
    assert refused.status == 403
    assert len(config(hall)["services"]) == 3

"""The citizen's ticket page on a phone, driven in chromium: live position, the call, the number served now, the
site's address and hours, "I will not come", accessibility."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import PHONE, overflowing, shoot

AXE = Axe()


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def issue(hall: Hall, service: str = "etat-civil", lang: str = "fr") -> dict[str, object]:
    answer = hall.api("POST", "/tickets", "kiosk", json={"service": service, "lang": lang})
    assert answer.status_code == 201
    return answer.json()  # type: ignore[no-any-return]


def test_the_page_follows_the_ticket_live_until_its_call(page: Page, hall: Hall) -> None:
    """The position moves as people ahead are called, then the page says which counter to go to."""
    issue(hall)
    mine = issue(hall)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{hall.url}/t/{mine['id']}")
    expect(page.locator("#number")).to_have_text("A002")
    expect(page.locator("#live")).to_contain_text("1 personne avant vous")
    no_violations(page)
    assert hall.api("POST", "/counters/2/next").json()["number"] == "A001"
    expect(page.locator("#live")).to_contain_text("Vous êtes le prochain.", timeout=2_000)
    assert hall.api("POST", "/counters/3/next").json()["number"] == "A002"
    expect(page.locator(".turn")).to_have_text("C’est votre tour : présentez-vous au Guichet 3.", timeout=2_000)
    expect(page.locator("#sms")).to_be_hidden()
    no_violations(page)
    hall.api("POST", f"/tickets/{mine['id']}/recall")
    expect(page.locator(".turn")).to_contain_text("appelé à nouveau", timeout=2_000)


def test_the_page_speaks_the_language_chosen_at_the_kiosk(page: Page, hall: Hall) -> None:
    """A ticket taken in Spanish opens its page in Spanish; the links offer the other languages."""
    mine = issue(hall, lang="es")
    page.goto(f"{hall.url}/t/{mine['id']}")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#live")).to_contain_text("Usted es el siguiente.")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#live")).to_contain_text("You are next.")
    no_violations(page)


def test_a_phone_number_is_taken_from_the_page(page: Page, hall: Hall) -> None:
    """A mobile number is accepted with a confirmation; a landline is refused with a plain message."""
    mine = issue(hall)
    page.goto(f"{hall.url}/t/{mine['id']}")
    page.get_by_label("M’envoyer un SMS quand mon tour approche (facultatif)").fill("01 23 45 67 89")
    page.get_by_role("button", name="M’envoyer un SMS").click()
    expect(page.locator("#sms-result")).to_have_text(
        "Ce n’est pas un numéro de téléphone mobile. Vérifiez-le et réessayez.")
    page.get_by_label("M’envoyer un SMS quand mon tour approche (facultatif)").fill("06 12 34 56 78")
    page.get_by_role("button", name="M’envoyer un SMS").click()
    expect(page.locator("#sms-result")).to_contain_text("Nous enverrons un SMS au 06 12 34 56 78")
    no_violations(page)


def test_an_unknown_ticket_gets_a_plain_page(page: Page, hall: Hall) -> None:
    """A mistyped or expired ticket address answers 404 with a readable page, not an error dump."""
    answer = page.goto(f"{hall.url}/t/not-a-ticket-of-today")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Ticket introuvable")
    no_violations(page)


ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_the_holder_sees_the_hall_and_withdraws_after_a_confirmation(page: Page, hall: Hall) -> None:
    """At 390×844: the site's address and today's hours, the number an agent just called in the service; "I will not
    come" asks first, then the ticket leaves the queue (GET /state) and the page says so; nothing spills, axe-clean."""
    assert hall.api("PUT", "", "admin", json={"address": "1 place de la Mairie, 75001 Démoville"}).status_code == 200
    assert hall.api("PUT", "/hours", "admin", json={"weekly": ALL_DAY, "public_holidays": None}).status_code == 200
    issue(hall)
    mine = issue(hall)
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{hall.url}/t/{mine['id']}")
    expect(page.locator("#ahead")).to_have_text("1 personne avant vous")
    expect(page.locator("#address")).to_have_text("1 place de la Mairie, 75001 Démoville")
    expect(page.locator("#hours")).to_have_text("Ouvert toute la journée")
    expect(page.locator("#now-serving")).to_be_hidden()  # nobody called yet
    assert hall.api("POST", "/counters/2/next").json()["number"] == "A001"
    expect(page.locator("#now-serving")).to_have_text("Au guichet en ce moment : A001", timeout=2_000)
    expect(page.locator("#live")).to_contain_text("Vous êtes le prochain.")
    expect(page.locator(".phone-header")).to_contain_text("Mairie de Démoville")
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ticket-page-waiting", full_page=True)

    page.get_by_role("button", name="Je ne viendrai pas").click()
    question = page.locator("#withdraw-question")
    expect(question).to_be_focused()
    expect(question).to_have_text("Annuler le ticket A002 ? Vous perdrez votre place dans la file d’attente.")
    no_violations(page)
    shoot(page, "ticket-page-withdraw-confirm", full_page=True)
    page.get_by_role("button", name="Non, garder mon ticket").click()
    expect(page.get_by_role("button", name="Je ne viendrai pas")).to_be_focused()
    assert hall.api("GET", "/state").json()["services"][0]["waiting"] == 1  # nothing cancelled by "no"

    page.get_by_role("button", name="Je ne viendrai pas").click()
    page.get_by_role("button", name="Oui, annuler mon ticket").click()
    expect(page.locator("#withdraw-result")).to_contain_text("Votre ticket est annulé.")
    expect(page.locator("#withdraw-result")).to_be_visible()
    expect(page.locator("#live")).to_have_text("Ce ticket a été annulé.")
    state = hall.api("GET", "/state", "supervisor").json()
    assert state["services"][0]["waiting"] == 0
    assert mine["id"] not in [t["id"] for t in state["queue"]]
    assert hall.api("GET", f"/tickets/{mine['id']}").json()["status"] == "cancelled"
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "ticket-page-withdrawn", full_page=True)

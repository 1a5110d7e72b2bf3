"""Staff intake in chromium: an agent opens the new request's form from the list with N, is told next to each field
what is missing, enters a letter received three days ago with the keyboard alone (its scan attached through the
file chooser), lands on the new request, opens its printable acknowledgement (A4, looked at) and prints it, which
the server notes: the letter's sender gave no e-mail address, so this is their acknowledgement of receipt. Every
page axe-clean in French, nothing spilling at a desk's size."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import ARTEFACTS, DESK, overflowing, shoot
from tests.browser.test_demandes import _put_categories, run
from tests.browser.test_setup import no_violations, tab_to, type_in
from tests.requests.test_api import PDF

A4 = (794, 1123)  # 210 × 297 mm at 96 dots an inch


def day_first(page: Page) -> bool:
    """Whether this browser's date fields take the day before the month (they follow the browser's own locale,
    not the page's: Debian's chromium may have no French locale pack): tried on a blank page's field."""
    page.set_content('<html lang="fr"><input type="date" id="probe"></html>')
    page.focus("#probe")
    page.keyboard.type("01022026")
    return page.input_value("#probe") == "2026-02-01"


def test_an_agent_enters_a_letter_with_the_keyboard_and_prints_its_acknowledgement(page: Page, hall: Hall,
                                                                                     tmp_path: Path) -> None:
    """Léa files Anne's letter of three days ago with its scanned PDF; the request's page shows it came by post on
    that day with its scan; the printable acknowledgement states the reference, Anne's address for the window and
    the service; printing it sets the acknowledgement's date and is in the audit log."""
    run(_put_categories(hall))
    scan = tmp_path / "courrier-anne.pdf"
    scan.write_bytes(PDF)
    received = date.today() - timedelta(days=3)
    days_first = day_first(page)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/demandes")

    expect(page.locator("#new-request")).to_contain_text("Nouvelle demande")
    page.keyboard.press("n")
    page.wait_for_url(f"{hall.url}/demandes/nouvelle")
    expect(page.locator("h1")).to_have_text("Nouvelle demande")
    expect(page.locator("#channel-postal")).to_be_checked()
    no_violations(page)
    shoot(page, "demandes-nouvelle", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []

    # Sent empty: each missing field is said next to it, and the summary takes the focus.
    tab_to(page, "#file")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary h2")).to_have_text(
        "La demande n'est pas encore enregistrée : corrigez ces points.")
    expect(page.locator("#subject-error")).to_have_text("Donnez un objet à la demande (200 caractères au plus).")
    expect(page.locator("#subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#address-error")).to_be_visible()
    no_violations(page)
    shoot(page, "demandes-nouvelle-erreurs", full_page=True)

    tab_to(page, "#received_on")
    page.keyboard.type(received.strftime("%d%m%Y" if days_first else "%m%d%Y"))
    expect(page.locator("#received_on")).to_have_value(received.isoformat())
    tab_to(page, "#category")
    page.keyboard.type("Voirie")
    expect(page.locator("#category")).to_have_value("voirie")
    type_in(page, "#subject", "Trottoir abîmé rue Haute")
    type_in(page, "#body", "Madame, Monsieur, le trottoir devant le 12 rue Haute est défoncé depuis l'orage.")
    tab_to(page, "#attachments")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(scan))
    type_in(page, "#first_name", "Anne")
    type_in(page, "#last_name", "Lefèvre")
    tab_to(page, "#address")
    page.keyboard.type("12 rue Haute")
    page.keyboard.press("Enter")
    page.keyboard.type("75011 Démoville")
    tab_to(page, "#file")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(re.escape(f"{hall.url}/demandes/") + r"(?!nouvelle)[A-Za-z0-9_-]+$"))
    request_id = page.url.rsplit("/", 1)[1]
    made = hall.api("GET", f"/api/v1/tenants/{hall.site}/requests/{request_id}").json()
    reference = made["reference"]
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator("#said")).to_have_text(f"Demande {reference} enregistrée.")
    expect(page.locator(".files a")).to_have_text("courrier-anne.pdf")
    assert made["channel"] == "postal" and made["person"]["address"] == "12 rue Haute\n75011 Démoville"
    assert made["received_at"].startswith(received.isoformat()) and made["acknowledged_at"] is None
    card = page.locator(".acknowledgement")
    expect(card).to_contain_text("À envoyer")
    expect(card).to_contain_text("Pas d'adresse électronique")
    no_violations(page)
    shoot(page, "demandes-courrier", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []
    page.goto(f"{hall.url}/demandes")
    row = page.locator("table.requests tbody tr", has_text=reference)
    expect(row.locator(".to-acknowledge")).to_have_text("Accusé à envoyer")
    no_violations(page)
    shoot(page, "demandes-list-to-acknowledge")
    assert overflowing(page, scrolls=True, root="main") == []
    page.goto(f"{hall.url}/demandes/{request_id}")

    tab_to(page, "#printable")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{hall.url}/demandes/{request_id}/accuse")
    page.set_viewport_size({"width": A4[0], "height": A4[1]})
    sheet = page.locator(".sheet")
    expect(sheet).to_contain_text(reference)
    expect(page.locator(".recipient span")).to_have_text(["Anne Lefèvre", "12 rue Haute", "75011 Démoville"])
    expect(sheet).to_contain_text("Services techniques — voirie")
    expect(sheet).to_contain_text(f"/r/{request_id}")
    expect(page.locator(".sheet svg.qr")).to_be_visible()
    no_violations(page)
    shoot(page, "demandes-accuse", full_page=True)
    # The window of the envelope: the sender's address 50 mm from the top and 100 mm from the left of the sheet.
    box, paper = page.locator(".recipient").bounding_box(), sheet.bounding_box()
    assert box is not None and paper is not None
    assert abs((box["y"] - paper["y"]) - 50 * 96 / 25.4) < 2 and abs((box["x"] - paper["x"]) - 100 * 96 / 25.4) < 2

    # As printed: the toolbar gone, the sheet alone, on one A4 page.
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    shoot(page, "demandes-accuse-print")
    pdf = page.pdf(prefer_css_page_size=True)
    (ARTEFACTS / "demandes-accuse.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")

    tab_to(page, "#print")
    page.keyboard.press("Enter")
    expect(page.locator("#print")).to_have_attribute("data-noted", "yes")  # the server noted it, then it printed
    expect(page.locator("#print-problem")).to_be_empty()
    made = hall.api("GET", f"/api/v1/tenants/{hall.site}/requests/{request_id}").json()
    assert made["acknowledged_at"] is not None
    audit = hall.api("GET", "/api/v1/audit", "admin").json()
    assert ("request.printed", reference) in [(e["action"], e["target"]) for e in audit]

    # Back on the list, the request is no more marked as waiting for its acknowledgement.
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    page.goto(f"{hall.url}/demandes")
    expect(row).to_contain_text("Trottoir abîmé rue Haute")
    expect(row.locator(".to-acknowledge")).to_have_count(0)


def test_an_administrator_turns_a_category_to_two_steps_and_an_agent_sends_its_acknowledgement(
        page: Page, hall: Hall) -> None:
    """Inès opens the request categories from the staff pages' links, is told that an implicit rejection needs its
    appeal routes, then saves voirie as acknowledged in two steps; Anne's request filed online is then waiting for
    its acknowledgement, which Léa sends from the request's page."""
    run(_put_categories(hall))
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "admin", "/admin")
    page.get_by_role("button", name="Administration").click()  # the administrators' pages: one menu
    page.get_by_role("link", name="Catégories de demandes", exact=True).click()
    page.wait_for_url(f"{hall.url}/admin/demandes")
    expect(page.locator("h1")).to_have_text("Catégories de demandes")
    expect(page.locator("table.list tbody tr")).to_have_count(4)
    no_violations(page)
    shoot(page, "admin-demandes", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []

    page.locator("tr", has_text="Voirie et propreté").get_by_role("link", name="Modifier").click()
    expect(page.locator("#form-title")).to_contain_text("Voirie et propreté")
    tab_to(page, "#cat-implicit-none")  # a group of radio buttons: one Tab stop, the arrows choose
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#cat-implicit-rejection")).to_be_checked()
    type_in(page, "#cat-delay-months", "2")
    tab_to(page, "#cat-at-once")
    page.keyboard.press("Space")
    expect(page.locator("#cat-at-once")).not_to_be_checked()
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#cat-appeal-error")).to_contain_text("Un rejet implicite mentionne les voies et délais")
    expect(page.locator("#cat-delay-months")).to_have_value("2")  # what was typed is kept
    no_violations(page)
    shoot(page, "admin-demandes-erreur")
    tab_to(page, "#cat-implicit-rejection")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#cat-implicit-none")).to_be_checked()
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_contain_text("La catégorie est enregistrée")
    expect(page.locator("tr", has_text="Voirie et propreté")).to_contain_text(
        "Accusé d'enregistrement, puis sous 7 jours")

    made = hall.api("POST", f"/api/v1/tenants/{hall.site}/requests", role="kiosk", json={
        "category": "voirie", "subject": "Lampadaire éteint", "body": "Le lampadaire du 3 rue Basse est éteint.",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}})
    assert made.status_code == 201, made.text
    assert made.json()["acknowledged_at"] is None
    page.context.clear_cookies()
    hall.sign_in(page, "agent", f"/demandes/{made.json()['id']}")
    card = page.locator(".acknowledgement")
    expect(card).to_contain_text("À envoyer")
    tab_to(page, "#acknowledge")
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_have_text("L'accusé de réception est envoyé à anne@example.fr.")
    expect(card).to_contain_text("Envoyé le")
    expect(page.locator("#acknowledge")).to_have_count(0)
    no_violations(page)

"""A request on the citizen record in chromium (issue 19): on a request's page an agent links it to a person's
record by its number ("Lier à une fiche citoyen"; a wrong number is said beside the field), opens the record, and
its timeline shows "Demande … reçue — …" linking back to the request; axe-clean in French, nothing spilling at a
desk's size."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import DESK, overflowing, shoot
from tests.browser.test_demandes import _put_categories, run
from tests.browser.test_setup import no_violations
from tests.browser.waiting import POLL_S


def timeline_of(hall: Hall, party: int, kind: str) -> list[dict[str, Any]]:
    """The party's entries of ``kind``, once there is one (10 s at most: the record follows the requests' events)."""
    deadline = time.monotonic() + 10
    while True:
        answer = hall.api("GET", f"/api/v1/tenants/{hall.site}/parties/{party}", "agent")
        assert answer.status_code == 200, answer.text
        entries = [e for e in answer.json()["timeline"] if e["kind"] == kind]
        if entries or time.monotonic() > deadline:
            return entries
        time.sleep(POLL_S)


def test_an_agent_links_a_request_to_a_record_whose_timeline_then_shows_it(page: Page, hall: Hall) -> None:
    """Léa links Anne's request (sent from an address her record lacks) to record no. N after a wrong number;
    Anne's card lists "Demande DEM-… reçue — Voirie…", whose link opens the request."""
    run(_put_categories(hall))
    party = hall.api("POST", f"/api/v1/tenants/{hall.site}/parties", "agent",
                     json={"kind": "person", "first_name": "Anne", "last_name": "Lefèvre"})
    assert party.status_code == 201, party.text
    number = party.json()["id"]
    made = hall.api("POST", f"/api/v1/tenants/{hall.site}/requests", json={
        "category": "voirie", "subject": "Trottoir abîmé rue Haute",
        "body": "Bonjour,\nle trottoir devant le 12 rue Haute est défoncé depuis l'orage.",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne.l@example.fr"}})
    assert made.status_code == 201, made.text
    request, reference = made.json()["id"], made.json()["reference"]
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", f"/demandes/{request}")

    expect(page.locator("#record-title")).to_have_text("Fiche citoyen")
    page.get_by_label("Lier à une fiche citoyen").fill("999999")
    page.get_by_role("button", name="Lier", exact=True).click()
    expect(page.locator("#party-problem")).to_have_text("Il n'y a pas de fiche n° 999999 dans le fichier des citoyens.")
    expect(page.locator("#party")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Lier à une fiche citoyen").fill(str(number))
    page.get_by_role("button", name="Lier", exact=True).click()
    expect(page.locator("#said")).to_have_text(f"La demande est liée à la fiche n° {number}.")
    expect(page.locator("#linked-party")).to_contain_text(f"Liée à la fiche n° {number}.")
    no_violations(page)
    shoot(page, "demande-fiche-citoyen", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []

    assert timeline_of(hall, number, "request"), "the record did not get the request"
    page.get_by_role("link", name="Ouvrir la fiche").click()
    page.wait_for_url(f"{hall.url}/crm/{number}")
    entry = page.locator(".timeline .event.kind-request")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"Demande {reference} reçue — Voirie et propreté")
    no_violations(page)
    shoot(page, "crm-card-request")
    assert overflowing(page, scrolls=True, root="main") == []
    entry.get_by_role("link").click()
    page.wait_for_url(f"{hall.url}/demandes/{request}")
    expect(page.locator("h1")).to_contain_text(reference)

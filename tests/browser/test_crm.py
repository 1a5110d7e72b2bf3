"""The citizen record's pages (/crm) in chromium: an agent finds a person as they type and opens the card with the
keyboard, then adds a note, axe-clean in French; a supervisor merges a pair of likely duplicates."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.test_setup import no_violations


def create(hall: Hall, **party: Any) -> dict[str, Any]:
    made = hall.api("POST", f"/api/v1/tenants/{hall.site}/parties", "agent", json={"kind": "person", **party})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_an_agent_finds_a_person_as_they_type_and_notes_the_visit(page: Page, hall: Hall) -> None:
    anne = create(hall, first_name="Anne", last_name="Lefèvre", birth_date="1980-04-02", phones=["06 12 34 56 78"])
    create(hall, first_name="Bernard", last_name="Lefort")
    hall.sign_in(page, "agent", "/crm")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("lefevre")
    results = page.locator("#results .result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Anne Lefèvre")
    expect(results.first).to_contain_text("06 •• •• 56 78")
    expect(page.locator("#results-status")).to_have_text("1 fiche trouvée")
    no_violations(page)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#results a.result-name").first).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{hall.url}/crm/{anne['id']}")
    expect(page.locator("h1")).to_have_text("Anne Lefèvre")
    expect(page.locator("#f-text-warning")).to_contain_text("N'écrivez ni donnée de santé")
    page.locator("#f-text").fill("Demande d'acte de naissance : remis sur place.")
    page.locator(".note-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"done=noted"))
    expect(page.locator("#done")).to_have_text("La note a été ajoutée à l'historique.")
    expect(page.locator(".timeline .event").first).to_contain_text("Demande d'acte de naissance : remis sur place.")
    no_violations(page)


def test_a_supervisor_merges_a_pair_of_likely_duplicates(page: Page, hall: Hall) -> None:
    kept = create(hall, first_name="Anne", last_name="Lefèvre", phones=["06 12 34 56 78"])
    gone = create(hall, first_name="Anne", last_name="Lefevre", phones=["+33 6 12 34 56 78"])
    assert [d["id"] for d in gone["likely_duplicates"]] == [kept["id"]]
    hall.sign_in(page, "supervisor", "/crm/duplicates")

    pair = page.locator("section.pair")
    expect(pair).to_have_count(1)
    expect(pair.locator(".reason")).to_have_text("Pourquoi : même téléphone")
    pair.locator(f"a[href$='into={kept['id']}']").click()
    expect(page.locator("h1")).to_have_text("Fusionner ces deux fiches ?")
    page.get_by_role("button", name="Oui, fusionner").click()

    page.wait_for_url(re.compile(r"done=merged"))
    expect(page.locator("#done")).to_contain_text("Les deux fiches ont été fusionnées en une seule.")
    expect(page.locator("main")).to_contain_text("Aucun doublon probable à examiner.")
    no_violations(page)
    assert hall.api("GET", f"/api/v1/tenants/{hall.site}/parties/{gone['id']}", "agent").status_code == 404

"""The campaigns of questions in chromium, at a desk (1366×768): a supervisor creates one with the keyboard (a choice
question and a text question), is told first, next to the field, that a choice needs two answers, then sees it
listed; a citizen's survey of its period asks its questions; their answers show on /enquetes (a table with bars, the
texts masked); the campaign is deleted after a confirmation. Axe-clean, nothing spilling out of the screen."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import DESK, overflowing, shoot
from tests.browser.test_setup import no_violations
from tests.browser.test_surveys import served


def _phone() -> str:
    return f"06 13 {uuid.uuid4().int % 10**6:06d}"


def test_a_supervisor_creates_a_campaign_with_the_keyboard_and_reads_its_answers(page: Page, hall: Hall) -> None:
    """Nouvelle campagne, a name, the last day, État civil, a choice with one answer and a text question: the
    refusal is said next to the answers (aria-invalid, described) and in the summary, which takes the focus, with
    nothing typed lost; a second answer, and the campaign is listed as current. A citizen's survey asks its
    questions; the answers show on /enquetes; Supprimer asks first, then the campaign is gone."""
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "supervisor", "/enquetes/campagnes")
    expect(page.get_by_role("heading", name="Campagnes de questions", level=1)).to_be_visible()
    opener = page.get_by_role("button", name="Nouvelle campagne")
    opener.focus()
    page.keyboard.press("Enter")
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type("Accueil du printemps")
    last = (date.today() + timedelta(days=30)).isoformat()
    page.locator("#last").fill(last)  # a date field's parts follow the browser's locale: set as a whole
    page.get_by_role("checkbox", name="État civil").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="État civil")).to_be_checked()
    page.locator("#q1-label").focus()
    page.keyboard.type("Comment avez-vous trouvé l'attente ?")
    page.keyboard.press("Tab")
    expect(page.locator("#q1-kind-choice")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#q1-choices")).to_be_focused()
    page.keyboard.type("Courte")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Ajouter une question")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#q2-label")).to_be_focused()
    expect(page.get_by_role("group", name="Question 2")).to_be_visible()
    page.keyboard.type("Une idée pour nous ?")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#q2-kind-text")).to_be_checked()
    expect(page.locator("#q2-choices")).to_be_hidden()
    expect(page.locator("#preview")).to_contain_text("Une idée pour nous ?")
    expect(page.locator("#preview")).to_contain_text("Une réponse libre")
    page.get_by_role("button", name="Créer la campagne").focus()
    page.keyboard.press("Enter")

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("La campagne n'est pas encore créée : corrigez ce point.")
    expect(page.locator("#q1-choices-error")).to_have_text(
        "Donnez de 2 à 8 réponses différentes, une par ligne (200 caractères au plus chacune).")
    choices = page.locator("#q1-choices")
    expect(choices).to_have_attribute("aria-invalid", "true")
    expect(choices).to_have_attribute("aria-describedby", "q1-choices-hint q1-choices-error")
    expect(page.locator("#name")).to_have_value("Accueil du printemps")
    expect(page.locator("#q2-label")).to_have_value("Une idée pour nous ?")
    assert overflowing(page, scrolls=True, root="main") == []
    no_violations(page)
    shoot(page, "campagnes-refused")

    page.keyboard.press("Tab")  # the summary's link to the field
    page.keyboard.press("Enter")
    expect(choices).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("Longue")
    page.get_by_role("button", name="Créer la campagne").focus()
    page.keyboard.press("Enter")
    said = page.locator("#said .done")
    expect(said).to_have_text("Campagne « Accueil du printemps » créée.")
    expect(said).to_be_focused()
    card = page.locator(".campaign-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("En cours")
    expect(card).to_contain_text("État civil")
    expect(card).to_contain_text("un choix parmi : Courte / Longue")
    expect(card).to_contain_text("Une idée pour nous ?")
    assert overflowing(page, scrolls=True, root="main") == []
    no_violations(page)
    shoot(page, "campagnes")

    token = served(hall, _phone(), "etat-civil")
    page.goto(f"{hall.url}/s/{token}")
    expect(page.get_by_role("group", name="Comment avez-vous trouvé l'attente ?")).to_be_visible()
    expect(page.get_by_role("radio", name="Longue")).to_be_visible()
    expect(page.get_by_role("textbox", name="Une idée pour nous ?")).to_be_visible()
    answered = hall.api("POST", f"/api/v1/surveys/{token}",
                        json={"score": 4, "answers": {"q1": "Longue", "q2": "Des chaises, appelez le 06 11 22 33 44"}})
    assert answered.status_code == 201, answered.text

    page.goto(f"{hall.url}/enquetes")
    figures = page.locator(".campaign-figures")
    expect(figures.get_by_role("heading", name="Accueil du printemps")).to_be_visible()
    table = figures.get_by_role("table", name="Comment avez-vous trouvé l'attente ?")
    expect(table.get_by_role("row", name="Longue")).to_contain_text("100 %")
    expect(table.get_by_role("row", name="Courte")).to_contain_text("0 %")
    expect(figures).to_contain_text("Des chaises, appelez le [numéro masqué]")
    assert overflowing(page, scrolls=True, root="main") == []
    no_violations(page)
    figures.scroll_into_view_if_needed()
    shoot(page, "enquetes-campagnes")

    page.goto(f"{hall.url}/enquetes/campagnes")
    delete = page.get_by_role("button", name="Supprimer la campagne « Accueil du printemps »")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Supprimer la campagne « Accueil du printemps » ?")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Non, garder la campagne")).to_be_focused()
    no_violations(page)
    shoot(page, "campagnes-delete")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Oui, supprimer la campagne")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#said .done")).to_have_text("Campagne « Accueil du printemps » supprimée.")
    expect(page.locator(".campaign-card")).to_have_count(0)

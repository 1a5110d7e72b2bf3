"""The agent page in chromium: sign in, choose a counter, serve with the keyboard alone (French mnemonics in
French: S suivant, C commencer, T terminer, A absent, O orienter, M remettre en file, H hors tour, P pause, F fermer;
English ones in English); reception leaves notes that the agent reads when calling; the hall display follows within
a second; a visit ends with its outcome, a pause says why, closing asks first; the agent sees their own day."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser import looks
from tests.browser.conftest import Hall

AXE = Axe()


def issue(hall: Hall, service: str = "etat-civil", **body: Any) -> dict[str, Any]:
    answer = hall.api("POST", "/tickets", "kiosk", json={"service": service, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def ticket(hall: Hall, ticket_id: str) -> dict[str, Any]:
    return hall.api("GET", f"/tickets/{ticket_id}").json()  # type: ignore[no-any-return]


def counter(hall: Hall, counter_id: str) -> dict[str, Any]:
    state = hall.api("GET", "/state", "supervisor").json()
    return next(c for c in state["counters"] if c["id"] == counter_id)  # type: ignore[no-any-return]


def start_at_counter(page: Page, hall: Hall, counter_id: str = "2", role: str = "agent") -> None:
    """Sign in and choose ``counter_id`` with every service, with the keyboard only."""
    hall.sign_in(page, role, "/counter")
    expect(page.locator("#setup-title")).to_be_visible()
    expect(page.locator("#counter-choice")).to_be_focused()
    page.keyboard.press("Home")
    for _ in range(int(counter_id) - 1):
        page.keyboard.press("ArrowDown")
    page.locator("#setup-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#counter-name")).to_have_text(f"Guichet {counter_id}")
    expect(page.locator("#connection")).to_have_text("En direct")
    expect(page.locator("#counter-status")).to_have_text("Ouvert")  # taking one's seat opens the counter
    # The live event can show "Ouvert" before the page's own request has returned; its buttons wait for it.
    expect(page.locator("#act-next")).to_be_enabled()


def test_an_agent_calls_next_and_the_display_and_supervisor_show_it_within_a_second(browser: Browser,
                                                                                   hall: Hall) -> None:
    """The agent presses N: their page shows the ticket, the hall display shows the call and the
    supervisor's dashboard shows it at counter 2 with the agent's name, each within 1 s."""
    agent = browser.new_page(locale="fr-FR")
    display = browser.new_page(locale="fr-FR")
    supervisor = browser.new_page(locale="fr-FR")
    first = issue(hall)
    start_at_counter(agent, hall)
    expect(agent.locator("#queues")).to_contain_text(first["number"])
    # The server's estimate in the words every page uses (Live.waitWords), never "≤ 1 min".
    expect(agent.locator("#queues .estimate").first).to_have_text(
        re.compile(r"^ · (pas d'attente|moins de 5 min|environ \d+ min)$"))
    display.goto(f"{hall.url}/display?token={hall.tokens['display']}")
    expect(display.locator("#site-name")).to_have_text("Mairie de Démoville")
    hall.sign_in(supervisor, "supervisor", "/supervisor")
    expect(supervisor.locator("#connection")).to_have_attribute("data-live", "1")
    row = supervisor.locator("#counters tr[data-counter='2']")
    agent.keyboard.press("s")
    expect(display.locator("#current .number")).to_have_text("A001", timeout=1_000)
    expect(row.locator(".ticket .number")).to_have_text("A001", timeout=1_000)
    expect(row.locator(".agent")).to_have_text("Léa Martin", timeout=1_000)
    expect(display.locator("#current .where")).to_have_text("→ Guichet 2")
    expect(agent.locator("#current .number")).to_have_text("A001", timeout=1_000)
    expect(agent.locator("#said")).to_have_text("A001 appelé.")
    called = counter(hall, "2")
    assert called["ticket"]["number"] == "A001" and called["agent"] == "Léa Martin"
    for page in (agent, display, supervisor):
        page.context.close()


def test_every_action_works_from_the_keyboard(page: Page, hall: Hall) -> None:
    """Call, recall, start, finish, no-show then back in the queue, transfer with a note, call out of turn,
    pause, resume and close: keys only, each visible on the page and true on the server."""
    a1, a2, a3 = issue(hall), issue(hall), issue(hall)
    start_at_counter(page, hall)
    keys = page.keyboard
    keys.press("s")
    expect(page.locator("#current .number")).to_have_text("A001")
    expect(page.locator("#said")).to_have_text("A001 appelé.")  # each key waits for the answer to the last
    keys.press("r")
    expect(page.locator("#said")).to_have_text("A001 rappelé.")
    expect(page.locator("#current .state")).to_contain_text("rappelé 1 fois")
    assert ticket(hall, a1["id"])["recalls"] == 1
    keys.press("c")
    expect(page.locator("#said")).to_have_text("A001 en cours.")
    expect(page.locator("#current .state")).to_contain_text("En cours")
    keys.press("t")  # État civil offers no outcome here: finished at once
    expect(page.locator("#said")).to_have_text("A001 terminé.")
    assert ticket(hall, a1["id"])["status"] == "done"
    expect(page.locator("#current")).to_contain_text("Personne à votre guichet")

    keys.press("s")  # A002 does not come
    expect(page.locator("#said")).to_have_text("A002 appelé.")
    keys.press("a")
    expect(page.locator("#said")).to_contain_text("A002 ne s'est pas présenté")
    assert ticket(hall, a2["id"])["status"] == "no_show"
    keys.press("m")
    expect(page.locator("#said")).to_have_text("A002 est de retour dans la file.")
    assert ticket(hall, a2["id"])["status"] == "waiting"

    keys.press("h")  # A003 out of turn ("hors tour")
    expect(page.locator("#out-of-turn-number")).to_be_focused()
    keys.type("a3")
    keys.press("Enter")
    expect(page.locator("#said")).to_have_text("A003 appelé.")
    expect(page.locator("#current .number")).to_have_text("A003")
    assert ticket(hall, a3["id"])["counter"] == "2"

    keys.press("o")  # transfer ("orienter") A003 to passports with a note
    expect(page.locator("#transfer-service")).to_be_focused()
    page.select_option("#transfer-service", "passeports")  # a select's value: what ArrowDown would pick
    keys.press("Tab")
    keys.press("Tab")
    expect(page.locator("#transfer-note")).to_be_focused()
    keys.type("Dossier incomplet : manque le justificatif.")
    keys.press("Tab")
    keys.press("Enter")
    expect(page.locator("#said")).to_have_text("A003 transféré vers Passeports et cartes d'identité.")
    queue = hall.api("GET", "/state", "supervisor").json()["queue"]  # the staff's view: it says "noted"
    moved = next(t for t in queue if t["id"] == a3["id"])
    assert (moved["service"], moved["status"], moved["noted"]) == ("passeports", "waiting", True)
    note = hall.api("GET", f"/tickets/{a3['id']}/note").json()
    assert note == {"text": "Dossier incomplet : manque le justificatif."}

    keys.press("p")
    expect(page.locator("#pause-dialog")).to_be_visible()
    keys.press("1")  # the first reason: a break
    expect(page.locator("#said")).to_have_text("Guichet en pause : Pause.")
    expect(page.locator("#counter-status")).to_have_text("En pause · Pause")
    assert counter(hall, "2")["status"] == "paused"
    keys.press("p")
    expect(page.locator("#said")).to_have_text("Guichet rouvert.")
    expect(page.locator("#counter-status")).to_have_text("Ouvert")
    keys.press("f")
    expect(page.locator("#close-yes")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#counter-status")).to_have_text("Fermé")
    assert counter(hall, "2")["status"] == "closed"


def test_refusals_are_said_plainly(page: Page, hall: Hall) -> None:
    """Nobody waiting, or a call while the ticket called is not served yet: the page says why in French words,
    and nothing changes."""
    start_at_counter(page, hall)
    page.keyboard.press("s")
    expect(page.locator("#said")).to_have_text("Personne n'attend dans vos services.")
    issue(hall)
    issue(hall)
    page.keyboard.press("s")
    expect(page.locator("#said")).to_have_text("A001 appelé.")
    page.keyboard.press("s")  # A001 was called but not served: the server would refuse to call another
    expect(page.locator("#said")).to_have_text("A001 a été appelé et pas encore reçu : commencez, rappelez ou "
                                               "marquez absent d'abord.")
    expect(page.locator("#said")).to_have_class("said problem")
    assert counter(hall, "2")["ticket"]["number"] == "A001"


def test_reception_leaves_a_note_the_agent_reads_when_calling(browser: Browser, hall: Hall) -> None:
    """At reception, find A001 and leave a note; give a ticket to someone with a note; the agent at the
    counter sees each note with the call."""
    issue(hall)
    reception = browser.new_page(locale="fr-FR")
    hall.sign_in(reception, "agent", "/counter")
    reception.click("#tab-reception")
    expect(reception.locator("#reception-title")).to_be_visible()
    reception.fill("#find-number", "a1")
    reception.keyboard.press("Enter")
    expect(reception.locator("#found .number")).to_have_text("A001")
    expect(reception.locator("#found")).to_contain_text("en attente, 0 devant")
    reception.fill("#note-text", "Malentendante : parler face à elle.")
    reception.click("#note-form button")
    expect(reception.locator("#said")).to_have_text("Note enregistrée pour A001.")
    reception.select_option("#issue-service", "etat-civil")
    reception.fill("#issue-note", "Vient pour son père.")
    reception.click("#issue-form button")
    expect(reception.locator("#issued")).to_have_text("Ticket A002 donné (1 devant).")

    agent = browser.new_page(locale="fr-FR")
    start_at_counter(agent, hall, "1", role="supervisor")
    agent.keyboard.press("s")
    expect(agent.locator("#current .note")).to_contain_text("Malentendante : parler face à elle.")
    agent.keyboard.press("t")
    expect(agent.locator("#said")).to_have_text("A001 terminé.")
    agent.keyboard.press("s")
    expect(agent.locator("#current .number")).to_have_text("A002")
    expect(agent.locator("#current .note")).to_contain_text("Vient pour son père.")
    agent.keyboard.press("t")
    expect(agent.locator("#said")).to_have_text("A002 terminé.")
    reception.fill("#find-number", "A002")
    reception.keyboard.press("Enter")
    expect(reception.locator("#found")).to_contain_text("servi")
    expect(reception.locator("#found-actions")).to_be_hidden()  # a visit over cannot be cancelled
    log = hall.api("GET", "/api/v1/audit", "admin").json()
    assert [e["target"] for e in log if e["action"] == "note.read"][:2] == ["ticket:A002", "ticket:A001"]
    reception.context.close()
    agent.context.close()


def test_the_choice_of_counter_is_remembered(page: Page, hall: Hall) -> None:
    """After a reload the page is at the same counter, with the same services."""
    start_at_counter(page, hall, "3")
    page.reload()
    expect(page.locator("#counter-name")).to_have_text("Guichet 3")
    expect(page.locator("#setup")).to_be_hidden()


def test_the_agent_page_passes_axe_in_french_and_english(page: Page, hall: Hall) -> None:
    """axe-core finds nothing on the setup, desk and reception screens, in French and in English."""
    hall.sign_in(page, "agent", "/counter")
    for lang, (call, finish, opened) in {"fr": ("s", "t", "Ouvert"), "en": ("n", "f", "Open")}.items():
        number = issue(hall)["number"]
        page.goto(f"{hall.url}/counter?lang={lang}")
        expect(page.locator("#connection")).not_to_be_empty()
        result = AXE.run(page)
        assert result.violations_count == 0, result.generate_report()
        page.locator("#setup-form button[type=submit]").click()
        expect(page.locator("#queues")).to_contain_text(number)
        expect(page.locator("#counter-status")).to_have_text(opened)
        page.keyboard.press(call)
        expect(page.locator("#current .number")).to_have_text(number)
        expect(page.locator("#said")).not_to_be_empty()
        result = AXE.run(page)
        assert result.violations_count == 0, result.generate_report()
        page.keyboard.press("g")
        expect(page.locator("#reception")).to_be_visible()
        result = AXE.run(page)
        assert result.violations_count == 0, result.generate_report()
        page.keyboard.press("g")
        page.keyboard.press(finish)
        expect(page.locator("#current .none")).to_be_visible()
        page.evaluate("localStorage.clear()")


def test_a_person_without_a_staff_role_is_refused_and_strangers_sign_in(page: Page, hall: Hall) -> None:
    """Not signed in: to the login page, then back; the 403 page for nobody here is tested over HTTP."""
    page.goto(f"{hall.url}/counter")
    expect(page).to_have_url(f"{hall.url}/login?next=%2Fcounter")


def test_single_key_shortcuts_can_be_turned_off_and_stay_off(page: Page, hall: Hall) -> None:
    """With the shortcuts off (speech input users), N calls nobody; the buttons still work; the choice
    survives a reload."""
    issue(hall)
    start_at_counter(page, hall)
    page.uncheck("#keys-on")
    page.locator("#act-next").focus()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.keyboard.press("s")
    # A barrier, not a wait: a call at the key press would have been sent synchronously, before this request.
    assert page.evaluate("fetch('/api/v1/me').then((answer) => answer.status)") == 200
    assert sent[-1].endswith("/api/v1/me") and not [url for url in sent if url.endswith("/next")], sent
    assert counter(hall, "2")["ticket"] is None
    page.reload()
    expect(page.locator("#keys-on")).not_to_be_checked()
    page.locator("#act-next").press("Enter")
    expect(page.locator("#current .number")).to_have_text("A001")


def test_reception_cancels_the_ticket_of_someone_who_leaves(page: Page, hall: Hall) -> None:
    """Find the ticket, Cancel, confirm: the ticket is cancelled on the server, the page says so; "No"
    keeps it."""
    first = issue(hall)
    hall.sign_in(page, "agent", "/counter")
    page.click("#tab-reception")
    page.fill("#find-number", "A001")
    page.keyboard.press("Enter")
    page.click("#cancel-found")
    expect(page.locator("#cancel-question")).to_have_text("Annuler vraiment le ticket A001 ?")
    expect(page.locator("#cancel-yes")).to_be_focused()
    page.click("#cancel-no")
    expect(page.locator("#cancel-found")).to_be_focused()
    assert ticket(hall, first["id"])["status"] == "waiting"
    page.click("#cancel-found")
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_have_text("Ticket A001 annulé.")
    expect(page.locator("#found")).to_contain_text("annulé")
    assert ticket(hall, first["id"])["status"] == "cancelled"


OUTCOMES = ["Dossier complet", "Pièce manquante", "Renseignement donné"]


def test_a_french_desk_serves_with_mnemonics_outcomes_reasons_and_the_agents_own_day(page: Page, hall: Hall) -> None:
    """In French: the counter opens as the agent takes it (a proper title, its badge at once, boxes beside their
    labels); S calls; T asks how the visit ended and 2 picks the second outcome; P asks why and 3 says a meeting,
    which supervisors see; F asks before closing (Esc keeps it open, Enter closes it); the agent's own figures
    follow; nothing overflows at 1366×768 and 1920×1080 and axe finds nothing, dialogs open or not."""
    answer = hall.api("PUT", "/services/etat-civil", "admin", json={"outcomes": OUTCOMES})
    assert answer.status_code == 200, answer.text
    first = issue(hall)
    issue(hall)
    page.set_viewport_size({"width": looks.DESK[0], "height": looks.DESK[1]})
    hall.sign_in(page, "agent", "/counter")
    box, label = page.locator("#service-choices input").first.bounding_box(), \
        page.locator("#service-choices label").first.bounding_box()
    assert box and label and abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
    assert label["x"] > box["x"] + box["width"]  # the label beside its box, not under it
    page.locator("#counter-choice").select_option("2")
    page.locator("#setup-form button[type=submit]").click()
    expect(page.locator("#counter-status")).to_have_text("Ouvert")
    expect(page.locator("#act-next")).to_be_enabled()  # the page's own request has returned
    expect(page).to_have_title("Guichet 2 — Mairie de Démoville")
    expect(page.locator("#my-figures")).to_have_text("Aucune visite terminée aujourd'hui.")
    expect(page.locator("#act-next kbd")).to_have_text("S")
    expect(page.locator("#queues .count").first).to_have_text("2 personnes en attente")

    page.keyboard.press("s")
    expect(page.locator("#said")).to_have_text("A001 appelé.")
    page.keyboard.press("t")
    dialog = page.locator("#finish-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("button.choice").first).to_be_focused()
    expect(dialog.locator("button.choice")).to_have_text(["1 Dossier complet", "2 Pièce manquante",
                                                         "3 Renseignement donné"])
    looks.shoot(page, "counter-outcome")
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()
    page.keyboard.press("2")
    expect(page.locator("#said")).to_have_text("A001 terminé : Pièce manquante.")
    assert ticket(hall, first["id"])["status"] == "done"
    expect(page.locator("#my-figures")).to_contain_text("1 visite")
    expect(page.locator("#my-figures")).to_contain_text("0 absent")

    page.keyboard.press("p")
    expect(page.locator("#pause-dialog")).to_be_visible()
    page.keyboard.press("3")
    expect(page.locator("#said")).to_have_text("Guichet en pause : Réunion.")
    expect(page.locator("#counter-status")).to_have_text("En pause · Réunion")
    assert counter(hall, "2")["pause_reason"] == "meeting"  # what supervisors read on the counter
    page.keyboard.press("p")
    expect(page.locator("#counter-status")).to_have_text("Ouvert")
    expect(page.locator("#act-next")).to_be_enabled()  # the page's own request has returned

    page.keyboard.press("f")
    expect(page.locator("#close-dialog")).to_be_visible()
    expect(page.locator("#close-yes")).to_be_focused()
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()
    page.keyboard.press("Escape")
    expect(page.locator("#close-dialog")).to_be_hidden()
    assert counter(hall, "2")["status"] == "open"
    page.keyboard.press("?")
    expect(page.locator("#help-dialog dt kbd").first).to_have_text("S")
    expect(page.locator("#help-dialog dd").first).to_contain_text("Appeler le suivant")
    page.keyboard.press("Escape")
    for size, name in ((looks.DESK, "counter-desk"), (looks.DESK_WIDE, "counter-desk-wide")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        looks.shoot(page, name)
        assert looks.overflowing(page, scrolls=True) == []
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()
    page.keyboard.press("f")
    page.keyboard.press("Enter")
    expect(page.locator("#counter-status")).to_have_text("Fermé")
    assert counter(hall, "2")["status"] == "closed"


def test_english_shortcuts_in_english_and_an_agent_gives_one_another_key(page: Page, hall: Hall) -> None:
    """In English the keys are English mnemonics (N calls); in the help dialog, Change then J gives "Call next"
    the key J, which then calls, is written on the button and is kept after a reload; the original keys come back
    on request."""
    issue(hall)
    issue(hall)
    hall.sign_in(page, "agent", "/counter?lang=en")
    page.locator("#setup-form button[type=submit]").click()
    expect(page.locator("#counter-status")).to_have_text("Open")
    expect(page.locator("#act-next kbd")).to_have_text("N")
    page.keyboard.press("n")
    expect(page.locator("#said")).to_have_text("A001 called.")
    page.keyboard.press("f")
    expect(page.locator("#said")).to_have_text("A001 finished.")
    page.keyboard.press("?")
    page.locator("[data-change='next']").click()
    page.keyboard.press("j")
    expect(page.locator("#keys-said")).to_have_text("J: Call next.")
    page.keyboard.press("Escape")
    expect(page.locator("#help-dialog")).to_be_hidden()
    expect(page.locator("#act-next kbd")).to_have_text("J")
    expect(page.locator("#act-next")).to_have_attribute("aria-keyshortcuts", "J")
    page.reload()
    expect(page.locator("#act-next kbd")).to_have_text("J")
    expect(page.locator("#connection")).to_have_text("Live")
    page.keyboard.press("j")
    expect(page.locator("#said")).to_have_text("A002 called.")
    page.keyboard.press("?")
    page.locator("#keys-reset").click()
    expect(page.locator("#keys-said")).to_have_text("Shortcuts back to the original ones.")
    page.keyboard.press("Escape")
    expect(page.locator("#act-next kbd")).to_have_text("N")

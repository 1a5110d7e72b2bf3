"""The phone desk in chromium, at a desk's 1366×768: an agent takes a call with the keyboard (F2), finds the caller
by the number they call from, notes the reason, finds and reads a sheet the agglomeration shares, promises a
callback and logs the call with Ctrl+Enter; the callback is in their list, and the caller's record shows the call;
the callback is then marked done. A supervisor reads the calls' report. Every page is axe-clean and nothing spills
out of the screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import DESK, overflowing, shoot
from tests.browser.test_demandes import _put_categories, run
from tests.browser.test_kb import partners
from tests.browser.test_reception_booking import with_demo_motifs
from tests.browser.test_setup import no_violations
from tests.browser.waiting import eventually

ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "phones": ["06 12 34 56 78"]}
PARIS = ZoneInfo("Europe/Paris")


def party(hall: Hall, **fields: Any) -> dict[str, Any]:
    answer = hall.api("POST", f"/api/v1/tenants/{hall.site}/parties", json={"kind": "person", **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_an_agent_takes_a_call_with_the_keyboard_and_promises_a_callback(page: Page, hall: Hall) -> None:
    """F2 starts the call's clock and puts the focus in the caller's search; the number Anne calls from finds her
    record, Enter takes it and moves on to the reason; "dechets" finds, as the agent types, the sheet the
    agglomeration shares, marked with its owner; "Lire" opens it in the knowledge base's panel, read only, and the
    sheet is among the call's sheets consulted once the panel is closed; a callback for tomorrow morning to her
    number (filled in from her record) is promised to the agent herself; Ctrl+Enter logs the call: the page says so,
    the callback is first in "mine", the call among today's; Anne's record shows "Appel — Urbanisme (rappel à
    faire)" linking to the call, whose page names the sheet and its owner; marked done ("Joint"), the callback
    leaves the list."""
    anne = party(hall, **ANNE)
    partners(hall)  # the hall's collectivity and its agglomeration share their sheets
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/phone")
    expect(page.get_by_role("heading", name="Téléphone", level=1)).to_be_visible()
    expect(page.locator("#callback-list")).to_contain_text("Aucun rappel à faire.")
    no_violations(page)
    shoot(page, "phone-idle")

    page.keyboard.press("F2")
    expect(page.locator("#clock")).to_be_visible()
    expect(page.locator("#caller-q")).to_be_focused()
    page.keyboard.type("06 12 34 56 78")
    expect(page.locator("#caller-results button.result")).to_have_count(1)
    expect(page.locator("#caller-results")).to_contain_text("Anne Lefèvre")
    page.keyboard.press("Enter")
    expect(page.locator("#caller-name")).to_have_text("Anne Lefèvre")
    expect(page.locator("#reason")).to_be_focused()
    page.locator("#reason").select_option("urbanisme")
    page.keyboard.press("Tab")
    expect(page.locator("#note")).to_be_focused()
    page.keyboard.type("Demande où en est son permis de construire.")

    page.locator("#kb-q").fill("dechets")
    found = page.locator("#kb-results li.sheet")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Collecte des déchets et encombrants")
    expect(found.locator(".owner")).to_have_text("Partagée par Démoville Agglomération")
    expect(found.locator("mark").first).to_have_text(re.compile("déchets", re.I))
    found.get_by_role("button", name=re.compile("^Lire")).click()
    panel = page.get_by_role("dialog", name="Connaissances")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", level=3)).to_have_text("Collecte des déchets et encombrants")
    expect(panel).to_contain_text("Lecture seule : fiche de Démoville Agglomération.")
    expect(panel.locator("table")).to_contain_text("lundi et jeudi")
    no_violations(page)
    shoot(page, "phone-sheet")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    consulted = page.locator("#sheets li")
    expect(consulted).to_have_count(1)
    expect(consulted).to_contain_text("Collecte des déchets et encombrants")
    expect(consulted).to_contain_text("Démoville Agglomération")

    page.get_by_label("Rappel à faire", exact=True).check()
    expect(page.locator("#cb-phone")).to_have_value(re.compile(r"^\+?[0-9 ]*6 ?12 ?34 ?56 ?78$"))
    page.get_by_role("button", name="Demain matin").click()
    expect(page.locator("#cb-agent")).to_have_value(hall.login("agent"))
    expect(page.locator("#elapsed")).not_to_have_text("0:00")  # the clock runs (what the agent sees)
    no_violations(page)
    shoot(page, "phone-call")
    shoot(page, "phone-call-whole", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []

    page.locator("#note").focus()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#said")).to_contain_text("Appel enregistré")
    expect(page.locator("#call-form")).to_be_hidden()
    callback = page.locator("#callback-list li.callback")
    expect(callback).to_have_count(1)
    expect(callback).to_contain_text("Anne Lefèvre")
    expect(callback).to_contain_text("Urbanisme")
    expect(page.locator("#recent-list li")).to_have_count(1)
    expect(page.locator("#recent-list")).to_contain_text("Rappel à faire")
    no_violations(page)
    shoot(page, "phone-logged")

    calls = hall.api("GET", f"/api/v1/tenants/{hall.site}/phone/calls").json()["items"]
    assert [(c["party"], c["reason"], c["outcome"]) for c in calls] == [(anne["id"], "urbanisme", "callback")]
    assert [(s["title"], s["tenant"]) for s in calls[0]["sheets"]] == [
        ("Collecte des déchets et encombrants", f"{hall.site}-agglo")]
    assert calls[0]["duration_s"] >= 1 and calls[0]["callback"]["agent"] == hall.login("agent")
    # "Tomorrow morning" is 9:00 on the collectivity's clock (Paris), whatever the browser's (UTC here).
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    assert calls[0]["callback"]["due_at"] == datetime.combine(tomorrow, dt_time(9), PARIS).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    def on_timeline() -> bool:  # the record's worker may take a moment
        view = hall.api("GET", f"/api/v1/tenants/{hall.site}/parties/{anne['id']}", "supervisor").json()
        return any(e["kind"] == "call" for e in view["timeline"])

    eventually(on_timeline)
    record = page.context.new_page()
    record.goto(f"{hall.url}/crm/{anne['id']}")
    entry = record.locator(".timeline .event.kind-call")
    expect(entry).to_contain_text("Appel — Urbanisme (rappel à faire)")
    expect(entry.get_by_role("link")).to_have_attribute("href", f"/phone/appels/{calls[0]['id']}")
    entry.get_by_role("link").click()
    expect(record.get_by_role("heading", level=1)).to_contain_text("Appel du")
    expect(record.locator("main")).to_contain_text("Demande où en est son permis de construire.")
    expect(record.locator("main")).to_contain_text("Collecte des déchets et encombrants (Démoville Agglomération)")
    no_violations(record)
    shoot(record, "phone-call-page")
    record.close()

    callback.get_by_role("button", name=re.compile("^Marquer comme fait")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    no_violations(page)
    dialog.get_by_label("Joint").check()
    dialog.get_by_role("button", name="Marquer comme fait").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#said")).to_have_text("Rappel marqué comme fait.")
    expect(page.locator("#callback-list")).to_contain_text("Aucun rappel à faire.")


def test_a_new_caller_gets_a_record_during_the_call(page: Page, hall: Hall) -> None:
    """N (outside any field) takes a call, and a reload of the page during it keeps its clock; a number nobody in
    the record has opens the form of a new record, filled with what was typed; its record made, the call is logged
    as answered for état civil, and a missing reason is said next to its field first."""
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/phone")
    page.locator("main h1").click()
    page.keyboard.press("n")
    expect(page.locator("#caller-q")).to_be_focused()
    page.evaluate("sessionStorage.setItem('phone-call-started', String(Date.now() - 65000))")  # taken 65 s ago
    page.reload()
    expect(page.locator("#clock")).to_be_visible()
    expect(page.locator("#elapsed")).to_have_text(re.compile(r"^1:0[5-9]$"))
    expect(page.locator("#caller-q")).to_be_focused()
    page.keyboard.type("Durand 06 98 76 54 32")
    expect(page.locator("#caller-status")).to_contain_text("Personne ne répond")
    expect(page.locator("#new-person")).to_have_attribute("open", "")
    expect(page.locator("#np-last")).to_have_value("Durand")
    page.locator("#np-first").fill("Paul")
    page.get_by_role("button", name="Créer la fiche").click()
    expect(page.locator("#caller-name")).to_have_text("Paul Durand")
    page.get_by_label("Répondu").check()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#reason-error")).to_have_text("Choisissez le motif de l'appel.")
    no_violations(page)
    page.locator("#reason").select_option("etat-civil")
    page.get_by_role("button", name=re.compile("^Enregistrer l'appel")).click()
    expect(page.locator("#said")).to_contain_text("Appel enregistré")
    [call] = hall.api("GET", f"/api/v1/tenants/{hall.site}/phone/calls").json()["items"]
    assert (call["caller"], call["outcome"]) == ("Paul Durand", "answered") and call["duration_s"] >= 65


def test_a_supervisor_reads_the_calls_report(page: Page, hall: Hall) -> None:
    """Three calls logged this month: the report counts them per reason, draws the hour they came in and links the
    spreadsheets; axe-clean, nothing spills out of the screen."""
    for reason, outcome in (("voirie", "answered"), ("voirie", "request"), ("dechets", "appointment")):
        answer = hall.api("POST", f"/api/v1/tenants/{hall.site}/phone/calls",
                          json={"reason": reason, "outcome": outcome, "duration_s": 150})
        assert answer.status_code == 201, answer.text
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "supervisor", "/phone")
    page.get_by_role("link", name="Bilan des appels").click()
    expect(page.get_by_role("heading", name="Bilan des appels", level=1)).to_be_visible()
    table = page.locator("#by-reason")
    expect(table.locator("tbody tr").first).to_contain_text("Voirie et propreté")
    expect(table.locator("tfoot td").first).to_have_text("3")
    expect(page.locator("svg.chart rect.bar")).to_have_count(1)
    expect(page.get_by_role("link", name="Par motif (CSV)")).to_have_attribute(
        "href", re.compile(rf"^/api/v1/tenants/{hall.site}/phone/stats\.csv\?from="))
    no_violations(page)
    shoot(page, "phone-bilan")
    shoot(page, "phone-bilan-whole", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []


def test_a_calls_appointment_and_request_open_with_its_caller(page: Page, hall: Hall) -> None:
    """Anne calls to report a pavement and to book an appointment. "Demande créée" offers the new request's form in
    a new tab, filled with how it came (phone), her names and number, saying it goes to her record; filed, the request
    is linked to her record. "Rendez-vous pris" opens reception with Anne chosen, its booking panel offered for her,
    and the address forgets her number."""
    run(_put_categories(hall))
    with_demo_motifs(hall)  # reception offers booking where the site has motifs to book
    anne = party(hall, **ANNE)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/phone")
    page.keyboard.press("F2")
    page.keyboard.type("06 12 34 56 78")
    expect(page.locator("#caller-results button.result")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#caller-name")).to_have_text("Anne Lefèvre")
    page.locator("#reason").select_option("voirie")

    page.get_by_label("Demande créée", exact=True).check()
    with page.context.expect_page() as opened:
        page.locator("#request-link").click()
    form = opened.value
    expect(form.locator("h1")).to_have_text("Nouvelle demande")
    expect(form.locator("#channel-phone")).to_be_checked()
    expect(form.locator("#first_name")).to_have_value("Anne")
    expect(form.locator("#last_name")).to_have_value("Lefèvre")
    expect(form.locator("#phone")).to_have_value(re.compile(r"6 ?12 ?34 ?56 ?78$"))
    expect(form.locator("#party-note")).to_have_text("La demande sera ajoutée à la fiche citoyen de Anne Lefèvre.")
    no_violations(form)
    shoot(form, "demandes-nouvelle-from-phone")
    form.locator("#category").select_option("voirie")
    form.locator("#subject").fill("Trottoir abîmé rue Haute")
    form.locator("#body").fill("Le trottoir devant le 12 rue Haute est défoncé depuis l'orage.")
    form.locator("#email").fill("anne.lefevre@example.fr")
    form.locator("#file").click()
    form.wait_for_url(re.compile(r"/demandes/[A-Za-z0-9_-]+$"))
    expect(form.locator("#linked-party")).to_contain_text(f"{anne['id']}")
    form.close()

    page.get_by_label("Rendez-vous pris", exact=True).check()
    expect(page.locator("#book-link")).to_have_attribute("href", f"/counter?party={anne['id']}#reception")
    with page.context.expect_page() as opened:
        page.locator("#book-link").click()
    reception = opened.value
    expect(reception.locator("#person-name")).to_have_text("Anne Lefèvre")
    expect(reception.locator("#booking")).to_be_visible()
    shoot(reception, "reception-from-phone")
    eventually(lambda: "party=" not in reception.url)
    assert reception.url.endswith("/counter#reception")
    no_violations(reception)

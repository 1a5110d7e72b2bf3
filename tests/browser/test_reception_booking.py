"""Reception books for the person in front of them, in chromium, keys only: the person found in the citizen record,
an appointment for a passport and one for a building permit (two services), one confirmation for both; the day's
agenda then lists them. Both pages are axe-clean. With GUICHET_BOOKING_SCREENSHOTS set, screenshots of the panel and
of the agenda at 1366×768 and 1920×1080 go there."""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from queue_server.booking.domain.motifs import Motif
from queue_server.booking.seed import demo_motifs
from tests.browser.conftest import Hall

AXE = Axe()
SCREENSHOTS = os.environ.get("GUICHET_BOOKING_SCREENSHOTS", "")
SIZES = ((1366, 768), (1920, 1080))
PARIS = ZoneInfo("Europe/Paris")
TAHITI = ZoneInfo("Pacific/Tahiti")
LAST_HOUR = 23  # from then on, Paris has too few of today's slots left
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def motif_body(motif: Motif) -> dict[str, Any]:
    """The demo's motif as ``PUT …/motifs/{id}`` takes it."""
    hours = {DAYS[d]: [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in spans]
             for d, spans in (motif.hours or {}).items()}
    return {"service": motif.service, "name": motif.name, "duration_min": motif.duration_min,
            "capacity": motif.capacity, "public": motif.public, "min_notice_h": motif.min_notice_min / 60,
            "horizon_days": motif.horizon_days,
            "instructions": motif.instructions, "description": motif.description, "documents": list(motif.documents),
            "hours": hours, "public_holidays": motif.holidays,
            "questions": [{**asdict(q), "choices": list(q.choices)} for q in motif.questions],
            "duration_rule": asdict(motif.duration_rule) if motif.duration_rule else None}


def local_day(appointment: dict[str, Any]) -> date:
    """An appointment's day in Paris, the demo's clock."""
    return datetime.fromisoformat(appointment["start"].replace("Z", "+00:00")).astimezone(PARIS).date()


def with_demo_motifs(hall: Hall) -> None:
    for motif in demo_motifs():
        answer = hall.api("PUT", f"/motifs/{motif.id}", "admin", json=motif_body(motif))
        assert answer.status_code == 201, answer.text


def axe_clean(page: Page, context: str | None = None) -> None:
    result = AXE.run(page, context=context) if context else AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def screenshots(page: Page, name: str) -> None:
    if not SCREENSHOTS:
        return
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}x{height}.png"))


def tab_to(page: Page, selector: str, most: int = 40) -> None:
    """Presses Tab until ``selector`` has the focus."""
    target = page.locator(selector)
    for _ in range(most):
        if target.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus")


def test_reception_books_two_appointments_in_two_services_and_sends_one_confirmation(browser: Browser,
                                                                                    hall: Hall) -> None:
    """Anne Lefèvre is found by name; V opens the panel; "passe", Enter, Enter (one person), → Enter books the second
    free slot of the first day; "permis", Enter, Enter books the first; one confirmation goes for both. They share a
    visit, name her record, and the agenda of their day lists them, expected, with her name."""
    with_demo_motifs(hall)
    party = hall.api("POST", f"/api/v1/tenants/{hall.site}/parties", json={
        "kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "phones": ["06 12 34 56 78"],
        "emails": ["anne.lefevre@example.fr"]})
    assert party.status_code == 201, party.text
    anne = party.json()

    page = browser.new_page(locale="fr-FR", viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    hall.sign_in(page, "agent", "/counter")
    page.locator("#tab-reception").press("Enter")
    expect(page.locator("#reception-title")).to_be_visible()
    S = page.evaluate("window.Staff.strings")
    page.locator("#person-q").focus()
    page.keyboard.type("lefevre")
    expect(page.locator("#person-results [role=option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#person-name")).to_have_text("Anne Lefèvre")
    expect(page.locator("#booking")).to_be_visible()
    expect(page.locator("#booking-for")).to_have_text(S["booking_for"].format(name="Anne Lefèvre"))
    page.keyboard.press("Escape")  # out of the ticket's form
    page.keyboard.press("v")
    expect(page.locator("#motif-q")).to_be_focused()
    expect(page.locator("#motif-list button.motif")).to_have_count(3)

    # 1. Passport: the motif (typed, Enter), its question (one person, Enter), the second slot of the first day.
    page.keyboard.type("passe")
    expect(page.locator("#motif-list button.motif")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#question-personnes")).to_be_focused()
    expect(page.locator("#question-personnes")).to_have_value("1")
    page.keyboard.press("Enter")
    first_slot = page.locator("#slot-0-0")
    expect(first_slot).to_be_focused()
    axe_clean(page, "#reception")
    screenshots(page, "reception-booking")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.keyboard.press("ArrowRight")
    expect(page.locator("#slot-0-1")).to_be_focused()
    page.keyboard.press("Enter")
    visit = page.locator("#visit-list li")
    expect(visit).to_have_count(1)
    expect(page.locator("#booking-status")).to_contain_text(S["booked"].split(":")[0])
    expect(page.locator("#motif-q")).to_be_focused()

    # 2. Building permit, in another service: motif, first slot.
    page.keyboard.type("permis")
    page.keyboard.press("Enter")
    expect(page.locator("#slot-0-0")).to_be_focused()
    page.keyboard.press("Enter")
    expect(visit).to_have_count(2)
    expect(page.locator("#motif-q")).to_be_focused()

    # One confirmation for both.
    tab_to(page, "#visit-confirm")
    page.keyboard.press("Enter")
    expect(page.locator("#booking-status")).to_have_text(
        S["confirmation_sent"].format(n=2, contact="06 12 34 56 78, anne.lefevre@example.fr"))
    expect(page.locator("#visit-confirm")).to_be_disabled()
    axe_clean(page, "#reception")
    screenshots(page, "reception-booked")

    codes = page.locator("#visit-list .visit-code").all_inner_texts()
    assert len(codes) == 2 and all(len(c.split()[-1]) == 6 for c in codes)
    # The appointments, as the API tells them: in two services, for her record, one visit, not yet there.
    mine = _all_booked(hall)
    assert sorted(a["motif"] for a in mine) == ["passeport", "permis"]
    assert {a["service"] for a in mine} == {"passeports", "urbanisme"}
    assert {a["party"] for a in mine} == {anne["id"]} and len({a["visit"] for a in mine}) == 1
    assert all(a["status"] == "booked" and a["answers"] == ({"personnes": 1} if a["motif"] == "passeport" else {})
               for a in mine)

    # The agenda of their day (the first one) lists them, with her name, expected.
    day = min(local_day(a) for a in mine)
    agenda = browser.new_page(locale="fr-FR", viewport={"width": 1366, "height": 768})
    agenda.on("pageerror", lambda error: errors.append(str(error)))
    hall.sign_in(agenda, "agent", "/agenda")
    agenda.goto(f"{hall.url}/agenda?date={day.isoformat()}")
    on_day = [a for a in mine if local_day(a) == day]
    rows = agenda.locator("#day tr.appointment")
    expect(rows).to_have_count(len(on_day))
    for a in on_day:
        row = agenda.locator(f"#a-{a['id']}")
        expect(row).to_contain_text("Anne Lefèvre")
        expect(row.locator(".status")).to_have_text(agenda.evaluate("window.Staff.strings.status_booked"))
    axe_clean(agenda)
    screenshots(agenda, "agenda")
    assert errors == []


def _all_booked(hall: Hall) -> list[dict[str, Any]]:
    """Every appointment of the next three weeks at the hall, read day by day through the API."""
    out: list[dict[str, Any]] = []
    today = date.today()
    for n in range(-1, 23):
        day = (today + timedelta(days=n)).isoformat()
        out.extend(hall.api("GET", "/appointments", params={"date": day}).json()["items"])
    return out


def test_the_agenda_checks_in_moves_and_cancels_with_a_reason(browser: Browser, hall: Hall) -> None:
    """Today's first appointment is checked in from the agenda (its ticket's number shown in the row, the status
    "checked in"); the second is moved to another slot through the dialog, with a reason; the third is cancelled
    after its confirmation, with a reason; the page is drawn again in place each time, not reloaded."""
    always = {day: [["00:00", "24:00"]] for day in DAYS}
    body = {"service": "etat-civil", "name": "Accueil état civil", "duration_min": 10, "capacity": 3, "public": False,
            "min_notice_h": 0, "horizon_days": 30, "hours": always, "arrive_before_min": 240, "arrive_after_min": 60}
    # A check-in needs an appointment today, and the motif's 10-minute slots end at midnight: in Paris's last hour,
    # the site is a town hall of French Polynesia (Pacific/Tahiti, 10 or 11 hours behind), whose day is still young.
    zone = PARIS if datetime.now(PARIS).hour < LAST_HOUR else TAHITI
    if zone is TAHITI:
        moved = hall.api("PUT", "", "admin", json={"timezone": TAHITI.key})
        assert moved.status_code == 200, moved.text
    assert hall.api("PUT", "/motifs/accueil", "admin", json=body).status_code == 201
    today = datetime.now(zone).date()
    free = hall.api("GET", "/slots", params={"motif": "accueil", "from": today.isoformat(),
                                             "to": today.isoformat()}).json()["slots"]
    assert free, today
    people = [("Anne", "Lefèvre"), ("Luc", "Martin"), ("Inès", "Roux")]
    booked = []
    for (first, last), slot in zip(people, [free[0]] * 3, strict=True):  # three desks: one slot for all
        answer = hall.api("POST", "/appointments", json={"motif": "accueil", "start": slot["start"],
                                                         "person": {"first_name": first, "last_name": last}})
        assert answer.status_code == 201, answer.text
        booked.append(answer.json())
    anne, luc, ines = booked

    page = browser.new_page(locale="fr-FR", viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    hall.sign_in(page, "agent", "/agenda")
    S = page.evaluate("window.Staff.strings")
    page.evaluate("window.__same = true")  # gone if the page were loaded again
    expect(page.locator("#day tr.appointment")).to_have_count(3)

    page.locator(f"#in-{anne['id']}").press("Enter")
    expect(page.locator("#said")).to_have_text(S["checked_in"].format(name="Anne Lefèvre", number="A001"))
    expect(page.locator(f"#a-{anne['id']} .status")).to_have_text(S["status_checked_in"])
    expect(page.locator(f"#a-{anne['id']} .ticket .number")).to_have_text("A001")

    page.locator(f"#move-{luc['id']}").press("Enter")
    expect(page.locator("#move-dialog")).to_be_visible()
    first_choice = page.locator("#move-slots input[type=radio]").first
    expect(first_choice).to_be_focused()
    new_start = first_choice.get_attribute("value")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator("#move-reason")).to_be_focused()
    axe_clean(page, "#move-dialog")
    screenshots(page, "agenda-move")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.keyboard.type("Demande de la personne")
    page.locator("#move-ok").press("Enter")
    expect(page.locator("#move-dialog")).to_be_hidden()
    expect(page.locator("#said")).to_contain_text("Luc Martin")
    moved = hall.api("GET", f"/appointments/{luc['id']}").json()
    assert moved["start"] == new_start and moved["status"] == "booked"

    page.locator(f"#cancel-{ines['id']}").press("Enter")
    expect(page.locator("#cancel-reason")).to_be_focused()
    page.locator("#cancel-ok").press("Enter")  # no reason: asked for one
    expect(page.locator("#cancel-problem")).to_have_text(S["need_reason"])
    page.locator("#cancel-reason").fill("Service fermé cet après-midi")
    page.locator("#cancel-ok").press("Enter")
    expect(page.locator(f"#a-{ines['id']} .status")).to_have_text(S["status_cancelled"])
    assert hall.api("GET", f"/appointments/{ines['id']}").json()["status"] == "cancelled"
    assert page.evaluate("window.__same") is True
    axe_clean(page)
    assert errors == []

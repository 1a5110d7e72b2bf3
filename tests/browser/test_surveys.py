"""Satisfaction surveys in chromium. A citizen answers the survey of their visit on a phone (390×844) with the
keyboard alone: a face among five (each with its words for screen readers), a comment, Send, then the thanks; the page
is axe-clean in French and in Arabic (right to left). A supervisor reads what citizens say at a desk (1366×768): the
figures per service, the trend chart, the comments and the alert band of a service under 3; axe-clean, nothing
spilling out of the screen."""

from __future__ import annotations

import sqlite3
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import DESK, PHONE, overflowing, shoot
from tests.browser.test_setup import no_violations
from tests.browser.waiting import eventually


def _token(hall: Hall, ticket: str) -> str | None:
    """The survey's token of a visit, read from the server's database (the invitation waits for its delay)."""
    with sqlite3.connect(hall.data_dir / "guichet.sqlite3") as db:
        row = db.execute("SELECT token FROM survey_invitations WHERE source = ?", (f"visit:{ticket}",)).fetchone()
    return None if row is None else str(row[0])


def served(hall: Hall, phone: str, service: str = "etat-civil") -> str:
    """A visit from the kiosk with ``phone`` left for the SMS, served to its end at counter 1; its survey's token once
    the archiver told the surveys."""
    issued = hall.api("POST", "/tickets", role="kiosk", json={"service": service, "phone": phone})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()["id"]
    hall.api("POST", "/counters/1/open")  # open already after the first visit: a 409 then
    called = hall.api("POST", "/counters/1/next")
    assert called.status_code == 200 and called.json()["id"] == ticket, called.text
    for action in ("start", "finish"):
        assert hall.api("POST", f"/tickets/{ticket}/{action}").status_code == 200
    eventually(lambda: _token(hall, ticket) is not None)
    token = _token(hall, ticket)
    assert token is not None
    return token


def _phone() -> str:
    return f"06 12 {uuid.uuid4().int % 10**6:06d}"


def test_a_citizen_answers_the_survey_with_the_keyboard_on_a_phone(page: Page, hall: Hall) -> None:
    """Tab reaches the faces, the arrow keys choose "Satisfait", Tab the comment, then Send: the thanks show in
    place; the survey is answered (the page says so when opened again). The Arabic page reads right to left."""
    token = served(hall, _phone())
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{hall.url}/s/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre visite s'est-elle bien passée ?")
    expect(page.get_by_role("radio", name="Très mécontent")).to_be_visible()
    expect(page.get_by_role("radio", name="Très satisfait")).to_be_visible()
    assert overflowing(page, scrolls=True) == []
    no_violations(page)
    shoot(page, "survey")
    page.locator("#score-1").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Satisfait", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#comment")).to_be_focused()
    page.keyboard.type("Accueil rapide, merci.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Envoyer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Merci pour votre réponse")).to_be_visible()
    expect(page.locator("#thanks")).to_be_focused()
    no_violations(page)
    shoot(page, "survey-thanks")
    page.goto(f"{hall.url}/s/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déjà répondu")

    other = served(hall, _phone())
    page.goto(f"{hall.url}/s/{other}?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    no_violations(page)
    shoot(page, "survey-ar")


def test_a_supervisor_reads_what_citizens_say_with_its_chart(page: Page, hall: Hall) -> None:
    """Five answers for état civil (mean 2), one for passeports: the figures per service, the chart of the mean per
    day, the comments, and état civil in the alert band."""
    for score, service in ((1, "etat-civil"), (2, "etat-civil"), (3, "etat-civil"), (2, "etat-civil"),
                           (2, "etat-civil"), (5, "passeports")):
        token = served(hall, _phone(), service)
        answered = hall.api("POST", f"/api/v1/surveys/{token}",
                            json={"score": score, "comment": f"Note {score}, appelez le 06 11 22 33 44"})
        assert answered.status_code == 201, answered.text
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "supervisor", "/enquetes")
    expect(page.get_by_role("heading", name="Enquêtes de satisfaction", level=1)).to_be_visible()
    expect(page.locator(".alert-band")).to_contain_text("État civil")
    rows = page.locator("#by-service tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("État civil")
    expect(page.locator("svg.chart circle.dot")).to_have_count(1)
    expect(page.locator(".comments")).to_contain_text("appelez le [numéro masqué]")
    assert overflowing(page, scrolls=True, root="main") == []
    no_violations(page)
    shoot(page, "enquetes")
    shoot(page, "enquetes-whole", full_page=True)


def test_the_kiosk_asks_for_an_opinion_in_one_touch(page: Page, hall: Hall) -> None:
    """On the kiosk (portrait 1080×1920), "Votre avis" opens five faces named for screen readers; one touch records
    an anonymous 4, the kiosk thanks and goes back to its services by itself; the supervisors' results count it as
    a kiosk's answer. Axe-clean, nothing spilling out of the screen."""
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{hall.url}/kiosk?token={hall.tokens['kiosk']}")
    expect(page.locator("#services button").first).to_be_visible()
    page.get_by_role("button", name="Votre avis").click()
    expect(page.get_by_role("heading", name="Votre visite s'est-elle bien passée ?")).to_be_focused()
    faces = page.locator("#faces button")
    expect(faces).to_have_count(5)
    expect(page.get_by_role("button", name="Très satisfait")).to_be_visible()
    no_violations(page)
    shoot(page, "kiosk-opinion")
    assert overflowing(page) == []
    page.get_by_role("button", name="Satisfait", exact=True).click()
    expect(page.locator("#opinion-said")).to_have_text("Merci ! Votre avis aide la mairie à s'améliorer.")
    expect(faces.first).to_be_disabled()
    shoot(page, "kiosk-opinion-thanks")
    expect(page.locator("#start")).to_be_visible(timeout=10_000)  # by itself, after the thanks
    results = hall.api("GET", "/surveys/results", role="supervisor", params={"kind": "kiosk"})
    assert results.status_code == 200, results.text
    assert [(s["answers"], s["mean"]) for s in results.json()["services"]] == [(1, 4.0)]

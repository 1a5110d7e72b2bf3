"""The citizen record at the desk, in chromium: reception finds the person welcomed with the keyboard and gives a
ticket that names them; the agent who calls it sees their card, read once; the hall display never sees a name."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.browser.conftest import Hall
from tests.browser.test_counter_page import start_at_counter

AXE = Axe()
NAMES = ("Lefèvre", "Lefevre", "Lef\\u00e8vre")  # as typed, without its accent, escaped in JSON


def eventually(probe: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Waits until ``probe()`` is true, polling it; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def party(hall: Hall, **fields: Any) -> dict[str, Any]:
    answer = hall.api("POST", f"/api/v1/tenants/{hall.site}/parties", json={"kind": "person", **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def served(hall: Hall, party_id: int) -> tuple[str, Callable[[], bool]]:
    """A visit of the party served at counter 3: its number, and whether it is on their timeline yet (the
    record's worker finds a new site's stream within 10 s)."""
    issued = hall.api("POST", "/tickets", json={"service": "etat-civil", "party": party_id})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert hall.api("POST", f"/tickets/{ticket['id']}/call", json={"counter": "3"}).status_code == 200
    assert hall.api("POST", f"/tickets/{ticket['id']}/start").status_code == 200
    assert hall.api("POST", f"/tickets/{ticket['id']}/finish").status_code == 200

    def on_timeline() -> bool:  # read with a supervisor's token: the people's own reads are counted
        view = hall.api("GET", f"/api/v1/tenants/{hall.site}/parties/{party_id}", "supervisor").json()
        return any(e["kind"] == "visit" and e.get("summary") == "served" for e in view["timeline"])

    return str(ticket["number"]), on_timeline


def frames_of(page: Page) -> list[str]:
    """Every text frame the page's WebSockets receive from now on."""
    frames: list[str] = []

    def follow(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

    page.on("websocket", follow)
    return frames


def axe_clean(page: Page) -> None:
    result = AXE.run(page, context="#reception")
    assert result.violations_count == 0, result.generate_report()


def test_reception_gives_a_ticket_for_a_person_found_and_the_counter_shows_their_card(browser: Browser,
                                                                                       hall: Hall) -> None:
    """Reception types "lefevre", goes down to Anne Lefèvre (not her namesake) and gives her a ticket with a note,
    keys only; counter 2 calls it and sees her card with her earlier visit, read once for the call (a recall
    reads nothing more), gone once the visit is over. The hall display and its feed never carry her name."""
    anne = party(hall, first_name="Anne", last_name="Lefèvre", birth_date="1961-03-12", phones=["06 12 34 56 78"])
    party(hall, first_name="Anne", last_name="Lefebvre", birth_date="1984-07-02")
    earlier, recorded = served(hall, anne["id"])

    display = browser.new_page(locale="fr-FR")
    display_frames = frames_of(display)
    display.goto(f"{hall.url}/display?token={hall.tokens['display']}")
    expect(display.locator("#site-name")).to_have_text("Mairie de Démoville")

    reception = browser.new_page(locale="fr-FR")
    hall.sign_in(reception, "agent", "/counter")
    reception.locator("#tab-reception").press("Enter")
    expect(reception.locator("#reception-title")).to_be_visible()
    S = reception.evaluate("window.Staff.strings")
    search = reception.locator("#person-q")
    search.focus()
    reception.keyboard.type("lefevre")
    options = reception.locator("#person-results [role=option]")
    expect(options).to_have_count(2)
    expect(reception.locator("#person-status")).to_have_text(S["records_many"].format(n=2))
    axe_clean(reception)
    names = [text.strip() for text in reception.locator("#person-results .option-name").all_inner_texts()]
    for _ in range(names.index("Anne Lefèvre") + 1):
        reception.keyboard.press("ArrowDown")
    active = reception.locator(f"#{search.get_attribute('aria-activedescendant')}")
    expect(active).to_contain_text("Anne Lefèvre")
    expect(active).to_contain_text("06 •• •• 56 78")  # masked: enough to tell namesakes apart
    expect(search).to_be_focused()
    reception.keyboard.press("Enter")
    expect(reception.locator("#person-name")).to_have_text("Anne Lefèvre")
    expect(reception.locator("#issue-service")).to_be_focused()  # État civil, the first
    reception.keyboard.press("Tab")
    reception.keyboard.press("Tab")
    expect(reception.locator("#issue-note")).to_be_focused()
    reception.keyboard.type("Vient chercher le livret de famille.")
    reception.keyboard.press("Tab")
    reception.keyboard.press("Enter")
    given = S["issued_for"].format(number="A002", name="Anne Lefèvre", ahead=0)
    expect(reception.locator("#issued")).to_have_text(given)
    expect(search).to_be_focused()  # ready for the next person
    expect(reception.locator("#said")).to_have_text(given)
    queued = hall.api("GET", "/state").json()["queue"]
    assert [(t["number"], t["party"]) for t in queued] == [("A002", anne["id"])]

    reception.locator("#person-new").press("Enter")  # the new person's form: checked before it is sent
    expect(reception.locator("#person-first")).to_be_focused()
    reception.keyboard.press("Enter")
    expect(reception.locator("#person-first-error")).to_have_text(S["need_first_name"])
    expect(reception.locator("#person-first")).to_have_attribute("aria-invalid", "true")
    axe_clean(reception)

    counter = browser.new_page(locale="fr-FR")
    start_at_counter(counter, hall, "2", role="supervisor")
    eventually(recorded)  # Anne's earlier visit is on her record
    counter.keyboard.press("s")  # "suivant"
    expect(counter.locator("#current .number")).to_have_text("A002")
    card = counter.locator("#current .record")
    expect(card.locator("#record-name")).to_have_text("Anne Lefèvre")
    expect(card.locator(".contact")).to_contain_text("06 12 34 56 78")
    history = card.locator(".history li")
    expect(history).to_have_count(1)  # the visit under way is not history
    today = counter.evaluate("new Intl.DateTimeFormat('fr', {day: 'numeric', month: 'long', "
                             "timeZone: window.Staff.data.sites[0].timezone}).format(new Date())")  # "6 décembre"
    outcome = S["outcome_served"].format(ticket=earlier)
    expect(history).to_have_text(f"{S['kind_visit']} — État civil, {today} · {outcome}")
    expect(card.locator("#record-link")).to_have_attribute("href", f"/crm/{anne['id']}")
    expect(counter.locator("#current .note")).to_contain_text("Vient chercher le livret de famille.")
    counter.keyboard.press("r")
    expect(counter.locator("#said")).to_have_text("A002 rappelé.")
    counter.keyboard.press("t")  # "terminer"
    expect(counter.locator("#said")).to_have_text("A002 terminé.")
    expect(counter.locator("#current .record")).to_have_count(0)
    reads = [e for e in hall.api("GET", "/api/v1/audit?action=crm.read", "admin").json()
             if e["actor"] == f"user:{hall.login('supervisor')}"]
    assert [e["target"] for e in reads] == [f"party:{anne['id']}"]  # once for the call, not at the recall

    expect(display.locator("#current .number")).to_have_text("A002")
    assert any('"A002"' in frame for frame in display_frames)  # the frames were captured...
    text = display.evaluate("document.documentElement.textContent")
    for name in NAMES:  # ...and neither they nor the screen name her
        assert name not in text
        assert not [frame for frame in display_frames if name in frame]
    for page in (display, reception, counter):
        page.context.close()

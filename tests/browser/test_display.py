"""The hall display in chromium: calls appear within a second, in order, announced one after the other."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.ages import until_older_than_sync
from tests.browser.conftest import Hall
from tests.system.servers import server

AXE = Axe()


def open_display(page: Page, hall: Hall, query: str = "") -> None:
    page.goto(f"{hall.url}/display?token={hall.tokens['display']}{'&' + query if query else ''}")
    expect(page.locator("#site-name")).to_have_text("Mairie de Démoville")


def issue(hall: Hall, service: str = "etat-civil") -> dict[str, Any]:
    answer = hall.api("POST", "/tickets", "kiosk", json={"service": service})
    assert answer.status_code == 201
    return answer.json()  # type: ignore[no-any-return]


def call(hall: Hall, counter: str, services: list[str] | None = None) -> dict[str, Any]:
    """Counter ``counter`` finishes its visit if it has one, then calls the next ticket."""
    state = hall.api("GET", "/state").json()
    current = next(c["ticket"] for c in state["counters"] if c["id"] == counter)
    if current is not None:
        hall.api("POST", f"/tickets/{current['id']}/no-show")
    answer = hall.api("POST", f"/counters/{counter}/next",
                      json={"services": services} if services else None)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_call_is_on_the_screen_within_a_second_with_the_previous_ones(page: Page, hall: Hall) -> None:
    """Each call made through the API is the big call within 1 s; the earlier ones move to the history."""
    open_display(page, hall)
    for _ in range(3):
        issue(hall)
    for counter, number in (("1", "A001"), ("2", "A002"), ("3", "A003")):
        call(hall, counter)
        expect(page.locator("#current .number")).to_have_text(number, timeout=1_000)
    expect(page.locator("#current .where")).to_have_text("→ Guichet 3")
    expect(page.locator("#history .number")).to_have_text(["A003", "A002", "A001"])
    expect(page.locator("#logo")).to_be_visible()  # the site's logo beside its name
    expect(page.locator(".tile[data-counter='2'] .number")).to_have_text("A002")
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def test_a_display_limited_to_one_service_ignores_the_others(page: Page, hall: Hall) -> None:
    """A display set to `passeports` shows the passport calls and none of the civil status ones."""
    open_display(page, hall, "services=passeports")
    issue(hall, "etat-civil")
    issue(hall, "passeports")
    call(hall, "1", ["etat-civil"])
    call(hall, "2", ["passeports"])
    expect(page.locator("#current .number")).to_have_text("B001", timeout=1_000)
    expect(page.locator("#history .number")).to_have_text(["B001"])
    expect(page.locator(".tile[data-counter='1'] .number")).not_to_have_text("A001")


def test_three_calls_in_a_row_are_announced_in_order_and_none_is_cut(page: Page, hall: Hall) -> None:
    """Three quick calls queue three announcements: each starts after the one before ended."""
    open_display(page, hall)
    for _ in range(3):
        issue(hall)
    for counter in ("1", "2", "3"):
        call(hall, counter)
    page.wait_for_function("() => window.guichetAnnouncer.log.filter(e => e.event !== 'start').length >= 9 "
                           "&& !window.guichetAnnouncer.playing", timeout=60_000)
    log = page.evaluate("window.guichetAnnouncer.log")
    starts = [entry for entry in log if entry["event"] == "start"]
    assert [entry["label"] for entry in starts if entry["src"].endswith("chime.wav")] == ["A001", "A002", "A003"]
    # each call: its chime, then its phrase in French and in English, before the next call's chime
    assert [entry["label"] for entry in starts] == ["A001"] * 3 + ["A002"] * 3 + ["A003"] * 3
    assert all(entry["src"].startswith("/speech/") for entry in starts)
    playing = 0
    for entry in log:  # never two at once: every start follows the end of the one before
        playing += 1 if entry["event"] == "start" else -1
        assert playing in (0, 1), log
    assert {entry["event"] for entry in log} == {"start", "end"}, log  # all played to their end


def test_calls_made_while_the_display_was_cut_off_are_shown_but_not_announced(page: Page, hall: Hall) -> None:
    """Back online, the page catches up on the calls it missed; those older than announce_within stay silent."""
    open_display(page, hall, "announce_within=2")
    issue(hall)
    issue(hall)
    call(hall, "1")
    expect(page.locator("#current .number")).to_have_text("A001", timeout=1_000)
    # A001's whole announcement: its chime and its phrase in each language, each started and ended.
    page.wait_for_function("() => !window.guichetAnnouncer.playing && window.guichetAnnouncer.log.length >= 6",
                           timeout=30_000)
    announced = len(page.evaluate("window.guichetAnnouncer.log"))
    page.context.set_offline(True)
    missed = call(hall, "2")
    # The missed call grows older than announce_within (2 s), plus what the page's clock may be behind the
    # server's: half a second (the Date header has whole seconds) and the time its answer took on a busy machine.
    until_older_than_sync(missed["called_at"], 4)
    page.context.set_offline(False)
    expect(page.locator("#current .number")).to_have_text("A002", timeout=20_000)
    expect(page.locator("#history .number")).to_have_text(["A002", "A001"])
    assert len(page.evaluate("window.guichetAnnouncer.log")) == announced


def test_after_a_server_restart_the_page_catches_up_by_itself(page: Page, own_hall: Hall) -> None:
    """The server stops and comes back; calls made since appear without anyone touching the TV."""
    hall = own_hall
    open_display(page, hall)
    for _ in range(3):
        issue(hall)
    call(hall, "1")
    expect(page.locator("#current .number")).to_have_text("A001", timeout=1_000)
    assert hall.process is not None
    hall.process.stop()
    expect(page.locator("#status")).to_contain_text("Connexion perdue", timeout=10_000)
    with server(hall.data_dir, port=hall.port, name="again"):
        call(hall, "2")
        call(hall, "3")
        expect(page.locator("#current .number")).to_have_text("A003", timeout=20_000)
        expect(page.locator("#history .number")).to_have_text(["A003", "A002", "A001"])
        expect(page.locator("#status")).not_to_contain_text("Connexion perdue")


def test_each_call_carries_its_spoken_form_in_every_language_of_the_site(hall: Hall) -> None:
    """A call event names a WAV per language (the demo announces in French and English); each is
    1 to 6 s of speech, served by the server that sent the event."""
    import json
    import tempfile
    from pathlib import Path

    import httpx
    from websockets.sync.client import connect

    from queue_server.speech import describe

    issue(hall)
    with connect(f"ws://127.0.0.1:{hall.port}/ws/sites/{hall.site}?token={hall.tokens['display']}") as feed:
        assert json.loads(feed.recv(5))["type"] == "snapshot"
        call(hall, "3")
        message = json.loads(feed.recv(5))
        while message["type"] != "ticket.called":
            message = json.loads(feed.recv(5))
    spoken = message["data"]["announcements"]
    assert [(a["lang"], a["text"]) for a in spoken] == [("fr", "Ticket A 1, guichet 3"),
                                                        ("en", "Ticket A 1, counter 3")]
    for announcement in spoken:
        wav = httpx.get(hall.url + announcement["audio_url"], timeout=30)
        assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "call.wav"
            path.write_bytes(wav.content)
            sound = describe(path)
        assert 1.0 <= sound["seconds"] <= 6.0 and sound["rms"] > 0.02, (announcement, sound)
    assert httpx.get(f"{hall.url}/readyz").json()["checks"]["speech"] == "on"


def test_the_supervisors_message_scrolls_on_the_display_live(page: Page, hall: Hall) -> None:
    """A message set by a supervisor appears at once on an open display; clearing it hides the ticker."""
    open_display(page, hall)
    expect(page.locator("#ticker")).to_be_hidden()
    hall.api("PUT", "/display/message", "supervisor", json={"text": "Fermeture à 16 h aujourd'hui"})
    expect(page.locator("#message")).to_have_text("Fermeture à 16 h aujourd'hui", timeout=1_000)
    page.reload()
    expect(page.locator("#message")).to_have_text("Fermeture à 16 h aujourd'hui")  # from the snapshot
    hall.api("PUT", "/display/message", "supervisor", json={"text": ""})
    expect(page.locator("#ticker")).to_be_hidden(timeout=1_000)


def test_while_the_english_phrase_is_spoken_the_screen_stays_in_french(page: Page, hall: Hall) -> None:
    """The demo site announces in French, then English: during the English phrase every word on the screen is
    still French, and a small mark says "En anglais"; it goes once the call has been said."""
    open_display(page, hall)
    issue(hall)
    call(hall, "3")
    expect(page.locator("#current .where")).to_have_text("→ Guichet 3", timeout=1_000)
    page.wait_for_function("() => window.guichetAnnouncer.speaking === 'en'", timeout=20_000)
    text = page.evaluate("document.body.innerText")
    english = re.findall(r"\b(Ticket|counter|Counter|Calls|Last calls|waiting|Waiting|Free|Closed|Paused|In English)\b",
                         text)
    assert english == [], text
    expect(page.locator("#spoken")).to_have_text("En anglais")
    expect(page.locator("#current .where")).to_have_text("→ Guichet 3")
    expect(page.locator("#spoken")).to_be_hidden(timeout=20_000)


def test_a_revoked_display_says_so_and_pairs_again_with_a_code(page: Page, hall: Hall) -> None:
    """Revoking the display's token turns the TV to a "revoked" screen with a pairing form; a new
    code from the admin brings the idle screen and the calls back."""
    open_display(page, hall)
    me = hall.api("GET", "/api/v1/me", "display").json()
    assert hall.api("POST", f"/devices/{me['token_id']}/revoke", "admin").status_code == 200
    expect(page.locator("#pairing")).to_be_visible(timeout=15_000)
    expect(page.locator("#pairing-reason")).to_contain_text("révoqué")
    code = hall.api("POST", "/pairings", "admin", json={"role": "display", "name": "Hall TV"}).json()["code"]
    page.get_by_label("Code d'appairage").fill(code)
    page.get_by_role("button", name="Appairer cet écran").click()
    expect(page.locator("#idle")).to_be_visible(timeout=10_000)  # paired again: its idle screen, until a call
    issue(hall)
    call(hall, "1")
    expect(page.locator("#current .number")).to_have_text("A001", timeout=2_000)


def test_a_token_under_another_spelling_is_not_taken_and_leaves_the_address_bar(page: Page, hall: Hall) -> None:
    """``?tok%65n=`` decodes to ``token`` but is no credential: the TV stays unpaired, keeps nothing, and the
    address bar no longer shows it."""
    page.goto(f"{hall.url}/display?tok%65n={hall.tokens['display']}")
    expect(page.locator("#pairing")).to_be_visible(timeout=5_000)
    assert page.evaluate("Object.values(localStorage).join(' ')").find(hall.tokens["display"]) < 0
    assert hall.tokens["display"] not in page.url

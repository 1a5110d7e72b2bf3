"""The supervisor dashboard in chromium: the live state of the hall, its alerts, the supervisor's
actions and the reports, against a real server."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PEOPLE, Hall
from tests.browser.looks import DESK, DESK_WIDE, overflowing, shoot

AXE = Axe()


def eventually(probe: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Waits until ``probe()`` is true, polling it; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def open_dashboard(page: Page, hall: Hall, lang: str = "") -> None:
    """Signs the hall's supervisor in and waits until the dashboard follows the live feed."""
    hall.sign_in(page, "supervisor", "/supervisor")
    if lang:
        page.goto(f"{hall.url}/supervisor?lang={lang}")
    expect(page.locator("#connection")).to_have_attribute("data-live", "1")
    expect(page.locator("#services tbody tr")).to_have_count(3)


def issue(hall: Hall, service: str = "etat-civil") -> dict[str, Any]:
    answer = hall.api("POST", "/tickets", "kiosk", json={"service": service})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def state(hall: Hall) -> dict[str, Any]:
    return hall.api("GET", "/state", "supervisor").json()  # type: ignore[no-any-return]


def counter_status(hall: Hall, counter: str) -> str:
    return next(c["status"] for c in state(hall)["counters"] if c["id"] == counter)  # type: ignore[no-any-return]


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def test_a_ticket_issued_then_called_shows_within_a_second(page: Page, hall: Hall) -> None:
    """The waiting count, the waiting list, and then the counter's ticket and agent follow the API
    within 1 s; the waits tick every second; a pause shows with its reason."""
    open_dashboard(page, hall)
    expect(page.locator("#site-choice")).to_be_hidden()  # one site: nothing to choose
    service = page.locator("#services tr[data-service='etat-civil']")
    issue(hall)
    issue(hall)
    expect(service.locator(".waiting")).to_have_text("2", timeout=1_000)
    expect(page.locator("#waiting tbody tr[data-ticket] .number")).to_have_text(["A001", "A002"], timeout=1_000)
    called = hall.api("POST", "/counters/3/next")
    assert called.status_code == 200 and called.json()["number"] == "A001"
    counter = page.locator("#counters tr[data-counter='3']")
    expect(counter.locator(".ticket .number")).to_have_text("A001", timeout=1_000)
    expect(counter.locator(".agent")).to_have_text("test agent", timeout=1_000)
    expect(service.locator(".waiting")).to_have_text("1", timeout=1_000)
    expect(page.locator("#waiting tbody tr[data-ticket] .number")).to_have_text(["A002"])
    expect(counter.locator(".state")).to_have_class(re.compile(r"\bstate-open\b"))
    expect(counter.locator(".for")).to_have_text(re.compile(r"^\d+ s$"))
    longest = service.locator(".longest")
    expect(longest).to_have_text(re.compile(r"^\d+ s$"))
    before = longest.inner_text()
    expect(longest).not_to_have_text(before, timeout=2_500)  # it ticks
    expect(service.locator(".served")).to_have_text("0")
    for step in ("start", "finish"):
        assert hall.api("POST", f"/tickets/{called.json()['id']}/{step}").status_code == 200
    expect(service.locator(".served")).to_have_text("1", timeout=1_000)
    expect(counter.locator(".ticket")).not_to_contain_text("A001", timeout=1_000)
    assert hall.api("POST", "/counters/3/pause", json={"reason": "meeting"}).status_code == 200
    expect(counter.locator(".state")).to_contain_text("En pause · Réunion", timeout=1_000)  # as its agent said


def test_a_printer_out_of_paper_raises_an_alert_that_ok_clears(page: Page, hall: Hall) -> None:
    """paper_out is an alert naming the kiosk, paper_low a warning, ok ends it."""
    open_dashboard(page, hall)
    expect(page.locator("#alert-list li")).to_have_count(0)
    expect(page.locator("#no-alerts")).not_to_be_empty()

    def report(status: str) -> None:
        assert hall.api("PUT", "/kiosks/self/printer", "kiosk", json={"status": status}).status_code == 200

    report("paper_out")
    alert = page.locator("#alert-list li[data-kind='printer']")
    expect(alert).to_have_attribute("data-level", "alert", timeout=1_000)
    expect(alert).to_contain_text("test kiosk", timeout=6_000)  # its name, from GET …/devices/status
    expect(page.locator("#no-alerts")).to_be_empty()
    report("paper_low")
    expect(alert).to_have_attribute("data-level", "warning", timeout=1_000)
    report("ok")
    expect(page.locator("#alert-list li")).to_have_count(0, timeout=1_000)
    expect(page.locator("#no-alerts")).not_to_be_empty()


def test_a_display_that_was_closed_shows_as_offline(page: Page, hall: Hall, browser: Browser) -> None:
    """A display page seen online, then closed, becomes an alert naming it."""
    open_dashboard(page, hall)
    screen = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        display = screen.new_page()
        display.goto(f"{hall.url}/display?token={hall.tokens['display']}")
        expect(display.locator("#site-name")).to_have_text("Mairie de Démoville")
        row = page.locator("#devices tr[data-device]", has_text="test display")
        expect(row.locator("td[data-online]")).to_have_attribute("data-online", "1", timeout=7_000)
        expect(page.locator("#alert-list li[data-kind='display']")).to_have_count(0)
    finally:
        screen.close()
    alert = page.locator("#alert-list li[data-kind='display']")
    expect(alert).to_have_count(1, timeout=15_000)
    expect(alert).to_contain_text("test display")
    expect(row.locator("td[data-online]")).to_have_attribute("data-online", "0")


def test_a_wait_longer_than_its_services_limit_raises_an_alert(page: Page, make_hall: Callable[..., Hall]) -> None:
    """With an alert after 2 s at Urbanisme, a ticket waiting there is an alert 2 s later; once it is
    called, the alert ends. The other services (20 min) stay quiet."""
    hall = make_hall(alert_wait_s={"urbanisme": 2})
    open_dashboard(page, hall)
    issue(hall, "urbanisme")
    issue(hall, "etat-civil")
    alert = page.locator("#alert-list li[data-kind='wait']")
    expect(alert).to_have_count(1, timeout=5_000)
    expect(alert).to_contain_text("Urbanisme")
    expect(alert).to_contain_text("C001")
    expect(page.locator("#services tr[data-service='urbanisme'] .longest")).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#services tr[data-service='etat-civil'] .longest")).not_to_have_class(re.compile(r"\bover\b"))
    assert hall.api("POST", "/counters/1/next", json={"services": ["urbanisme"]}).status_code == 200
    expect(alert).to_have_count(0, timeout=2_000)


def test_the_supervisors_actions_reach_the_queue(page: Page, hall: Hall) -> None:
    """Broadcast and remove a message, transfer a ticket with a note, cancel one, open and close a
    counter: each shows in the site's state."""
    open_dashboard(page, hall)
    page.fill("#message-text", "Fermeture à 16 h aujourd'hui")
    page.click("#message-form button[type=submit]")
    eventually(lambda: state(hall)["message"] == "Fermeture à 16 h aujourd'hui")
    expect(page.locator("#message-current")).to_contain_text("Fermeture à 16 h aujourd'hui")
    page.click("#message-clear")
    eventually(lambda: state(hall)["message"] == "")

    first, second = issue(hall), issue(hall)
    row = page.locator(f"#waiting tr[data-ticket='{first['id']}']")
    row.locator("button[data-action=transfer]").click()
    expect(page.locator("#transfer-dialog")).to_be_visible()
    expect(page.locator("#transfer-service option")).to_have_count(2)  # the other services
    page.select_option("#transfer-service", "passeports")
    page.fill("#transfer-note", "Dossier incomplet, voir l'acte de naissance")
    page.click("#transfer-form button[type=submit]")
    expect(page.locator("#transfer-dialog")).to_be_hidden()
    moved = hall.api("GET", f"/tickets/{first['id']}").json()
    assert (moved["service"], moved["status"]) == ("passeports", "waiting")
    note = hall.api("GET", f"/tickets/{first['id']}/note", "supervisor").json()
    assert note["text"] == "Dossier incomplet, voir l'acte de naissance"
    expect(row.locator(".tag")).to_have_count(1, timeout=1_000)  # noted
    expect(row.locator("td").first).to_have_text("Passeports et cartes d'identité")

    page.locator(f"#waiting tr[data-ticket='{second['id']}'] button[data-action=cancel]").click()
    expect(page.locator("#cancel-title")).to_contain_text("A002")
    page.click("#cancel-form button[type=submit]")
    expect(page.locator(f"#waiting tr[data-ticket='{second['id']}']")).to_have_count(0, timeout=1_000)
    assert hall.api("GET", f"/tickets/{second['id']}").json()["status"] == "cancelled"

    counter = page.locator("#counters tr[data-counter='2']")
    counter.locator("button[data-action=open]").click()
    expect(counter.locator("button[data-action=open]")).to_have_attribute("aria-disabled", "true", timeout=1_000)
    assert counter_status(hall, "2") == "open"
    expect(counter.locator(".agent")).to_have_text(PEOPLE["supervisor"])
    counter.locator("button[data-action=pause]").click()
    expect(counter.locator(".state")).to_have_class(re.compile(r"\bstate-paused\b"), timeout=1_000)
    assert counter_status(hall, "2") == "paused"
    counter.locator("button[data-action=close]").click()
    expect(counter.locator(".state")).to_have_class(re.compile(r"\bstate-closed\b"), timeout=1_000)
    assert counter_status(hall, "2") == "closed"


def test_the_report_shows_the_archived_visits_and_downloads_as_csv(page: Page, hall: Hall) -> None:
    """Visits served today appear in the table and the chart (by service, then by hour) once
    archived, and the CSV link downloads the same figures."""
    for service in ("etat-civil", "etat-civil", "etat-civil", "passeports"):
        issue(hall, service)
    for counter in ("1", "2"):
        called = hall.api("POST", f"/counters/{counter}/next", json={"services": ["etat-civil"]}).json()
        for step in ("start", "finish"):
            assert hall.api("POST", f"/tickets/{called['id']}/{step}").status_code == 200
    open_dashboard(page, hall)
    day = page.locator("#report-date").input_value()

    def archived() -> bool:
        report = hall.api("GET", f"/reports?period=day&date={day}&by=service", "supervisor").json()
        return any(g["key"] == "etat-civil" and g["served"] == 2 for g in report["groups"])

    eventually(archived, timeout_s=12)  # the archiver finds a new site within 10 s
    page.click("#tab-reports")
    page.click("#report-form button[type=submit]")
    civil = page.locator("#report tbody tr[data-key='etat-civil']")
    expect(civil.locator("th")).to_have_text("État civil")
    expect(civil.locator("td")).to_have_count(10)
    expect(civil.locator("td").nth(0)).to_have_text("3")  # issued
    expect(civil.locator("td").nth(1)).to_have_text("2")  # served
    expect(civil.locator("td").nth(4)).to_have_text(re.compile(r"^(\d+ min )?\d+ s$"))  # mean wait
    expect(page.locator("#report tfoot td").first).to_have_text("4")  # every ticket of the day
    expect(page.locator("#chart-title")).not_to_be_empty()
    expect(page.locator("#chart .bar")).to_have_count(2 * page.locator("#report tbody tr").count())
    assert float(page.locator("#chart .bar").first.get_attribute("data-value") or "-1") >= 0

    page.select_option("#report-by", "hour")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#report tbody tr")).to_have_count(1)  # every ticket of this test in the same hour
    expect(page.locator("#report tbody th")).to_have_text(re.compile(r"^\d{1,2}(:00| h)$"))  # "9 h" before ten
    expect(page.locator("#chart .bar")).to_have_count(2)
    assert page.locator("#chart .bar").first.get_attribute("data-value") == "4"  # issued

    page.select_option("#report-by", "service")
    assert f"date={day}" in (page.locator("#report-csv").get_attribute("href") or "")
    with page.expect_download() as download:
        page.click("#report-csv")
    path = download.value.path()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # a French spreadsheet: BOM, ";" and French column names
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    civil_row = next(r for r in rows if r["Clé"] == "etat-civil")
    assert (civil_row["Groupe"], civil_row["Tickets émis"], civil_row["Reçus"]) == ("État civil", "3", "2")


def test_the_dashboard_has_no_accessibility_violation_in_french_and_english(page: Page, hall: Hall) -> None:
    """axe-core finds nothing on a busy dashboard (waiting tickets, a counter serving, a warning, a
    report with its chart, the transfer dialog), in French and in English."""
    issue(hall)
    issue(hall, "passeports")
    assert hall.api("POST", "/counters/1/next").status_code == 200
    assert hall.api("PUT", "/kiosks/self/printer", "kiosk", json={"status": "paper_low"}).status_code == 200
    open_dashboard(page, hall)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#alert-list li")).to_have_count(1)
    day = page.locator("#report-date").input_value()
    eventually(lambda: sum(g["issued"] for g in hall.api("GET", f"/reports?date={day}", "supervisor")
                           .json()["groups"]) == 2, timeout_s=12)  # archived
    page.click("#tab-reports")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#chart .bar")).not_to_have_count(0)
    no_violations(page)
    page.click("#tab-live")
    page.locator("#waiting button[data-action=transfer]").first.click()
    expect(page.locator("#transfer-dialog")).to_be_visible()
    no_violations(page)
    page.keyboard.press("Escape")
    expect(page.locator("#transfer-dialog")).to_be_hidden()
    expect(page.locator("#waiting button[data-action=transfer]").first).to_be_focused()  # focus came back
    page.goto(f"{hall.url}/supervisor?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#alert-list li")).to_have_count(1)
    no_violations(page)


def test_a_supervisor_of_two_sites_chooses_one_and_the_browser_remembers_it(page: Page,
                                                                           make_hall: Callable[..., Hall]) -> None:
    """With two sites the header offers a chooser; the site chosen is shown, and shown again next time."""
    hall = make_hall(annexe=True)
    open_dashboard(page, hall)
    expect(page.locator("#site-choice")).to_be_visible()
    expect(page.locator("#site option")).to_have_text(["Mairie de Démoville", "Mairie annexe"])
    expect(page.locator("#site-name")).to_have_text("Mairie de Démoville")
    page.select_option("#site", f"{hall.site}-annexe")
    page.click("#site-choice button")
    expect(page.locator("#site-name")).to_have_text("Mairie annexe")
    expect(page.locator("#connection")).to_have_attribute("data-live", "1")
    expect(page.locator("#services tbody tr")).to_have_count(1)
    expect(page.locator("#counters tbody tr")).to_have_count(1)
    page.goto(f"{hall.url}/supervisor")
    expect(page.locator("#site-name")).to_have_text("Mairie annexe")
    expect(page.locator("#site")).to_have_value(f"{hall.site}-annexe")
    expect(page.locator("#services tbody tr")).to_have_count(1)


# Every label of the chart (group names, figures by the bars, the scale's ticks) inside the chart's box.
LABELS_OUTSIDE_THE_CHART = """() => {
  const box = document.querySelector("#chart").getBoundingClientRect();
  return [...document.querySelectorAll("#chart .chart-label, #chart .bar-value, #chart .tick")]
    .filter((node) => node.textContent.trim())
    .map((node) => [node.textContent, node.getBoundingClientRect()])
    .filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1
                       || r.top < box.top - 1 || r.bottom > box.bottom + 1)
    .map(([text]) => text);
}"""


def test_the_summary_band_the_tabs_and_the_chart_at_office_sizes(page: Page, make_hall: Callable[..., Hall]) -> None:
    """After a few tickets (one waiting past its 2 s threshold at Urbanisme), the band gives the figures
    with their level in a word, an icon and a colour; the tabs follow the arrow keys and the address keeps
    the tab through a reload; the chart's labels stay in its box; at 1366×768 and 1920×1080 every tab has
    nothing spilling out and no accessibility violation."""
    hall = make_hall(alert_wait_s={"urbanisme": 2})
    for service in ("etat-civil", "etat-civil", "etat-civil", "urbanisme"):
        issue(hall, service)
    called = hall.api("POST", "/counters/1/next", json={"services": ["etat-civil"]}).json()
    for step in ("start", "finish"):
        assert hall.api("POST", f"/tickets/{called['id']}/{step}").status_code == 200
    issued = hall.api("GET", "/state", "supervisor").json()["recent_calls"][0]["issued_at"]
    # The site's day (Paris), not UTC's: between midnight and 1 or 2 a.m. they differ.
    today = datetime.fromisoformat(issued.replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris")).date()
    eventually(lambda: any(g["served"] == 1 for g in hall.api(
        "GET", f"/reports?date={today}", "supervisor").json()["groups"]), timeout_s=12)  # archived
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    open_dashboard(page, hall)

    def figure(name: str) -> Any:
        return page.locator(f".figure[data-figure='{name}']")

    expect(figure("waiting").locator(".value")).to_have_text("3")
    longest = figure("longest")
    expect(longest).to_have_attribute("data-level", "alert", timeout=5_000)  # C001 has waited over 2 s
    expect(longest.locator(".word")).to_have_text("Alerte")
    expect(longest.locator(".icon")).to_have_text("✖")
    expect(longest.locator(".note")).to_contain_text("Urbanisme")
    expect(longest.locator(".value")).to_have_text(re.compile(r"^\d+ s$"))
    expect(figure("waiting")).to_have_attribute("data-level", "alert")
    served = figure("served")
    expect(served.locator(".value")).to_have_text("1")
    expect(served).to_have_attribute("data-level", "ok")
    expect(served.locator(".icon")).to_have_text("✓")
    expect(figure("mean").locator(".value")).to_have_text(re.compile(r"^\d+ s$"))  # the archive's figure
    expect(figure("mean")).to_have_attribute("data-level", "ok")
    counters = figure("counters")
    expect(counters.locator(".value")).to_have_text("1")
    expect(counters.locator(".note")).to_contain_text("4")
    expect(counters).to_have_attribute("data-level", "warn")  # people wait too long and 3 counters are closed
    expect(counters.locator(".icon")).to_have_text("▲")
    colour = "el => getComputedStyle(el).backgroundColor"
    alert_colour, ok_colour = longest.locator(".level").evaluate(colour), served.locator(".level").evaluate(colour)
    assert alert_colour == "rgb(138, 16, 16)" and ok_colour != alert_colour

    # Tabs: arrows move between them (and wrap), the address keeps the tab, a reload stays on it.
    page.focus("#tab-live")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-alerts")).to_be_focused()
    expect(page.locator("#tab-alerts")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-alerts")).to_be_visible()
    expect(page.locator("#panel-live")).to_be_hidden()
    expect(page.locator("#alert-list li[data-kind='wait']")).to_contain_text("C001")
    expect(page.locator("#alerts-count")).to_have_text("1")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-reports")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-live")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("End")
    expect(page.locator("#tab-reports")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith("#reports")
    page.reload()
    expect(page.locator("#tab-reports")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-reports")).to_be_visible()
    expect(page.locator("#panel-live")).to_be_hidden()

    # The chart: a bar per figure, its labels in its box, its figures in a table for screen readers.
    expect(page.locator("#chart .bar")).to_have_count(2 * 2)  # État civil and Urbanisme, two series each
    expect(page.locator("#chart-data tbody tr")).to_have_count(2)
    expect(page.locator("#chart-data caption")).to_have_text(page.locator("#chart-title").inner_text())
    expect(page.locator("#chart .chart-label").first).to_have_text("État civil")

    for size in (DESK, DESK_WIDE):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        for tab in ("live", "alerts", "reports"):
            page.click(f"#tab-{tab}")
            expect(page.locator(f"#panel-{tab}")).to_be_visible()
            if tab == "reports":
                assert page.evaluate(LABELS_OUTSIDE_THE_CHART) == []
            shoot(page, f"supervisor-{tab}")
            assert overflowing(page, scrolls=True) == [], (tab, size)
            if size == DESK:
                no_violations(page)

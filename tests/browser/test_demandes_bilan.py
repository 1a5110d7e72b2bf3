"""The requests' report (/demandes/bilan) in chromium: a supervisor reaches it from the requests' list, reads the
month's figures in the table and the chart, groups them by channel for this week; axe-clean in French, nothing
spilling at a desk's size."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import DESK, overflowing, shoot
from tests.browser.test_demandes import _put_categories, run
from tests.browser.test_setup import no_violations

ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}


def test_a_supervisor_reads_the_months_figures(page: Page, hall: Hall) -> None:
    """Three requests this month, one answered and closed: the table says so by category, the chart draws the day,
    and grouped by channel the website and the post each have their line."""
    run(_put_categories(hall))
    base = f"/api/v1/tenants/{hall.site}/requests"
    made = [hall.api("POST", base, json={"category": category, "subject": subject, "body": "Bonjour, merci.",
                                         "person": person, **extra}).json()
            for category, subject, person, extra in (
                ("voirie", "Trottoir abîmé", ANNE, {}),
                ("voirie", "Lampadaire éteint", ANNE, {}),
                ("urbanisme", "Abri de jardin", {**ANNE, "address": "1 rue Haute, Démoville"}, {"channel": "postal"}))]
    assert hall.api("POST", f"{base}/{made[0]['id']}/messages", json={"body": "C'est noté."}).status_code == 201
    assert hall.api("POST", f"{base}/{made[0]['id']}/status", json={"status": "closed"}).status_code == 200
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "supervisor", "/demandes")

    page.get_by_role("link", name="Bilan des demandes").click()
    expect(page).to_have_url(f"{hall.url}/demandes/bilan")
    expect(page.locator("h1")).to_have_text("Bilan des demandes")
    table = page.locator("table.figures").first
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("Voirie et propreté")
    expect(table.locator("tfoot")).to_contain_text("Total")
    expect(table.locator("tfoot td").first).to_have_text("3")
    expect(page.locator("svg.chart rect.received")).to_have_count(1)
    expect(page.get_by_role("link", name="Télécharger (CSV)")).to_have_attribute("href", f"/api/v1/tenants/"
                                                                                  f"{hall.site}/requests/stats.csv?"
                                                                                  f"from={page.locator('#f-from').input_value()}"
                                                                                  f"&to={page.locator('#f-to').input_value()}"
                                                                                  f"&by=category")
    no_violations(page)
    shoot(page, "demandes-bilan")
    shoot(page, "demandes-bilan-whole", full_page=True)
    assert overflowing(page, scrolls=True, root="main") == []

    page.get_by_label("Cette semaine").check()
    page.get_by_label("Regroupées par").select_option("channel")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("table.figures").first.locator("tbody th")).to_have_text(["Site internet", "Courrier"])
    no_violations(page)

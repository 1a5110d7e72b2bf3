"""The audit log's page (/admin/audit) in chromium: an administrator narrows it with the keyboard alone,
and the page is axe-clean in French."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall
from tests.browser.test_setup import no_violations, press_button, tab_to, type_in


def test_an_administrator_filters_the_audit_log_with_the_keyboard_alone(page: Page, hall: Hall) -> None:
    """From /admin: Tab to the audit log's link, type a first day, pick an action with the arrow keys,
    Enter: only that action's entries remain, its change said as "before → after"; the filters stay."""
    made = hall.api("POST", "/pairings", "admin", json={"role": "display", "name": "Écran accueil"})
    assert made.status_code == 201, made.text
    changed = hall.api("PUT", "/services/urbanisme", "admin", json={"daily_cap": 30})
    assert changed.status_code == 200, changed.text
    hall.sign_in(page, "admin", "/admin")

    press_button(page, "main a[href='/admin/audit']")
    page.wait_for_url(f"{hall.url}/admin/audit")
    expect(page.locator("tr[data-entry]")).to_have_count(2)
    yesterday = datetime.now(ZoneInfo("Europe/Paris")) - timedelta(days=1)
    type_in(page, "#f-from", yesterday.strftime("%d/%m/%Y"))
    tab_to(page, "#f-action")
    for _ in range(30):  # down the list of actions to "a service's configuration changed"
        if page.input_value("#f-action") == "config.service":
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#f-action") == "config.service"
    press_button(page, "#filters button[type=submit]")

    page.wait_for_url(lambda url: "action=config.service" in url)
    rows = page.locator("tr[data-entry]")
    expect(rows).to_have_count(1)
    expect(rows.locator(".detail")).to_contain_text("— → 30")
    expect(page.locator("#f-action")).to_have_value("config.service")
    expect(page.locator("#f-from")).to_have_value(yesterday.strftime("%d/%m/%Y"))
    no_violations(page)

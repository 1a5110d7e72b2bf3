"""The staff header in chromium (templates/nav.html, /static/header.css, /static/menus.js): one line on a desk's
screen (1366×768) for an agent on /counter, a supervisor on /supervisor and an administrator on /admin (eight
links and the administration's menu of four), nothing spilling at 1366 and 1920 px, wrapping without sideways scroll
below; the person's menu and the administration's menu open with the keyboard, Escape closes them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import looks
from tests.browser.conftest import PEOPLE, Hall
from tests.browser.test_setup import no_violations

# role -> the page they land on
HOMES = {"agent": "/counter", "supervisor": "/supervisor", "admin": "/admin"}
# The widest headers: an administrator's (nine items) with the live status and the person's site.
WIDEST = [("admin", "/counter"), ("admin", "/supervisor")]
ITEMS = ".staff-bar .pages > ul > li > :is(a, button)"


def open_page(page: Page, hall: Hall, role: str, path: str | None = None) -> None:
    """``role``'s person signed in on ``path`` (default their page) at a desk's size, its header filled by its
    script."""
    path = path or HOMES[role]
    page.set_viewport_size({"width": looks.DESK[0], "height": looks.DESK[1]})
    hall.sign_in(page, role, path)
    if path == "/counter":
        expect(page.locator("#person")).to_have_text(PEOPLE[role])
        expect(page.locator("#site-name")).to_have_text("Mairie de Démoville")
    if path in ("/counter", "/supervisor"):
        expect(page.locator("#connection")).not_to_be_empty()
    page.evaluate("document.fonts.ready")


def line_of(page: Page) -> dict[str, float]:
    """The header bar's height, and the spread (px) of its items' tops and of its controls' middles."""
    return page.evaluate("""(items) => {
      const tops = [...document.querySelectorAll(items)].map((el) => el.getBoundingClientRect().top);
      const controls = [".brand", ".pages > ul > li > :is(a, button)", ".connection:not(:empty)",
                        ".account > .menu-button"].map((part) => `.staff-bar ${part}`).join(", ");
      const middles = [...document.querySelectorAll(controls)].map((el) => {
        const box = el.getBoundingClientRect();
        return (box.top + box.bottom) / 2;
      });
      const spread = (xs) => Math.max(...xs) - Math.min(...xs);
      return { height: document.querySelector(".staff-bar").getBoundingClientRect().height, items: tops.length,
               tops: spread(tops), middles: spread(middles) };
    }""", ITEMS)


@pytest.mark.parametrize(("role", "path"), [(role, home) for role, home in HOMES.items()] + WIDEST)
def test_the_header_is_one_line_at_a_desk_and_spills_nowhere(page: Page, hall: Hall, role: str, path: str) -> None:
    """At 1366×768 and 1920×1080 the header is one line below 70 px (its links level, its controls centred on
    one line) and nothing spills; at 1024 and 390 px it wraps without the page scrolling sideways."""
    open_page(page, hall, role, path)
    name = f"staff-header-{role}" + ("" if path == HOMES[role] else path.replace("/", "-"))
    for size in (looks.DESK, looks.DESK_WIDE):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        line = line_of(page)
        assert line["items"] == {"agent": 6, "supervisor": 9, "admin": 9}[role]
        assert line["height"] < 70 and line["tops"] <= 1 and line["middles"] <= 4, (size, line)
        assert looks.overflowing(page, scrolls=True) == [], size
        looks.shoot(page, name)
    for size in ((1024, 768), looks.PHONE):  # the header's part: the pages below may have wide tables
        page.set_viewport_size({"width": size[0], "height": size[1]})
        spilling = looks.overflowing(page, scrolls=True, root=".staff-bar")
        assert [words for words in spilling if not words.startswith("the page scrolls")] == [], size
        assert page.evaluate("document.querySelector('.staff-bar').scrollWidth") <= size[0]
        looks.shoot(page, name)


@pytest.mark.parametrize("role", list(HOMES))
def test_the_persons_menu_opens_with_the_keyboard_and_escape_closes_it(page: Page, hall: Hall, role: str) -> None:
    """Enter on the person's button opens their menu (the other language, "Se déconnecter"), Tab goes into it,
    Escape closes it and gives the focus back to the button; axe finds nothing, menu closed or open."""
    open_page(page, hall, role)
    button = page.locator(".account > .menu-button")
    menu = page.locator("#account-menu")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    no_violations(page)

    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(menu.get_by_role("link", name="English")).to_be_visible()
    assert looks.overflowing(page, scrolls=True) == []
    looks.shoot(page, f"staff-header-{role}-account")
    no_violations(page)

    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="English")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()


def test_the_administration_menu_holds_the_administrators_pages(page: Page, hall: Hall) -> None:
    """On /admin the Administration menu is marked current; opened with the keyboard it lists the administration,
    the sites and services, the audit log and the request categories (the page shown marked); a click elsewhere
    closes it."""
    open_page(page, hall, "admin")
    group = page.locator(".pages .menu")
    button = group.locator(".menu-button")
    expect(group).to_have_class("menu current")
    expect(page.locator("nav.pages a[aria-current=page]")).to_have_text("Administration")

    button.focus()
    page.keyboard.press("Space")
    menu = page.locator("#admin-menu")
    expect(menu.get_by_role("link")).to_have_text(["Administration", "Sites et services", "Journal d'audit",
                                                   "Catégories de demandes"])
    expect(menu.get_by_role("link", name="Administration")).to_have_attribute("aria-current", "page")
    assert looks.overflowing(page, scrolls=True) == []
    looks.shoot(page, "staff-header-admin-menu")
    no_violations(page)

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Sites et services")).to_be_focused()
    page.locator("main h1").click()
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

"""The kiosk as a citizen sees it, on the kiosks' own screens (portrait 1080 x 1920, landscape 1920 x 1080), in French
and in Arabic: every screen fits without scrolling, no text under 24 px, services as wide buttons, the priority
ticket said in words, errors as alerts, the phone number masked once left, Arabic mirrored. Screenshots are kept as
artefacts (looks.shoot)."""

from __future__ import annotations

import re

import pytest
from babel import Locale
from playwright.sync_api import Browser, Page, expect

from queue_server.i18n import translations
from queue_server.queue.web.citizen import kiosk_strings
from tests.browser.conftest import Hall
from tests.browser.looks import KIOSK_LANDSCAPE, KIOSK_PORTRAIT, overflowing, shoot
from tests.browser.test_kiosk import no_violations

SIZES = {"portrait": KIOSK_PORTRAIT, "landscape": KIOSK_LANDSCAPE}
MIN_TEXT_PX = 24

# The visible text set smaller than the kiosk's minimum: each text node's element, its computed size.
SMALL_TEXT = """(min) => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !element || element.closest("script, style, svg")) continue;
    if (!element.checkVisibility({ visibilityProperty: true })) continue;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue; // visually hidden, for screen readers only
    const size = parseFloat(getComputedStyle(element).fontSize);
    const name = `${element.tagName.toLowerCase()}#${element.id}`;
    if (size < min) small.push(`${name} "${element.textContent.trim()}" ${size}px`);
  }
  return small;
}"""


# Whether the first of two pieces of an element's text is drawn left of the second.
LEFT_OF = """(element, [first, second]) => {
  const text = element.firstChild, at = (piece) => {
    const range = document.createRange(), index = text.textContent.indexOf(piece);
    range.setStart(text, index);
    range.setEnd(text, index + piece.length);
    return range.getBoundingClientRect().left;
  };
  return at(first) < at(second);
}"""


def kiosk(browser: Browser, hall: Hall, size: tuple[int, int], lang: str = "fr") -> Page:
    """The kiosk page on a screen of ``size``, its start screen shown, in ``lang``."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{hall.url}/kiosk?token={hall.tokens['kiosk']}" + ("" if lang == "fr" else f"&lang={lang}"))
    expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#services .service")).to_have_count(3)
    return page


def looks_right(page: Page, name: str) -> None:
    """The screen as a person checks it: kept as a screenshot, nothing spilling, no text under 24 px."""
    shoot(page, name)
    assert overflowing(page) == []
    assert page.evaluate(SMALL_TEXT, MIN_TEXT_PX) == []


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_the_start_screen_fills_the_kiosk_with_its_services(browser: Browser, hall: Hall, orientation: str,
                                                            lang: str) -> None:
    """Each service is a button across the screen (at least 80 % of a portrait screen's width, two columns in
    landscape) saying "Pas d'attente" while nobody waits, then how many wait in the language's plural forms; the
    whole screen fits, in the site's colours, with no text under 24 px and nothing for axe to report."""
    size = SIZES[orientation]
    page = kiosk(browser, hall, size, lang)
    buttons = page.locator("#services .service")
    words = kiosk_strings(lang)
    nobody = words["wait_words"]["none"]
    expect(buttons.first.locator(".load")).to_have_text(nobody[0].upper() + nobody[1:])
    if lang == "fr":
        expect(buttons.first.locator(".load")).to_have_text("Pas d'attente")
    widths = [box(page, f"#services li:nth-child({n}) .service")["width"] for n in (1, 2, 3)]
    if orientation == "portrait":
        assert min(widths) >= 0.8 * size[0], widths
    else:
        assert max(widths[:2]) < 0.5 * size[0] < widths[2], widths  # two columns, the odd last one across
    brand = page.evaluate("getComputedStyle(document.querySelector('.bar')).backgroundColor")
    assert brand == "rgb(0, 0, 145)"  # the site's main colour (#000091), which reads on white as it is
    looks_right(page, f"kiosk-start-{lang}")
    no_violations(page)

    for _ in range(3):
        assert hall.api("POST", "/tickets", json={"service": "etat-civil"}).status_code == 201
    waiting = words["people_waiting"][Locale.parse(lang).plural_form(3)].replace("{n}", "3")  # Arabic: "few"
    expect(buttons.first.locator(".load")).to_contain_text(waiting)
    expect(buttons.first.locator(".load")).not_to_contain_text(nobody)
    assert overflowing(page) == []


def test_a_priority_ticket_is_a_step_said_in_words_and_marked_on_the_ticket(browser: Browser, hall: Hall) -> None:
    """"Ticket prioritaire" opens a screen titled so, with a way back; a service touched there issues a priority
    ticket, called first, that the ticket screen marks "Prioritaire" in words."""
    hall.api("POST", "/tickets", json={"service": "passeports"})
    page = kiosk(browser, hall, KIOSK_PORTRAIT)
    step_title = translations("fr").gettext("Priority ticket: choose your service")
    page.get_by_role("button", name=re.compile("Ticket prioritaire")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(step_title)
    looks_right(page, "kiosk-priority-step-fr")
    no_violations(page)
    page.get_by_role("button", name="Retour aux services").click()
    expect(page.locator("#start-title")).to_be_visible()
    expect(page.locator("#priority-step")).to_be_hidden()

    page.get_by_role("button", name=re.compile("Ticket prioritaire")).click()
    page.locator("#priority-services").get_by_role("button", name=re.compile("Passeports")).click()
    expect(page.locator("#t-number")).to_have_text("B002")
    expect(page.locator("#t-priority")).to_have_text("Prioritaire")
    expect(page.locator("#t-ahead")).to_have_text("Vous êtes le prochain.")
    ticket_id = page.locator("#ticket").get_attribute("data-ticket")
    assert hall.api("GET", f"/tickets/{ticket_id}").json()["priority"] is True
    looks_right(page, "kiosk-priority-ticket-fr")

    page.get_by_role("button", name="Terminé").click()  # the next ticket is an ordinary one again
    page.locator("#services").get_by_role("button", name=re.compile("Urbanisme")).click()
    expect(page.locator("#t-number")).to_have_text("C001")
    expect(page.locator("#t-priority")).to_be_hidden()


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_the_text_message_form_alerts_on_a_wrong_number_and_masks_the_right_one(browser: Browser, hall: Hall,
                                                                                 orientation: str, lang: str) -> None:
    """On the ticket screen, a number that is not a mobile one is refused in an alert (alert colours, role=alert); a
    mobile number is confirmed masked ("06 •• •• •• 78"), never in clear; the keypad sits on the side the
    language starts from (the right in Arabic); each screen fits, axe-clean."""
    page = kiosk(browser, hall, SIZES[orientation], lang)
    page.locator("#services .service").first.click()
    expect(page.locator("#ticket")).to_be_visible()
    looks_right(page, f"kiosk-ticket-{lang}")
    page.locator("#sms-open").click()
    for key in "0123":
        page.locator(f"#sms .keypad button[data-key='{key}']").click()
    page.locator("#sms button[type=submit]").click()
    error = page.get_by_role("alert").filter(has_text=kiosk_strings(lang)["phone_invalid"])
    expect(error).to_be_visible()
    assert error.evaluate("e => getComputedStyle(e).color") == "rgb(125, 17, 17)"  # the alert ink, not success green
    expect(page.get_by_role("status").filter(has_text=kiosk_strings(lang)["phone_invalid"])).to_have_count(0)
    field, keypad = box(page, "#phone"), box(page, "#sms .keypad")
    if lang == "ar":  # mirrored: the keys under the field's right end
        assert abs(keypad["x"] + keypad["width"] - field["x"] - field["width"]) <= 2
        assert keypad["x"] + keypad["width"] / 2 > field["x"] + field["width"] / 2
    else:
        assert abs(keypad["x"] - field["x"]) <= 2
        assert keypad["x"] + keypad["width"] / 2 < field["x"] + field["width"] / 2
    looks_right(page, f"kiosk-sms-error-{lang}")
    no_violations(page)

    page.locator("#phone").fill("06 12 34 56 78")
    page.locator("#sms button[type=submit]").click()
    saved = page.get_by_role("status").filter(has_text="06 •• •• •• 78")
    expect(saved).to_be_visible()
    assert "34" not in saved.inner_text() and "56" not in saved.inner_text()
    expect(page.locator("#phone")).to_have_value("")
    expect(page.locator("#sms")).to_be_hidden()
    assert saved.evaluate(LEFT_OF, ["06", "78"]), "the number reads left to right, in Arabic too"
    looks_right(page, f"kiosk-sms-saved-{lang}")


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_the_appointment_code_closed_and_pairing_screens_fit_the_kiosk(browser: Browser, hall: Hall,
                                                                       orientation: str, lang: str) -> None:
    """The appointment code screen with its refusal, the closed screen, and the pairing screen with a wrong code fit
    the screen with no text under 24 px, their errors in alerts, axe-clean."""
    page = kiosk(browser, hall, SIZES[orientation], lang)
    page.locator("#appointment-open").click()
    for char in "K7M":
        page.locator(f".a-keys button[data-char='{char}']").click()
    page.locator("#a-submit").click()
    expect(page.get_by_role("alert").filter(has_text=kiosk_strings(lang)["a_short"])).to_be_visible()
    looks_right(page, f"kiosk-appointment-{lang}")
    no_violations(page)

    page.locator("#a-back").click()
    closed = hall.api("PUT", "/hours", "admin", json={"weekly": {"mon": [["08:30", "08:31"]]}, "public_holidays": None})
    assert closed.status_code == 200, closed.text
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed-when")).to_contain_text("08:30")
    looks_right(page, f"kiosk-closed-{lang}")

    page.evaluate("localStorage.clear()")
    page.goto(f"{hall.url}/kiosk" + ("" if lang == "fr" else f"?lang={lang}"))
    expect(page.locator("#pairing")).to_be_visible()
    page.locator("#code").fill("WRONG1")
    page.locator("#pairing-form button[type=submit]").click()
    expect(page.get_by_role("alert").filter(has_text=kiosk_strings(lang)["bad_code"])).to_be_visible()
    looks_right(page, f"kiosk-pairing-{lang}")
    no_violations(page)


# The WCAG contrast of two computed colours ("rgb(r, g, b)").
CONTRAST = """([a, b]) => {
  const lum = (css) => {
    const [r, g, b] = css.match(/\\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def test_the_sites_own_colours_theme_the_kiosk_and_stay_readable(browser: Browser, hall: Hall) -> None:
    """An administrator gives the site a pale yellow and a light orange: the kiosk on screen takes them without a
    reload, darkened until white text reads on them and they read on white (4.5:1), and stays axe-clean."""
    page = kiosk(browser, hall, KIOSK_PORTRAIT)
    answer = hall.api("PUT", "", "admin", json={"colours": ["#ffe14d", "#ffa94d"]})
    assert answer.status_code == 200, answer.text
    page.wait_for_function("getComputedStyle(document.querySelector('.bar')).backgroundColor !== 'rgb(0, 0, 145)'")
    band = page.evaluate("getComputedStyle(document.querySelector('.bar')).backgroundColor")
    accent = page.evaluate("getComputedStyle(document.getElementById('priority')).color")
    assert band != "rgb(255, 225, 77)" and accent != "rgb(255, 169, 77)"  # darkened
    assert page.evaluate(CONTRAST, [band, "rgb(255, 255, 255)"]) >= 4.5
    assert page.evaluate(CONTRAST, [accent, "rgb(255, 255, 255)"]) >= 4.5
    looks_right(page, "kiosk-start-site-colours-fr")
    no_violations(page)

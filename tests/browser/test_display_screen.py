"""The hall display as a town hall shows it on its TVs: the idle screen, the call board with 8 and 16 counters,
the new call's highlight, at 1920×1080, 3840×2160 and on a portrait TV (1080×1920); the idle message and
slideshow set by an administrator reach an open display without a reload."""

from __future__ import annotations

import io
import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Hall
from tests.browser.looks import TV, TV_4K, TV_PORTRAIT, overflowing, shoot
from tests.browser.test_display import call, open_display

AXE = Axe()
SIZES = {"tv": TV, "4k": TV_4K, "portrait": TV_PORTRAIT}
MAIN, ACCENT = "#1b5e20", "#ffd54f"  # a dark green and a light yellow: white text on the one, black on the other
WEEK = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# The background colour of the call's panel, sampled at each frame for 1.2 s.
SAMPLE_CALL_COLOURS = """() => new Promise((done) => {
  const seen = new Set(), start = performance.now();
  const look = () => {
    seen.add(getComputedStyle(document.getElementById("current")).backgroundColor);
    if (performance.now() - start > 1200) done([...seen]); else requestAnimationFrame(look);
  };
  look();
})"""


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def issue(hall: Hall, count: int, service: str = "etat-civil") -> None:
    """``count`` tickets given by an agent (the kiosk would refuse them outside the site's hours)."""
    for _ in range(count):
        answer = hall.api("POST", "/tickets", "agent", json={"service": service})
        assert answer.status_code == 201, answer.text


def at_every_size(page: Page, name: str) -> None:
    """The page at each TV size: a screenshot kept, and nothing spilling out of the screen or its box."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function("(w) => document.documentElement.clientWidth === w", arg=width)
        assert overflowing(page) == [], (label, overflowing(page))
        shoot(page, f"display-{name}-{label}")


def no_violations(page: Page) -> None:
    result = AXE.run(page)
    assert result.violations_count == 0, result.generate_report()


def test_the_idle_screen_shows_the_collectivity_its_hours_and_who_waits(page: Page, hall: Hall) -> None:
    """With no call yet, the TV shows the site's name and logo on its main colour, today's opening hours, the
    people waiting per service and the time; nothing spills at any size and axe finds no fault."""
    assert hall.api("PUT", "/hours", "admin", json={"weekly": WEEK, "public_holidays": None}).status_code == 200
    assert hall.api("PUT", f"/api/v1/sites/{hall.site}", "admin",
                    json={"colours": [MAIN, ACCENT], "address": "1 place de la Mairie"}).status_code == 200
    issue(hall, 2)
    issue(hall, 1, "passeports")
    page.set_viewport_size({"width": TV[0], "height": TV[1]})
    open_display(page, hall)
    expect(page.locator("#idle")).to_be_visible()
    expect(page.locator("#logo")).to_be_visible()
    expect(page.locator("#site-address")).to_have_text("1 place de la Mairie")
    expect(page.locator("#idle-hours li")).to_have_text(["08:30 – 12:00", "13:30 – 17:00"])
    expect(page.locator("#idle-waiting li[data-service='etat-civil'] .count")).to_have_text("2 personnes en attente")
    expect(page.locator("#idle-waiting li[data-service='passeports'] .count")).to_have_text("1 personne en attente")
    expect(page.locator("#idle-clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator("#idle-message")).to_have_text(
        "Prenez un ticket à la borne : votre numéro sera appelé sur cet écran.")
    # The site's colours, each with the text that reads on it.
    expect(page.locator("header")).to_have_css("background-color", rgb(MAIN))
    expect(page.locator("header")).to_have_css("color", "rgb(255, 255, 255)")
    expect(page.locator("#idle-waiting li").first).to_have_css("border-top-color", rgb(ACCENT))
    no_violations(page)
    at_every_size(page, "idle")


def test_calls_with_8_then_16_counters_fit_every_tv_and_a_new_call_flashes(page: Page, hall: Hall) -> None:
    """A new call's panel turns to the accent colour within a second and flashes (still with reduced motion, it
    stays in the accent without flashing); 8 then 16 counters at work fit the board at every size, with
    nothing spilling and no accessibility fault."""
    assert hall.api("PUT", f"/api/v1/sites/{hall.site}", "admin", json={"colours": [MAIN, ACCENT]}).status_code == 200
    for n in range(5, 17):
        answer = hall.api("PUT", f"/counters/{n}", "admin",
                          json={"name": f"Guichet {n}", "services": ["etat-civil", "passeports", "urbanisme"]})
        assert answer.status_code == 201, answer.text
    issue(hall, 18)
    page.set_viewport_size({"width": TV[0], "height": TV[1]})
    open_display(page, hall)
    before = page.evaluate("getComputedStyle(document.getElementById('current')).backgroundColor")
    call(hall, "1")
    page.wait_for_function("(before) => getComputedStyle(document.getElementById('current')).backgroundColor"
                           " !== before", arg=before, timeout=1_000)
    assert set(page.evaluate(SAMPLE_CALL_COLOURS)) == {rgb(ACCENT), before}  # it flashes between the two

    for counter in range(2, 9):
        call(hall, str(counter))
    expect(page.locator("#current .number")).to_have_text("A008", timeout=1_000)
    expect(page.locator("#counters .tile")).to_have_count(8)
    at_every_size(page, "calls-8-counters")

    for counter in range(9, 17):
        call(hall, str(counter))
    expect(page.locator("#current .number")).to_have_text("A016", timeout=1_000)
    expect(page.locator("#counters .tile .number")).to_have_text([f"A{n:03d}" for n in range(1, 17)])
    expect(page.locator("#history .number")).to_have_text(["A016", "A015", "A014", "A013", "A012"])
    no_violations(page)
    at_every_size(page, "calls-16-counters")

    page.emulate_media(reduced_motion="reduce")
    call(hall, "1")
    expect(page.locator("#current .number")).to_have_text("A017", timeout=1_000)
    assert page.evaluate(SAMPLE_CALL_COLOURS) == [rgb(ACCENT)]  # steady: no flashing


def slide(colour: str) -> bytes:
    """A landscape poster, as a town hall's communication service would make one."""
    image = Image.new("RGB", (1600, 900), colour)
    ImageDraw.Draw(image).rectangle((100, 350, 1500, 550), fill="#ffffff")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(page: Page, name: str, data: bytes, mime: str = "image/png") -> None:
    files: Any = [{"name": name, "mimeType": mime, "buffer": data}]
    page.set_input_files("#dsp-image", files=files)
    page.get_by_role("button", name="Ajouter l'image").click()


def test_the_admin_sets_the_idle_message_and_images_and_an_open_display_shows_them(
        page: Page, browser: Browser, hall: Hall) -> None:
    """From the site's set-up page an administrator saves a message and adds a poster: an open display shows
    both without a reload; a file that is no image is refused by its content, whatever its name."""
    tv = browser.new_context(viewport={"width": TV[0], "height": TV[1]}, locale="fr-FR").new_page()
    open_display(tv, hall)
    expect(tv.locator("#idle")).to_be_visible()

    hall.sign_in(page, "admin", f"/admin/sites/{hall.site}")
    page.get_by_label("Message affiché en dehors des appels (facultatif)").fill(
        "Les passeports se font uniquement sur rendez-vous.")
    page.get_by_role("button", name="Enregistrer le message").click()
    expect(page.locator("#done")).to_have_text(
        "Le message des écrans d'appel est enregistré : ils l'affichent dès maintenant.")
    expect(tv.locator("#idle-message")).to_have_text("Les passeports se font uniquement sur rendez-vous.",
                                                     timeout=2_000)

    upload(page, "affiche.png", b"This is a text file, not a picture.\n")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#display")).to_contain_text("Ce fichier n'est pas une image PNG ou JPEG.")
    upload(page, "affiche.png", slide("#1b5e20"))
    expect(page.locator("#done")).to_have_text(
        "L'image est ajoutée : les écrans d'appel l'affichent dès maintenant, en dehors des appels.")
    expect(page.locator("#display tbody img")).to_have_count(1)
    no_violations(page)
    shoot(page, "setup-display-section")

    poster = tv.locator("#idle-slide")
    expect(poster).to_be_visible(timeout=2_000)
    expect(poster).to_have_attribute("src", re.compile(rf"^/display/images/{hall.site}/[0-9a-f]{{16}}$"))
    tv.wait_for_function("() => document.getElementById('idle-slide').naturalWidth === 1600")
    expect(tv.locator("#idle-message")).to_have_text("Les passeports se font uniquement sur rendez-vous.")
    at_every_size(tv, "idle-slideshow")

    page.get_by_role("button", name="Supprimer Image 1 du diaporama").click()
    expect(page.locator("#done")).to_have_text("L'image est retirée des écrans d'appel.")
    expect(poster).to_be_hidden(timeout=2_000)
    tv.context.close()


def test_a_display_speaks_the_sites_first_language_unless_its_address_chooses(page: Page, hall: Hall) -> None:
    """A site that announces in English first gets an English screen; ``?lang=fr`` in the address keeps French."""
    answer = hall.api("PUT", f"/api/v1/sites/{hall.site}", "admin", json={"languages": ["en", "fr"]})
    assert answer.status_code == 200, answer.text
    page.goto(f"{hall.url}/display?token={hall.tokens['display']}")
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=10_000)
    expect(page.locator("#idle-hours li")).to_have_text(["Open all day"])
    page.goto(f"{hall.url}/display?lang=fr")
    expect(page.locator("#idle-hours li")).to_have_text(["Ouvert toute la journée"])
    expect(page.locator("html")).to_have_attribute("lang", "fr")

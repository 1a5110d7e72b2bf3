"""What a person checks by looking at a page, as functions for the browser tests: screenshots kept as the
test run's artefacts, and whether anything spills out of the screen or out of its box.

Screenshots go to ``$GUICHET_ARTEFACTS/screenshots`` (default ``test-artefacts/screenshots`` under the
working directory, which ``make test`` runs in): ``NAME-WIDTHxHEIGHT.png``. They are always taken, so that
CI keeps what each page looked like at the sizes of the devices.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

ARTEFACTS = Path(os.environ.get("GUICHET_ARTEFACTS", "test-artefacts"))

# The screens our pages run on (width, height).
TV = (1920, 1080)
TV_4K = (3840, 2160)
TV_PORTRAIT = (1080, 1920)
KIOSK_PORTRAIT = (1080, 1920)
KIOSK_LANDSCAPE = (1920, 1080)
PHONE = (390, 844)
DESK = (1366, 768)
DESK_WIDE = (1920, 1080)


def shoot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot of ``page`` as an artefact of the run; its path."""
    size = page.viewport_size or {"width": 0, "height": 0}
    folder = ARTEFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


_OVERFLOWS = (Path(__file__).parent / "overflow.js").read_text()


def overflowing(page: Page, scrolls: bool = False, root: str | None = None) -> list[str]:
    """What a person would see spilling: visible elements (under ``root``, a selector; default the body)
    outside the screen, text cut by its box, a page that scrolls sideways. ``scrolls``: the page may scroll
    down (agent and supervisor pages), so only the sides count; screens (TV, kiosk) must fit whole.
    Elements marked ``data-scrolls`` (a ticker that slides, a list meant to scroll) may hold more than
    they show. Empty: nothing overflows."""
    return list(page.evaluate(_OVERFLOWS, [scrolls, root]))

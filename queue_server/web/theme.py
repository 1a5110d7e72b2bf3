"""A site's colours made readable (shared by the citizen pages of every module: booking, the ticket page, the
widgets): they use the main colour for headings, links and buttons (white
text on it) and the accent for marks; a colour too light for that is darkened until it reaches the WCAG AA
contrast of 4.5:1 against white, so that a town hall choosing a pale yellow still gets readable pages."""

from __future__ import annotations

import re

AA = 4.5
WHITE = "#ffffff"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on_white(colour: str, fallback: str) -> str:
    """``colour``, darkened by steps of 8 % towards black until it reads on white (AA); ``fallback`` when it is
    not a ``#rrggbb`` colour."""
    if not HEX.match(colour):
        return fallback
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for _ in range(30):
        found = f"#{r:02x}{g:02x}{b:02x}"
        if contrast(found, WHITE) >= AA:
            return found
        r, g, b = int(r * 0.92), int(g * 0.92), int(b * 0.92)
    return "#000000"


def theme(colours: tuple[str, str]) -> dict[str, str]:
    """CSS custom properties for the pages: ``brand`` and ``accent`` readable on white, and white on them."""
    return {"brand": readable_on_white(colours[0], "#00357a"), "accent": readable_on_white(colours[1], "#7a3b00")}

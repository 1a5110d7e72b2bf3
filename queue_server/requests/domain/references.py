"""A request's reference, ``DEM-2026-000042``: the year of receipt and its rank among the tenant's requests of
that year. Unique in the tenant and without gaps: the service draws the rank from a counter row per tenant and
year, in the same transaction as the request (a rolled-back request gives its number back).

Six digits hold 999 999 requests a year; beyond, the number simply grows (``DEM-2026-1000000``): still unique,
still read back by ``parse``."""

from __future__ import annotations

import re

PREFIX = "DEM"
DIGITS = 6
_SHAPE = re.compile(rf"\b{PREFIX}-(\d{{4}})-(\d{{{DIGITS},}})\b")


def reference(year: int, number: int) -> str:
    """``reference(2026, 42)`` → ``"DEM-2026-000042"``. ``number`` starts at 1; ``year`` has four digits."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"a reference's year has four digits, not {year}")
    if number < 1:
        raise ValueError(f"a reference's number starts at 1, not {number}")
    return f"{PREFIX}-{year}-{number:0{DIGITS}d}"


def parse(text: str) -> tuple[int, int] | None:
    """(year, number) of the first reference found in ``text`` (an e-mail's subject: "Re: [DEM-2026-000042] …"),
    or ``None`` when there is none."""
    found = _SHAPE.search(text)
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2))

"""CSV files as a spreadsheet opens them: ``csv_text`` writes the documented machine form (commas, English
column names, UTC times: what scripts read); ``for_people`` the form a person's spreadsheet opens as it is,
in their language: French uses ``;`` between cells and a decimal comma, as French Excel and LibreOffice
expect, with a UTF-8 byte order mark so that accents show; column names are translated and times are
local (the caller converts them). Either way a cell starting with = + - @ is quoted as text, so that it
never runs as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from queue_server.i18n import translations

LANGUAGES = ("fr", "en")
BOM = "\ufeff"


def _safe(value: Any, decimal_comma: bool = False) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@") else value
    if isinstance(value, float) and decimal_comma:
        return f"{value:g}".replace(".", ",")
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def for_people(header: Sequence[str], rows: Iterable[Sequence[Any]], lang: str) -> str:
    """``header`` (English column names, translated here) and ``rows`` for a spreadsheet in ``lang``."""
    french = lang == "fr"
    gettext = translations(lang).gettext
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";" if french else ",")
    writer.writerow([gettext(name) for name in header])
    for row in rows:
        writer.writerow([_safe(v, decimal_comma=french) for v in row])
    return out.getvalue()


def wanted_language(value: str | None) -> str | None:
    """The ``lang`` query parameter of a CSV endpoint: ``None`` (the machine form) or one of ``LANGUAGES``;
    ``ValueError`` otherwise."""
    if value is None:
        return None
    if value not in LANGUAGES:
        raise ValueError(value)
    return value

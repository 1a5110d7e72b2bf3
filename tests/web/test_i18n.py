"""The translation layer: every user-facing message of the code and templates has its French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("queue_server/**.py", "python"), ("kiosk/**.py", "python"), ("counter_client/**.py", "python"),
           ("queue_server/**/templates/**.html", "jinja2")]
OPTIONS = {"queue_server/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def test_every_message_has_a_french_translation() -> None:
    """Extracting the messages as `make i18n` does finds none without a French translation."""
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(ROOT), METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None})}
    assert len(found) > 40  # the extraction itself works
    with open(ROOT / "queue_server/locale/fr/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="fr")
    missing = sorted(m for m in found if isinstance(m, str) and not (catalog.get(m) and catalog.get(m).string))
    assert missing == []
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []


# What citizens read: the kiosk, the ticket page, text messages, the printed ticket, the hall display.
CITIZEN_SOURCES = ("queue_server/queue/web/citizen.py", "queue_server/queue/web/templates/kiosk.html",
                   "queue_server/queue/web/templates/ticket.html", "queue_server/queue/web/templates/ticket_gone.html",
                   "queue_server/platform/sms.py", "kiosk/printer.py", "queue_server/queue/web/display.py",
                   "queue_server/queue/web/templates/display.html")


def test_every_message_a_citizen_reads_is_in_spanish_and_arabic() -> None:
    """The kiosk, the ticket page and the text messages are translated into every citizen language."""
    found = {message for path, _, message, _, _ in extract_from_dir(
        str(ROOT), METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None})
        if path.replace("\\\\", "/").endswith(tuple(s.split("/", 1)[1] for s in CITIZEN_SOURCES))}
    assert len(found) > 40
    for lang in ("es", "ar", "fr"):
        with open(ROOT / f"queue_server/locale/{lang}/LC_MESSAGES/messages.po", "rb") as po:
            catalog = read_po(po, locale=lang)
        missing = sorted(m for m in found if isinstance(m, str) and not (catalog.get(m) and catalog.get(m).string))
        assert missing == [], lang

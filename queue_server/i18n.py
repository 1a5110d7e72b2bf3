"""Translations: gettext catalogs (Babel), French first, English too, for pages and printed tickets.

Messages are written in English in the code and templates (``_("...")``); each language but English
has a catalog in ``queue_server/locale/<lang>/LC_MESSAGES/messages.po``, read at first use (no
compiled ``.mo`` to keep in step). ``make i18n`` extracts the messages and updates the catalogs;
a test fails when a message has no French translation.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("fr", "en")  # offered to staff, in this order; the first is the default
DEFAULT = LANGUAGES[0]
# Offered to citizens (kiosk, ticket page, text messages): their catalogs translate at least every
# message of those pages (tests/web/test_i18n.py checks it).
CITIZEN_LANGUAGES = ("fr", "en", "es", "ar")
RTL = frozenset({"ar"})  # written right to left


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (English: the messages as written; unknown: French)."""
    if lang == "en":
        return gettext.NullTranslations()
    if lang not in CITIZEN_LANGUAGES:
        lang = DEFAULT
    with files("queue_server").joinpath("locale", lang, "LC_MESSAGES", "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo)

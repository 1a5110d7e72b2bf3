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

from babel import Locale
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


@cache
def _plural_samples(lang: str) -> dict[str, int]:
    """One number of each CLDR plural category of ``lang`` ("one": 1, "few": 3...), the categories that
    browsers' ``Intl.PluralRules`` answer."""
    rule = Locale.parse(lang).plural_form
    samples: dict[str, int] = {}
    for n in (*range(0, 200), 1_000_000):
        samples.setdefault(rule(n), n)
    return samples


def plural_forms(lang: str, singular: str, plural: str) -> dict[str, str]:
    """The translations of a message with a number for each CLDR plural category of ``lang``, for a page's
    script to pick with ``Intl.PluralRules(lang).select(n)`` (``Live.plural``): the catalog's own plural
    forms (Babel), never a singular and a plural stuck together ("3 دقائق", "11 دقيقة")."""
    ngettext = translations(lang).ngettext
    return {tag: ngettext(singular, plural, n) for tag, n in _plural_samples(lang).items()}

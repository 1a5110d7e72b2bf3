"""The translation layer: gettext catalogs (Babel), French first, English too.

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

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import HTTPConnection

LANGUAGES = ("fr", "en")  # offered, in this order; the first is the default
DEFAULT = LANGUAGES[0]
COOKIE = "lang"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    with files("queue_server").joinpath("locale", lang, "LC_MESSAGES", "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo)


@cache
def templates(lang: str) -> Environment:
    """The page templates with ``_`` / ``gettext`` / ``ngettext`` speaking ``lang``."""
    env = Environment(loader=PackageLoader("queue_server.web", "templates"), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def negotiate(conn: HTTPConnection) -> str:
    """The page language: ``?lang=``, else the ``lang`` cookie, else the browser's Accept-Language,
    else French."""
    for chosen in (conn.query_params.get("lang"), conn.cookies.get(COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    wanted = []
    for part in conn.headers.get("accept-language", "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if tag:
            wanted.append((q, tag.strip()))
    preferred = [tag for _, tag in sorted(wanted, key=lambda item: -item[0])]
    try:
        found = Locale.negotiate(preferred, LANGUAGES, sep="-")
    except (UnknownLocaleError, ValueError):
        found = None
    return found.language if found is not None and found.language in LANGUAGES else DEFAULT

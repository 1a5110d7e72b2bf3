"""The translation layer for pages: which language a request gets, and templates that speak it
(the catalogs themselves: ``queue_server/i18n.py``)."""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.requests import HTTPConnection

from queue_server.i18n import DEFAULT, LANGUAGES, translations

COOKIE = "lang"
__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "negotiate", "templates", "translations"]


# Each module keeps its pages' templates in its own web/templates; the shell's (sign in, admin, start) here.
TEMPLATE_PACKAGES = ("queue_server.web", "queue_server.queue.web", "queue_server.crm.web", "queue_server.booking.web",
                     "queue_server.requests.web", "queue_server.phone.web", "queue_server.kb.web",
                     "queue_server.surveys.web")


def page_templates() -> ChoiceLoader:
    """One loader over every module's templates (names are unique across modules)."""
    return ChoiceLoader([PackageLoader(package, "templates") for package in TEMPLATE_PACKAGES])


@cache
def templates(lang: str) -> Environment:
    """The page templates with ``_`` / ``gettext`` / ``ngettext`` speaking ``lang``."""
    env = Environment(loader=page_templates(), autoescape=select_autoescape(),
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

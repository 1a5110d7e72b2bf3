"""The collectivity's public FAQ: its published public sheets, for anyone, on the town hall's site or embedded in the
city's website (``/embed.js``, ``data-widget="faq"`` or ``"kb"``). No account.

- ``GET /faq?tenant=T`` (``&q=``: a search; ``&embed=1``: the framed variant, no header, its height told to the page
  around it; ``&lang=``: ``fr``, ``en``, ``es`` or ``ar``, else French): the sheets by title, or those found (each
  with its excerpt, the words found marked). A plain GET form that works without script; ``static/kb/faq.js``
  shows results while the person types (the API's public search, sent without credentials: what anyone finds).
- ``GET /faq/{id}?tenant=T``: one sheet, its text as its editors wrote it (sanitised), with a link back.

The sheets are written in French; the page around them speaks the person's language (French first, the same switch
as the other citizen pages). Each page carries its own Content-Security-Policy whose ``frame-ancestors`` are the
tenant's declared websites, in the colours and with the logo of the tenant's first site; reads are rate-limited per
address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from queue_server.i18n import CITIZEN_LANGUAGES, RTL, plural_forms, translations
from queue_server.kb import rendering
from queue_server.kb.errors import Refusal
from queue_server.kb.service import KnowledgeBase
from queue_server.platform.sessions import Limits
from queue_server.web.headers import content_security_policy
from queue_server.web.http import client_address, plausible_id, rate_limit
from queue_server.web.i18n import COOKIE, templates
from queue_server.web.theme import theme

READS_PER_MINUTE = 120
MAX_SEARCH = 200
LANGUAGES = (("fr", "Français"), ("en", "English"), ("es", "Español"), ("ar", "العربية"))


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def faq_language(request: Request) -> str:
    """``?lang=`` by its language part (``fr-FR`` is ``fr``) if a citizen language, else the cookie's, else French."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if chosen:
            language = chosen.split("-")[0].split("_")[0].lower()
            if language in CITIZEN_LANGUAGES:
                return language
    return "fr"


def faq_strings(lang: str) -> dict[str, Any]:
    """What the FAQ's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "none": _("No answer found. Try other words, or contact the town hall."),
        "found": plural_forms(lang, "{n} answer found", "{n} answers found"),
        "partial": _("No answer has every word: the closest ones."),
        "unreachable": _("The search is unavailable for now. Please try again."),
    }


@dataclass(frozen=True, slots=True)
class Look:
    """How a collectivity's pages look and who may frame them."""

    tenant: str
    name: str
    origins: tuple[str, ...]
    colours: dict[str, str]
    logo: str | None


class Faq:
    """The FAQ's pages, made in the lifespan."""

    def __init__(self, kb: KnowledgeBase, limits: Limits) -> None:
        self.kb = kb
        self.limits = limits

    def routes(self) -> list[Route]:
        return [
            Route("/faq", self.home, methods=["GET"]),
            Route("/faq/{sheet}", self.one, methods=["GET"]),
        ]

    async def _look(self, tenant: str) -> Look | None:
        found = await self.kb.collectivity(tenant) if plausible_id(tenant) else None
        if found is None:
            return None
        return Look(found.tenant, found.name, found.origins, theme(found.colours), found.logo)

    def _page(self, request: Request, template: str, lang: str, look: Look | None, status: int = 200,
              **context: Any) -> HTMLResponse:
        embed = request.query_params.get("embed") == "1"
        data = {"lang": lang, "embed": embed, "tenant": look.tenant if look else None,
                "origins": list(look.origins) if look else [], "strings": faq_strings(lang)}
        html = templates(lang).get_template(template).render(
            lang=lang, dir="rtl" if lang in RTL else "ltr", look=look,
            colours=look.colours if look else theme(("", "")), embed=embed, languages=LANGUAGES,
            switch=_switch(request), data=json_block(data), **context)
        headers = {"Content-Security-Policy": content_security_policy(look.origins if look else ())}
        return HTMLResponse(html, status, headers=headers)

    async def _count(self, request: Request) -> None:
        await rate_limit(self.limits, f"faq-page:{client_address(request)}", READS_PER_MINUTE, "This address")

    async def home(self, request: Request) -> Response:
        await self._count(request)
        lang = faq_language(request)
        look = await self._look(request.query_params.get("tenant", ""))
        if look is None:
            return self._page(request, "faq_gone.html", lang, None, 404)
        reader = await self.kb.reader(None)
        text = request.query_params.get("q", "")[:MAX_SEARCH]
        found = await self.kb.search(reader, look.tenant, text) if text.strip() else []
        sheets = [] if text.strip() else await self.kb.listed(reader, look.tenant)
        return self._page(request, "faq.html", lang, look, text=text, found=found, sheets=sheets,
                          partial=bool(found) and all(f.partial for f in found),
                          count=translations(lang).ngettext("{n} answer found", "{n} answers found",
                                                            len(found)).replace("{n}", str(len(found))))

    async def one(self, request: Request) -> Response:
        await self._count(request)
        lang = faq_language(request)
        look = await self._look(request.query_params.get("tenant", ""))
        sheet_id = str(request.path_params["sheet"])
        sheet = None
        if look is not None and plausible_id(sheet_id):
            try:
                sheet = await self.kb.read(await self.kb.reader(None), look.tenant, sheet_id)
            except Refusal:
                sheet = None
        if look is None or sheet is None:
            return self._page(request, "faq_gone.html", lang, look, 404)
        return self._page(request, "faq_sheet.html", lang, look, row=sheet.row,
                          body=Markup(rendering.html(sheet.row.body)))


def _switch(request: Request) -> dict[str, str]:
    """The language switch's links: the same page in each language (the other parameters kept)."""
    kept = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {code: request.url.path + "?" + urlencode({**kept, "lang": code}) for code, _label in LANGUAGES}

"""The staff's knowledge-base pages (agents, supervisors and administrators of the collectivity, signed in):

- ``GET /connaissances``: the search (``?q=``; results while typing, from ``static/kb/connaissances.js`` and the
  API's search, each with its excerpt, its owner when a partner's, its status when not published), the sheets
  changed last; for supervisors the sheets due for review and "New sheet"; for administrators the partners.
- ``GET /connaissances/{id}``: a sheet: its owner, status, audience, review date, service, links, the local note on
  a partner's sheet (written here by supervisors), its text, and its versions (its own collectivity's sheets).
- ``GET /connaissances/{id}/versions?from=&to=``: what changed between two versions, removed and added words shown
  as ``<del>``/``<ins>`` with words for screen readers.
- ``GET /connaissances/nouvelle`` and ``/connaissances/{id}/modifier`` (supervisors): the editor, Markdown beside
  its preview (``static/kb/editeur.js``, through the API's preview and write).
- ``GET /connaissances/panneau``: the search panel the agent page opens with K (``static/kb/panel.js``), as a
  piece of HTML in the page's language.

The pages are drawn by the server from ``KnowledgeBase`` (the same reads and rules as the API); the writes go through
the API. Nothing here is personal data: no read is audited (the changes are, by the service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from babel.dates import format_date, format_datetime
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.i18n import plural_forms
from queue_server.kb import rendering
from queue_server.kb.domain.sheets import Reader, due_for_review
from queue_server.kb.errors import unknown_sheet
from queue_server.kb.service import KnowledgeBase, Sheet
from queue_server.kb.tables import SheetRow
from queue_server.kb.web.api import MAX_BODY, MAX_NOTE, roles_of
from queue_server.platform.users import Person
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator
from queue_server.web.http import plausible_id
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

PATH = "/connaissances"
PARIS = ZoneInfo("Europe/Paris")  # the times shown: mainland France's clock (a limit)
MAX_SEARCH = 200
RECENT = 12  # sheets changed last, on the page without a search


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def status_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"draft": _("Draft"), "review": _("In review"), "published": _("Published"), "archived": _("Archived")}


def audience_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"agents": _("Agents only"), "public": _("Public")}


def page_strings(lang: str) -> dict[str, Any]:
    """What the pages' scripts write, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "failed": _("It could not be done: {problem}"),
        "none": _("No sheet found."),
        "found": plural_forms(lang, "{n} sheet found", "{n} sheets found"),
        "partial": _("No sheet has every word: the closest ones."),
        "shared_by": _("Shared by {owner}"),
        "statuses": status_words(lang),
        "agents_only": _("Agents only"),
        "saved": _("The sheet is saved."),
        "check": _("The sheet could not be saved: check the fields marked."),
        "preview_empty": _("The preview shows here as you write."),
        "note_saved": _("The local note is saved."),
        "note_removed": _("The local note is removed."),
        "partners_saved": _("The partners are saved."),
        "read_only": _("Read only: a sheet of {owner}."),
        "open_panel": _("Knowledge"),
        "key_help": _("Search the knowledge base, in a panel beside the ticket"),
        # What the editor says next to a field the server refused.
        "fields": {
            "title": _("Give the sheet a title (200 characters at most)."),
            "owner_service": _("Name the service in 200 characters at most, or leave it empty."),
            "review_by": _("Give the review date as a day, or leave it empty."),
            "body": _("The text is too long (50,000 characters at most)."),
            "services": _("Identifiers are lower-case letters, digits and dashes (etat-civil), 50 at most."),
            "motifs": _("Identifiers are lower-case letters, digits and dashes (etat-civil), 50 at most."),
            "categories": _("Identifiers are lower-case letters, digits and dashes (etat-civil), 50 at most."),
        },
    }


@dataclass(frozen=True, slots=True)
class _Viewer:
    person: Person
    csrf: str
    lang: str
    tenant: str

    @property
    def roles(self) -> set[str]:
        return roles_of(self.person)

    @property
    def editor(self) -> bool:
        return bool(self.roles & SUPERVISORS)

    @property
    def admin(self) -> bool:
        return "admin" in self.roles


class KbPages:
    def __init__(self, auth: Authenticator, kb: KnowledgeBase) -> None:
        self.auth = auth
        self.kb = kb

    def routes(self) -> list[Route]:
        return [
            Route(PATH, self.home, methods=["GET"]),
            Route(PATH + "/nouvelle", self.new, methods=["GET"]),
            Route(PATH + "/panneau", self.panel, methods=["GET"]),
            Route(PATH + "/{sheet}", self.one, methods=["GET"]),
            Route(PATH + "/{sheet}/modifier", self.edit, methods=["GET"]),
            Route(PATH + "/{sheet}/versions", self.history, methods=["GET"]),
        ]

    # Who looks -------------------------------------------------------------------------------------------

    async def _viewer(self, request: Request, *, editor: bool = False) -> _Viewer | Response:
        """The signed-in staff member (a supervisor or an administrator when ``editor``); else the sign-in page (then
        back here) or a 403 page."""
        found = await self.auth.session(request)
        lang = negotiate(request)
        if found is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        session, person = found
        roles = set(person.roles.values())
        if not roles & (SUPERVISORS if editor else STAFF):
            _ = translations(lang).gettext
            text = (_("Only supervisors and administrators write sheets.") if editor and roles & STAFF else
                    _("This page is for the staff of the town hall: your account has no agent, supervisor or "
                      "administrator role."))
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="{PATH}">Guichet</a></p></html>', status_code=403)
        return _Viewer(person, session.csrf, lang, person.tenant_id)

    async def _reader(self, viewer: _Viewer) -> Reader:
        return await self.kb.reader(viewer.tenant, editor=viewer.editor)

    def _render(self, request: Request, viewer: _Viewer, name: str, **context: Any) -> Response:
        lang = viewer.lang
        data = {"csrf": viewer.csrf, "lang": lang, "tenant": viewer.tenant, "strings": page_strings(lang),
                **context.pop("data", {})}
        html = templates(lang).get_template(name).render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=viewer.csrf,
            person=viewer.person, nav_roles=sorted({r for r in viewer.person.roles.values() if r}),
            statuses=status_words(lang), audiences=audience_words(lang), editor=viewer.editor, admin=viewer.admin,
            tenant=viewer.tenant, data=json_block(data), **context)
        response = HTMLResponse(html)
        if request.query_params.get("lang") == lang:
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    def _day(self, row: SheetRow, lang: str) -> str | None:
        return format_date(row.review_by, "long", locale=lang) if row.review_by else None

    def _when(self, row: SheetRow, lang: str) -> str:
        return format_datetime(row.updated_at, "d MMMM y, HH:mm", locale=lang, tzinfo=PARIS)

    # /connaissances ----------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        reader = await self._reader(viewer)
        text = request.query_params.get("q", "")[:MAX_SEARCH]
        found = await self.kb.search(reader, viewer.tenant, text) if text.strip() else []
        recent = [] if text.strip() else await self.kb.listed(reader, viewer.tenant, recent=True, limit=RECENT)
        review = await self.kb.to_review(viewer.tenant) if viewer.editor and not text.strip() else []
        partners = await self.kb.partners(viewer.tenant) if viewer.admin and not text.strip() else None
        names = await self.kb.tenant_names(partners.named) if partners is not None else {}
        return self._render(
            request, viewer, "connaissances.html", section=None, text=text, found=found,
            partial=bool(found) and all(f.partial for f in found),
            count=translations(viewer.lang).ngettext("{n} sheet found", "{n} sheets found", len(found)).replace(
                "{n}", str(len(found))),
            recent=[(row, self._when(row, viewer.lang)) for row in recent],
            review=[(row, self._day(row, viewer.lang)) for row in review], partners=partners, partner_names=names)

    # A sheet --------------------------------------------------------------------------------------------------

    async def _sheet(self, request: Request, viewer: _Viewer) -> tuple[Reader, Sheet]:
        sheet_id = str(request.path_params["sheet"])
        if not plausible_id(sheet_id):
            raise unknown_sheet()
        reader = await self._reader(viewer)
        return reader, await self.kb.read(reader, viewer.tenant, sheet_id)

    async def one(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        reader, sheet = await self._sheet(request, viewer)
        row = sheet.row
        versions = await self.kb.versions(reader, viewer.tenant, row.id) if sheet.mine else []
        today = await self.kb.today(viewer.tenant)
        lang = viewer.lang
        return self._render(
            request, viewer, "connaissance.html", section=row.title, sheet=sheet, row=row,
            body=Markup(rendering.html(row.body)),
            note_html=Markup(rendering.html(sheet.note.body)) if sheet.note else None,
            review_day=self._day(row, lang), due=due_for_review(row.review_by, row.status, today),  # type: ignore[arg-type]
            updated=self._when(row, lang),
            versions=[(v, format_datetime(v.at, "d MMMM y, HH:mm", locale=lang, tzinfo=PARIS)) for v in versions],
            max_note=MAX_NOTE, data={"sheet": {"id": row.id, "tenant": row.tenant_id, "mine": sheet.mine}})

    async def history(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        reader, sheet = await self._sheet(request, viewer)
        if not sheet.mine:
            raise unknown_sheet()
        versions = await self.kb.versions(reader, viewer.tenant, sheet.row.id)
        numbers = [v.number for v in versions]
        latest = numbers[0]
        new = _chosen(request.query_params.get("to"), numbers, latest)
        old = _chosen(request.query_params.get("from"), numbers, max(1, new - 1))
        difference = await self.kb.difference(reader, viewer.tenant, sheet.row.id, old, new)
        lang = viewer.lang
        return self._render(
            request, viewer, "connaissance_versions.html", section=sheet.row.title, row=sheet.row,
            versions=[(v, format_datetime(v.at, "d MMMM y, HH:mm", locale=lang, tzinfo=PARIS)) for v in versions],
            old=old, new=new, difference=difference,
            same=all(p.kind == "same" for p in (*difference.title, *difference.body)))

    # The editor -------------------------------------------------------------------------------------------------

    async def new(self, request: Request) -> Response:
        viewer = await self._viewer(request, editor=True)
        if not isinstance(viewer, _Viewer):
            return viewer
        return self._editor(request, viewer, None)

    async def edit(self, request: Request) -> Response:
        viewer = await self._viewer(request, editor=True)
        if not isinstance(viewer, _Viewer):
            return viewer
        _reader, sheet = await self._sheet(request, viewer)
        if not sheet.mine:
            raise unknown_sheet()  # a partner's sheet is read only
        return self._editor(request, viewer, sheet.row)

    def _editor(self, request: Request, viewer: _Viewer, row: SheetRow | None) -> Response:
        _ = translations(viewer.lang).gettext
        return self._render(
            request, viewer, "connaissance_editeur.html", section=row.title if row else _("New sheet"), row=row,
            preview=Markup(rendering.html(row.body)) if row else None, max_body=MAX_BODY,
            data={"sheet": {"id": row.id, "version": row.version} if row else None})

    # The agent page's panel -------------------------------------------------------------------------------------

    async def panel(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        html = templates(viewer.lang).get_template("connaissances_panneau.html").render(
            lang=viewer.lang, tenant=viewer.tenant, strings=json_block(page_strings(viewer.lang)))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _chosen(raw: str | None, numbers: list[int], default: int) -> int:
    """A version's number from the query when the sheet has it, else ``default``."""
    if raw is not None and raw.isascii() and raw.isdigit() and len(raw) < 10 and int(raw) in numbers:
        return int(raw)
    return default

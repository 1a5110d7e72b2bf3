"""``/crm``: the citizen record's pages for the staff of the collectivity (French, English), signed in.

- ``GET /crm``: find a person, an association or a company (``?q=``; ``static/crm/crm.js`` searches as the
  agent types, through ``GET /api/v1/tenants/{tenant}/parties?q=``); each result tells namesakes apart (birth
  date or SIRET/RNA, masked phone and e-mail, last interaction).
- ``/crm/new``: a new record, with the RGPD art. 13 information notice beside the form; once created, its card
  with the likely duplicates the service found.
- ``GET /crm/{id}``: the card (read audited by the service as ``crm.read``): contacts and consents, relations,
  tags, the timeline as the reader's sectors allow, a note form; ``/edit`` rectifies, ``/relation`` adds a
  role in an association or a company; supervisors: ``/export`` (everything held, printable; the JSON from
  the API); administrators: ``/erase`` through a confirmation page.
- ``GET /crm/duplicates``: supervisors' merge queue; merge either way (confirmation page) or dismiss.
- ``GET /crm/sectors``: the collectivity's sectors (who sees what of the timelines), for the staff to read;
  administrators create or change one there (``Record.put_sector``, as ``PUT .../sectors/{id}``).

Handlers parse, call ``Record`` and render: the roles are the JSON API's (``access.py``), the audit is the
service's. Plain forms with the session's CSRF token: a done change answers with a redirect and a message, a
refused one with its page again (422), values kept, each mistake next to its field and in a focused summary.
A party of another collectivity, or none, is a 404 page; a person without a role, a 403 page; no session
(devices' tokens included), the sign-in page."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.crm.collectivity import Collectivities, Collectivity
from queue_server.crm.service import LEGAL, ROLES, Record, Staff
from queue_server.crm.web import forms
from queue_server.crm.web import words as w
from queue_server.crm.web.access import ADMINS, AGENTS, SUPERVISORS, rank_of, standing
from queue_server.platform.errors import PlatformError, UnknownField
from queue_server.platform.users import Person
from queue_server.web.auth import Authenticator
from queue_server.web.http import actor_of, client_address, without_space_around
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

MAX_QUERY = 200  # as the API
MAX_ID = 2**31 - 1


class ServiceLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class SiteLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def services(self) -> Sequence[ServiceLike]: ...


# A site's configuration by its id (``SiteConfigs.get``): the names of its services, for the timeline.
SiteLookup = Callable[[str], Awaitable[SiteLike | None]]


def done_messages(_: w.Gettext) -> dict[str, str]:
    """What a page says after a change, by the code its redirect carries."""
    return {
        "changed": _("The record was rectified."),
        "noted": _("The note was added to the timeline."),
        "related": _("The relation was added."),
        "erased": _("The record was erased with everything held on it; a deletion report keeps its number only."),
        "merged": _("The two records were merged into one."),
        "dismissed": _("The pair left the list: they are two different records."),
        "gone": _("This pair was already dealt with."),
        "sector": _("The sector was saved."),
    }


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person, as the record's staff (``Staff``), in their language."""

    person: Person
    csrf: str
    lang: str
    staff: Staff
    rank: int
    place: Collectivity

    @property
    def _(self) -> w.Gettext:
        return translations(self.lang).gettext

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.place.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Europe/Paris")

    @property
    def today(self) -> date:
        return datetime.now(UTC).astimezone(self.zone).date()


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def typed(query: str) -> str:
    """A search as typed, without what no one types (control characters: SQL refuses a NUL), cut as the API's."""
    return without_space_around("".join(ch for ch in query if ch.isprintable()))[:MAX_QUERY]


def party_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


class CrmPages:
    def __init__(self, auth: Authenticator, record: Record, sites: SiteLookup) -> None:
        self.auth, self.record, self.sites = auth, record, sites
        self.collectivities = Collectivities(record.db)

    def routes(self) -> list[Route]:
        party = "/crm/{party}"
        return [
            Route("/crm", self.search, methods=["GET"]),
            Route("/crm/new", self.new, methods=["GET"]),
            Route("/crm/new", self.create, methods=["POST"]),
            Route("/crm/sectors", self.sectors, methods=["GET"]),
            Route("/crm/sectors", self.put_sector, methods=["POST"]),
            Route("/crm/duplicates", self.duplicates, methods=["GET"]),
            Route("/crm/duplicates/{pair}/merge", self.confirm_merge, methods=["GET"]),
            Route("/crm/duplicates/{pair}/merge", self.merge, methods=["POST"]),
            Route("/crm/duplicates/{pair}/dismiss", self.dismiss, methods=["POST"]),
            Route(party, self.card, methods=["GET"]),
            Route(party + "/notes", self.add_note, methods=["POST"]),
            Route(party + "/edit", self.edit, methods=["GET"]),
            Route(party + "/edit", self.change, methods=["POST"]),
            Route(party + "/relation", self.relation, methods=["GET"]),
            Route(party + "/relation", self.relate, methods=["POST"]),
            Route(party + "/export", self.export, methods=["GET"]),
            Route(party + "/erase", self.confirm_erase, methods=["GET"]),
            Route(party + "/erase", self.erase, methods=["POST"]),
        ]

    # Who is looking ------------------------------------------------------------------------------------------

    async def _viewer(self, request: Request, needed: int = AGENTS) -> Viewer | Response:
        """The signed-in person if their best role in the collectivity is at least ``needed`` (as the API's);
        else the sign-in page (no session: devices' tokens open no page) or a page saying no."""
        found = await self.auth.session(request)
        lang = negotiate(request)
        if found is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        session, person = found
        role, site, user_id = standing(person)
        rank = rank_of(role)
        if rank < needed:
            _ = translations(lang).gettext
            refusal = {AGENTS: _("This page is for the staff of the collectivity: your account has no role."),
                       SUPERVISORS: _("Only supervisors and administrators may do this."),
                       ADMINS: _("Only administrators may do this.")}[needed]
            return self._message(request, lang, person, session.csrf, 403, _("Not allowed"), refusal)
        tenant = person.tenant_id
        staff = Staff(tenant=tenant, actor=actor_of(person), role=role, user_id=user_id,
                      address=client_address(request), region=await self.record.region(tenant, site))
        return Viewer(person, session.csrf, lang, staff, rank, await self.collectivities.get(tenant))

    async def _form(self, request: Request, needed: int = AGENTS,
                    most: int = forms.MAX_FIELDS) -> tuple[Viewer, forms.Form] | Response:
        """For a POST: the viewer and their form, carrying the session's CSRF token; or the answer to give."""
        viewer = await self._viewer(request, needed)
        if isinstance(viewer, Response):
            return viewer
        form = await forms.read(request, most)
        if not hmac.compare_digest(forms.one(form, "csrf").encode(), viewer.csrf.encode()):
            _ = viewer._
            return self._say(request, viewer, 403, _("Form expired"), _("This form has expired. Please sign in again."))
        return viewer, form

    # Rendering -----------------------------------------------------------------------------------------------

    def _page(self, request: Request, lang: str, person: Person, csrf: str, template: str, status: int = 200,
              **context: Any) -> Response:
        html = templates(lang).get_template(template).render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=context.pop("here", request.url.path),
            csrf=csrf, person=person, nav_roles=sorted(set(person.roles.values())), **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["Cache-Control"] = "no-store"  # every page of the record is personal
        if request.query_params.get("lang") == lang:  # a language chosen is remembered, as on the other pages
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    def _render(self, request: Request, viewer: Viewer, template: str, status: int = 200, **context: Any) -> Response:
        return self._page(request, viewer.lang, viewer.person, viewer.csrf, template, status, viewer=viewer,
                          place=viewer.place, may_export=viewer.rank >= SUPERVISORS,
                          may_merge=viewer.rank >= SUPERVISORS, may_erase=viewer.rank >= ADMINS,
                          may_set_sectors=viewer.rank >= ADMINS,
                          phone=w.readable_phone, **context)

    def _message(self, request: Request, lang: str, person: Person, csrf: str, status: int, title: str,
                 message: str) -> Response:
        return self._page(request, lang, person, csrf, "crm_message.html", status, title=title, message=message)

    def _say(self, request: Request, viewer: Viewer, status: int, title: str, message: str) -> Response:
        return self._message(request, viewer.lang, viewer.person, viewer.csrf, status, title, message)

    def _unknown(self, request: Request, viewer: Viewer) -> Response:
        _ = viewer._
        return self._say(request, viewer, 404, _("No such record"),
                         _("There is no such record in your collectivity's citizen record: it may have been "
                           "erased or merged into another."))

    def _done(self, request: Request, viewer: Viewer) -> str:
        return done_messages(viewer._).get(request.query_params.get("done", ""), "")

    # Search ---------------------------------------------------------------------------------------------------

    def search_strings(self, viewer: Viewer) -> dict[str, Any]:
        """What ``crm.js`` writes, in the viewer's language (``{name}`` filled by the script)."""
        _ = viewer._
        t = translations(viewer.lang)
        return {
            "kinds": w.kind_labels(_),
            "born": _("Born on {date}"), "siret": _("SIRET {number}"), "rna": _("RNA {number}"),
            "siren": _("SIREN {number}"), "last": _("Last contact: {date}"),
            "phone": _("Phone"), "email": _("E-mail"),
            "none": _("No record matches this search."),
            "count": {"one": t.ngettext("%(num)d record found", "%(num)d records found", 1),
                      "many": t.ngettext("%(num)d record found", "%(num)d records found", 1_000_000),
                      "other": t.ngettext("%(num)d record found", "%(num)d records found", 2)},
            "failed": _("The search failed: {problem}"),
            "short": _("Type at least two characters."),
        }

    async def search(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        query = typed(request.query_params.get("q", ""))
        items = None
        if query:
            found = await self.record.find(viewer.staff, query)
            items = [w.item(p, viewer.zone, viewer.lang, viewer._, viewer.today) for p in found]
        data = {"api": f"/api/v1/tenants/{viewer.staff.tenant}/parties", "lang": viewer.lang,
                "timezone": str(viewer.zone), "strings": self.search_strings(viewer)}
        return self._render(request, viewer, "crm_search.html", query=query, items=items, data=json_block(data),
                            done=self._done(request, viewer))

    # A new record ---------------------------------------------------------------------------------------------

    def _party_form(self, request: Request, viewer: Viewer, values: forms.Values, *, party: dict[str, Any] | None,
                    errors: dict[str, str] | None = None, status: int = 200) -> Response:
        _ = viewer._
        return self._render(
            request, viewer, "crm_form.html", status, values=values, party=party, errors=errors or {},
            labels=forms.labels(_), kinds=w.kind_labels(_), languages=w.language_names(viewer.lang),
            consents=w.consent_labels(_), retention=w.retention(self.record.retention_days, translations(viewer.lang)),
            here="/crm/new" if party is None else f"/crm/{party['id']}/edit")

    async def new(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        kind = request.query_params.get("kind", "person")
        values: forms.Values = {"kind": kind if kind in w.KINDS else "person", "language": "fr", "phones": 2,
                                "emails": 2, "consent": []}
        return self._party_form(request, viewer, values, party=None)

    async def create(self, request: Request) -> Response:
        got = await self._form(request)
        if isinstance(got, Response):
            return got
        viewer, form = got
        where: dict[str, str] = {}
        try:
            fields, where = forms.party_fields(form, viewer._, viewer.staff.region)
            view = await self.record.create(viewer.staff, fields)
        except forms.Refused as exc:
            return self._party_form(request, viewer, forms.sent_values(form), party=None,
                                    errors=exc.problems.fields, status=422)
        except PlatformError as exc:
            problems = forms.refusal(exc, where, viewer._)
            return self._party_form(request, viewer, forms.sent_values(form), party=None, errors=problems.fields,
                                    status=422)
        # The card at once, with the likely duplicates the service found (its script puts /crm/{id} in the
        # address bar, so that a reload reads the card rather than posting again).
        return await self._card(request, viewer, view, created=True, status=201)

    # The card -------------------------------------------------------------------------------------------------

    async def _party(self, request: Request, needed: int = AGENTS) -> tuple[Viewer, int] | Response:
        viewer = await self._viewer(request, needed)
        if isinstance(viewer, Response):
            return viewer
        number = party_id(request.path_params["party"])
        if number is None:
            return self._unknown(request, viewer)
        return viewer, number

    async def _read(self, request: Request, needed: int = AGENTS) -> tuple[Viewer, dict[str, Any]] | Response:
        """The viewer and the party of the path as they may see it (a read, audited), or the page that says no."""
        got = await self._party(request, needed)
        if isinstance(got, Response):
            return got
        viewer, number = got
        try:
            return viewer, await self.record.read(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)

    async def _posted(self, request: Request, needed: int = AGENTS) -> tuple[Viewer, int, forms.Form] | Response:
        """For a POST about a party: the viewer, the party's number and the form (with the CSRF token)."""
        got = await self._form(request, needed)
        if isinstance(got, Response):
            return got
        viewer, form = got
        number = party_id(request.path_params["party"])
        if number is None:
            return self._unknown(request, viewer)
        return viewer, number, form

    async def card(self, request: Request) -> Response:
        got = await self._read(request)
        if isinstance(got, Response):
            return got
        viewer, view = got
        return await self._card(request, viewer, view, done=self._done(request, viewer))

    async def _sectors(self, viewer: Viewer) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """Every sector's name by id, and the reader's own sectors (id, name), where their notes may go."""
        every = await self.record.sectors(viewer.staff.tenant)
        names = {s["id"]: s["name"] for s in every}
        mine = [(s["id"], s["name"]) for s in every if viewer.person.login in s["members"]]
        return names, mine

    async def _services(self, timeline: list[dict[str, Any]]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """The names of the services (by site and id) and sites the timeline mentions."""
        services: dict[tuple[str, str], str] = {}
        sites: dict[str, str] = {}
        for site in sorted({e["site"] for e in timeline if e.get("site")}):
            config = await self.sites(site)
            if config is not None:
                sites[site] = config.name
                services.update({(site, s.id): s.name for s in config.services})
        return services, sites

    async def _events(self, viewer: Viewer, timeline: list[dict[str, Any]],
                      sector_names: dict[str, str]) -> list[w.Event]:
        services, sites = await self._services(timeline)
        return w.events(timeline, services=services, several_sites=len(sites) > 1, site_names=sites,
                        sectors=sector_names, zone=viewer.zone, lang=viewer.lang, _=viewer._, today=viewer.today)

    async def _card(self, request: Request, viewer: Viewer, view: dict[str, Any], *, created: bool = False,
                    done: str = "", note: forms.Values | None = None, errors: dict[str, str] | None = None,
                    status: int = 200) -> Response:
        _ = viewer._
        sector_names, mine = await self._sectors(viewer)
        likely = [(d, w.reason_labels(_).get(d["reason"], d["reason"])) for d in view.get("likely_duplicates", [])]
        return self._render(
            request, viewer, "crm_card.html", status, party=view, kind_label=w.kind_labels(_).get(view["kind"], ""),
            identity=w.identity(view, viewer.lang, _), born=w.day(view.get("birth_date"), viewer.lang),
            events=await self._events(viewer, view.get("timeline", []), sector_names), sectors=mine,
            relations=[(r, w.kind_labels(_).get(r["kind"], r["kind"]), w.role_labels(_).get(r["role"], r["role"]))
                       for r in view.get("relations", [])],
            consents=w.consent_labels(_), languages=w.language_names(viewer.lang), created=created,
            likely=likely, done=done, note=note or {}, errors=errors or {}, labels=forms.labels(_),
            here=f"/crm/{view['id']}", legal=view["kind"] in LEGAL)

    async def add_note(self, request: Request) -> Response:
        got = await self._posted(request)
        if isinstance(got, Response):
            return got
        viewer, number, form = got
        _sector_names, mine = await self._sectors(viewer)
        try:
            text, sector = forms.note(form, [s for s, _name in mine], viewer._)
            await self.record.add_note(viewer.staff, number, text, sector)
        except forms.Refused as exc:
            return await self._card_again(request, viewer, number, form, exc.problems.fields)
        except UnknownField:
            return self._unknown(request, viewer)
        except PlatformError:
            return await self._card_again(request, viewer, number, form, {
                "sector": viewer._("Choose one of your sectors, or General.")})
        return RedirectResponse(f"/crm/{number}?done=noted#timeline", status_code=303)

    async def _card_again(self, request: Request, viewer: Viewer, number: int, form: forms.Form,
                          errors: dict[str, str]) -> Response:
        try:
            view = await self.record.read(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)
        note = {"text": forms.one(form, "text")[:forms.MAX_NOTE * 2], "sector": forms.one(form, "sector")}
        return await self._card(request, viewer, view, note=note, errors=errors, status=422)

    # Rectification ---------------------------------------------------------------------------------------------

    async def edit(self, request: Request) -> Response:
        got = await self._read(request)
        if isinstance(got, Response):
            return got
        viewer, view = got
        return self._party_form(request, viewer, forms.party_values(view), party=view)

    async def change(self, request: Request) -> Response:
        got = await self._posted(request)
        if isinstance(got, Response):
            return got
        viewer, number, form = got
        kind = forms.one(form, "kind")
        if kind not in w.KINDS:
            return self._unknown(request, viewer)
        where: dict[str, str] = {}
        try:
            fields, where = forms.party_fields(form, viewer._, viewer.staff.region, kind)
            await self.record.change(viewer.staff, number, fields)
        except forms.Refused as exc:
            return await self._edit_again(request, viewer, number, form, exc.problems.fields)
        except UnknownField as exc:
            if exc.field == "id":
                return self._unknown(request, viewer)
            return await self._edit_again(request, viewer, number, form, forms.refusal(exc, where, viewer._).fields)
        except PlatformError as exc:
            return await self._edit_again(request, viewer, number, form, forms.refusal(exc, where, viewer._).fields)
        return RedirectResponse(f"/crm/{number}?done=changed", status_code=303)

    async def _edit_again(self, request: Request, viewer: Viewer, number: int, form: forms.Form,
                          errors: dict[str, str]) -> Response:
        try:
            view = await self.record.read(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)
        values = forms.sent_values(form, forms.party_values(view))
        return self._party_form(request, viewer, values, party=view, errors=errors, status=422)

    # Relations ----------------------------------------------------------------------------------------------------

    async def relation(self, request: Request) -> Response:
        got = await self._read(request)
        if isinstance(got, Response):
            return got
        viewer, view = got
        return await self._relation_page(request, viewer, view, request.query_params.get("q", ""))

    async def _relation_page(self, request: Request, viewer: Viewer, view: dict[str, Any], query: str,
                             values: forms.Values | None = None, errors: dict[str, str] | None = None,
                             status: int = 200) -> Response:
        _ = viewer._
        query = typed(query)
        found = None
        if query and view["kind"] == "person":
            found = [w.item(p, viewer.zone, viewer.lang, _, viewer.today)
                     for p in await self.record.find(viewer.staff, query) if p["kind"] in LEGAL]
        return self._render(request, viewer, "crm_relation.html", status, party=view, query=query, found=found,
                            roles=[(r, w.role_labels(_)[r]) for r in ROLES], values=values or {},
                            errors=errors or {}, labels=forms.labels(_), here=f"/crm/{view['id']}/relation")

    async def relate(self, request: Request) -> Response:
        got = await self._posted(request)
        if isinstance(got, Response):
            return got
        viewer, number, form = got
        errors: dict[str, str] = {}
        try:
            other, role = forms.relation(form, viewer._)
            await self.record.relate(viewer.staff, number, other, role)
        except forms.Refused as exc:
            errors = exc.problems.fields
        except PlatformError as exc:
            if exc.field == "id" and isinstance(exc, UnknownField):
                return self._unknown(request, viewer)
            errors = {"party": viewer._("Choose an association or a company.")}
        else:
            return RedirectResponse(f"/crm/{number}?done=related", status_code=303)
        try:
            view = await self.record.read(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)
        values = {"party": forms.one(form, "party"), "role": forms.one(form, "role")}
        return await self._relation_page(request, viewer, view, forms.one(form, "q"), values, errors, 422)

    # Right of access -----------------------------------------------------------------------------------------------

    async def export(self, request: Request) -> Response:
        got = await self._party(request, SUPERVISORS)
        if isinstance(got, Response):
            return got
        viewer, number = got
        _ = viewer._
        try:
            document = await self.record.export(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)
        sector_names, _mine = await self._sectors(viewer)
        return self._render(
            request, viewer, "crm_export.html", party=document,
            kind_label=w.kind_labels(_).get(document["kind"], ""), born=w.day(document.get("birth_date"), viewer.lang),
            events=await self._events(viewer, document["timeline"], sector_names),
            relations=[(r, w.kind_labels(_).get(r["kind"], r["kind"]), w.role_labels(_).get(r["role"], r["role"]))
                       for r in document["relations"]],
            consents=w.consent_labels(_), languages=w.language_names(viewer.lang),
            created=w.moment(document["created_at"], viewer.zone, viewer.lang, _),
            updated=w.moment(document["updated_at"], viewer.zone, viewer.lang, _),
            last=w.moment(document["last_interaction_at"], viewer.zone, viewer.lang, _),
            purge_after=w.day(document["purge_after"], viewer.lang),
            printed=w.moment(datetime.now(UTC).isoformat(), viewer.zone, viewer.lang, _),
            json_url=f"/api/v1/tenants/{viewer.staff.tenant}/parties/{number}/export")

    # Erasure ---------------------------------------------------------------------------------------------------------

    async def confirm_erase(self, request: Request) -> Response:
        got = await self._read(request, ADMINS)
        if isinstance(got, Response):
            return got
        viewer, view = got
        return self._render(request, viewer, "crm_erase.html", party=view,
                            kind_label=w.kind_labels(viewer._).get(view["kind"], ""))

    async def erase(self, request: Request) -> Response:
        got = await self._posted(request, ADMINS)
        if isinstance(got, Response):
            return got
        viewer, number, _form = got
        try:
            await self.record.erase(viewer.staff, number)
        except UnknownField:
            return self._unknown(request, viewer)
        return RedirectResponse("/crm?done=erased", status_code=303)

    # Sectors ---------------------------------------------------------------------------------------------------------

    async def _sector_choices(self, viewer: Viewer) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """The collectivity's sites with their services (names from their configuration) and its people
        (login, name): what a sector may hold."""
        sites = []
        for site in await self.collectivities.site_ids(viewer.staff.tenant):
            config = await self.sites(site)
            if config is not None:
                sites.append({"id": site, "name": config.name,
                              "services": [(f"{site}/{s.id}", s.name) for s in config.services]})
        return sites, await self.collectivities.people(viewer.staff.tenant)

    async def _sectors_page(self, request: Request, viewer: Viewer, values: forms.Values | None = None,
                            errors: dict[str, str] | None = None, status: int = 200) -> Response:
        every = await self.record.sectors(viewer.staff.tenant)
        sites, people = await self._sector_choices(viewer)
        service_names = {value: (site["name"], name) for site in sites for value, name in site["services"]}
        names = dict(people)
        rows = [{"id": s["id"], "name": s["name"], "sealed": s["sealed"],
                 "services": [service_names.get(f"{x['site']}/{x['service']}", (x["site"], x["service"]))
                              for x in s["services"]],
                 "members": [names.get(login) or login for login in s["members"]]} for s in every]
        held_by = {f"{x['site']}/{x['service']}": {"id": s["id"], "name": s["name"]}
                   for s in every for x in s["services"]}
        if values is None:  # a sector to change (?sector=), or a new one
            chosen = next((s for s in every if s["id"] == request.query_params.get("sector")), None)
            values = {"id": "", "name": "", "sealed": False, "services": [], "members": [], "new": True}
            if chosen is not None:
                values = {"id": chosen["id"], "name": chosen["name"], "sealed": chosen["sealed"], "new": False,
                          "services": [f"{x['site']}/{x['service']}" for x in chosen["services"]],
                          "members": chosen["members"]}
        _ = viewer._
        return self._render(request, viewer, "crm_sectors.html", status, rows=rows, sites=sites, people=people,
                            held_by=held_by, values=values, errors=errors or {}, done=self._done(request, viewer),
                            labels={"id": _("Identifier"), "name": _("Name"), "services": _("Services"),
                                    "members": _("Members")},
                            may_edit=viewer.rank >= ADMINS, here="/crm/sectors")

    async def sectors(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        return await self._sectors_page(request, viewer)

    async def put_sector(self, request: Request) -> Response:
        got = await self._form(request, ADMINS, forms.MAX_SECTOR_FIELDS)
        if isinstance(got, Response):
            return got
        viewer, form = got
        _ = viewer._
        sites, people = await self._sector_choices(viewer)
        taken = {s["id"] for s in await self.record.sectors(viewer.staff.tenant)}
        values = {**forms.sector_values(form), "new": forms.one(form, "new") == "1"}
        try:
            sent = forms.sector(form, services={v for site in sites for v, _name in site["services"]},
                                people={login for login, _name in people}, taken=taken, _=_)
            await self.record.put_sector(viewer.staff, sent.id, sent.name, sent.sealed, sent.services, sent.members)
        except forms.Refused as exc:
            return await self._sectors_page(request, viewer, values, exc.problems.fields, 422)
        except PlatformError as exc:  # a person or a site gone meanwhile
            field = "members" if (exc.field or "").startswith("members") else "services"
            message = (_("Choose among the people listed.") if field == "members"
                       else _("Choose among the services listed."))
            return await self._sectors_page(request, viewer, values, {field: message}, 422)
        return RedirectResponse("/crm/sectors?done=sector", status_code=303)

    # Duplicates ------------------------------------------------------------------------------------------------------

    def _pair(self, viewer: Viewer, pair: dict[str, Any]) -> dict[str, Any]:
        _ = viewer._
        return {"id": pair["id"], "reason": w.reason_labels(_).get(pair["reason"], pair["reason"]),
                "found": w.local_day(pair["found_at"], viewer.zone, viewer.lang, viewer.today),
                "sides": [{"party": p, "item": w.item(p, viewer.zone, viewer.lang, _, viewer.today),
                           "born": w.day(p.get("birth_date"), viewer.lang)} for p in pair["parties"]]}

    async def duplicates(self, request: Request) -> Response:
        viewer = await self._viewer(request, SUPERVISORS)
        if isinstance(viewer, Response):
            return viewer
        pairs = [self._pair(viewer, p) for p in await self.record.duplicates(viewer.staff)]
        into = party_id(request.query_params.get("into", ""))
        return self._render(request, viewer, "crm_duplicates.html", pairs=pairs, done=self._done(request, viewer),
                            into=into if request.query_params.get("done") == "merged" else None,
                            languages=w.language_names(viewer.lang))

    async def _find_pair(self, viewer: Viewer, raw: str) -> dict[str, Any] | None:
        number = party_id(raw)
        if number is None:
            return None
        return next((p for p in await self.record.duplicates(viewer.staff) if p["id"] == number), None)

    async def confirm_merge(self, request: Request) -> Response:
        viewer = await self._viewer(request, SUPERVISORS)
        if isinstance(viewer, Response):
            return viewer
        pair = await self._find_pair(viewer, request.path_params["pair"])
        into = party_id(request.query_params.get("into", ""))
        if pair is None or into not in [p["id"] for p in pair["parties"]]:
            return RedirectResponse("/crm/duplicates?done=gone", status_code=303)
        kept = next(p for p in pair["parties"] if p["id"] == into)
        gone = next(p for p in pair["parties"] if p["id"] != into)
        return self._render(request, viewer, "crm_merge.html", pair=self._pair(viewer, pair), kept=kept, gone=gone)

    async def merge(self, request: Request) -> Response:
        got = await self._form(request, SUPERVISORS)
        if isinstance(got, Response):
            return got
        viewer, form = got
        pair = await self._find_pair(viewer, request.path_params["pair"])
        into = party_id(forms.one(form, "into"))
        if pair is None or into is None or into not in [p["id"] for p in pair["parties"]]:
            return RedirectResponse("/crm/duplicates?done=gone", status_code=303)
        gone = next(p["id"] for p in pair["parties"] if p["id"] != into)
        try:
            await self.record.merge(viewer.staff, gone, into)
        except PlatformError:
            return RedirectResponse("/crm/duplicates?done=gone", status_code=303)
        return RedirectResponse(f"/crm/duplicates?done=merged&into={into}", status_code=303)

    async def dismiss(self, request: Request) -> Response:
        got = await self._form(request, SUPERVISORS)
        if isinstance(got, Response):
            return got
        viewer, _form = got
        number = party_id(request.path_params["pair"])
        gone = RedirectResponse("/crm/duplicates?done=gone", status_code=303)
        if number is None:
            return gone
        try:
            await self.record.dismiss(viewer.staff, number)
        except UnknownField:
            return gone
        return RedirectResponse("/crm/duplicates?done=dismissed", status_code=303)

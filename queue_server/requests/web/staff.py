"""The staff's requests page: ``GET /demandes`` (the collectivity's requests, newest first, narrowed by status,
category, service, agent in charge ("Mes demandes"), overdue and a search; for supervisors and administrators, a
band with the overdue requests by service and a link to the reply templates) and ``GET /demandes/{id}`` (one
request: its sender, messages public and internal, attachments, the duplicates merged into it, and the actions:
reply from a template or in free text, internal note, status, the agent in charge, hand it to another service by
its category, transmit it to another administration, merge it into another request). Agents, supervisors and
administrators of the tenant, signed in. ``GET /demandes/modeles``: the reply templates, for supervisors and
administrators to write.

The pages are drawn by the server; the actions go through the API (``web/api.py``: messages, status, assignee,
transmit, merge, templates; the category through ``POST …/requests/{id}/category`` here) from
``static/demandes/demandes.js`` and ``modeles.js``, which reload the page after each. Each opening of a request
is audited (``request.read``), each download of an attachment (``request.file``); the list shows names too but is
not audited, like the citizen record's search.

Reply templates are the tenant's own (``handling.py``; those in the request's language when it has some), else
the built-in ones in the page's language, with ``{reference}``, ``{name}``, ``{service}``, ``{subject}``,
``{due}`` and ``{agent}`` filled here for the request shown; the agent edits the result before sending."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, get_args
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import orjson
from babel import Locale
from babel.dates import format_date, format_datetime
from markupsafe import Markup
from pydantic import Field
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.users import Person
from queue_server.requests.domain.handling import PLACEHOLDERS, fill
from queue_server.requests.domain.status import STATUSES, TARGETS, allowed
from queue_server.requests.errors import unknown_request, unknown_tenant
from queue_server.requests.handling import Handling, builtin_templates
from queue_server.requests.service import Requests, Who
from queue_server.requests.tables import CategoryRow, RequestAttachment, RequestMessage
from queue_server.requests.web.acknowledgement_card import card as acknowledgement_card
from queue_server.requests.web.api import SLUG, Language, request_view
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import Body, actor_of, client_address, json_response, parse_body, plausible_id, route
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

PATH = "/demandes"
PARIS = ZoneInfo("Europe/Paris")  # the times shown: mainland France's clock (a limit)
MAX_SEARCH = 100  # characters of the search box


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


class CategoryBody(Body):
    category: str = Field(pattern=SLUG, description="the category (so the service) the request goes to")


def status_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"received": _("Received"), "in_progress": _("In progress"), "waiting_citizen": _("Waiting for the citizen"),
            "closed": _("Closed")}


def channel_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"web": _("Website"), "email": _("E-mail"), "postal": _("Post"), "phone": _("Phone"),
            "counter": _("Counter")}


def placeholder_words(lang: str) -> dict[str, str]:
    """What each {placeholder} of a reply template becomes, in ``lang``."""
    _ = translations(lang).gettext
    words = {"name": _("the sender's name"), "reference": _("the request's reference"),
             "subject": _("the request's subject"), "service": _("the service in charge"),
             "due": _("the due date"), "agent": _("your name (the agent who writes)")}
    return {name: words[name] for name in PLACEHOLDERS}


def problem_words(lang: str) -> dict[str, str]:
    """The refusals of handling in words, by their problem ``type`` (the server's detail is English)."""
    _ = translations(lang).gettext
    return {
        "/problems/unknown-placeholder": _("This text names a {placeholder} that is not filled in: use only those "
                                           "listed."),
        "/problems/incomplete-template": _("A template needs a title and a text."),
        "/problems/unknown-user": _("This person is not a staff member of the collectivity."),
        "/problems/unknown-administration": _("This collectivity is not one of this installation."),
        "/problems/unknown-request": _("No request of the collectivity has this reference."),
        "/problems/merge-into-itself": _("A request cannot be merged into itself."),
        "/problems/wrong-status": _("Not possible in this request's status (closed, or a duplicate): nothing "
                                    "was done."),
        "/problems/unknown-category": _("That collectivity has no such category."),
        "/problems/invalid-body": _("This was refused: check what you typed."),
    }


def page_strings(lang: str) -> dict[str, Any]:
    """What the page's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "failed": _("It could not be done: {problem}"),
        "need_text": _("Write the text first."),
        "send_reply": _("Send the reply"),
        "send_note": _("Add the note"),
        "replied": _("The reply is sent."),
        "noted": _("The note is added."),
        "status_changed": _("The status is now: {status}."),
        "handed": _("The request is handed to: {category}."),
        "assigned": _("The request is now in the hands of {name}."),
        "unassigned": _("Nobody is in charge of the request now."),
        "transmitted": _("The request is transmitted to {to} and closed; its sender is told."),
        "merged": _("The request is merged into {reference} and closed; its sender is told."),
        "need_to": _("Name the administration, or choose a collectivity."),
        "need_into": _("Write the reference of the request to keep."),
        "saved": _("The template is saved."),
        "added": _("The template is added."),
        "deleted": _("The template is deleted."),
        "problems": problem_words(lang),
    }


@dataclass(frozen=True, slots=True)
class _Viewer:
    person: Person
    csrf: str
    lang: str
    tenant: str


class RequestsPages:
    def __init__(self, auth: Authenticator, requests: Requests) -> None:
        self.auth = auth
        self.requests = requests
        self.handling = Handling(requests)

    def routes(self) -> list[Any]:
        return [
            Route(PATH, self.listing, methods=["GET"]),
            Route(PATH + "/modeles", self.templates, methods=["GET"]),  # before "/demandes/{request}"
            Route(PATH + "/{request}", self.one, methods=["GET"]),
            Route(PATH + "/{request}/fichiers/{attachment:int}", self.download, methods=["GET"]),
            route("/api/v1/tenants/{tenant}/requests/{request}/category", post=self.category),
        ]

    async def _viewer(self, request: Request) -> _Viewer | Response:
        """The signed-in staff member; else the sign-in page (then back here) or a 403 page."""
        found = await self.auth.session(request)
        lang = negotiate(request)
        if found is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        session, person = found
        if not set(person.roles.values()) & STAFF:
            _ = translations(lang).gettext
            text = _("This page is for the staff of the town hall: your account has no agent, supervisor or "
                     "administrator role.")
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="/">Guichet</a></p></html>', status_code=403)
        return _Viewer(person, session.csrf, lang, person.tenant_id)

    def _who(self, request: Request, viewer: _Viewer) -> Who:
        return Who(actor_of(viewer.person), True, client_address(request))

    def _render(self, request: Request, viewer: _Viewer, name: str, **context: Any) -> Response:
        person = viewer.person
        html = templates(viewer.lang).get_template(name).render(
            lang=viewer.lang, other_lang="en" if viewer.lang == "fr" else "fr", here=request.url.path,
            csrf=viewer.csrf, person=person, nav_roles=sorted({r for r in person.roles.values() if r}), **context)
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"  # names, contacts and letters
        if request.query_params.get("lang") == viewer.lang:
            response.set_cookie(COOKIE, viewer.lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    def _forbidden(self, viewer: _Viewer) -> Response:
        _ = translations(viewer.lang).gettext
        text = _("This page is for the supervisors and administrators of the town hall.")
        return HTMLResponse(f'<!doctype html><html lang="{viewer.lang}"><meta charset="utf-8"><title>403</title>'
                            f'<p>{text}</p><p><a href="{PATH}">Guichet</a></p></html>', status_code=403)

    async def listing(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        params = request.query_params
        categories = await self.requests.categories(viewer.tenant, staff=True)
        by_id = {c.category: c for c in categories}
        services = sorted({c.service_name for c in categories})
        agents = await self.handling.agents(viewer.tenant)
        names = {agent.login: agent.name for agent in agents}
        state = params.get("status", "")
        state = state if state in STATUSES else ""
        category = params.get("category", "")
        category = category if category in by_id else ""
        service = params.get("service", "")
        service = service if service in services else ""
        assignee = params.get("assignee", "")
        assignee = assignee if assignee in ("me", "none") or assignee in names else ""
        in_charge = {"": None, "me": viewer.person.login, "none": ""}.get(assignee, assignee)
        overdue = params.get("overdue") == "1"
        text = params.get("q", "")[:MAX_SEARCH]
        rows = await self.requests.search_with_excerpts(viewer.tenant, state=state or None, category=category or None,
                                                        service=service or None, overdue=overdue, text=text,
                                                        assignee=in_charge)
        today = await self.requests.today(viewer.tenant)
        late_count, late = await self.handling.overdue(viewer.tenant)
        lang = viewer.lang
        items = [{
            "id": row.id, "reference": row.reference, "subject": row.subject, "status": row.status,
            "sender": _sender(row.first_name, row.last_name, row.organisation),
            "category": by_id[row.category].name if row.category in by_id else row.category,
            "service": by_id[row.category].service_name if row.category in by_id else "",
            "received": format_date(row.received_on, "short", locale=lang),
            "received_iso": row.received_on.isoformat(),
            "due": format_date(row.due_on, "short", locale=lang), "due_iso": row.due_on.isoformat(),
            "overdue": row.status != "closed" and row.due_on < today, "excerpt": excerpt,
            "to_acknowledge": row.acknowledged_at is None,
            "assignee": names.get(row.assignee, row.assignee) if row.assignee else "",
            "mine": row.assignee == viewer.person.login,
        } for row, excerpt in rows]
        supervisor = bool(set(viewer.person.roles.values()) & SUPERVISORS)
        by_service = Counter(item.service for item in late)
        band = [{"service": name or "—", "count": n, "most": max(i.days_late for i in late if i.service == name)}
                for name, n in sorted(by_service.items(), key=lambda pair: (-pair[1], pair[0]))]
        filtered = bool(state or category or service or overdue or text or assignee)
        return self._render(request, viewer, "demandes.html", section=None, items=items, categories=categories,
                            services=services, statuses=status_words(lang), state=state, category=category,
                            service=service, overdue=overdue, text=text, filtered=filtered, agents=agents,
                            assignee=assignee, late_count=late_count, supervisor=supervisor, band=band,
                            data=json_block({"csrf": viewer.csrf, "lang": lang, "strings": page_strings(lang)}))

    async def one(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        found = await self.requests.read(viewer.tenant, request_id, self._who(request, viewer))
        row = found.row
        lang = viewer.lang
        categories = await self.requests.categories(viewer.tenant, staff=True)
        mine: CategoryRow | None = next((c for c in categories if c.category == row.category), None)
        today = await self.requests.today(viewer.tenant)
        agents = await self.handling.agents(viewer.tenant)
        names = {agent.login: agent.name for agent in agents}
        others = await self.handling.administrations(viewer.tenant)
        tenant_names = {t.id: t.name for t in others}
        name = " ".join(part for part in (row.first_name, row.last_name) if part)
        service_name = mine.service_name if mine else ""
        values = {"reference": row.reference, "name": name, "service": service_name, "subject": row.subject,
                  "due": format_date(row.due_on, "long", locale=lang),
                  "agent": viewer.person.name or viewer.person.login}
        view = request_view(found, staff=True)
        own = await self.handling.templates(viewer.tenant)
        chosen = [(t.title, t.body) for t in ([t for t in own if t.lang == row.lang] or own)] or [
            (t.title, t.body) for t in builtin_templates(lang)]
        replies = [{"title": title, "text": fill(text, values)} for title, text in chosen]
        files = {a.message_id: [] for a in found.attachments}  # type: dict[int | None, list[Any]]
        for a in found.attachments:
            files[a.message_id].append(a)
        messages = [_message(m, files.get(m.id, []), lang) for m in found.messages]
        duplicates = [{"id": d.row.id, "reference": d.row.reference, "subject": d.row.subject,
                       "sender": _sender(d.row.first_name, d.row.last_name, d.row.organisation),
                       "messages": [_message(m, [a for a in d.attachments if a.message_id == m.id], lang)
                                    for m in d.messages],
                       "loose_files": [a for a in d.attachments if a.message_id is None]}
                      for d in found.links.merged]
        handled_elsewhere = row.merged_into is not None or row.transmitted_to is not None
        data = {"csrf": viewer.csrf, "lang": lang, "tenant": viewer.tenant, "request": {
            "id": row.id, "reference": row.reference, "status": row.status, "category": row.category,
            "assignee": row.assignee}, "me": viewer.person.login, "me_name": viewer.person.name or viewer.person.login,
            "templates": replies, "strings": page_strings(lang)}
        return self._render(
            request, viewer, "demande.html", section=row.reference, row=row, view=view, messages=messages,
            loose_files=files.get(None, []), statuses=status_words(lang), channels=channel_words(lang),
            targets=[] if handled_elsewhere else [t for t in TARGETS if t != row.status and allowed(
                row.status, t)],  # type: ignore[arg-type]
            category=mine, categories=categories, templates_=replies,
            received=format_date(row.received_on, "long", locale=lang),
            due=format_date(row.due_on, "long", locale=lang), overdue=row.status != "closed" and row.due_on < today,
            agents=agents, assignee_name=names.get(row.assignee or "", row.assignee or ""),
            me=viewer.person.login, administrations=others, links=found.links, tenant_names=tenant_names,
            duplicates=duplicates, data=json_block(data), quote=quote,
            acknowledgement=acknowledgement_card(row, lang))

    async def templates(self, request: Request) -> Response:
        """``GET /demandes/modeles``: the reply templates, to write (supervisors and administrators)."""
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        if not set(viewer.person.roles.values()) & SUPERVISORS:
            return self._forbidden(viewer)
        own = await self.handling.templates(viewer.tenant)
        shown = own or builtin_templates(viewer.lang)
        lang = viewer.lang
        return self._render(
            request, viewer, "demandes_modeles.html", section=None, templates_=shown, builtin=not own,
            placeholders=placeholder_words(lang), languages=_languages(lang),
            data=json_block({"csrf": viewer.csrf, "lang": lang, "tenant": viewer.tenant,
                             "strings": page_strings(lang)}))

    async def download(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        found, path = await self.requests.attachment(viewer.tenant, request_id,
                                                     int(request.path_params["attachment"]),
                                                     self._who(request, viewer))
        # Always a download (never shown inline from our origin), whatever the type read from its content.
        return FileResponse(path, media_type=found.content_type, filename=found.filename,
                            content_disposition_type="attachment",
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def category(self, request: Request) -> Response:
        """``POST /api/v1/tenants/{tenant}/requests/{id}/category`` ``{"category"}``: staff hand the request to
        the category's service; 200 Request."""
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not roles & STAFF:
            raise HTTPError(403, "Only staff of the collectivity may do this.", "wrong-role")
        body = await parse_body(request, CategoryBody)
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        found = await self.requests.recategorise(tenant, request_id, body.category,
                                                 Who(actor_of(caller), True, client_address(request)))
        return json_response(request_view(found, staff=True))


def _message(message: RequestMessage, files: list[RequestAttachment], lang: str) -> dict[str, Any]:
    """A message as the request's page shows it."""
    return {"at": format_datetime(message.at, "short", locale=lang, tzinfo=PARIS), "at_iso": message.at.isoformat(),
            "from": message.author, "internal": message.internal, "body": message.body,
            "actor": message.actor if message.author == "staff" else "", "files": files}


def _languages(lang: str) -> list[tuple[str, str]]:
    """The languages a reply template may be written for (a request's), by their names in ``lang``."""
    return [(code, Locale.parse(code).get_display_name(lang) or code) for code in get_args(Language)]


def _sender(first: str, last: str, organisation: str | None) -> str:
    name = " ".join(part for part in (first, last) if part)
    return f"{name} ({organisation})" if organisation else name

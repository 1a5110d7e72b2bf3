"""The staff's requests page: ``GET /demandes`` (the collectivity's requests, newest first, narrowed by status,
category, service, overdue and a search) and ``GET /demandes/{id}`` (one request: its sender, messages public
and internal, attachments, and the actions: reply from a template or in free text, internal note, status, hand it
to another service by its category). Agents, supervisors and administrators of the tenant, signed in.

The pages are drawn by the server; the actions go through the API (``web/api.py``: messages and status; the
category through ``POST …/requests/{id}/category`` here) from ``static/demandes/demandes.js``, which reloads the
page after each. Each opening of a request is audited (``request.read``), each download of an attachment
(``request.file``); the list shows names too but is not audited, like the citizen record's search.

Reply templates are texts of this module (in the page's language) with ``{reference}``, ``{name}``,
``{service}``, ``{subject}`` and ``{due}``, filled here for the request shown; the agent edits the result before
sending. Not done here: assigning a request to one agent (the tables have no column for it yet)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import orjson
from babel.dates import format_date, format_datetime
from markupsafe import Markup
from pydantic import Field
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.users import Person
from queue_server.requests.domain.status import STATUSES, TARGETS, allowed
from queue_server.requests.errors import unknown_request, unknown_tenant
from queue_server.requests.service import Requests, Who
from queue_server.requests.tables import CategoryRow
from queue_server.requests.web.acknowledgement_card import card as acknowledgement_card
from queue_server.requests.web.api import SLUG, request_view
from queue_server.web.auth import STAFF, Authenticator
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


def reply_templates(lang: str) -> list[tuple[str, str]]:
    """(title, text) of the reply templates, in ``lang``, with their {placeholders}."""
    _ = translations(lang).gettext
    return [
        (_("Acknowledge and take in hand"),
         _("Hello {name},\n\nYour request {reference} ({subject}) is in the hands of the {service}. We will answer "
           "you by {due} at the latest.\n\nKind regards,\n{service}")),
        (_("Ask for a missing document"),
         _("Hello {name},\n\nTo handle your request {reference}, we need a further document: …\n\nYou can add it on "
           "the request's tracking page, or answer this e-mail.\n\nKind regards,\n{service}")),
        (_("Request handled"),
         _("Hello {name},\n\nYour request {reference} ({subject}) has been handled: …\n\nKind regards,\n{service}")),
    ]


class _Values(dict[str, str]):
    """A placeholder the template does not know stays as written (never an error)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its {placeholders} replaced by ``values``; unknown ones and stray braces left as written."""
    out = []
    for literal, field_name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if field_name is not None:
            out.append(_Values(values)[field_name] if field_name.isidentifier() else "{" + field_name + "}")
    return "".join(out)


def page_strings(lang: str) -> dict[str, str]:
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

    def routes(self) -> list[Any]:
        return [
            Route(PATH, self.listing, methods=["GET"]),
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

    async def listing(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        params = request.query_params
        categories = await self.requests.categories(viewer.tenant, staff=True)
        by_id = {c.category: c for c in categories}
        services = sorted({c.service_name for c in categories})
        state = params.get("status", "")
        state = state if state in STATUSES else ""
        category = params.get("category", "")
        category = category if category in by_id else ""
        service = params.get("service", "")
        service = service if service in services else ""
        overdue = params.get("overdue") == "1"
        text = params.get("q", "")[:MAX_SEARCH]
        rows = await self.requests.search_with_excerpts(viewer.tenant, state=state or None, category=category or None,
                                                        service=service or None, overdue=overdue, text=text)
        today = await self.requests.today(viewer.tenant)
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
        } for row, excerpt in rows]
        filtered = bool(state or category or service or overdue or text)
        return self._render(request, viewer, "demandes.html", section=None, items=items, categories=categories,
                            services=services, statuses=status_words(lang), state=state, category=category,
                            service=service, overdue=overdue, text=text, filtered=filtered,
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
        name = " ".join(part for part in (row.first_name, row.last_name) if part)
        service_name = mine.service_name if mine else ""
        values = {"reference": row.reference, "name": name, "service": service_name, "subject": row.subject,
                  "due": format_date(row.due_on, "long", locale=lang)}
        view = request_view(found, staff=True)
        replies = [{"title": title, "text": fill(text, values)} for title, text in reply_templates(lang)]
        files = {a.message_id: [] for a in found.attachments}  # type: dict[int | None, list[Any]]
        for a in found.attachments:
            files[a.message_id].append(a)
        messages = [{"at": format_datetime(m.at, "short", locale=lang, tzinfo=PARIS),
                     "at_iso": m.at.isoformat(), "from": m.author, "internal": m.internal, "body": m.body,
                     "actor": m.actor if m.author == "staff" else "", "files": files.get(m.id, [])}
                    for m in found.messages]
        data = {"csrf": viewer.csrf, "lang": lang, "tenant": viewer.tenant, "request": {
            "id": row.id, "reference": row.reference, "status": row.status, "category": row.category},
            "templates": replies, "strings": page_strings(lang)}
        return self._render(
            request, viewer, "demande.html", section=row.reference, row=row, view=view, messages=messages,
            loose_files=files.get(None, []), statuses=status_words(lang), channels=channel_words(lang),
            targets=[t for t in TARGETS if t != row.status and allowed(row.status, t)],  # type: ignore[arg-type]
            category=mine, categories=categories, templates_=replies,
            received=format_date(row.received_on, "long", locale=lang),
            due=format_date(row.due_on, "long", locale=lang), overdue=row.status != "closed" and row.due_on < today,
            data=json_block(data), quote=quote, acknowledgement=acknowledgement_card(row, lang))

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


def _sender(first: str, last: str, organisation: str | None) -> str:
    name = " ".join(part for part in (first, last) if part)
    return f"{name} ({organisation})" if organisation else name

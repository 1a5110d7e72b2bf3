"""The phone desk's pages, for the collectivity's staff signed in:

- ``GET /phone``: the desk. F2 or N takes a call (its clock running), the caller is found in the citizen record by
  name or number (its search API, from the page) or made a new record, or left anonymous; the reason, a note, the
  knowledge base's sheets consulted (its search, ``GET …/kb/search``, when the collectivity has one), how the call
  ended (a transfer's service, a callback's time and who calls back, a link to book the appointment or file the
  request); Ctrl+Enter logs it (``POST …/phone/calls``). Beside it, the callbacks to do, the agent's or their
  service's, overdue first, each marked done with how it went, and the calls the agent logged today.
- ``GET /phone/appels/{id}``: one call, as the citizen record's timeline links to it (the read audited).

The pages are drawn by the server; the desk's script (``static/phone/phone.js``) calls the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from babel.dates import format_datetime
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.phone.errors import unknown_call
from queue_server.phone.service import Phone, Who
from queue_server.phone.web.api import call_view
from queue_server.phone.web.words import desk_strings, done_words, outcome_words
from queue_server.platform.users import Person
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator
from queue_server.web.http import actor_of, client_address, plausible_id
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

PATH = "/phone"


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


@dataclass(frozen=True, slots=True)
class _Viewer:
    person: Person
    csrf: str
    lang: str
    tenant: str


class DeskPages:
    def __init__(self, auth: Authenticator, phone: Phone) -> None:
        self.auth = auth
        self.phone = phone

    def routes(self) -> list[Route]:
        return [Route(PATH, self.desk, methods=["GET"]), Route(PATH + "/appels/{call}", self.one, methods=["GET"])]

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

    def _render(self, request: Request, viewer: _Viewer, name: str, **context: Any) -> Response:
        person = viewer.person
        html = templates(viewer.lang).get_template(name).render(
            lang=viewer.lang, other_lang="en" if viewer.lang == "fr" else "fr", here=request.url.path,
            csrf=viewer.csrf, person=person, nav_roles=sorted({r for r in person.roles.values() if r}), **context)
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"  # names, numbers and what people called about
        if request.query_params.get("lang") == viewer.lang:
            response.set_cookie(COOKIE, viewer.lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    async def desk(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        tenant, lang = viewer.tenant, viewer.lang
        reasons = await self.phone.reasons(tenant)
        services = await self.phone.services(tenant)
        agents = await self.phone.agents(tenant)
        zone = await self.phone.zone(tenant)
        supervises = bool(set(viewer.person.roles.values()) & SUPERVISORS)
        data = {"csrf": viewer.csrf, "lang": lang, "tenant": tenant, "login": viewer.person.login,
                "actor": actor_of(viewer.person), "zone": zone.key, "strings": desk_strings(lang),
                "outcomes": outcome_words(lang), "done": done_words(lang)}
        return self._render(request, viewer, "phone.html", section=None, reasons=reasons, services=services,
                            agents=agents, outcomes=list(outcome_words(lang).items()),
                            done_outcomes=list(done_words(lang).items()), supervises=supervises,
                            data=json_block(data))

    async def one(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        call_id = str(request.path_params["call"])
        if not plausible_id(call_id):
            raise unknown_call()
        who = Who(actor_of(viewer.person), viewer.person.login, viewer.person.name, client_address(request))
        found = await self.phone.read(viewer.tenant, call_id, who)
        zone = await self.phone.zone(viewer.tenant)
        lang = viewer.lang

        def when(moment: Any) -> str:
            return str(format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=lang))

        view = call_view(found, self.phone.clock())
        callback = found.callback
        agents = dict(await self.phone.agents(viewer.tenant)) if callback and callback.agent else {}
        owners = await self.phone.tenant_names([s["tenant"] for s in view["sheets"] if s["tenant"]])
        return self._render(
            request, viewer, "phone_call.html", section=found.call.reason_name, call=found.call, view=view,
            callback=callback, owners=owners, outcome=outcome_words(lang).get(found.call.outcome, found.call.outcome),
            done=done_words(lang), started=when(found.call.started_at),
            callback_agent=agents.get(callback.agent, callback.agent) if callback and callback.agent else "",
            due=when(callback.due_at) if callback else "", done_at=when(callback.done_at) if callback and
            callback.done_at else "", minutes=divmod(found.call.duration_s, 60))

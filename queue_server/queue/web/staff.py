"""What the staff pages (``/counter``, ``/supervisor``) share: who is signed in and where they may work.

A staff page is served only to a signed-in person (else to ``/login?next=…``), and only with the sites
where their role is one of the page's (else a plain 403 page in their language). The page gets, as a
JSON block, the person's name, the session's CSRF token (every change it makes sends it as
``X-CSRF-Token``), the sites they may work at with each site's services and counters, and its strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.people import People
from queue_server.platform.users import Person
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.web.citizen import json_block
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.i18n import COOKIE, negotiate, templates, translations


def _(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


REFUSALS = {
    "counter": _("This page is for counter agents: your account has no agent, supervisor or administrator role."),
    "supervisor": _("This page is for supervisors: your account has no supervisor or administrator role."),
}


def booked_strings(lang: str) -> dict[str, str]:
    """What both staff pages write by the number of an appointment ticket (``Staff.bookedTag``, static/staff.js):
    the badge and, as its title, the appointment's reference (``{ref}``)."""
    t = translations(lang)
    return {
        # Short: a badge by the ticket's number ("RDV" in French).
        "booked_short": t.gettext("Appt."),
        "booked_title": t.gettext("Appointment {ref}"),
    }


@dataclass(frozen=True, slots=True)
class StaffContext:
    person: Person
    csrf: str
    lang: str
    sites: list[tuple[SiteConfig, str]]  # each site the person may use the page at, with their role there

    def page_data(self, strings: dict[str, str], **extra: Any) -> dict[str, Any]:
        """The JSON block a staff page's script starts from."""
        return {
            "person": {"name": self.person.name or self.person.login, "login": self.person.login},
            "csrf": self.csrf,
            "lang": self.lang,
            "sites": [
                {"id": config.id, "name": config.name, "role": role, "timezone": config.timezone,
                 "services": [{"id": s.id, "name": s.name, "prefix": s.prefix} for s in config.services],
                 "counters": [{"id": c.id, "name": c.name, "services": list(c.services)} for c in config.counters]}
                for config, role in self.sites
            ],
            "strings": strings,
            **extra,
        }


async def staff_context(request: Request, deps: QueueDeps, roles: frozenset[str],
                        path: str, refusal: str) -> StaffContext | Response:
    """The signed-in person and the sites where they hold one of ``roles``; or the answer to give
    instead: to the login page (then back to ``path``), or a 403 page saying ``REFUSALS[refusal]``."""
    found = await deps.platform.auth.session(request)
    if found is None:
        return RedirectResponse("/login?" + urlencode({"next": path}), status_code=303)
    session, person = found
    lang = negotiate(request)
    if None in person.roles:  # a role at every site of the tenant
        site_ids = sorted(await People(deps.platform.db).sites_of(person.tenant_id))
    else:
        site_ids = sorted(s for s in person.roles if s is not None)
    sites = []
    for site_id in site_ids:
        role = person.roles.get(site_id) or person.roles.get(None)
        engine = await deps.queue.engine(site_id) if role in roles else None
        if engine is not None and role is not None:
            sites.append((engine.config, role))
    if not sites:
        text = translations(lang).gettext(REFUSALS[refusal])
        return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                            f'<p>{text}</p><p><a href="/">Guichet</a></p></html>', status_code=403)
    return StaffContext(person, session.csrf, lang, sites)


class StaffPage:
    """A staff page: ``path`` serves ``template`` to people with one of ``roles`` somewhere, with the
    JSON block of ``StaffContext.page_data`` (``strings(lang)`` for its script), the person's name, the
    CSRF token of the sign-out form, the other language's link and the person's roles (the links to the
    other staff pages, templates/nav.html); a language picked with ``?lang=``
    is remembered in the ``lang`` cookie."""

    path = ""
    template = ""
    roles: frozenset[str] = frozenset()
    refusal = ""  # a key of REFUSALS
    def __init__(self, deps: QueueDeps) -> None:
        self.deps = deps

    def strings(self, lang: str) -> dict[str, str]:
        raise NotImplementedError

    async def page(self, request: Request) -> Response:
        context = await staff_context(request, self.deps, self.roles, self.path, self.refusal)
        if not isinstance(context, StaffContext):
            return context
        html = templates(context.lang).get_template(self.template).render(
            lang=context.lang, data=json_block(context.page_data(self.strings(context.lang))), csrf=context.csrf,
            person=context.person.name or context.person.login, other_lang="fr" if context.lang == "en" else "en",
            roles=sorted(set(context.person.roles.values())), here=self.path)
        response = HTMLResponse(html)
        if request.query_params.get("lang") == context.lang:
            response.set_cookie(COOKIE, context.lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    def routes(self) -> list[Route]:
        return [Route(self.path, self.page, methods=["GET"])]

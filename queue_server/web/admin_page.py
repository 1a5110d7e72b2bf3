"""``/admin``: the administrators' page (French, English), for a signed-in admin.

- Tenant administrators (an admin role without a site) manage people: add one with a role at a
  site, set a new password (their sessions end), disable or enable an account.
- Every admin changes the roles of the tenant's people at the sites they administer (tenant
  administrators also the role on every site); sessions stay open and get the new rights within
  ``auth.CACHE_S`` seconds. Nobody changes their own roles, and only a tenant administrator
  changes those of another tenant administrator.
- Every admin pairs kiosks and displays of the sites they administer (a code valid 10 minutes,
  shown big enough to read out), sees their devices (connected now or since when) and revokes them.
- ``/admin/audit``: every admin reads the audit log of their scope (as ``GET /api/v1/audit`` gives it),
  50 entries a page, newest first, narrowed by period, site, who and what, and downloads it as CSV.

Plain HTML forms, no script: each form carries the session's CSRF token, each action is written to
the audit log and answers with a redirect back to the page and a message saying what happened.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.audit import ACTIONS, AuditLog
from queue_server.platform.devices import DEVICE_ROLES, Devices
from queue_server.platform.errors import UnknownField
from queue_server.platform.people import NO_ROLE, People
from queue_server.platform.sessions import Session
from queue_server.platform.users import (
    Person,
    UserError,
)
from queue_server.web.admin import whole_number
from queue_server.web.admin_view import (
    action_labels,
    describe_role,
    device_rows,
    filter_query,
    filter_values,
    kind_labels,
    parse_filters,
    period_mistake,
    rows,
)
from queue_server.web.deps import PlatformDeps
from queue_server.web.http import actor_of, client_address, read_form
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

ROLE_CHOICES = ("agent", "supervisor", "admin")
AUDIT_PAGE = 50  # entries per page of /admin/audit
CSV_LIMIT = 10_000  # entries of the CSV the audit page links to (the most GET /api/v1/audit.csv gives)
# The session, its person, the sites they administer, whether they administer the whole tenant.
AdminContext = tuple[Session, Person, frozenset[str], bool]
DEVICE_CHOICES = ("kiosk", "display")


def messages(_: Any) -> dict[str, str]:
    """What the page says after an action or when it refuses one, by code, in the page's language."""
    return {
        "added": _("The person was added."),
        "password": _("The password was changed; their open sessions have ended."),
        "disabled": _("The account was disabled; their open sessions have ended."),
        "enabled": _("The account was enabled again."),
        "revoked": _("The device was revoked: it stopped working within seconds."),
        "expired": _("This form has expired. Please sign in again."),
        "login-format": _("A login is 1 to 200 characters without spaces."),
        "password-short": _("A password needs at least 12 characters."),
        "password-long": _("A password may not exceed 1024 characters."),
        "unknown-user": _("There is no such person."),
        "login-taken": _("This login is already taken."),
        "unknown-role": _("Choose a role among agent, supervisor and administrator."),
        "wide-role": _("Only an administrator may have a role on every site."),
        "unknown-site": _("Choose one of your sites."),
        "unknown-tenant": _("Choose one of your sites."),
        "unknown-device": _("There is no such device."),
        "not-yours": _("Only an administrator of every site may manage people."),
        "roles": _("The roles were changed; they apply within seconds, without ending any session."),
        "no-role": _("A person needs at least one role: disable the account to take their access away."),
        "not-your-site": _("You may only give roles at the sites you administer."),
        "every-site": _("Only an administrator of every site may give a role on every site or change the roles "
                        "of an administrator of every site."),
        "own-roles": _("You cannot change your own roles: ask another administrator."),
    }


class AdminPage:
    def __init__(self, deps: PlatformDeps) -> None:
        self.auth = deps.auth
        self.devices = Devices(deps.db, deps.codes)
        self.people = People(deps.db)
        self.audit_log = AuditLog(deps.db)
        self.presence = deps.presence

    def routes(self) -> list[Route]:
        return [
            Route("/admin", self.page, methods=["GET"]),
            Route("/admin/audit", self.audit, methods=["GET"]),
            Route("/admin/people", self.add_person, methods=["POST"]),
            Route("/admin/people/password", self.password, methods=["POST"]),
            Route("/admin/people/disable", self.disable, methods=["POST"]),
            Route("/admin/people/roles", self.roles, methods=["POST"]),
            Route("/admin/pairings", self.pairing, methods=["POST"]),
            Route("/admin/devices/revoke", self.revoke, methods=["POST"]),
        ]

    async def _admin(self, request: Request) -> AdminContext | Response:
        """The session, its person, the sites they administer and whether they administer the whole
        tenant; or the answer to give instead (sign in first, or not an administrator)."""
        found = await self.auth.session(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
        session, person = found
        sites = person.administers
        whole = sites is None
        if sites is None:
            sites = await self.people.sites_of(person.tenant_id)
        if not sites:
            _ = translations(negotiate(request)).gettext
            refusal = _("This page is for administrators.")
            return HTMLResponse(f"<!doctype html><html lang=\"{negotiate(request)}\"><title>403</title>"
                                f"<p>{refusal}</p></html>", status_code=403)
        return session, person, sites, whole

    async def page(self, request: Request) -> Response:
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        session, person, sites, whole = admin
        lang = negotiate(request)
        _ = translations(lang).gettext
        overview = await self.people.overview(person.tenant_id, sites)
        watched = sorted({d.site_id for d in overview.devices if d.role in DEVICE_ROLES and d.revoked_at is None})
        seen = {site: await self.presence.status(site) for site in watched}
        people = [(user, [describe_role(r.site_id, r.role, _) for r in roles], {r.site_id: r.role for r in roles})
                  for user, roles in overview.people]
        said = messages(_)
        done = request.query_params.get("done", "")
        error = request.query_params.get("error", "")
        code = request.query_params.get("code", "")
        return self._render(request, "admin.html", person, session.csrf, lang, whole=whole, sites=sorted(sites),
                            people=people, devices=device_rows(overview.devices, seen, overview.clocks, lang, _),
                            done=said.get(done, ""), error=said.get(error, ""),
                            code=code if len(code) == 9 and code.replace("-", "").isalnum() else "",
                            code_role=request.query_params.get("role", ""), roles=ROLE_CHOICES,
                            device_roles=DEVICE_CHOICES, no_role=NO_ROLE)

    async def audit(self, request: Request) -> Response:
        """The audit log of the administrator's scope, a page at a time (``?before=ID``: older than that
        entry, ``?after=ID``: newer), narrowed by the filters of ``admin_view.parse_filters``."""
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        session, person, sites, _whole = admin
        lang = negotiate(request)
        t = translations(lang)
        _ = t.gettext
        params = request.query_params
        filters, mistakes = parse_filters(params, typed=True)
        if period_mistake(filters):
            mistakes["to"] = "order"
            filters = replace(filters, last_day=None)
        if filters.site is not None and filters.site not in sites:
            mistakes["site"] = "site"
            filters = replace(filters, site=None)
        before, after = (int(params[k]) if whole_number(params.get(k, "")) else None for k in ("before", "after"))
        page = await self.audit_log.page(person.tenant_id, person.administers, filters, before=before,
                                         after=None if before is not None else after, size=AUDIT_PAGE)
        overview = await self.people.overview(person.tenant_id, sites)
        values = filter_values(params, filters)
        kept = filter_query(filters)
        words = {"date": _("Write a day as day/month/year, for example 01/07/2026."),
                 "order": _("The end of the period is before its start."), "site": _("Choose one of your sites.")}
        errors = {name: words[code] for name, code in mistakes.items()}
        labels = action_labels(_)
        kinds = kind_labels(_)
        known_actors = {f"user:{user.login}" for user, _roles in overview.people}
        known_actors |= {f"token:{d.id}" for d in overview.devices} | {"cli", "anonymous"}
        return self._render(
            request, "admin_audit.html", person, session.csrf, lang, status=422 if errors else 200,
            rows=rows(page, lang, t),
            older=_link(kept, before=page.older) if page.older is not None else "",
            newer=_link(kept, after=page.newer) if page.newer is not None else "",
            csv="/api/v1/audit.csv?" + urlencode({"lang": lang, **kept, "limit": str(CSV_LIMIT)}),
            filtered=bool(kept), values=values, errors=errors, sites=sorted(sites),
            actions=[(action, labels.get(action, action)) for action in ACTIONS],
            unknown_action=values["action"] if values["action"] and values["action"] not in ACTIONS else "",
            people=[(f"user:{user.login}", f"{user.name} ({user.login})" if user.name else user.login)
                    for user, _roles in overview.people],
            devices=[(f"token:{d.id}", f"{d.name or d.id} ({kinds.get(d.role, d.role)}, {d.site_id})")
                     for d in overview.devices],
            unknown_actor=values["who"] if values["who"] and values["who"] not in known_actors else "")

    def _render(self, request: Request, template: str, person: Person, csrf: str, lang: str, status: int = 200,
                **context: Any) -> Response:
        html = templates(lang).get_template(template).render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=csrf, person=person,
            nav_roles=sorted(set(person.roles.values())), **context)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") == lang:  # the language chosen is remembered, as on /admin/sites
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=request.url.scheme == "https")
        return response

    async def _form(self, request: Request, extra_fields: int = 0) -> tuple[AdminContext, dict[str, str]] | Response:
        """The administrator and their form (with the session's CSRF token), or the answer to give;
        ``extra_fields`` per site they administer (beyond the usual 20 fields)."""
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        form = await read_form(request, max_fields=20 + extra_fields * len(admin[2]))
        if not hmac.compare_digest(form.get("csrf", "").encode(), admin[0].csrf.encode()):
            return back(error="expired")
        return admin, form

    async def add_person(self, request: Request) -> Response:
        got = await self._form(request)
        if isinstance(got, Response):
            return got
        admin, form = got
        _, person, sites, whole = admin
        if not whole:
            return back(error="not-yours")
        site = form.get("site", "") or None
        role = form.get("role", "")
        if site is not None and site not in sites:
            return back(error="unknown-site")
        try:
            await self.people.add(person, login=form.get("login", ""), password=form.get("password", ""),
                                  name=form.get("name", ""), site=site, role=role, by=actor_of(person),
                                  address=client_address(request))
        except UserError as exc:
            return back(error=exc.code)
        return back(done="added")

    async def _person_change(self, request: Request, change: str) -> Response:
        got = await self._form(request)
        if isinstance(got, Response):
            return got
        admin, form = got
        _, person, _, whole = admin
        login = form.get("login", "")
        if not whole:
            return back(error="not-yours")
        by, address = actor_of(person), client_address(request)
        try:
            if change == "password":
                user = await self.people.set_password(person, login, form.get("password", ""), by, address)
                done = "password"
            else:
                enable = form.get("enable") == "1"
                user = await self.people.set_enabled(person, login, enable, by, address)
                done = "enabled" if enable else "disabled"
        except UserError as exc:
            return back(error=exc.code)
        await self.auth.announce("person", user.id or 0)
        return back(done=done)

    async def password(self, request: Request) -> Response:
        return await self._person_change(request, "password")

    async def disable(self, request: Request) -> Response:
        return await self._person_change(request, "disable")

    async def roles(self, request: Request) -> Response:
        """One field ``role:SITE`` per site to change (``none``: no role there), and for tenant
        administrators ``every`` (``admin`` or ``none``); the person's other roles stay as they are."""
        got = await self._form(request, extra_fields=1)
        if isinstance(got, Response):
            return got
        admin, form = got
        _, person, sites, whole = admin
        changes: dict[str | None, str] = {key.removeprefix("role:"): value for key, value in form.items()
                                           if key.startswith("role:")}
        if not changes.keys() <= sites:
            return back(error="not-your-site")
        if "every" in form:
            if not whole:
                return back(error="every-site")
            changes[None] = form["every"]
        try:
            user = await self.people.change_roles(person, whole, form.get("login", ""), changes, actor_of(person),
                                                  client_address(request))
        except UserError as exc:
            return back(error=exc.code)
        await self.auth.announce("person", user.id or 0)
        return back(done="roles")

    async def pairing(self, request: Request) -> Response:
        got = await self._form(request)
        if isinstance(got, Response):
            return got
        admin, form = got
        _, person, sites, _ = admin
        site, role, name = form.get("site", ""), form.get("role", ""), form.get("name", "")[:200]
        name = "".join(ch for ch in name if ch.isprintable())  # SQL (PostgreSQL) refuses a NUL; lists show it
        if site not in sites:
            return back(error="unknown-site")
        if role not in DEVICE_CHOICES:
            return back(error="unknown-role")
        code = await self.devices.new_code(site=site, tenant=person.tenant_id, role=role, name=name,
                                           by=actor_of(person), address=client_address(request))
        return RedirectResponse("/admin?" + urlencode({"code": code, "role": role}) + "#pairing", status_code=303)

    async def revoke(self, request: Request) -> Response:
        got = await self._form(request)
        if isinstance(got, Response):
            return got
        admin, form = got
        _, person, sites, _ = admin
        raw = form.get("device", "")
        try:
            row = await self.devices.revoke(sites, int(raw) if whole_number(raw) else None, actor_of(person),
                                            client_address(request))
        except UnknownField:
            return back(error="unknown-device")
        await self.auth.announce("token", row.id or 0)
        return back(done="revoked")


def back(**outcome: str) -> RedirectResponse:
    return RedirectResponse("/admin?" + urlencode(outcome), status_code=303)


def _link(filters: dict[str, str], **cursor: int) -> str:
    """``/admin/audit`` with ``filters`` and a page's cursor (``before`` or ``after`` an entry's id)."""
    return "/admin/audit?" + urlencode({**filters, **{k: str(v) for k, v in cursor.items()}}) + "#entries"

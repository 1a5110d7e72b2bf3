"""``/admin/sites``: where a town hall configures itself (French, English), for signed-in staff.

- ``GET /admin/sites``: the sites of the collectivity the person administers or supervises; an
  administrator of the whole collectivity (an admin role without a site) also creates sites there.
- ``GET /admin/sites/{site}``: one page per site, a section per part of its configuration, each its own
  form: the settings (name, address, time zone, languages announced, colours, the kiosk's languages and idle
  time), the services (a table; a form to add one or, with ``?service=ID``, to change it), the counters
  (likewise, ``?counter=ID``), the opening hours with the public holidays' region, the closures, and the hall
  displays' idle screen (its message and slideshow: ``setup_display.py``).
  Administrators of the site (or of the whole collectivity) change it; supervisors read it, without forms. A last
  section allows or forbids taking a ticket from home in the ticket widget (``queue/remote.py``), with the line
  the city's website includes.
- Each form POSTs to its own address with the session's CSRF token, and makes one change through
  ``Configuration`` (one transaction, decided by the queue, audited): nothing is half saved. A saved form
  answers with a redirect to the page and a message saying what was done; a refused one answers with the
  page again (422, or 409 when the queue refuses: a service with tickets waiting, an open counter, a
  prefix taken), the person's values kept, each mistake next to its field and an error summary at the
  top, focused.
- Removing a service, a counter or a closure goes through a confirmation page (``…/remove``): plain
  links and forms, no script needed.

No script is needed anywhere: ``static/setup.js`` only keeps each colour's picker and text field in step.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.i18n import translations
from queue_server.platform.calendar import WEEKDAYS, regions
from queue_server.platform.errors import PlatformError, UnknownField
from queue_server.platform.people import People
from queue_server.platform.territories import TERRITORIES
from queue_server.platform.users import Person
from queue_server.queue.configuration import LANGUAGES, SITE_ID
from queue_server.queue.display_screen import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    MAX_MESSAGE,
    BadImage,
    DisplayScreens,
    IdleScreen,
    image_url,
)
from queue_server.queue.domain.config import ICONS
from queue_server.queue.domain.errors import Conflict, CounterBusy, CounterWithoutService, PrefixTaken, ServiceBusy
from queue_server.queue.remote import RemoteTickets
from queue_server.queue.web import setup_display as d
from queue_server.queue.web import setup_forms as f
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.http import Upload, actor_of, client_address, multipart_form, read_body, read_body_prefix
from queue_server.web.i18n import COOKIE, negotiate, templates

_ = f._  # marks strings for extraction; translated where shown
READERS = frozenset({"supervisor", "admin"})
MAX_FIELDS = 300  # the largest form (a service with its own week of hours) has about 50
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a file too large is read (and dropped) up to this, so that the page says so

DONE = {
    "site-created": _("The site was created with a town hall's usual hours. Add its services, then its counters."),
    "settings": _("The site's settings were saved."),
    "logo": _("The logo was saved: the kiosks and the hall displays show it now."),
    "logo-removed": _("The logo was removed."),
    "service-added": _("The service was added: the kiosks offer it now."),
    "service-saved": _("The service was saved."),
    "service-removed": _("The service was removed."),
    "counter-added": _("The counter was added."),
    "counter-saved": _("The counter was saved."),
    "counter-removed": _("The counter was removed."),
    "hours": _("The opening hours were saved."),
    "closure-added": _("The closure was added."),
    "closure-removed": _("The closure was removed."),
    "remote-tickets": _("Saved: the ticket widget follows this choice within a few seconds."),
    **d.DONE,
}
SECTION_OF_DONE = {"settings": "settings", "logo": "logo", "logo-removed": "logo", "hours": "hours",
                   "closure-added": "closures", "closure-removed": "closures",
                   "site-created": "services", "remote-tickets": "remote", "display-message": "display",
                   "display-image": "display", "display-image-removed": "display"}


def _section_of_done(code: str) -> str:
    return SECTION_OF_DONE.get(code) or code.split("-")[0] + "s"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person looking at the pages, in their language."""

    person: Person
    csrf: str
    lang: str

    @property
    def _(self) -> f.Gettext:
        return translations(self.lang).gettext

    @property
    def whole(self) -> bool:
        """Whether they administer every site of the collectivity (and so may create sites)."""
        return self.person.administers is None

    def role_at(self, site: str) -> str | None:
        return self.person.roles.get(site) or self.person.roles.get(None)


@dataclass
class Failure:
    """A refused form, to show again: which form, what the person sent, and why it was refused (each field's
    problem; or a problem of the whole section, ``section``)."""

    form: str
    sent: f.Values
    problems: f.Problems
    section: str = ""  # the section whose own message says it (a removal refused)
    message: str = ""


class SetupPage:
    def __init__(self, deps: QueueDeps) -> None:
        self.auth = deps.platform.auth
        self.queue = deps.queue
        self.configuration = deps.configuration
        self.people = People(deps.platform.db)
        self.remote = RemoteTickets(deps.platform.db)
        self.screens = DisplayScreens(deps.platform.db, deps.queue)

    def routes(self) -> list[Route]:
        base = "/admin/sites/{site}"
        return [
            Route("/admin/sites", self.sites, methods=["GET"]),
            Route("/admin/sites", self.create_site, methods=["POST"]),
            Route(base, self.site, methods=["GET"]),
            Route(base + "/settings", self.save_settings, methods=["POST"]),
            Route(base + "/logo", self.save_logo, methods=["POST"]),
            Route(base + "/logo/remove", self.confirm_logo, methods=["GET"]),
            Route(base + "/logo/remove", self.remove_logo, methods=["POST"]),
            Route(base + "/services", self.save_service, methods=["POST"]),
            Route(base + "/services/{service}/remove", self.confirm_service, methods=["GET"]),
            Route(base + "/services/{service}/remove", self.remove_service, methods=["POST"]),
            Route(base + "/counters", self.save_counter, methods=["POST"]),
            Route(base + "/counters/{counter}/remove", self.confirm_counter, methods=["GET"]),
            Route(base + "/counters/{counter}/remove", self.remove_counter, methods=["POST"]),
            Route(base + "/hours", self.save_hours, methods=["POST"]),
            Route(base + "/closures", self.add_closure, methods=["POST"]),
            Route(base + "/closures/{first}/{last}/remove", self.confirm_closure, methods=["GET"]),
            Route(base + "/closures/{first}/{last}/remove", self.remove_closure, methods=["POST"]),
            Route(base + "/remote-tickets", self.save_remote_tickets, methods=["POST"]),
            Route(base + "/display/message", self.save_display_message, methods=["POST"]),
            Route(base + "/display/images", self.add_display_image, methods=["POST"]),
            Route(base + "/display/images/{image}/remove", self.remove_display_image, methods=["POST"]),
        ]

    # Who is looking ----------------------------------------------------------------------------------------

    async def _viewer(self, request: Request) -> Viewer | Response:
        found = await self.auth.session(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
        session, person = found
        viewer = Viewer(person, session.csrf, negotiate(request))
        if viewer.whole or READERS & set(person.roles.values()):
            return viewer
        return self._refusal(viewer, 403, _("This page is for administrators and supervisors."))

    async def _sites_of(self, viewer: Viewer) -> list[str]:
        """The collectivity's sites the person may see here."""
        every = await self.people.sites_of(viewer.person.tenant_id)
        return sorted(s for s in every if viewer.role_at(s) in READERS)

    async def _document(self, viewer: Viewer, site: str) -> dict[str, Any] | Response:
        """The site's configuration, if the person may see it; else the page saying they may not."""
        if viewer.role_at(site) not in READERS or len(site) > 64:
            return self._refusal(viewer, 404, _("There is no such site among yours."))
        try:
            document = await self.configuration.document(site)
        except UnknownField:
            document = None
        if document is None or document["site"]["tenant"] != viewer.person.tenant_id:
            return self._refusal(viewer, 404, _("There is no such site among yours."))
        return document

    async def _with_remote(self, request: Request, document: dict[str, Any]) -> dict[str, Any]:
        """The configuration with the site's remote-ticket setting, which is not part of it (``queue/remote.py``),
        and this server's address for the widget's line."""
        document["remote_tickets"] = await self.remote.allowed(document["site"]["id"])
        document["server_url"] = str(request.base_url).rstrip("/")
        return document

    async def _administered(self, request: Request) -> tuple[Viewer, str, dict[str, Any]] | Response:
        """The administrator of the path's site, the site and its configuration; or the answer to give instead."""
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        site = request.path_params["site"]
        document = await self._document(viewer, site)
        if isinstance(document, Response):
            return document
        if viewer.role_at(site) != "admin":
            return self._refusal(viewer, 403, _("Only an administrator of this site may change its configuration."))
        return viewer, site, document

    async def _form(self, request: Request, read: Callable[[Request], Awaitable[f.Form]]
                    ) -> tuple[Viewer, str, dict[str, Any], f.Form] | Response:
        """For a POST that changes a site: the administrator, the site, its configuration and the form (with
        the session's CSRF token); or the answer to give instead."""
        got = await self._administered(request)
        if isinstance(got, Response):
            return got
        viewer, site, document = got
        form = await read(request)
        if not hmac.compare_digest(one(form, "csrf").encode(), viewer.csrf.encode()):
            return RedirectResponse(f"/admin/sites/{quote(site)}?error=expired", status_code=303)
        return viewer, site, document, form

    def _who(self, request: Request, viewer: Viewer) -> dict[str, str]:
        return {"by": actor_of(viewer.person), "address": client_address(request)}

    # Rendering ---------------------------------------------------------------------------------------------

    def _render(self, viewer: Viewer, template: str, here: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates(viewer.lang).get_template(template).render(
            lang=viewer.lang, other_lang="en" if viewer.lang == "fr" else "fr", here=here, csrf=viewer.csrf,
            person_name=viewer.person.name or viewer.person.login, roles=sorted(set(viewer.person.roles.values())),
            **context)
        return HTMLResponse(html, status_code=status)

    def _refusal(self, viewer: Viewer, status: int, message: str) -> HTMLResponse:
        return self._render(viewer, "setup_message.html", "/admin/sites", status, message=viewer._(message))

    def _remember_language(self, request: Request, response: Response, viewer: Viewer) -> Response:
        if request.query_params.get("lang") == viewer.lang:
            response.set_cookie(COOKIE, viewer.lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    # The sites ---------------------------------------------------------------------------------------------

    async def sites(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        response = await self._sites_page(viewer)
        return self._remember_language(request, response, viewer)

    async def _sites_page(self, viewer: Viewer, failure: Failure | None = None) -> Response:
        listed = []
        for site in await self._sites_of(viewer):
            try:
                document = await self.configuration.document(site)
            except UnknownField:
                continue
            listed.append((document, viewer.role_at(site) == "admin"))
        values = failure.sent if failure else {"new-timezone": "Europe/Paris"}
        return self._render(
            viewer, "setup_sites.html", "/admin/sites", 422 if failure else 200, sites=listed, whole=viewer.whole,
            values=values, errors=failure.problems.fields if failure else {},
            summary=failure.problems.summary() if failure else [], zones=_zone_choices(viewer, values.get(
                "new-timezone", "")))

    async def create_site(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        if not viewer.whole:
            return self._refusal(viewer, 403, _("Only an administrator of the whole collectivity creates sites."))
        form = await _read_form(request)
        if not hmac.compare_digest(one(form, "csrf").encode(), viewer.csrf.encode()):
            return self._refusal(viewer, 403, _("This form has expired. Please sign in again."))
        taken = set()
        for candidate in {one(form, "new-id"), f.slug(one(form, "new-name"))}:
            if candidate and SITE_ID.match(candidate) and await self.queue.engine(candidate) is not None:
                taken.add(candidate)
        try:
            site, body = f.new_site(form, viewer._, taken.__contains__)
            await self.configuration.put_site(site, body, tenant=viewer.person.tenant_id,
                                              **self._who(request, viewer))
        except f.Refused as exc:
            return await self._sites_page(viewer, Failure("new-site", f.submitted(form, "new-site"), exc.problems))
        except PlatformError as exc:
            problems = f.Problems()
            problems.add(f.refusal("new-site", exc.field), viewer._(_("This value is not accepted.")))
            return await self._sites_page(viewer, Failure("new-site", f.submitted(form, "new-site"), problems))
        return RedirectResponse(f"/admin/sites/{quote(site)}?done=site-created#done", status_code=303)

    # One site ----------------------------------------------------------------------------------------------

    async def site(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        document = await self._document(viewer, request.path_params["site"])
        if isinstance(document, Response):
            return document
        query = request.query_params
        failure = None
        if query.get("error") == "expired":
            problems = f.Problems()
            problems.add("expired", viewer._(_("This form has expired. Please sign in again.")), "main")
            failure = Failure("", {}, problems)
        document = await self._with_remote(request, document)
        response = self._site_page(viewer, document, await self.screens.get(document["site"]["id"]), failure,
                                   done=query.get("done", ""),
                                   service=query.get("service", ""), counter=query.get("counter", ""))
        return self._remember_language(request, response, viewer)

    def _site_page(self, viewer: Viewer, document: dict[str, Any], idle: IdleScreen, failure: Failure | None = None, *,
                   done: str = "", service: str = "", counter: str = "", status: int = 200) -> Response:
        _t = viewer._
        site = document["site"]
        services = {s["id"]: s for s in document["services"]}
        counters = {k["id"]: k for k in document["counters"]}
        forms: dict[str, f.Values] = {
            "settings": f.settings_values(site),
            "service": f.service_values(services.get(service)),
            "counter": f.counter_values(counters.get(counter)),
            "hours": f.hours_values(document["hours"]),
            "closure": {},
            "display": {"dsp-message": idle.message},
        }
        editing = {"service": service if service in services else "", "counter": counter if counter in counters else ""}
        if failure is not None and failure.form in forms:
            forms[failure.form] = failure.sent
            if failure.form in editing:
                editing[failure.form] = str(failure.sent.get("editing", ""))
        today = datetime.now(UTC)
        closures = [(k, f.period(date.fromisoformat(k["from"]), date.fromisoformat(k["to"]), viewer.lang, _t),
                     date.fromisoformat(k["to"]) < _local_today(site["timezone"], today))
                    for k in sorted(document["hours"]["closures"], key=lambda k: k["from"])]
        names = f.day_names(viewer.lang)
        here = f"/admin/sites/{quote(site['id'])}"
        return self._render(
            viewer, "setup_site.html", here, status,
            document=document, site=site, can_edit=viewer.role_at(site["id"]) == "admin", forms=forms,
            editing=editing, failure=failure, errors=failure.problems.fields if failure else {},
            summary=failure.problems.summary() if failure else [],
            done=_t(DONE[done]) if done in DONE else "", done_section=_section_of_done(done) if done in DONE else "",
            service_names={sid: s["name"] for sid, s in services.items()},
            counter_names={kid: k["name"] for kid, k in counters.items()},
            day_names={d: f.capital(n) for d, n in names.items()}, weekdays=WEEKDAYS,
            hours_slots=f.slots(forms["hours"], "hrs"), service_slots=f.slots(forms["service"], "svc"),
            week_text=f.week_text(document["hours"]["weekly"], viewer.lang, _t),
            service_hours={s["id"]: f.week_text(s["hours"], viewer.lang, _t) for s in document["services"]
                           if s["hours"] is not None},
            closures=closures, now_text=f.now_at(site["timezone"], viewer.lang, today),
            zones=_zone_choices(viewer, str(forms["settings"].get("set-timezone", ""))),
            languages=[(code, f.LANGUAGE_NAMES[code]) for code in LANGUAGES],
            icons=[(icon, _t(f.ICON_NAMES.get(icon, icon))) for icon in sorted(ICONS, key=_icon_order)],
            regions=[(r, _t(f.REGION_NAMES[r]) if r in f.REGION_NAMES else r) for r in regions()],
            region_name=_region_name(document["hours"]["public_holidays"], _t),
            phone_regions=_phone_regions(_t, str(forms["settings"].get("set-region", ""))),
            icon_names={icon: _t(name) for icon, name in f.ICON_NAMES.items()},
            language_names=f.LANGUAGE_NAMES,
            idle_images=[(image, image_url(site["id"], image)) for image in idle.images],
            idle_limits={"images": MAX_IMAGES, "message": MAX_MESSAGE, "mib": MAX_IMAGE_BYTES // (1024 * 1024)})

    async def _change(self, request: Request, form_name: str,
                      act: Callable[[Viewer, str, dict[str, Any], f.Form], Awaitable[str]],
                      read: Callable[[Request], Awaitable[f.Form]] | None = None) -> Response:
        """Reads the form ``form_name`` (with ``read``: an encoded form by default), makes the change ``act`` makes
        (it answers the message to give), and redirects to the page with the message; or shows the page again
        saying why it was refused."""
        got = await self._form(request, read or _read_form)
        if isinstance(got, Response):
            return got
        viewer, site, document, form = got
        _t = viewer._
        failure = Failure(form_name, f.submitted(form, form_name), f.Problems())
        status = 422
        try:
            done = await act(viewer, site, document, form)
        except f.Refused as exc:
            failure.problems = exc.problems
        except PlatformError as exc:
            if isinstance(exc, UnknownField) and exc.field in ("service", "counter"):
                failure.section, failure.message = exc.field + "s", _t(_("It was removed meanwhile."))
                failure.problems.add("section-error", failure.message, f"{failure.section}-error")
                status = 404
            else:
                failure.problems.add(f.refusal(form_name, exc.field), f.refused(exc, _t))
        except Conflict as exc:
            status = 409
            if isinstance(exc, PrefixTaken):
                failure.problems.add("svc-prefix", _t(_("Another service of this site already numbers its tickets "
                                                        "with this prefix: choose another one.")))
            else:
                failure.section, failure.message = _conflict(exc, _t)
                failure.problems.add("section-error", failure.message, f"{failure.section}-error")
        else:
            return RedirectResponse(f"/admin/sites/{quote(site)}?done={done}#done", status_code=303)
        document = await self._with_remote(request, await self.configuration.document(site))  # as it is now
        return self._site_page(viewer, document, await self.screens.get(site), failure, status=status)

    async def save_settings(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            body = f.settings(form, viewer._, document["site"]["colours"])
            await self.configuration.put_site(site, body, tenant=viewer.person.tenant_id,
                                              **self._who(request, viewer))
            return "settings"

        return await self._change(request, "settings", act)

    async def save_remote_tickets(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.remote.set(site, one(form, "rt-allowed") == "on", **self._who(request, viewer))
            return "remote-tickets"

        return await self._change(request, "remote", act)

    async def save_logo(self, request: Request) -> Response:
        upload: Upload | None = None
        cut = False

        async def read(request: Request) -> f.Form:
            nonlocal upload, cut
            body, cut = await read_body_prefix(request, f.MAX_LOGO_FORM_BYTES, MAX_UPLOAD_BYTES)
            fields, files = multipart_form(request.headers.get("content-type", ""), body, cut)
            upload = files.get("logo-file")
            return fields

        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            data = f.logo(upload, cut, viewer._)
            await self.configuration.set_logo(site, data, **self._who(request, viewer))
            return "logo"

        return await self._change(request, "logo", act, read)

    async def save_service(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            service_id, body, new = f.service(form, viewer._, document, f.day_names(viewer.lang))
            await self.configuration.put_service(site, service_id, body, **self._who(request, viewer))
            return "service-added" if new else "service-saved"

        return await self._change(request, "service", act)

    async def save_counter(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            counter_id, body, new = f.counter(form, viewer._, document)
            await self.configuration.put_counter(site, counter_id, body, **self._who(request, viewer))
            return "counter-added" if new else "counter-saved"

        return await self._change(request, "counter", act)

    async def save_hours(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            body = f.hours(form, viewer._, f.day_names(viewer.lang))
            await self.configuration.put_hours(site, body, **self._who(request, viewer))
            return "hours"

        return await self._change(request, "hours", act)

    async def add_closure(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            added = f.closure(form, viewer._)
            closures = [*document["hours"]["closures"], added]
            await self.configuration.put_hours(site, {"closures": closures}, **self._who(request, viewer))
            return "closure-added"

        return await self._change(request, "closure", act)

    # The hall displays' idle screen ----------------------------------------------------------------------------

    async def save_display_message(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.screens.set_message(site, d.message(form, viewer._), **self._who(request, viewer))
            return "display-message"

        return await self._change(request, "display", act)

    async def add_display_image(self, request: Request) -> Response:
        upload: Upload | None = None
        cut = False

        async def read(request: Request) -> f.Form:
            nonlocal upload, cut
            body, cut = await read_body_prefix(request, d.MAX_IMAGE_FORM_BYTES, MAX_UPLOAD_BYTES)
            fields, files = multipart_form(request.headers.get("content-type", ""), body, cut)
            upload = files.get("dsp-image")
            return fields

        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            data = d.image(upload, cut, viewer._)
            try:
                await self.screens.add_image(site, data, **self._who(request, viewer))
            except BadImage as exc:
                raise d.image_refused(exc, viewer._) from exc
            return "display-image"

        return await self._change(request, "display", act, read)

    async def remove_display_image(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.screens.remove_image(site, request.path_params["image"][:64], **self._who(request, viewer))
            return "display-image-removed"

        return await self._change(request, "display", act)

    # Removals: a confirmation page, then the change ----------------------------------------------------------

    async def _confirm(self, request: Request, kind: str, what: str, question: str, warning: str = "",
                       more: Callable[[dict[str, Any], f.Gettext], str] | None = None) -> Response:
        got = await self._administered(request)
        if isinstance(got, Response):
            return got
        viewer, site, document = got
        _t = viewer._
        return self._render(viewer, "setup_confirm.html", request.url.path, site=document["site"],
                            question=_t(question).format(what=what), warning=_t(warning) if warning else "",
                            more=more(document, _t) if more else "",
                            action=request.url.path, back=f"/admin/sites/{quote(site)}#{kind}")

    async def confirm_service(self, request: Request) -> Response:
        name = await self._name_of(request, "services", request.path_params["service"])
        if name is None:
            return RedirectResponse(f"/admin/sites/{quote(request.path_params['site'])}#services", status_code=303)
        service = request.path_params["service"]

        def stranded(document: dict[str, Any], _t: f.Gettext) -> str:
            names = f.serving_only(document, service)
            return _t(_("Counters serving only this service: {counters}. Give them another service, or remove them, "
                        "first: until then it cannot be removed.")).format(counters=", ".join(names)) if names else ""

        return await self._confirm(request, "services", name, _("Remove the service {what}?"),
                                   _("Its counters stop serving it. The queue refuses while tickets wait in it."),
                                   stranded)

    async def remove_service(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.configuration.delete_service(site, request.path_params["service"], **self._who(request, viewer))
            return "service-removed"

        return await self._change(request, "remove-service", act)

    async def confirm_counter(self, request: Request) -> Response:
        name = await self._name_of(request, "counters", request.path_params["counter"])
        if name is None:
            return RedirectResponse(f"/admin/sites/{quote(request.path_params['site'])}#counters", status_code=303)
        return await self._confirm(request, "counters", name, _("Remove the counter {what}?"),
                                   _("The queue refuses while the counter is open."))

    async def remove_counter(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.configuration.delete_counter(site, request.path_params["counter"], **self._who(request, viewer))
            return "counter-removed"

        return await self._change(request, "remove-counter", act)

    async def confirm_logo(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        return await self._confirm(request, "logo", "", _("Remove the logo?"),
                                   _("The screens show the site's name alone, and the tickets print without a logo."))

    async def remove_logo(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            await self.configuration.remove_logo(site, **self._who(request, viewer))
            return "logo-removed"

        return await self._change(request, "remove-logo", act)

    async def confirm_closure(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, Response):
            return viewer
        first, last = _closure_days(request)
        if first is None or last is None:
            return RedirectResponse(f"/admin/sites/{quote(request.path_params['site'])}#closures", status_code=303)
        return await self._confirm(request, "closures", f.period(first, last, viewer.lang, viewer._),
                                   _("Remove the closure {what}?"))

    async def remove_closure(self, request: Request) -> Response:
        async def act(viewer: Viewer, site: str, document: dict[str, Any], form: f.Form) -> str:
            first, last = _closure_days(request)
            kept = [k for k in document["hours"]["closures"]
                    if (k["from"], k["to"]) != (first and first.isoformat(), last and last.isoformat())]
            if len(kept) < len(document["hours"]["closures"]):
                await self.configuration.put_hours(site, {"closures": kept}, **self._who(request, viewer))
            return "closure-removed"

        return await self._change(request, "remove-closure", act)

    async def _name_of(self, request: Request, section: str, item: str) -> str | None:
        """The name of the site's service or counter ``item``; ``None`` (the site page says the rest) if none."""
        try:
            document = await self.configuration.document(request.path_params["site"])
        except UnknownField:
            return None
        return next((x["name"] for x in document[section] if x["id"] == item), None)


# Helpers ---------------------------------------------------------------------------------------------------

def one(form: f.Form, key: str) -> str:
    return f.one(form, key)


async def _read_form(request: Request) -> f.Form:
    """A form's fields with every value of each (boxes of one group share a name); unreadable: empty."""
    try:
        return parse_qs((await read_body(request)).decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}


def _conflict(exc: Conflict, _t: f.Gettext) -> tuple[str, str]:
    """The section that says a refusal of the queue, and what it says (by the refusal's kind: the domain's
    own sentence is English, for the logs and the API)."""
    if isinstance(exc, ServiceBusy):
        return "services", _t(_("This service still has tickets waiting or at a counter: it cannot be removed now. "
                                "Remove it once they have been served, or cancel them from the supervision page."))
    if isinstance(exc, CounterWithoutService):
        return "services", _t(_("Counters would be left serving no service: {counters}. Give them another service, "
                                "or remove them, first.")).format(counters=", ".join(exc.counters))
    if isinstance(exc, CounterBusy):
        return "counters", _t(_("This counter is open, or paused with an agent at it: it cannot be removed now. "
                                "Close it first (from the counter or the supervision page)."))
    return "services", _t(_("The queue refused this change in its current state. Nothing was saved."))


def _closure_days(request: Request) -> tuple[date | None, date | None]:
    try:
        return date.fromisoformat(request.path_params["first"]), date.fromisoformat(request.path_params["last"])
    except ValueError:
        return None, None


def _local_today(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone) if f.known_zone(zone) else UTC).date()


def _region_name(region: str | None, _t: f.Gettext) -> str:
    return _t(f.REGION_NAMES[region]) if region is not None and region in f.REGION_NAMES else region or ""


def _phone_regions(_t: f.Gettext, current: str) -> list[tuple[str, str]]:
    """The phone region select's options, named in the page's language with their calling code ("Réunion
    (+262)"); ``current`` kept even when unknown (a refused value shows what was sent)."""
    options = [(t.phone, f"{_t(t.name)} (+{t.calling_code})") for t in TERRITORIES]
    return options if not current or current in dict(options) else [(current, current), *options]


def _icon_order(icon: str) -> tuple[bool, str]:
    return icon != "default", icon


def _zone_choices(viewer: Viewer, current: str) -> dict[str, Any]:
    """The time zone select's options: France's first (named), then every other one; ``current`` kept even
    when unknown (so that a refused value shows what was sent)."""
    french = [(zone, f"{viewer._(name)} — {zone}") for zone, name in f.FRENCH_ZONES]
    named = {zone for zone, _name in french}
    others = [zone for zone in f.zones() if zone not in named]
    if current and current not in named and current not in others:
        others.insert(0, current)
    return {"french": french, "others": others, "current": current}

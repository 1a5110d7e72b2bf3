"""``/admin/demandes``: the administrators' page of the request categories (French, English).

- ``GET /admin/demandes``: the collectivity's categories in their order (each one's service, whether citizens may
  choose it, the implicit decision its requests lead to, how it acknowledges them), and a form to add one or, with
  ``?category=ID``, to change it: its name, whether citizens choose it, the site whose calendar counts its dates,
  the service in charge (name, postal address, e-mail, phone), the implicit decision (none, acceptance, rejection)
  with its delay, the appeal routes, the days to answer in, and whether one e-mail is both the receipt and the
  acknowledgement of receipt.
- ``POST /admin/demandes``: the form (with the session's CSRF token), read as the API's body
  (``PUT …/request-categories/{category}``, ``intake_api.py``: the same checks, the same service call, audited). A
  saved form answers with a redirect to the page saying so; a refused one with the page again (422), what was
  typed kept, each mistake next to its field and a summary at the top, focused.

Administrators of the collectivity (an admin role at any of its sites), signed in; plain forms, no script. The
fields' look and error display are the setup pages' (``setup_macros.html``)."""

from __future__ import annotations

import hmac
import re
import unicodedata
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.errors import PlatformError
from queue_server.platform.users import Person
from queue_server.requests.service import Requests, Who
from queue_server.requests.tables import CategoryRow
from queue_server.requests.web.api import SLUG
from queue_server.requests.web.intake_api import CategoryDefinitionBody, category_row
from queue_server.web.auth import Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import actor_of, client_address, parse_json, read_form
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

PATH = "/admin/demandes"
MAX_FIELDS = 40
NUMBERS = {"cat-delay-months": 0, "cat-delay-days": 0, "cat-answer-days": 10}
# The API's field (a refusal's ``field``) -> the form's.
FIELD_OF = {"category": "cat-id", "name": "cat-name", "public": "cat-public", "site": "cat-site",
            "service.name": "cat-service-name", "service.address": "cat-service-address",
            "service.email": "cat-service-email", "service.phone": "cat-service-phone", "implicit": "cat-implicit",
            "delay": "cat-delay-months", "delay.months": "cat-delay-months", "delay.days": "cat-delay-days",
            "appeal": "cat-appeal", "answer_days": "cat-answer-days", "acknowledge_at_once": "cat-at-once"}


def field_messages(lang: str) -> dict[str, str]:
    """What to say next to each field when it is refused, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "cat-id": _("Lower-case letters, digits and dashes, 64 at most; made from the name when left empty."),
        "cat-name": _("Give the category a name (120 characters at most)."),
        "cat-public": _("This choice is not accepted."),
        "cat-site": _("Choose one of the collectivity's sites."),
        "cat-service-name": _("Name the service in charge (200 characters at most)."),
        "cat-service-address": _("Give the service's postal address or its e-mail address: the acknowledgement "
                                 "states one."),
        "cat-service-email": _("Give a valid e-mail address, or leave it empty."),
        "cat-service-phone": _("Give the service's phone number: the acknowledgement states it."),
        "cat-implicit": _("Choose what the administration's silence amounts to."),
        "cat-delay-months": _("An implicit decision occurs after a delay: give it in months, in days or both "
                              "(whole numbers)."),
        "cat-delay-days": _("Give a whole number of days, from 0 to 3650."),
        "cat-appeal": _("An implicit rejection states the appeal routes and their deadlines (2,000 characters at "
                        "most)."),
        "cat-answer-days": _("Give a whole number of business days, from 0 to 365."),
        "cat-at-once": _("This choice is not accepted."),
    }


def delay_words(months: int, days: int, lang: str) -> str:
    """``after 2 months``, ``after 1 month and 15 days``, in ``lang``."""
    t = translations(lang)
    parts = ([t.ngettext("%(num)d month", "%(num)d months", months) % {"num": months}] if months else []) + (
        [t.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}] if days or not months else [])
    _ = t.gettext
    return _("after %(delay)s") % {"delay": parts[0] if len(parts) == 1 else _("%(months)s and %(days)s") % {
        "months": parts[0], "days": parts[1]}}


def slug(name: str) -> str:
    """A category id made from its name: ``État civil`` is ``etat-civil``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:64].strip("-")


def values_of(row: CategoryRow | None) -> dict[str, str]:
    """The form's fields for ``row`` (a new category's defaults when ``None``)."""
    if row is None:
        return {"cat-public": "on", "cat-implicit": "none", "cat-delay-months": "0", "cat-delay-days": "0",
                "cat-answer-days": "10", "cat-at-once": "on"}
    return {"cat-id": row.category, "cat-name": row.name, "cat-public": "on" if row.public else "",
            "cat-site": row.site_id or "", "cat-service-name": row.service_name,
            "cat-service-address": row.service_address, "cat-service-email": row.service_email,
            "cat-service-phone": row.service_phone, "cat-implicit": row.implicit,
            "cat-delay-months": str(row.delay_months), "cat-delay-days": str(row.delay_days),
            "cat-appeal": row.appeal, "cat-answer-days": str(row.answer_days),
            "cat-at-once": "on" if row.acknowledge_at_once else ""}


def body_of(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the API's body: numbers as numbers (anything else as typed, which the body's model
    refuses naming its field), empty optional fields left out."""
    numbers: dict[str, Any] = {}
    for name, default in NUMBERS.items():
        raw = form.get(name, "").strip()
        numbers[name] = default if not raw else int(raw) if raw.isascii() and raw.isdigit() else raw
    service: dict[str, Any] = {"name": form.get("cat-service-name", ""),
                               "address": form.get("cat-service-address", ""),
                               "phone": form.get("cat-service-phone", "")}
    if form.get("cat-service-email", "").strip():
        service["email"] = form["cat-service-email"].strip()
    return {"name": form.get("cat-name", ""), "public": form.get("cat-public") == "on",
            "site": form.get("cat-site") or None, "service": service,
            "implicit": form.get("cat-implicit", "none"),
            "delay": {"months": numbers["cat-delay-months"], "days": numbers["cat-delay-days"]},
            "appeal": form.get("cat-appeal", ""), "answer_days": numbers["cat-answer-days"],
            "acknowledge_at_once": form.get("cat-at-once") == "on"}


class CategoriesPage:
    def __init__(self, auth: Authenticator, requests: Requests) -> None:
        self.auth = auth
        self.requests = requests

    def routes(self) -> list[Route]:
        return [Route(PATH, self.page, methods=["GET"]), Route(PATH, self.save, methods=["POST"])]

    async def _admin(self, request: Request) -> tuple[Person, str, str] | Response:
        """The signed-in administrator, their CSRF token and language; else the sign-in page or a 403 page."""
        found = await self.auth.session(request)
        lang = negotiate(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": PATH}), status_code=303)
        session, person = found
        if "admin" not in person.roles.values():
            _ = translations(lang).gettext
            return self._message(person, session.csrf, lang, 403,
                                 _("This page is for the administrators of the town hall."))
        return person, session.csrf, lang

    def _render(self, person: Person, csrf: str, lang: str, name: str, status: int = 200,
                **context: Any) -> HTMLResponse:
        html = templates(lang).get_template(name).render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=PATH, csrf=csrf, person=person,
            nav_roles=sorted({r for r in person.roles.values() if r}), **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def _message(self, person: Person, csrf: str, lang: str, status: int, message: str) -> HTMLResponse:
        return self._render(person, csrf, lang, "admin_demandes.html", status, categories=[], message=message,
                            values={}, errors={}, summary=[], editing="", sites=[], done="")

    async def page(self, request: Request) -> Response:
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        person, csrf, lang = admin
        categories = await self.requests.categories(person.tenant_id, staff=True)
        wanted = request.query_params.get("category", "")
        editing = next((c for c in categories if c.category == wanted), None)
        _ = translations(lang).gettext
        done = {"created": _("The category was added: its requests are acknowledged as it says from now on."),
                "saved": _("The category was saved: its new requests are acknowledged as it says now.")}.get(
            request.query_params.get("done", ""), "")
        response = await self._page(person, csrf, lang, categories, values_of(editing),
                                    editing.category if editing else "", done=done)
        if request.query_params.get("lang") == lang:
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    async def _page(self, person: Person, csrf: str, lang: str, categories: list[CategoryRow], values: dict[str, str],
                    editing: str, *, errors: dict[str, str] | None = None, done: str = "") -> HTMLResponse:
        errors = errors or {}
        sites = await self.requests.sites(person.tenant_id)
        site_names = dict(sites)
        return self._render(person, csrf, lang, "admin_demandes.html", 422 if errors else 200,
                            categories=categories, values=values, errors=errors,
                            summary=[(name, message) for name, message in errors.items()], editing=editing,
                            sites=sites, site_names=site_names, done=done, message="",
                            delays={c.category: delay_words(c.delay_months, c.delay_days, lang) for c in categories})

    async def save(self, request: Request) -> Response:
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        person, csrf, lang = admin
        form = await read_form(request, MAX_FIELDS)
        if not hmac.compare_digest(form.get("csrf", "").encode(), csrf.encode()):
            _ = translations(lang).gettext
            return self._message(person, csrf, lang, 403, _("This form has expired. Please sign in again."))
        categories = await self.requests.categories(person.tenant_id, staff=True)
        editing = form.get("editing", "")
        editing = editing if any(c.category == editing for c in categories) else ""
        category = editing or form.get("cat-id", "").strip() or slug(form.get("cat-name", ""))
        words = field_messages(lang)
        try:
            if not re.fullmatch(SLUG[1:-1], category):
                raise HTTPError(422, "category: not a category id.", "invalid-path",
                                extra={"errors": [{"field": "category", "message": "not a category id"}]})
            if not editing and any(c.category == category for c in categories):
                _ = translations(lang).gettext
                return await self._page(person, csrf, lang, categories, form, editing, errors={
                    "cat-id": _("This identifier is taken by another category: choose another.")})
            body = parse_json(orjson.dumps(body_of(form)), CategoryDefinitionBody)
            created = await self.requests.define_category(
                category_row(person.tenant_id, category, body), Who(actor_of(person), True, client_address(request)))
        except (HTTPError, PlatformError) as refused:
            return await self._page(person, csrf, lang, categories, form, editing,
                                    errors=_errors(refused, words))
        return RedirectResponse(f"{PATH}?done={'created' if created else 'saved'}#done", status_code=303)


def _errors(refused: HTTPError | PlatformError, words: dict[str, str]) -> dict[str, str]:
    """Form field -> what to say next to it, for a refusal (its fields, as the API names them)."""
    named = [item.get("field", "") for item in refused.extra.get("errors", [])] if isinstance(
        refused, HTTPError) else [refused.field]
    out: dict[str, str] = {}
    for field in named:
        name = FIELD_OF.get(field) or FIELD_OF.get(field.split(".")[0]) or "cat-name"
        out.setdefault(name, words[name])
    return out or {"cat-name": words["cat-name"]}

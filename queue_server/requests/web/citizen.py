"""The citizens' side of requests ("écrire à la mairie"): writing online, on the town hall's site or embedded in
the city's website, and the holder's page of one request. No account: the request's id is its key.

- ``GET /ecrire?tenant=T`` (``&embed=1``: the variant ``/embed.js`` frames for ``data-widget="request"``, no
  header, its height told to the page around it; ``&lang=``: ``fr`` or ``en``, else French): the form. It is a
  plain HTML form (``multipart/form-data``) that works without script; ``static/requests/ecrire.js`` checks the
  files' sizes and types before sending (the limits come from ``domain/attachments.py``) and tells the height.
- ``POST /ecrire?tenant=T``: the form read as the API reads a multipart request (``uploads.read_form``), checked
  by the API's body model and ``request_in`` (phone, SIREN), filed by ``Requests.create`` within the API's hourly
  allowance per address: no rule is written here. A refusal shows the form again with what was typed (files must
  be chosen again: no browser lets a page fill a file input) and the reason next to its field; success shows the
  reference, the date of receipt and the link to follow the request.
- ``GET /r/{id}``: the request (reference, category, status in words, dates), its public messages (never internal
  notes) and its files' names; ``POST /r/{id}``: the holder's answer with documents (``Requests.citizen_message``),
  then back to the page (303).

Each page carries its own Content-Security-Policy whose ``frame-ancestors`` are the tenant's declared websites
(``queue-server tenant origins``), in the colours and with the logo of the tenant's first site. Page reads and
posts are rate-limited per address; the pages naming a request are never cached (``Cache-Control: no-store``).

Limits: the collectivity's look is its first site's (sites are sorted by id); a request is followed in French or
English, whichever it was written in unless ``?lang=`` says otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from babel.dates import format_date, format_datetime
from markupsafe import Markup
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.db.tables import Site, SiteLogo, Tenant
from queue_server.i18n import plural_forms, translations
from queue_server.platform.errors import PlatformError
from queue_server.platform.sessions import Limits
from queue_server.requests.domain import attachments
from queue_server.requests.service import Found, Requests, Who
from queue_server.requests.tables import RequestRow
from queue_server.requests.web.api import MAX_TEXT, RequestBody, RequestsApi, Text, request_in
from queue_server.requests.web.uploads import FILES_FIELD, discard, read_form
from queue_server.web.errors import HTTPError
from queue_server.web.headers import content_security_policy
from queue_server.web.http import Body, client_address, parse_json, plausible_id, rate_limit
from queue_server.web.i18n import COOKIE, templates
from queue_server.web.theme import theme

PAGE_LANGUAGES = ("fr", "en")
READS_PER_MINUTE = 120
FORM = ("category", "subject", "body", "first_name", "last_name", "email", "phone", "address", "organisation",
        "organisation_number")
# The API's field (a refusal's ``field``) -> the form's field it is shown next to.
FIELD_OF = {"person.first_name": "first_name", "person.last_name": "last_name", "person.email": "email",
            "person.phone": "phone", "person.address": "address", "organisation.name": "organisation",
            "organisation": "organisation_number", "organisation.siren": "organisation_number",
            "organisation.rna": "organisation_number", "category": "category", "subject": "subject", "body": "body"}


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def page_language(request: Request, default: str | None = None) -> str:
    """``?lang=`` (its language part: ``fr-FR`` is ``fr``), else ``default``, else the ``lang`` cookie, else
    French."""
    for chosen in (request.query_params.get("lang"), default, request.cookies.get(COOKIE)):
        if chosen:
            language = chosen.split("-")[0].split("_")[0].lower()
            if language in PAGE_LANGUAGES:
                return language
    return PAGE_LANGUAGES[0]


def field_messages(lang: str) -> dict[str, str]:
    """What to say next to each field of the form when it is refused."""
    _ = translations(lang).gettext
    return {
        "category": _("Choose what your request is about."),
        "subject": _("Give your request a subject (200 characters at most)."),
        "body": _("Write your message (10,000 characters at most)."),
        "first_name": _("Give your first name."),
        "last_name": _("Give your last name."),
        "email": _("Give a valid e-mail address, such as name@example.fr."),
        "phone": _("This is not a valid phone number. Check it, or leave it empty."),
        "address": _("Check this postal address (300 characters at most), or leave it empty."),
        "organisation": _("Give the name of the company or association."),
        "organisation_number": _("Give a valid SIREN number (9 digits) or RNA number (W and 9 digits)."),
    }


def file_messages(lang: str) -> dict[str, Any]:
    """What to say about files: before sending (the script's checks) and when the server refuses one."""
    _ = translations(lang).gettext
    return {
        "type": _("“{name}” is not a PDF, JPEG, PNG, ODT or DOCX file. Choose another file."),
        "size": _("“{name}” is larger than 10 MB. Choose a smaller file."),
        "count": plural_forms(lang, "You may attach {n} file at most.", "You may attach {n} files at most."),
        "again": _("For your safety, choose your files again before sending."),
    }


def _format_day(day: date, lang: str) -> str:
    return format_date(day, "d MMMM y", locale=lang)


@dataclass(frozen=True, slots=True)
class Look:
    """How a collectivity's pages look and who may frame them: its name, websites, colours and logo."""

    tenant: str
    name: str
    origins: tuple[str, ...]
    colours: dict[str, str]
    logo: str | None
    zone: str


class CitizenRequests:
    """The pages, made in the lifespan with the requests' service and API (whose rules they use)."""

    def __init__(self, requests: Requests, api: RequestsApi, limits: Limits) -> None:
        self.requests = requests
        self.api = api
        self.limits = limits

    def routes(self) -> list[Route]:
        return [
            Route("/ecrire", self.write, methods=["GET", "POST"]),
            Route("/r/{request}", self.follow, methods=["GET", "POST"]),
        ]

    async def _look(self, tenant: str) -> Look | None:
        async with self.requests.db() as session:
            row = await session.get(Tenant, tenant)
            if row is None:
                return None
            site = (await session.exec(select(Site).where(col(Site.tenant_id) == tenant).order_by(
                col(Site.id)))).first()
            version = None
            if site is not None:
                version = (await session.exec(select(SiteLogo.version).where(
                    col(SiteLogo.site_id) == site.id))).first()
        colours = theme((site.colours[0], site.colours[1]) if site is not None and len(site.colours) >= 2
                        else ("", ""))
        logo = f"/sites/{site.id}/logo?v={version}" if site is not None and version else None
        return Look(tenant, row.name, tuple(o.rstrip("/") for o in row.website_origins), colours, logo,
                    site.timezone if site is not None else "Europe/Paris")

    def _page(self, template: str, lang: str, look: Look | None, status: int = 200, embed: bool = False,
              **context: Any) -> HTMLResponse:
        data = {"lang": lang, "embed": embed, "origins": list(look.origins) if look else [],
                "max_bytes": attachments.MAX_BYTES, "max_files": attachments.MAX_FILES,
                "extensions": sorted({*attachments.ALLOWED.values(), "jpeg"}),
                "strings": file_messages(lang)}
        html = templates(lang).get_template(template).render(
            lang=lang, look=look, colours=look.colours if look else theme(("", "")), embed=embed,
            max_files=attachments.MAX_FILES,
            data=json_block(data), **context)
        headers = {"Content-Security-Policy": content_security_policy(look.origins if look else ()),
                   "Cache-Control": "no-store"}
        return HTMLResponse(html, status, headers=headers)

    async def _count(self, request: Request) -> None:
        await rate_limit(self.limits, f"request-page:{client_address(request)}", READS_PER_MINUTE, "This address")

    # /ecrire ------------------------------------------------------------------------------------------------

    async def write(self, request: Request) -> Response:
        await self._count(request)
        lang = page_language(request)
        embed = request.query_params.get("embed") == "1"
        tenant = request.query_params.get("tenant", "")
        look = await self._look(tenant) if plausible_id(tenant) else None
        if look is None:
            return self._page("requests_gone.html", lang, None, 404, embed, what="tenant")
        categories = await self.requests.categories(tenant, staff=False)
        values = dict.fromkeys(FORM, "")
        if request.method == "GET":
            return self._form(lang, look, embed, categories, values, {}, "")
        errors: dict[str, str] = {}
        general = ""
        files: list[Any] = []
        sent_files = False
        try:
            await self.api.count_online(request)
            form = await read_form(request, self.requests.spool, fields=values)
            files = form.files
            sent_files = bool(files)
            body = parse_json(orjson.dumps(self._body(values, lang)), RequestBody)
            found = await self.requests.create(tenant, request_in(body, files), Who("citizen", False,
                                               client_address(request)), str(request.base_url))
        except (HTTPError, PlatformError) as refused:
            sent_files = sent_files or refused_file(refused)
            errors, general = self._said(refused, lang)
            return self._form(lang, look, embed, categories, values, errors, general, sent_files,
                              status=refused.status if refused.status in (413, 429) else 422)
        finally:
            discard(files)
        return self._done(lang, look, embed, found, str(request.base_url))

    @staticmethod
    def _body(values: dict[str, str], lang: str) -> dict[str, Any]:
        """The form's fields as the API's body: empty optional fields left out."""
        person: dict[str, Any] = {"first_name": values["first_name"], "last_name": values["last_name"],
                                  "email": values["email"].strip()}
        for name in ("phone", "address"):
            if values[name].strip():
                person[name] = values[name]
        body: dict[str, Any] = {"category": values["category"], "subject": values["subject"],
                                "body": values["body"], "person": person, "lang": lang}
        number = values["organisation_number"].replace(" ", "").upper()
        if values["organisation"].strip() or number:
            organisation: dict[str, Any] = {"name": values["organisation"]}
            if number:
                organisation["rna" if number.startswith("W") else "siren"] = number
            body["organisation"] = organisation
        return body

    def _said(self, refused: HTTPError | PlatformError, lang: str) -> tuple[dict[str, str], str]:
        """(form field -> what to say next to it, what to say above the form) for a refusal."""
        _ = translations(lang).gettext
        words = field_messages(lang)
        errors: dict[str, str] = {}
        if isinstance(refused, HTTPError):
            for item in refused.extra.get("errors", []):
                name = FIELD_OF.get(item.get("field", ""), FIELD_OF.get(item.get("field", "").split(".")[0], ""))
                if name and name not in errors:
                    errors[name] = words[name]
            if refused.status == 429:
                return {}, _("Too many requests were sent from this connection. Please try again in an hour, "
                             "or write to the town hall by e-mail or by post.")
            if not errors:
                return {}, _("Your request could not be sent. Check the form and try again.")
            return errors, _("Your request could not be sent yet: check the fields marked below.")
        field = refused.field
        if field.startswith(FILES_FIELD):
            files = file_messages(lang)
            name = _quoted_name(refused.message)
            if refused.kind == "file-too-large":
                errors[FILES_FIELD] = files["size"].replace("{name}", name)
            elif refused.kind == "too-many-files":
                errors[FILES_FIELD] = files["count"]["other"].replace("{n}", str(attachments.MAX_FILES))
            else:
                errors[FILES_FIELD] = files["type"].replace("{name}", name)
        else:
            name = FIELD_OF.get(field, "")
            if name:
                errors[name] = words[name]
        if not errors:
            return {}, _("Your request could not be sent. Please try again in a moment.")
        return errors, _("Your request could not be sent yet: check the fields marked below.")

    def _form(self, lang: str, look: Look, embed: bool, categories: list[Any], values: dict[str, str],
              errors: dict[str, str], general: str, sent_files: bool = False, status: int = 200) -> HTMLResponse:
        return self._page("ecrire.html", lang, look, status, embed, categories=categories, values=values,
                          errors=errors, general=general, sent_files=sent_files, max_text=MAX_TEXT)

    def _done(self, lang: str, look: Look, embed: bool, found: Found, base_url: str) -> HTMLResponse:
        row = found.row
        link = f"{base_url.rstrip('/')}/r/{row.id}"
        return self._page("ecrire_done.html", lang, look, 201, embed, row=row, link=link,
                          received=_format_day(row.received_on, lang), files=len(found.attachments))

    # /r/{id} ------------------------------------------------------------------------------------------------

    async def follow(self, request: Request) -> Response:
        await self._count(request)
        request_id = request.path_params["request"]
        row = None
        if plausible_id(request_id):
            async with self.requests.db() as session:
                row = await session.get(RequestRow, request_id)
        lang = page_language(request, row.lang if row is not None else None)
        look = await self._look(row.tenant_id) if row is not None else None
        if row is None or look is None:
            return self._page("requests_gone.html", lang, None, 404, what="request")
        value, error, status = "", "", 200
        if request.method == "POST":
            files: list[Any] = []
            fields = {"body": ""}
            try:
                form = await read_form(request, self.requests.spool, fields=fields)
                files = form.files
                value = fields["body"]
                answer = parse_json(orjson.dumps({"body": value}), AnswerBody)
                await self.requests.citizen_message(row.tenant_id, row.id, answer.body, files,
                                                    Who("citizen", False, client_address(request)))
            except (HTTPError, PlatformError) as refused:
                value = fields["body"]
                status = refused.status if refused.status in (409, 413) else 422
                error = self._answer_refused(refused, lang)
            else:
                back = f"/r/{row.id}?sent=1" + (f"&lang={lang}" if "lang" in request.query_params else "")
                return RedirectResponse(back, 303, headers={"Cache-Control": "no-store"})
            finally:
                discard(files)
        found = await self.requests.get(row.tenant_id, row.id)
        return self._page("request_follow.html", lang, look, status, **await self._shown(found, look, lang),
                          value=value, error=error, sent=request.query_params.get("sent") == "1",
                          max_text=MAX_TEXT)

    def _answer_refused(self, refused: HTTPError | PlatformError, lang: str) -> str:
        _ = translations(lang).gettext
        if isinstance(refused, PlatformError) and refused.field.startswith(FILES_FIELD):
            return self._said(refused, lang)[0].get(FILES_FIELD, "")
        if refused.status == 409:
            return _("This request is closed: it takes no more messages. To write again, send a new request.")
        return _("Write your message (10,000 characters at most).")

    async def _shown(self, found: Found, look: Look, lang: str) -> dict[str, Any]:
        """What the holder's page shows: public messages only (an allow-list), with their files' names."""
        _ = translations(lang).gettext
        row = found.row
        zone = ZoneInfo(look.zone)
        states = {"received": _("Received, not yet taken up"), "in_progress": _("Being handled"),
                  "waiting_citizen": _("Waiting for your answer"), "closed": _("Closed")}
        public = [m for m in found.messages if not m.internal]
        files_of: dict[int | None, list[str]] = {}
        for a in found.attachments:
            files_of.setdefault(a.message_id, []).append(a.filename)
        messages = [{"mine": m.author == "citizen", "at": _when(m.at, zone, lang), "body": m.body,
                     "files": files_of.get(m.id, [])} for m in public]
        return {"row": row, "state": states.get(row.status, row.status), "category": await self._category_name(row),
                "received": _format_day(row.received_on, lang), "updated": _when(row.updated_at, zone, lang),
                "messages": messages, "open": row.status != "closed"}


    async def _category_name(self, row: RequestRow) -> str:
        names = {c.category: c.name for c in await self.requests.categories(row.tenant_id, staff=True)}
        return names.get(row.category, row.category)


class AnswerBody(Body):
    """The holder's answer: a text, as a message's."""

    body: Text


def _when(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    pattern = "d MMMM y 'à' H 'h' mm" if lang == "fr" else "d MMMM y, h:mm a"
    return format_datetime(moment.astimezone(zone), pattern, locale=lang)


def refused_file(refused: HTTPError | PlatformError) -> bool:
    return isinstance(refused, PlatformError) and refused.field.startswith(FILES_FIELD)


def _quoted_name(message: str) -> str:
    """The file's name the API's message quotes (``'scan.pdf' is larger…``)."""
    if message[:1] in "'\"":
        end = message.find(message[0], 1)
        while end != -1 and message[end + 1:end + 2] not in (" ", ""):
            end = message.find(message[0], end + 1)
        if end > 0:
            return message[1:end]
    return ""

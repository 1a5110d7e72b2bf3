"""The requests' endpoints (API.md "Requests"), under ``/api/v1/tenants/{tenant}/``: they parse, call
``Requests`` and answer.

Who may do what: anyone lists the public categories and files a request (JSON, or a multipart form with its
files; rate-limited per address); staff of the collectivity (agents, supervisors, administrators, or their
devices' staff tokens) file one in any category and say how it came (``channel``), list requests, write messages,
change statuses, assign, transmit and merge them (``handling.py``) and read the reply templates; supervisors and
administrators read the overdue summary and write the reply templates; anyone holding a request's id reads it,
public messages only. Another collectivity is unknown (404), like a request of another one."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, ConfigDict, EmailStr, Field, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import Response
from stdnum.fr import siren as stdnum_siren

from queue_server.platform.sessions import Limits
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.requests.domain.status import STATUSES, Status
from queue_server.requests.errors import Refusal, unknown_request, unknown_tenant
from queue_server.requests.handling import Handling, Late, TemplateIn, Transmission, builtin_templates
from queue_server.requests.links import Ref
from queue_server.requests.service import Found, Incoming, OrganisationIn, PersonIn, RequestIn, Requests, Who
from queue_server.requests.tables import RequestAttachment, RequestMessage, RequestTemplate
from queue_server.requests.web.uploads import discard, read_form
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator, bearer
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    MAX_PHONE_CHARS,
    PHONE_SHAPE,
    WHITE_SPACE,
    Body,
    Matches,
    actor_of,
    char_class,
    client_address,
    json_response,
    parse_body,
    parse_json,
    plausible_id,
    rate_limit,
    read_body,
    route,
    whole_number,
    without_space_around,
)

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
NOT_BLANK = rf"^[^\u0000]*{char_class(WHITE_SPACE + chr(0), negated=True)}[^\u0000]*$"
MAX_TEXT = 10_000  # a request's or a message's text, in characters
# A JSON body of MAX_TEXT characters each written as a 6-byte escape, with the rest of the request around it.
MAX_JSON_BYTES = 128 * 1024
READS_PER_MINUTE = 120  # a holder's reads of their request, per address
MAX_QUERY = 200  # characters of a search (``q``)
NOBODY = " "  # in charge of nothing: no login has a space (users.normalise_login)

Name = Annotated[str, Field(max_length=100), Matches(NOT_BLANK, "a name needs more than white space"),
                 AfterValidator(without_space_around)]
OrgName = Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a name needs more than white space"),
                    AfterValidator(without_space_around)]
Subject = Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a subject needs more than white space"),
                    AfterValidator(without_space_around)]
Text = Annotated[str, Field(max_length=MAX_TEXT), Matches(NOT_BLANK, "a text needs more than white space"),
                 AfterValidator(without_space_around)]
Address = Annotated[str, Field(max_length=300), Matches(NOT_BLANK, "an address needs more than white space"),
                    AfterValidator(without_space_around)]
Phone = Annotated[str, Field(min_length=1, max_length=MAX_PHONE_CHARS, json_schema_extra={"format": "mobile-phone"},
                             description="a phone number, national (read in France) or international; one of this "
                                         "shape that is no valid number is refused with 422 invalid-phone"),
                  Matches(PHONE_SHAPE, "not a valid phone number")]
Siren = Annotated[str, Field(pattern=r"^[0-9]{9}$", description=(
    "a company's 9 digits; one whose Luhn key is wrong is refused with 422 invalid-siren"))]
Rna = Annotated[str, Field(pattern=r"^W[0-9]{9}$", description="an association's RNA number: W and 9 digits")]
Language = Literal["fr", "en", "es", "ar", "de", "it", "pt"]


class RequestPerson(Body):
    first_name: Name
    last_name: Name
    email: EmailStr | None = Field(None, description="required online and by e-mail (422 sender-incomplete); staff "
                                                     "entering a letter, a call or a visit may leave it out when "
                                                     "there is a postal address")
    phone: Phone | None = None
    address: Address | None = Field(None, description="postal address; required for a letter (channel postal)")


class RequestOrganisation(Body):
    name: OrgName
    siren: Siren | None = Field(None, description="a company's; an organisation gives its SIREN or its RNA number, "
                                                  "not both (422 sender-incomplete)")
    rna: Rna | None = None


class RequestBody(Body):
    category: str = Field(pattern=SLUG, description="a category's id (GET …/request-categories); any other is "
                                                    "refused with 422 unknown-category")
    subject: Subject
    body: Text
    person: RequestPerson
    organisation: RequestOrganisation | None = None
    channel: Literal["postal", "phone", "counter"] | None = Field(
        None, description="staff only (403 otherwise): how the request came; left out: the website")
    lang: Language = Field("fr", description="the language the sender is written to in")
    received_on: date | None = Field(
        None, description="staff entering a letter (channel postal) only: the day the town hall received it, at most "
                          "60 days ago and not in the future (the site's calendar); left out: today. Any other use "
                          "is refused with 422 invalid-receipt-date")


class RequestMessageBody(Body):
    body: Text
    internal: StrictBool = Field(False, description="an internal note, which the citizen never sees; false: a "
                                                    "reply, e-mailed to the citizen with the reference in its subject")


class RequestStatusBody(Body):
    status: Literal["in_progress", "waiting_citizen", "closed"]


Login = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e\u00a1-\uffff]+$",
                             description="a staff member's login (their e-mail address or short name)")]
TenantId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
                                description="a collectivity of this installation, by its id")]
Reason = Annotated[str, Field(max_length=2000), Matches(NOT_BLANK, "a reason needs more than white space"),
                   AfterValidator(without_space_around)]
TemplateTitle = Annotated[str, Field(max_length=120), Matches(NOT_BLANK, "a title needs more than white space"),
                          AfterValidator(without_space_around)]


class RequestAssigneeBody(Body):
    assignee: Login | None = Field(description="the staff member in charge, or null for nobody; a login that is no "
                                               "staff member's of the collectivity is refused with 422 unknown-user")


class RequestTransmitBody(Body):
    """Where the request goes; ``to`` or ``tenant`` at least."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"anyOf": [{"required": ["to"]}, {"required": ["tenant"]}]})
    to: OrgName = Field(None, description="the competent administration's name; left out: the collectivity's "
                                          "(tenant)")  # type: ignore[assignment]
    email: EmailStr = Field(None, description="its e-mail address: the request is e-mailed to it"
                            )  # type: ignore[assignment]
    reason: Reason = Field(None, description="why it goes there, told to the citizen")  # type: ignore[assignment]
    tenant: TenantId = Field(None, description=(
        "a collectivity of this installation, where the request is filed again (its own reference and "
        "acknowledgement); any other is refused with 422 unknown-administration"))  # type: ignore[assignment]
    category: str = Field(None, pattern=SLUG, description=(
        "the category there; left out: the request's own if it has it, else its first"))  # type: ignore[assignment]


class RequestMergeBody(Body):
    into: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$", description=(
        "the request kept, by its id or reference; a request of another collectivity, or none, is refused with 422 "
        "unknown-request"))


class RequestTemplateBody(Body):
    title: TemplateTitle
    body: Text = Field(description="the text, with {name}, {reference}, {subject}, {service}, {due} and {agent} "
                                   "filled for the request; another {placeholder} is refused with 422 "
                                   "unknown-placeholder")
    position: Annotated[StrictInt, Field(ge=0, le=999), BeforeValidator(whole_number)] = Field(
        0, description="its place in the list, smallest first (the built-in ones: 1, 2, 3)")
    lang: Language = Field("fr", description="the language of the replies it starts")


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def message_view(message: RequestMessage) -> dict[str, Any]:
    return {"at": _iso(message.at), "from": message.author, "body": message.body, "internal": message.internal}


def _attachment_view(a: RequestAttachment) -> dict[str, Any]:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}


def _ref_view(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"tenant": ref.tenant, "reference": ref.reference}


def request_view(found: Found, *, staff: bool) -> dict[str, Any]:
    """A Request (API.md) as staff read it (every message, the sender, the agent in charge, the requests it is
    linked to) or its holder (public messages only, the service and where it went: built from an allow-list)."""
    row, links = found.row, found.links
    shown = [m for m in found.messages if staff or not m.internal]
    public_ids = {m.id for m in shown}
    view: dict[str, Any] = {
        "id": row.id, "reference": row.reference, "category": row.category, "subject": row.subject,
        "status": row.status, "received_at": _iso(row.received_at), "channel": row.channel,
        "due_on": row.due_on.isoformat(), "service": links.service,
        "acknowledged_at": _iso(row.acknowledged_at) if row.acknowledged_at is not None else None,
        "messages": [message_view(m) for m in shown],
        "attachments": [_attachment_view(a) for a in found.attachments
                        if a.message_id is None or a.message_id in public_ids],
        "transmitted_to": row.transmitted_to,
        "merged_into": None if links.merged_into is None else (
            {"id": links.merged_into.id, "reference": links.merged_into.reference} if staff
            else {"reference": links.merged_into.reference}),
    }
    if staff:
        view["person"] = {"first_name": row.first_name, "last_name": row.last_name, "email": row.email,
                          "phone": row.phone, "address": row.address}
        view["organisation"] = None if row.organisation is None else {
            "name": row.organisation, "siren": row.siren, "rna": row.rna}
        view["party"] = row.party  # the citizen record's party staff linked it to (parties.py), or None
        view["assignee"] = row.assignee
        view["transmission"] = _ref_view(links.transmission)
        view["transmitted_from"] = _ref_view(links.transmitted_from)
        view["merged"] = [{"id": d.row.id, "reference": d.row.reference, "subject": d.row.subject,
                           "received_at": _iso(d.row.received_at), "messages": [message_view(m) for m in d.messages],
                           "attachments": [_attachment_view(a) for a in d.attachments]} for d in links.merged]
    return view


def late_view(late: Late) -> dict[str, Any]:
    return {"id": late.id, "reference": late.reference, "service": late.service, "due_on": late.due_on.isoformat(),
            "assignee": late.assignee, "days_late": late.days_late}


def template_view(template: RequestTemplate | TemplateIn) -> dict[str, Any]:
    """A reply template; a built-in one has no id."""
    return {"id": getattr(template, "id", None), "title": template.title, "body": template.body,
            "position": template.position, "lang": template.lang}


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Refusal(422, "person.phone: not a valid phone number.", "invalid-phone", "person.phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def request_in(body: RequestBody, files: list[Incoming]) -> RequestIn:
    """What a citizen's form filed online asks (the page ``/ecrire``): the body's fields as the service takes them,
    the phone in E.164 and the SIREN's key checked as the API does (422 ``invalid-phone``, ``invalid-siren``)."""
    return RequestIn(
        category=body.category, subject=body.subject, body=body.body,
        person=_person_in(body.person),
        organisation=None if body.organisation is None else OrganisationIn(
            body.organisation.name, _siren(body.organisation.siren), body.organisation.rna),
        channel="web", lang=body.lang, files=files, received_on=body.received_on)


class RequestsApi:
    def __init__(self, auth: Authenticator, requests: Requests, limits: Limits, *,
                 requests_per_address_per_hour: int = 10) -> None:
        self.auth = auth
        self.requests = requests
        self.limits = limits
        self.per_hour = requests_per_address_per_hour
        self.handling = Handling(requests)

    def routes(self) -> list[Any]:
        base = "/api/v1/tenants/{tenant}"
        one = base + "/requests/{request}"
        return [
            route(base + "/request-categories", get=self.categories),
            route(base + "/requests", post=self.create, get=self.listed),
            route(base + "/requests/overdue", get=self.overdue),  # before "/requests/{request}"
            route(one, get=self.read),
            route(one + "/messages", post=self.message),
            route(one + "/status", post=self.status),
            route(one + "/assignee", post=self.assignee),
            route(one + "/transmit", post=self.transmit),
            route(one + "/merge", post=self.merge),
            route(base + "/request-templates", get=self.templates, post=self.add_template),
            route(base + "/request-templates/{template}", put=self.put_template, delete=self.delete_template),
        ]

    # Who asks --------------------------------------------------------------------------------------------

    async def _tenant(self, request: Request) -> str:
        tenant = str(request.path_params["tenant"])
        if not plausible_id(tenant):
            raise unknown_tenant()
        await self.requests.tenant_name(tenant)
        return tenant

    @staticmethod
    def _is_staff(caller: Principal | Person, tenant: str) -> bool:
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        return caller.tenant_id == tenant and bool(roles & STAFF)

    async def _staff(self, request: Request) -> tuple[Principal | Person, str]:
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        if not self._is_staff(caller, tenant):
            raise HTTPError(403, "Only staff of the collectivity may do this.", "wrong-role")
        return caller, tenant

    async def _supervisor(self, request: Request) -> tuple[Principal | Person, str]:
        caller, tenant = await self._staff(request)
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not roles & SUPERVISORS:
            raise HTTPError(403, "Only supervisors and administrators of the collectivity may do this.", "wrong-role")
        return caller, tenant

    async def _maybe_staff(self, request: Request) -> tuple[Principal | Person | None, str]:
        """The staff member asking, or ``None`` for anyone else (a citizen: no credentials; a kiosk; another
        collectivity's staff)."""
        tenant = await self._tenant(request)
        if bearer(request) is None and "guichet_session" not in request.cookies:
            return None, tenant
        caller = await self.auth.caller(request)
        return (caller if self._is_staff(caller, tenant) else None), tenant

    async def _hourly_limit(self, request: Request) -> None:
        """``requests_per_address_per_hour`` requests filed online from one address in an hour; beyond, 429."""
        wait = await self.limits.hit(f"requests-filed:{client_address(request)}", self.per_hour, 3600)
        if wait is not None:
            raise HTTPError(429, f"This address may file {self.per_hour} requests an hour; try again in {wait} s.",
                            "rate-limited", {"Retry-After": str(wait)})

    async def count_online(self, request: Request) -> None:
        """A request filed online by the citizens' page counts against the address's hourly allowance (429)."""
        await self._hourly_limit(request)

    def _who(self, request: Request, caller: Principal | Person | None) -> Who:
        return Who(actor_of(caller) if caller is not None else "citizen", caller is not None, client_address(request))

    # Endpoints -------------------------------------------------------------------------------------------

    async def categories(self, request: Request) -> Response:
        caller, tenant = await self._maybe_staff(request)
        rows = await self.requests.categories(tenant, staff=caller is not None)
        return json_response([{"id": row.category, "name": row.name} for row in rows])

    async def create(self, request: Request) -> Response:
        caller, tenant = await self._maybe_staff(request)
        if caller is None:
            await self._hourly_limit(request)
        content_type = request.headers.get("content-type", "").lower()
        files = []
        try:
            if content_type.startswith("multipart/"):
                form = await read_form(request, self.requests.spool)
                files = form.files
                body = parse_json(form.data, RequestBody)
            else:
                body = parse_json(await read_body(request, MAX_JSON_BYTES), RequestBody)
            if body.channel is not None and caller is None:
                raise HTTPError(403, "Only staff say how a request came (channel).", "wrong-role")
            new = RequestIn(
                category=body.category, subject=body.subject, body=body.body,
                person=_person_in(body.person),
                organisation=None if body.organisation is None else OrganisationIn(
                    body.organisation.name, _siren(body.organisation.siren), body.organisation.rna),
                channel=body.channel or "web", lang=body.lang, files=files, received_on=body.received_on)
            found = await self.requests.create(tenant, new, self._who(request, caller), str(request.base_url))
        finally:
            discard(files)  # what a request took was moved; the rest goes
        return json_response(request_view(found, staff=caller is not None), 201)

    async def listed(self, request: Request) -> Response:
        caller, tenant = await self._staff(request)
        params = request.query_params
        state = params.get("status")
        if state is not None and state not in STATUSES:
            raise HTTPError(422, "status: one of received, in_progress, waiting_citizen, closed.", "invalid-query",
                            extra={"errors": [{"field": "status", "message": "an unknown status"}]})
        category = params.get("category")
        if category is not None and not re.fullmatch(SLUG[1:-1], category):
            raise HTTPError(422, "category: a category's id (lower-case letters, digits and dashes).",
                            "invalid-query", extra={"errors": [{"field": "category", "message": "not a category id"}]})
        text = params.get("q", "")
        if len(text) > MAX_QUERY:
            raise HTTPError(422, f"q: {MAX_QUERY} characters at most.", "invalid-query",
                            extra={"errors": [{"field": "q", "message": "too long"}]})
        overdue = params.get("overdue", "false")
        if overdue not in ("true", "false"):
            raise HTTPError(422, "overdue: true or false.", "invalid-query",
                            extra={"errors": [{"field": "overdue", "message": "true or false"}]})
        found = await self.requests.listed(tenant, state=state, category=category, text=text,
                                           overdue=overdue == "true",
                                           assignee=_assignee_query(params.get("assignee"), caller))
        return json_response({"items": [request_view(f, staff=True) for f in found]})

    async def read(self, request: Request) -> Response:
        caller, tenant = await self._maybe_staff(request)
        if caller is None:
            await rate_limit(self.limits, f"request-read:{client_address(request)}", READS_PER_MINUTE,
                             "This address")
        request_id = request.path_params["request"]
        if not plausible_id(request_id):
            raise unknown_request()
        return json_response(request_view(await self.requests.get(tenant, request_id), staff=caller is not None))

    async def message(self, request: Request) -> Response:
        caller, tenant = await self._staff(request)
        request_id = request.path_params["request"]
        body = await parse_body(request, RequestMessageBody, limit=MAX_JSON_BYTES)
        if not plausible_id(request_id):
            raise unknown_request()
        message = await self.requests.add_message(tenant, request_id, body.body, body.internal,
                                                  self._who(request, caller), str(request.base_url))
        return json_response(message_view(message), 201)

    async def status(self, request: Request) -> Response:
        caller, tenant = await self._staff(request)
        request_id = request.path_params["request"]
        body = await parse_body(request, RequestStatusBody)
        if not plausible_id(request_id):
            raise unknown_request()
        wanted: Status = body.status
        found = await self.requests.set_status(tenant, request_id, wanted, self._who(request, caller))
        return json_response(request_view(found, staff=True))


    # Handling (``handling.py``) -------------------------------------------------------------------------

    async def _one(self, request: Request) -> tuple[Principal | Person, str, str]:
        caller, tenant = await self._staff(request)
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        return caller, tenant, request_id

    async def assignee(self, request: Request) -> Response:
        """``POST …/requests/{id}/assignee`` ``{"assignee": login | null}``: 200 Request."""
        caller, tenant, request_id = await self._one(request)
        body = await parse_body(request, RequestAssigneeBody)
        found = await self.handling.assign(tenant, request_id, body.assignee, self._who(request, caller))
        return json_response(request_view(found, staff=True))

    async def transmit(self, request: Request) -> Response:
        """``POST …/requests/{id}/transmit``: the request goes to the competent administration (CRPA L114-2) and
        is closed; 200 Request."""
        caller, tenant, request_id = await self._one(request)
        body = await parse_body(request, RequestTransmitBody)
        order = Transmission(to=body.to, email=str(body.email).lower() if body.email else None,
                             reason=body.reason or "", tenant=body.tenant, category=body.category)
        found = await self.handling.transmit(tenant, request_id, order, self._who(request, caller),
                                             str(request.base_url))
        return json_response(request_view(found, staff=True))

    async def merge(self, request: Request) -> Response:
        """``POST …/requests/{id}/merge`` ``{"into"}``: the request, a duplicate, is merged into another and
        closed; 200 Request (the duplicate)."""
        caller, tenant, request_id = await self._one(request)
        body = await parse_body(request, RequestMergeBody)
        found = await self.handling.merge(tenant, request_id, body.into, self._who(request, caller),
                                          str(request.base_url))
        return json_response(request_view(found, staff=True))

    async def overdue(self, request: Request) -> Response:
        """``GET …/requests/overdue``: ``{"count", "items"}``, the most late first (supervisors)."""
        _caller, tenant = await self._supervisor(request)
        count, late = await self.handling.overdue(tenant)
        return json_response({"count": count, "items": [late_view(item) for item in late]})

    async def templates(self, request: Request) -> Response:
        """``GET …/request-templates``: the tenant's reply templates, or the built-in ones (``"builtin": true``,
        in French, without ids) while it has none."""
        _caller, tenant = await self._staff(request)
        rows = await self.handling.templates(tenant)
        items = [template_view(t) for t in (rows or builtin_templates("fr"))]
        return json_response({"items": items, "builtin": not rows})

    async def add_template(self, request: Request) -> Response:
        caller, tenant = await self._supervisor(request)
        body = await parse_body(request, RequestTemplateBody, limit=MAX_JSON_BYTES)
        row = await self.handling.add_template(tenant, _template_in(body), self._who(request, caller))
        return json_response(template_view(row), 201)

    async def put_template(self, request: Request) -> Response:
        caller, tenant = await self._supervisor(request)
        body = await parse_body(request, RequestTemplateBody, limit=MAX_JSON_BYTES)
        row = await self.handling.put_template(tenant, _template_id(request), _template_in(body),
                                               self._who(request, caller))
        return json_response(template_view(row))

    async def delete_template(self, request: Request) -> Response:
        caller, tenant = await self._supervisor(request)
        await self.handling.delete_template(tenant, _template_id(request), self._who(request, caller))
        return Response(status_code=204)


def _template_in(body: RequestTemplateBody) -> TemplateIn:
    return TemplateIn(body.title, body.body, body.position, body.lang)


def _template_id(request: Request) -> int:
    raw = str(request.path_params["template"])
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # an INTEGER column holds 9 digits
        raise Refusal(404, "No such reply template.", "unknown-template")
    return int(raw)


def _assignee_query(value: str | None, caller: Principal | Person) -> str | None:
    """``?assignee=``: ``me`` (the signed-in person; a device's token, being nobody, ``NOBODY``), ``none``
    (nobody: ``""``) or a login (printable ASCII: another is not found this way); left out: ``None``."""
    if value is None:
        return None
    if not re.fullmatch(r"[\x21-\x7e]{1,200}", value):
        raise HTTPError(422, "assignee: me, none or a login.", "invalid-query",
                        extra={"errors": [{"field": "assignee", "message": "me, none or a login"}]})
    if value == "none":
        return ""
    if value == "me":
        return caller.login if isinstance(caller, Person) else NOBODY
    return value.lower()


def _person_in(person: RequestPerson) -> PersonIn:
    """The sender as the service takes them: the e-mail address in lower case, the phone in E.164 (422
    ``invalid-phone``)."""
    return PersonIn(person.first_name, person.last_name, str(person.email).lower() if person.email else None,
                    _e164(person.phone) if person.phone else None, person.address)


def _siren(value: str | None) -> str | None:
    if value is not None and not stdnum_siren.is_valid(value):
        raise Refusal(422, "organisation.siren: this SIREN's check digit is wrong.", "invalid-siren",
                      "organisation.siren")
    return value

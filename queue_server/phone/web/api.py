"""The phone desk's endpoints, under ``/api/v1/tenants/{tenant}/phone/``: they parse, call ``Phone`` and answer.

- ``POST …/phone/calls`` (staff): 201 Call, logged, ended now (``PhoneCallBody``: the outcome says what more it
  takes);
- ``GET …/phone/calls?party=&mine=&limit=`` (staff): 200 ``{"items": [Call]}``, newest first;
- ``GET …/phone/calls/{call}`` (staff): 200 Call (audited: it names a person);
- ``GET …/phone/callbacks?mine=&service=&overdue=&status=`` (staff; ``overdue=true``: supervisors): 200
  ``{"items": [Callback], "now"}``, overdue first;
- ``POST …/phone/callbacks/{callback}/done`` (staff): 200 Callback; 409 ``already-done``;
- ``GET …/phone/reasons`` (staff), ``PUT`` (admin): 200 ``{"reasons": [{"id", "name"}]}``;
- ``GET …/phone/purges`` (admin): 200 the retention's deletion reports.

Another collectivity is unknown (404), like a call of another one; refusals name their field
(``errors.py``). A callback assigned to nobody (no ``agent``, no ``service``) is the caller's own, when the caller is
a person (a device's token has no login: nobody's then, on the collectivity's list)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import AwareDatetime, BeforeValidator, Field, RootModel, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from queue_server.phone.domain.callbacks import DONE_OUTCOMES, DoneOutcome, overdue
from queue_server.phone.domain.calls import MAX_DURATION_S
from queue_server.phone.domain.reasons import MAX_REASONS, Reason
from queue_server.phone.errors import Refusal, unknown_call, unknown_callback, unknown_tenant
from queue_server.phone.events import iso
from queue_server.phone.retention import PhoneRetention
from queue_server.phone.service import CallbackIn, CallIn, Found, Phone, Who
from queue_server.phone.tables import CallbackRow, CallRow
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator
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
    plausible_id,
    route,
    whole_number,
    without_space_around,
)

ADMINS = frozenset({"admin"})
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
NOT_BLANK = rf"^[^\u0000]*{char_class(WHITE_SPACE + chr(0), negated=True)}[^\u0000]*$"
NO_NUL = r"^[^\u0000]*$"
LOGIN = r"^[^\u0000-\u0020\u007f]+$"  # what users.normalise_login leaves: printable, no space
MAX_NOTE = 2000
MAX_SHEETS = 20
MAX_PARTY_ID = 2**31 - 1
MAX_LIMIT = 200



Slug = Annotated[str, Field(pattern=SLUG)]
Note = Annotated[str, Field(max_length=MAX_NOTE), Matches(NO_NUL, "no NUL character")]
Name = Annotated[str, Field(max_length=120), Matches(NOT_BLANK, "a name needs more than white space")]
Title = Annotated[str, Field(min_length=1, max_length=200), Matches(NOT_BLANK, "a title needs more than white space")]
SheetId = Annotated[str, Field(min_length=1, max_length=64), Matches(LOGIN, "an id without spaces")]
Login = Annotated[str, Field(min_length=1, max_length=200), Matches(LOGIN, "a login has no spaces")]
PartyId = Annotated[StrictInt, Field(ge=1, le=MAX_PARTY_ID), BeforeValidator(whole_number)]
Duration = Annotated[StrictInt, Field(ge=0, le=MAX_DURATION_S, description=(
    "seconds from the moment the agent took the call to the moment they logged it, as their page measured; the "
    "server dates the call's end itself")), BeforeValidator(whole_number)]
PhoneNumber = Annotated[str, Field(
    min_length=1, max_length=MAX_PHONE_CHARS, json_schema_extra={"format": "mobile-phone"},
    description="the number to call back, national (read in France) or international; one of this shape that is no "
                "valid number is refused with 422 invalid-phone"), Matches(PHONE_SHAPE, "not a valid phone number")]


class PhoneSheet(Body):
    """A sheet of the knowledge base the agent read during the call, as its search listed it."""

    id: SheetId
    title: Title
    tenant: Annotated[str, Field(max_length=64), Matches(LOGIN, "a collectivity's id")] | None = Field(
        None, description="the collectivity that wrote it (a partner's shared sheet); left out: this one")


class PhoneCallbackBody(Body):
    due_at: AwareDatetime = Field(description="when the caller is to be called back by: within the next 92 days, "
                                              "an hour ago at the earliest (422 invalid-due-time)")
    phone: PhoneNumber
    agent: Login | None = Field(None, description="the login of the agent who calls back (422 unknown-agent when "
                                                  "the collectivity has no such staff member)")
    service: Slug | None = Field(None, description="the service that calls back, one of the collectivity's sites' "
                                                   "(422 unknown-service); with neither: the caller's own")
    note: Note = ""


class _PhoneCall(Body):
    party: PartyId | None = Field(None, description="the caller's party in the citizen record (422 unknown-party "
                                                    "otherwise); left out: an anonymous call")
    reason: Slug = Field(description="one of the collectivity's reasons (GET …/phone/reasons; 422 unknown-reason)")
    note: Note = ""
    sheets: list[PhoneSheet] = Field(default_factory=list, max_length=MAX_SHEETS)
    duration_s: Duration


class PhoneAnsweredCall(_PhoneCall):
    outcome: Literal["answered"]


class PhoneTransferredCall(_PhoneCall):
    outcome: Literal["transferred"]
    service: Slug = Field(description="the service the call was put through to (422 unknown-service)")


class PhoneCallbackCall(_PhoneCall):
    outcome: Literal["callback"]
    callback: PhoneCallbackBody


class PhoneAppointmentCall(_PhoneCall):
    outcome: Literal["appointment"]


class PhoneRequestCall(_PhoneCall):
    outcome: Literal["request"]


class PhoneCallBody(RootModel[Annotated[
        PhoneAnsweredCall | PhoneTransferredCall | PhoneCallbackCall | PhoneAppointmentCall | PhoneRequestCall,
        Field(discriminator="outcome")]]):
    """A call to log: how it ended (``outcome``) says what more it takes: a transfer its service, a callback when
    and to what number."""


class PhoneDoneBody(Body):
    outcome: Literal[DONE_OUTCOMES]  # type: ignore[valid-type]
    note: Note = ""


class PhoneReason(Body):
    id: Slug
    name: Name


class PhoneReasonsBody(Body):
    reasons: list[PhoneReason] = Field(min_length=1, max_length=MAX_REASONS, description=(
        "the whole list, in the order the desk offers it; each id once (422 duplicate-reason)"))


def sheet_view(sheet: dict[str, str]) -> dict[str, Any]:
    return {"id": sheet.get("id", ""), "title": sheet.get("title", ""), "tenant": sheet.get("tenant")}


def callback_view(row: CallbackRow, call: CallRow, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id, "call": row.call_id, "due_at": iso(row.due_at), "phone": row.phone, "agent": row.agent,
        "service": row.service, "service_name": row.service_name, "note": row.note,
        "status": row.status, "overdue": overdue("done" if row.status == "done" else "todo", row.due_at, now),
        "done_at": iso(row.done_at), "done_by": row.done_by or None, "outcome": row.outcome,
        "outcome_note": row.outcome_note, "party": call.party, "caller": call.caller, "reason": call.reason,
        "reason_name": call.reason_name, "created_at": iso(row.created_at),
    }


def call_view(found: Found, now: datetime) -> dict[str, Any]:
    call = found.call
    return {
        "id": call.id, "party": call.party, "caller": call.caller, "reason": call.reason,
        "reason_name": call.reason_name, "note": call.note, "sheets": [sheet_view(s) for s in call.sheets],
        "outcome": call.outcome, "service": call.service, "service_name": call.service_name or None,
        "started_at": iso(call.started_at), "ended_at": iso(call.ended_at), "duration_s": call.duration_s,
        "agent": call.agent, "agent_name": call.agent_name,
        "callback": None if found.callback is None else callback_view(found.callback, call, now),
    }


def e164(raw: str, field: str) -> str:
    """``raw`` in E.164 (read in France when national); 422 ``invalid-phone`` naming ``field`` otherwise."""
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Refusal(422, f"{field}: not a valid phone number.", "invalid-phone", field)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def call_in(body: PhoneCallBody, who: Who) -> CallIn:
    """What the service takes of a call's body: the texts without the white space around them, the callback's number
    in E.164 and, assigned to nobody, the caller's own."""
    call = body.root
    callback = None
    if isinstance(call, PhoneCallbackCall):
        wanted = call.callback
        agent = wanted.agent if wanted.agent is not None or wanted.service is not None else who.login
        callback = CallbackIn(due_at=wanted.due_at, phone=e164(wanted.phone, "callback.phone"), agent=agent,
                              service=wanted.service, note=without_space_around(wanted.note))
    return CallIn(
        reason=call.reason, outcome=call.outcome, duration_s=call.duration_s, party=call.party,
        note=without_space_around(call.note),
        sheets=[{k: v for k, v in (("id", s.id), ("title", without_space_around(s.title)), ("tenant", s.tenant))
                 if v is not None} for s in call.sheets],
        service=call.service if isinstance(call, PhoneTransferredCall) else None, callback=callback)


def _flag(params: Any, name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise HTTPError(422, f"{name}: true or false.", "invalid-query",
                        extra={"errors": [{"field": name, "message": "true or false"}]})
    return bool(value == "true")


def _number(raw: str) -> int | None:
    """A number in a path or a query (ASCII digits, within SQL's integers), or ``None``: it names nothing."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_PARTY_ID else None


class PhoneApi:
    def __init__(self, auth: Authenticator, phone: Phone, retention: PhoneRetention) -> None:
        self.auth = auth
        self.phone = phone
        self.retention = retention

    def routes(self) -> list[Any]:
        base = "/api/v1/tenants/{tenant}/phone"
        return [
            route(base + "/calls", post=self.log, get=self.calls),
            route(base + "/calls/{call}", get=self.call),
            route(base + "/callbacks", get=self.callbacks),
            route(base + "/callbacks/{callback}/done", post=self.done),
            route(base + "/reasons", get=self.reasons, put=self.put_reasons),
            route(base + "/purges", get=self.purges),
        ]

    async def _caller(self, request: Request, allowed: frozenset[str] = STAFF) -> tuple[Principal | Person, str]:
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        if not roles_of(caller) & allowed:
            needed = {STAFF: "staff", SUPERVISORS: "supervisors and administrators", ADMINS: "administrators"}
            raise HTTPError(403, f"Only {needed.get(allowed, 'staff')} of the collectivity may do this.",
                            "wrong-role")
        return caller, tenant

    @staticmethod
    def who(request: Request, caller: Principal | Person) -> Who:
        if isinstance(caller, Person):
            return Who(actor_of(caller), caller.login, caller.name or caller.login, client_address(request))
        return Who(actor_of(caller), None, caller.name, client_address(request))

    async def log(self, request: Request) -> Response:
        caller, tenant = await self._caller(request)
        body = await parse_body(request, PhoneCallBody)
        who = self.who(request, caller)
        found = await self.phone.log(tenant, call_in(body, who), who)
        return json_response(call_view(found, self.phone.clock()), 201)

    async def calls(self, request: Request) -> Response:
        caller, tenant = await self._caller(request)
        params = request.query_params
        party = None
        if "party" in params:
            party = _number(params["party"])
            if party is None:
                raise HTTPError(422, "party: a party's number.", "invalid-query",
                                extra={"errors": [{"field": "party", "message": "a party's number"}]})
        limit = _number(params.get("limit", "50"))
        if limit is None or limit > MAX_LIMIT:
            raise HTTPError(422, f"limit: 1 to {MAX_LIMIT}.", "invalid-query",
                            extra={"errors": [{"field": "limit", "message": f"1 to {MAX_LIMIT}"}]})
        who = self.who(request, caller)
        found = await self.phone.listed(tenant, who, party=party, agent=who.actor if _flag(params, "mine") else None,
                                        limit=limit)
        now = self.phone.clock()
        return json_response({"items": [call_view(f, now) for f in found]})

    async def call(self, request: Request) -> Response:
        caller, tenant = await self._caller(request)
        call_id = str(request.path_params["call"])
        if not plausible_id(call_id):
            raise unknown_call()
        found = await self.phone.read(tenant, call_id, self.who(request, caller))
        return json_response(call_view(found, self.phone.clock()))

    async def callbacks(self, request: Request) -> Response:
        caller, tenant = await self._caller(request)
        params = request.query_params
        late = _flag(params, "overdue")
        if late and not roles_of(caller) & SUPERVISORS:
            raise HTTPError(403, "Only supervisors and administrators list every overdue callback.", "wrong-role")
        status = params.get("status", "todo")
        if status not in ("todo", "done"):
            raise HTTPError(422, "status: todo or done.", "invalid-query",
                            extra={"errors": [{"field": "status", "message": "todo or done"}]})
        service = params.get("service")
        if service is not None and not _is_slug(service):
            raise HTTPError(422, "service: a service's id.", "invalid-query",
                            extra={"errors": [{"field": "service", "message": "a service's id"}]})
        mine = _flag(params, "mine")
        login = caller.login if isinstance(caller, Person) else None
        if mine and login is None and service is None:
            return json_response({"items": [], "now": iso(self.phone.clock())})  # a device's token: nobody's own
        listed = await self.phone.callbacks(tenant, agent=login if mine else None, service=service, overdue=late,
                                            status="done" if status == "done" else "todo")
        return json_response({"items": [callback_view(row, call, listed.now) for row, call in listed.items],
                              "now": iso(listed.now)})

    async def done(self, request: Request) -> Response:
        caller, tenant = await self._caller(request)
        number = _number(str(request.path_params["callback"]))
        body = await parse_body(request, PhoneDoneBody)
        if number is None:
            raise unknown_callback()
        outcome: DoneOutcome = body.outcome
        row, call = await self.phone.done(tenant, number, outcome, without_space_around(body.note),
                                          self.who(request, caller))
        return json_response(callback_view(row, call, self.phone.clock()))

    async def reasons(self, request: Request) -> Response:
        _caller, tenant = await self._caller(request)
        return json_response({"reasons": [{"id": r.id, "name": r.name} for r in await self.phone.reasons(tenant)]})

    async def put_reasons(self, request: Request) -> Response:
        caller, tenant = await self._caller(request, ADMINS)
        body = await parse_body(request, PhoneReasonsBody)
        reasons = await self.phone.put_reasons(
            tenant, [Reason(r.id, without_space_around(r.name)) for r in body.reasons], self.who(request, caller))
        return json_response({"reasons": [{"id": r.id, "name": r.name} for r in reasons]})

    async def purges(self, request: Request) -> Response:
        _caller, tenant = await self._caller(request, ADMINS)
        return json_response({"items": await self.retention.reports(tenant)})


def roles_of(caller: Principal | Person) -> set[str]:
    return set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}


def _is_slug(value: str) -> bool:
    return re.fullmatch(SLUG[1:-1], value) is not None

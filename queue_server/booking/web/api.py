"""Booking's endpoints (API.md "Appointments"), under ``/api/v1/sites/{site}/``: they parse, call ``Booking``
and answer.

Who may do what: anyone lists the public motifs and their free slots and books them (rate-limited per address,
``max_upcoming`` per contact; beyond a free allowance, with a proof of work: ``guard.py``); staff of the site see
every motif, book staff-only ones, name a party, read the day, confirm several appointments at once;
administrators put motifs; anyone holding an appointment's id reads, cancels and moves it (its id is the key); the
kiosk and staff check in by code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from icalendar import Calendar
from pydantic import BeforeValidator, EmailStr, Field, StrictBool, StrictFloat, StrictInt
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response

from queue_server.booking.domain.codes import normal_code
from queue_server.booking.domain.motifs import GRANULE_MIN, DurationRule, Motif, Question
from queue_server.booking.errors import Refusal, unknown_appointment
from queue_server.booking.service import MAX_RANGE_DAYS, BookIn, Booking, PersonIn, Who
from queue_server.booking.tables import Appointment
from queue_server.booking.web.guard import Admission, Guard
from queue_server.platform.calendar import check_region, weekly_hours
from queue_server.platform.phones import mobile_e164
from queue_server.platform.sessions import Limits
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.domain.config import SiteConfig
from queue_server.web.auth import ISSUERS, STAFF, Authenticator, authorize, bearer
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    MAX_PHONE_CHARS,
    PHONE_SHAPE,
    Body,
    Matches,
    actor_of,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    rate_limit,
    route,
    whole_number,
    without_space_around,
)

ADMIN = frozenset({"admin"})
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Texts kept in SQL hold no NUL character anywhere (PostgreSQL's text refuses it); a name is more than spaces.
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\u0000-\u0020][^\u0000]*$"
CheckIn = Callable[[SiteConfig, Appointment, int | None], Awaitable[tuple[dict[str, Any], bool]]]



def _written(value: Any) -> Any:
    # A time is a string (ISO 8601), as the schema says: not a number of seconds, which pydantic would take.
    if not isinstance(value, str):
        raise ValueError("a time written as ISO 8601 with its offset (2027-01-12T09:10:00Z)")
    return value


Start = Annotated[datetime, BeforeValidator(_written)]
Whole = Annotated[StrictInt, BeforeValidator(whole_number)]  # every integer of a body: no string, no fraction
Minutes = Annotated[StrictInt, Field(ge=GRANULE_MIN, le=8 * 60, multiple_of=GRANULE_MIN), BeforeValidator(whole_number)]
PartyId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1), BeforeValidator(whole_number)]
Buffer = Annotated[StrictInt, Field(ge=0, le=120, multiple_of=GRANULE_MIN), BeforeValidator(whole_number)]
Name = Annotated[str, Field(min_length=1, max_length=100), Matches(NOT_BLANK, "a name needs more than white space")]
Phone = Annotated[str, Field(min_length=1, max_length=MAX_PHONE_CHARS, json_schema_extra={"format": "mobile-phone"}),
                  Matches(PHONE_SHAPE, "not a valid phone number")]
Language = Literal["fr", "en", "es", "ar", "de", "it", "pt"]
Time = Annotated[str, Field(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]
Span = Annotated[list[Time], Field(min_length=2, max_length=2)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekly = dict[Day, Annotated[list[Span], Field(max_length=12)]]
# An answer: a count (people, at most a thousand: a duration grows with it), a text, a list of ids.
Count = Annotated[StrictInt, Field(ge=0, le=1000), BeforeValidator(whole_number)]
Answer = (Count | Annotated[str, Field(max_length=200, pattern=NO_NUL)]
          | Annotated[list[Annotated[str, Field(max_length=20, pattern=NO_NUL)]], Field(max_length=10)])


class _AppointmentId(Convertor[str]):
    """An appointment's id in a path: any segment but "confirm", the path of ``POST …/appointments/confirm``
    (a GET there is a 405 naming POST, not a search for an appointment of that id)."""

    regex = "(?!confirm$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("appointment_id", _AppointmentId())


class QuestionBody(Body):
    id: str = Field(pattern=SLUG)
    label: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    kind: Literal["count", "text", "choice", "application_ids", "commune"] = "text"
    required: StrictBool = False
    choices: list[Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]] = Field(default=[],
                                                                                              max_length=20)
    minimum: Whole = Field(1, ge=0, le=20)
    maximum: Whole = Field(6, ge=1, le=20)


class DurationRuleBody(Body):
    question: str = Field(pattern=SLUG)
    per_extra_min: Whole = Field(ge=0, le=120, multiple_of=GRANULE_MIN)


class MotifBody(Body):
    service: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=120, pattern=NOT_BLANK)
    duration_min: Minutes
    capacity: Whole = Field(1, ge=1, le=50)
    public: StrictBool = True
    min_notice_h: StrictFloat = Field(2, ge=0, le=24 * 30)
    horizon_days: Whole = Field(90, ge=1, le=400)
    instructions: str = Field("", max_length=2000, pattern=NO_NUL)
    hours: Weekly | None = None
    description: str = Field("", max_length=500, pattern=NO_NUL)
    buffer_before_min: Buffer = 0
    buffer_after_min: Buffer = 0
    step_min: Minutes | None = None
    cancel_cutoff_h: StrictFloat = Field(0, ge=0, le=24 * 30)
    arrive_before_min: Whole = Field(30, ge=0, le=240)
    arrive_after_min: Whole = Field(15, ge=0, le=240)
    max_upcoming: Whole = Field(2, ge=1, le=20)
    documents: list[Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]] = Field(default=[],
                                                                                                max_length=20)
    languages: list[Language] = Field(default=[], max_length=7)
    questions: list[QuestionBody] = Field(default=[], max_length=10)
    duration_rule: DurationRuleBody | None = None
    ants: Literal["demande", "retrait"] | None = None
    public_holidays: str | None = Field(None, max_length=16, description="a region whose public holidays close this "
                                        "motif too (FR, FR-57...); null: the site's alone")


class PersonBody(Body):
    first_name: Name
    last_name: Name
    email: EmailStr | None = None
    phone: Phone | None = None


class AppointmentBody(Body):
    motif: str = Field(pattern=SLUG)
    start: Start = Field(description="the slot's start, as /slots gave it (ISO 8601 with its offset)")
    person: PersonBody
    party: PartyId | None = Field(None, description="staff only: the citizen record's party")
    lang: Language = "fr"
    answers: dict[Annotated[str, Field(pattern=SLUG)], Answer] = Field(default={}, max_length=10)
    notify: StrictBool = Field(True, description="staff only: false to confirm several at once (/appointments/confirm)")
    visit: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,32}$", description="appointments of one visit")
    phone_token: str | None = Field(None, min_length=1, max_length=64,
                                    description="the token of a phone check (POST .../phone-checks/{id}/verify)")


class CancelBody(Body):
    reason: str = Field("", max_length=300, pattern=NO_NUL)


class MoveBody(Body):
    start: Start
    reason: str = Field("", max_length=300, pattern=NO_NUL)


class ConfirmBody(Body):
    ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]] = Field(min_length=1, max_length=10)


class CheckInBody(Body):
    code: str = Field(min_length=1, max_length=20)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def motif_view(motif: Motif, *, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": motif.id, "service": motif.service, "name": motif.name,
                            "duration_min": motif.duration_min, "capacity": motif.capacity,
                            "description": motif.description}
    if full:
        view.update(public=motif.public, instructions=motif.instructions, documents=list(motif.documents),
                    min_notice_h=motif.min_notice_min / 60, horizon_days=motif.horizon_days,
                    cancel_cutoff_h=motif.cancel_cutoff_min / 60, languages=list(motif.languages),
                    questions=[{"id": q.id, "label": q.label, "kind": q.kind, "required": q.required,
                                "choices": list(q.choices), "minimum": q.minimum, "maximum": q.maximum}
                               for q in motif.questions],
                    duration_rule=None if motif.duration_rule is None else {
                        "question": motif.duration_rule.question, "per_extra_min": motif.duration_rule.per_extra_min},
                    ants=motif.ants, public_holidays=motif.holidays)
    return view


def appointment_view(row: Appointment) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "site": row.site_id, "motif": row.motif, "service": row.service,
            "start": _iso(row.start), "end": _iso(row.end), "status": row.status,
            "person": {"first_name": row.first_name, "last_name": row.last_name, "email": row.email,
                       "phone": row.phone},
            "party": row.party, "lang": row.lang, "answers": row.answers, "ticket": row.ticket_id,
            "sequence": row.sequence, "visit": row.visit, "desk": row.desk}


class BookingApi:
    def __init__(self, auth: Authenticator, booking: Booking, limits: Limits, check_in: CheckIn, *,
                 bookings_per_address_per_hour: int = 20, guard: Guard | None = None) -> None:
        self.auth = auth
        self.guard = guard
        self.booking = booking
        self.limits = limits
        self.check_in_ticket = check_in
        self.per_hour = bookings_per_address_per_hour

    def routes(self) -> list[Any]:
        base = "/api/v1/sites/{site}"
        one = base + "/appointments/{appointment:appointment_id}"
        return [
            route(base + "/motifs", get=self.list_motifs),
            route(base + "/motifs/{motif}", put=self.put_motif),
            route(base + "/slots", get=self.slots),
            route(base + "/appointments", post=self.book, get=self.day),
            route(base + "/appointments/confirm", post=self.confirm),
            route(one, get=self.read),
            route(one + "/ics", get=self.ics),
            route(one + "/cancel", post=self.cancel),
            route(one + "/move", post=self.move),
            route(base + "/check-in", post=self.check_in),
        ]

    # Who asks --------------------------------------------------------------------------------------------

    async def _staff(self, request: Request, roles: frozenset[str] = STAFF) -> tuple[Principal | Person, SiteConfig]:
        caller = await self.auth.caller(request)
        site = request.path_params["site"]
        config = await self.booking.site_config(site) if plausible_id(site) else None
        return caller, authorize(caller, config, roles)

    async def _maybe_staff(self, request: Request) -> tuple[Principal | Person | None, SiteConfig]:
        """The staff member asking, or ``None`` for anyone else (a citizen: no credentials)."""
        site = request.path_params["site"]
        config = await self.booking.site_config(site) if plausible_id(site) else None
        if config is None:
            raise HTTPError(404, "No such site.", "unknown-site")
        if bearer(request) is None and "guichet_session" not in request.cookies:
            return None, config
        caller = await self.auth.caller(request)
        try:
            authorize(caller, config, STAFF)
        except HTTPError:
            return None, config  # a kiosk, or staff of another site: as anyone
        return caller, config

    async def _public_limit(self, request: Request, name: str, per_minute: int) -> None:
        await rate_limit(self.limits, f"{name}:{client_address(request)}", per_minute, "This address")

    # Motifs ----------------------------------------------------------------------------------------------

    async def list_motifs(self, request: Request) -> Response:
        caller, config = await self._maybe_staff(request)
        motifs = await self.booking.motifs(config.id, staff=caller is not None)
        return json_response([motif_view(m, full=True) for m in motifs])

    async def put_motif(self, request: Request) -> Response:
        caller, config = await self._staff(request, ADMIN)
        motif_id = request.path_params["motif"]
        body = await parse_body(request, MotifBody)
        if not _slug(motif_id):
            raise HTTPError(422, "A motif's id is lower-case letters, digits and dashes (64 at most).", "invalid-body")
        motif = _motif_from(config.id, motif_id, body)
        created = await self.booking.put_motif(config.id, motif, Who(actor_of(caller), True, client_address(request)))
        return json_response(motif_view(motif), 201 if created else 200)

    # Slots -----------------------------------------------------------------------------------------------

    async def slots(self, request: Request) -> Response:
        caller, config = await self._maybe_staff(request)
        if caller is None:
            await self._public_limit(request, "slots", 600)
        params = request.query_params
        motif = params.get("motif", "")
        first, last = _day(params.get("from"), "from"), _day(params.get("to"), "to")
        answers: dict[str, Any] = {}
        for name, value in params.items():
            if name.startswith("a.") and _slug(name[2:]):
                # ASCII digits only: "²" or "٣" are digits to str.isdigit(), not to int().
                answers[name[2:]] = int(value) if value.isascii() and value.isdigit() and len(value) < 4 \
                    else value[:200]
        if not _slug(motif):
            raise HTTPError(404, f"No motif {motif[:64]!r} may be booked here.", "unknown-motif")
        if first <= last and (last - first).days < MAX_RANGE_DAYS and (
                last.year < NEAREST_YEAR or first.year > FARTHEST_YEAR):  # out of reach: no slot, and no arithmetic
            found_motif = await self.booking.motif(config.id, motif, staff=caller is not None)
            return json_response({"motif": found_motif.id, "duration_min": found_motif.duration_for(answers),
                                  "slots": []})
        found_motif, found = await self.booking.slots(config.id, motif, first, last, staff=caller is not None,
                                                      answers=answers)
        return json_response({"motif": found_motif.id, "duration_min": found_motif.duration_for(answers),
                              "slots": [{"start": _iso(s.start), "end": _iso(s.end), "free": s.free} for s in found]})

    # Booking ---------------------------------------------------------------------------------------------

    async def book(self, request: Request) -> Response:
        caller, config = await self._maybe_staff(request)
        body = await parse_body(request, AppointmentBody)
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise HTTPError(422, "Idempotency-Key must be 1 to 255 printable characters.", "invalid-header")
        if caller is None:
            if body.party is not None:
                raise HTTPError(403, "Only staff may book for a person of the citizen record (party).", "wrong-role")
            await rate_limit(self.limits, f"book-hour:{client_address(request)}", self.per_hour * 60, "This address")
            await self._public_limit(request, "book", self.per_hour)
        if body.start.tzinfo is None:
            raise HTTPError(422, "start: give the offset (2027-01-12T09:00:00+01:00) or Z.", "invalid-body",
                            extra={"errors": [{"field": "start", "message": "a time with its offset"}]})
        _within_reach(body.start)
        phone = mobile_e164(body.person.phone, config.region, "person.phone") if body.person.phone else None
        person = PersonIn(without_space_around(body.person.first_name), without_space_around(body.person.last_name),
                          str(body.person.email).lower() if body.person.email else None, phone)
        # Anonymous bookings beyond a free allowance need a proof of work (guard.py).
        admission: Admission | None = None
        if caller is None and self.guard is not None:
            admission = await self.guard.admit(request, site=config.id, phone=phone, email=person.email,
                                               phone_token=body.phone_token, attempt=key)
        who = Who(actor_of(caller) if caller is not None else "citizen", caller is not None, client_address(request))
        appointment, created = await self.booking.book(config.id, BookIn(
            motif=body.motif, start=body.start, person=person, party=body.party, lang=body.lang, answers=body.answers,
            key=key, visit=body.visit, notify=body.notify or caller is None), who, str(request.base_url))
        if admission is not None and created and self.guard is not None:
            await self.guard.booked(request, admission)
        return json_response(appointment_view(appointment), 201 if created else 200)

    async def confirm(self, request: Request) -> Response:
        _caller, config = await self._staff(request)
        body = await parse_body(request, ConfirmBody)
        rows = await self.booking.confirm(config.id, body.ids, str(request.base_url))
        return json_response({"items": [appointment_view(r) for r in rows]})

    async def day(self, request: Request) -> Response:
        _caller, config = await self._staff(request)
        day = _day(request.query_params.get("date"), "date")
        rows = await self.booking.day(config.id, day)
        return json_response({"date": day.isoformat(), "items": [appointment_view(r) for r in rows]})

    # One appointment (its id is the key) ---------------------------------------------------------------

    async def _held(self, request: Request) -> tuple[Principal | Person | None, SiteConfig, Appointment]:
        caller, config = await self._maybe_staff(request)
        if caller is None:
            await self._public_limit(request, "appointment", 120)
        appointment_id = request.path_params["appointment"]
        if not plausible_id(appointment_id):
            raise unknown_appointment()
        return caller, config, await self.booking.get(config.id, appointment_id)

    async def read(self, request: Request) -> Response:
        _caller, _config, row = await self._held(request)
        return json_response(appointment_view(row))

    async def ics(self, request: Request) -> Response:
        _caller, config, row = await self._held(request)
        data = await self.booking.ics(config, row, str(request.base_url))
        Calendar.from_ical(data)  # what we serve is what a calendar reads
        return Response(data, media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="rendez-vous-{row.code}.ics"'})

    async def cancel(self, request: Request) -> Response:
        caller, config, row = await self._held(request)
        body = await parse_body(request, CancelBody, optional=True)
        who = Who(actor_of(caller) if caller is not None else "citizen", caller is not None, client_address(request))
        done = await self.booking.cancel(config.id, row.id, who, str(request.base_url), body.reason)
        return json_response(appointment_view(done))

    async def move(self, request: Request) -> Response:
        caller, config, row = await self._held(request)
        body = await parse_body(request, MoveBody)
        if body.start.tzinfo is None:
            raise HTTPError(422, "start: give the offset or Z.", "invalid-body")
        _within_reach(body.start)
        who = Who(actor_of(caller) if caller is not None else "citizen", caller is not None, client_address(request))
        done = await self.booking.move(config.id, row.id, body.start, who, str(request.base_url), body.reason)
        return json_response(appointment_view(done))

    # Check-in ---------------------------------------------------------------------------------------------

    async def check_in(self, request: Request) -> Response:
        caller, config = await self._staff(request, ISSUERS)
        body = await parse_body(request, CheckInBody)
        kiosk = caller.token_id if isinstance(caller, Principal) and caller.role == "kiosk" else None
        if kiosk is not None:
            await rate_limit(self.limits, f"check-in:{kiosk}", 30, "This kiosk")
        code = normal_code(body.code)
        row = await self.booking.by_code(config.id, code) if code is not None else None
        if row is None:
            raise Refusal(404, "No appointment has this code here: check it, or take a ticket.", "unknown-code", "code")
        ticket, created = await self.booking.check_in(config, row, kiosk, self.check_in_ticket)
        return json_response(ticket, 201 if created else 200)


def _slug(text: str) -> bool:
    return 1 <= len(text) <= 64 and text.isascii() and (text[0].isalnum()) and all(
        c.isdigit() or ("a" <= c <= "z") or c == "-" for c in text)


# Starts and days this far from now are no slot of any motif (a horizon is 400 days at most): answered without
# the arithmetic on times that would overflow Python's years 1 to 9999.
NEAREST_YEAR, FARTHEST_YEAR = 1970, 9000


def _within_reach(start: datetime) -> None:
    """A start years out of reach: refused as too soon or too far, as the rules would."""
    if start.year < NEAREST_YEAR:
        raise Refusal(422, "This start is in the past.", "too-soon", "start")
    if start.year > FARTHEST_YEAR:
        raise Refusal(422, "This start is beyond what may be booked.", "too-far", "start")


def _day(raw: str | None, name: str) -> date:
    try:
        if raw is None:
            raise ValueError
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_day(name)
    except ValueError:
        raise HTTPError(422, f"{name}: a day written YYYY-MM-DD.", "invalid-query",
                        extra={"errors": [{"field": name, "message": "a day written YYYY-MM-DD"}]}) from None


def _bad_day(name: str) -> date:
    raise ValueError(name)


def _motif_from(site: str, motif_id: str, body: MotifBody) -> Motif:
    hours = weekly_hours(body.hours, "hours") if body.hours is not None else None
    questions = tuple(Question(id=q.id, label=q.label, kind=q.kind, required=q.required, choices=tuple(q.choices),
                               minimum=q.minimum, maximum=q.maximum) for q in body.questions)
    rule = body.duration_rule
    if rule is not None and not any(q.id == rule.question and q.kind == "count" for q in questions):
        raise HTTPError(422, "duration_rule.question: name a question of kind count.", "unknown-question",
                        extra={"errors": [{"field": "duration_rule.question", "message": "a count question"}]})
    return Motif(
        id=motif_id, site=site, service=body.service, name=body.name.strip(), duration_min=body.duration_min,
        capacity=body.capacity, buffer_before_min=body.buffer_before_min, buffer_after_min=body.buffer_after_min,
        step_min=body.step_min, min_notice_min=round(body.min_notice_h * 60), horizon_days=body.horizon_days,
        public=body.public, cancel_cutoff_min=round(body.cancel_cutoff_h * 60),
        arrive_before_min=body.arrive_before_min, arrive_after_min=body.arrive_after_min,
        max_upcoming=body.max_upcoming, description=body.description,
        instructions=body.instructions, documents=tuple(body.documents), languages=tuple(body.languages), hours=hours,
        questions=questions, duration_rule=DurationRule(rule.question, rule.per_extra_min) if rule else None,
        ants=body.ants, holidays=check_region(body.public_holidays))

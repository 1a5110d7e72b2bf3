"""The v1 HTTP API of API.md: tickets, calls, transitions, the site's state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from typing_extensions import TypedDict

from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.agents import agent_day
from queue_server.queue.domain.config import MAX_OUTCOME_CHARS
from queue_server.queue.domain.errors import NotAChoice
from queue_server.queue.domain.state import MAX_DISPLAY_MESSAGE, PauseReason, PrinterStatus, Ticket
from queue_server.queue.hub import AUDIENCE, public
from queue_server.queue.phones import MAX_NOTE
from queue_server.queue.protocol import counter_view, printer_view, snapshot_view, ticket_view
from queue_server.queue.service import QueueService, Result, SiteEngine, new_command_id, new_ticket_id
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.auth import ANY_ROLE, ISSUERS, STAFF, SUPERVISORS, authorize
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
    rate_limit,
    route,
    whole_number,
    without_space_around,
)

MAX_ROW_ID = 2**31 - 1  # ids of SQL rows (device tokens, parties) are SQL integers
KIOSKS = frozenset({"kiosk"})

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


PHONE_FORMAT = "mobile-phone"
Phone = Annotated[str, Field(
    min_length=1, max_length=MAX_PHONE_CHARS,
    description="A mobile number that can receive text messages (format mobile-phone): national, read in the "
                "site's country (\"06 12 34 56 78\" in France), or international (\"+262 692 12 34 56\"). "
                "A number of this shape that is not a valid mobile number is refused with 422.",
    json_schema_extra={"format": PHONE_FORMAT},
), Matches(PHONE_SHAPE, "not a valid phone number")]



PARTY_DESCRIPTION = (
    "Staff only (agent, supervisor, admin): the citizen record's party (a person, an association, a company) "
    "whose visit this ticket is; the visit then appears on the party's timeline. An opaque number, never shown "
    "on public screens, kiosks, printed tickets or the citizen's ticket page. From a kiosk: 403 wrong-role. A "
    "number that is no party of the site's collectivity: 404 unknown-party.")


class IssueBody(Body):
    service: Slug
    priority: StrictBool = False
    lang: str = Field("fr", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=12)
    # Kept apart from the log (store/phones.py).
    phone: Phone | None = None
    party: Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID), BeforeValidator(whole_number)] | None = Field(
        None, description=PARTY_DESCRIPTION)


class NextBody(Body):
    services: list[Slug] | None = Field(None, min_length=1, max_length=50)


# A note: at most MAX_NOTE characters as sent, at least one of them not white space (a blank note is no note);
# kept without the white space around it.
Note = Annotated[
    str,
    Field(max_length=MAX_NOTE),
    Matches(char_class(WHITE_SPACE, negated=True), "a note needs more than white space"),
    AfterValidator(without_space_around),
]


class TransferBody(Body):
    service: Slug
    to_front: StrictBool = False
    note: Note | None = None  # for the agent of the next service (kept outside the log until the visit ends)


class NoteBody(Body):
    text: Note


class NoteView(TypedDict):
    text: str | None  # None: no note


class CallBody(Body):
    counter: Slug


# A device token id: an integer (never a string or a boolean), in SQL's range.
TokenId = Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID), BeforeValidator(whole_number)]


class ReprintBody(Body):
    kiosk: TokenId | None = Field(None, description=(
        "The device token id of a live kiosk of the site, which prints the ticket (none: the kiosk that issued "
        "it). Any other number, a display's, a revoked kiosk's, another site's, is an unknown kiosk: 404."))


class MessageBody(Body):
    # What the hall displays scroll ("" clears it). The domain folds runs of spaces and allows
    # MAX_DISPLAY_MESSAGE characters; the text as sent is held to that length, so that the schema says exactly
    # what is accepted (folding only ever shortens it).
    text: str = Field(max_length=MAX_DISPLAY_MESSAGE)


class PrinterBody(Body):
    status: PrinterStatus


class FinishBody(Body):
    outcome: str | None = Field(None, min_length=1, max_length=MAX_OUTCOME_CHARS, description=(
        "How the visit ended: one of the outcomes its service offers, as written in the service's set-up "
        "(\"Dossier complet\"); another text is a 422 naming outcome. Absent or null: not said."))


class PauseBody(Body):
    reason: PauseReason | None = Field(None, description=(
        "Why the counter pauses: a break, administrative work, a meeting, something else. Shown to supervisors "
        "on the counter (pause_reason) while it is paused. Absent or null: not said."))


class AgentDayView(TypedDict):
    """The figures of the signed-in agent (or the token) for the site's day: visits they finished, their mean
    length in seconds (from the call, or the start, to the end; null: none yet), people called who did not come."""

    served: int
    mean_visit_s: float | None
    no_shows: int


def agent_of(caller: Principal | Person) -> tuple[str, str]:
    """Who acts, as events record them: ``("user:ID", name)`` for a person, ``("token:ID", name)`` for a
    token (a shared counter terminal)."""
    if isinstance(caller, Person):
        return f"user:{caller.user_id}", caller.name or caller.login
    return f"token:{caller.token_id}", caller.name or f"token {caller.token_id}"


async def site_engine(queue: QueueService, principal: Principal | Person, site: str,
                      roles: frozenset[str]) -> SiteEngine:
    """The engine of ``site`` if ``principal`` may act there with one of ``roles`` (404/403 otherwise)."""
    engine = await queue.engine(site) if plausible_id(site) else None
    authorize(principal, engine.config if engine else None, roles)
    assert engine is not None
    return engine


class Api:
    """The endpoints of the queue's JSON API."""

    def __init__(self, deps: QueueDeps) -> None:
        self.queue, self.phones, self.notes = deps.queue, deps.phones, deps.notes
        self.auth, self.limits = deps.platform.auth, deps.platform.limits
        self.limit_settings = deps.platform.settings.limits
        self.visits = deps.visits

    async def _engine(self, request: Request, roles: frozenset[str]) -> SiteEngine:
        return (await self._caller_engine(request, roles))[1]

    async def _caller_engine(self, request: Request, roles: frozenset[str]) -> tuple[Principal | Person, SiteEngine]:
        principal = await self.auth.caller(request)
        engine = await site_engine(self.queue, principal, request.path_params["site"], roles)
        if isinstance(principal, Principal) and principal.role == "kiosk" and request.method == "POST":
            limits = self.limit_settings
            await self.limit(f"kiosk:{principal.token_id}", limits.kiosk_tickets_per_minute, "This kiosk")
            await self.limit(f"kiosk-address:{client_address(request)}",
                              limits.kiosk_tickets_per_address_per_minute, "Kiosks at this address")
        return principal, engine

    async def limit(self, name: str, per_minute: int, who: str) -> None:
        """Count one request against ``name``; 429 with Retry-After beyond ``per_minute`` (0: no limit)."""
        await rate_limit(self.limits, name, per_minute, who)

    def _ticket_answer(self, result: Result, created: bool = False, for_public: bool = False) -> Response:
        """The ticket (204 without one); ``for_public``: as a public screen may see it (a kiosk)."""
        if result.ticket is None:
            return Response(status_code=204)
        view = ticket_view(result.state, result.ticket)
        return json_response(public(view) if for_public else view, 201 if created else 200)

    # Endpoints -------------------------------------------------------------------------------------

    async def issue(self, request: Request) -> Response:
        caller, engine = await self._caller_engine(request, ISSUERS)
        kiosk = caller.token_id if isinstance(caller, Principal) and caller.role == "kiosk" else None
        body = await parse_body(request, IssueBody)
        if body.party is not None and kiosk is not None:  # refused before any look-up: a kiosk learns nothing
            raise HTTPError(403, "A kiosk issues anonymous tickets: only staff may issue a ticket for a known "
                                 "person (party).", "wrong-role")
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise HTTPError(422, "Idempotency-Key must be 1 to 255 printable characters.", "invalid-header")
        command = c.IssueTicket(
            command_id=new_command_id(), ticket_id=new_ticket_id(), service=body.service,
            priority=body.priority, lang=body.lang, idempotency_key=key, issued_by=kiosk, party=body.party,
        )
        result, archived = await self.visits.issue(engine, command, body.phone)
        if archived is not None:  # the key's ticket was issued on a previous day
            return json_response(archived)
        return self._ticket_answer(result, created=result.created, for_public=kiosk is not None)

    async def get_ticket(self, request: Request) -> Response:
        site, ticket_id = request.path_params["site"], request.path_params["ticket_id"]
        await self.limit(f"read-address:{client_address(request)}",
                          self.limit_settings.public_reads_per_address_per_minute, "This address")
        engine = await self.queue.engine(site) if plausible_id(site) else None
        if engine is None or not plausible_id(ticket_id):
            raise HTTPError(404, "No such ticket.", "unknown-ticket")
        ticket = engine.state.tickets.get(ticket_id)
        if ticket is None:
            await engine.catch_up()  # issued a moment ago through another process?
            ticket = engine.state.tickets.get(ticket_id)
        if ticket is not None:  # anyone holding the id may read it: what a public screen may see
            return json_response(public(ticket_view(engine.state, ticket)))
        view = await self.visits.archived(site, ticket_id)
        if view is None:
            raise HTTPError(404, "No such ticket.", "unknown-ticket")
        return json_response(view)

    async def call_next(self, request: Request) -> Response:
        caller, engine = await self._caller_engine(request, STAFF)
        body = await parse_body(request, NextBody, optional=True)
        agent, name = agent_of(caller)
        command = c.CallNext(
            command_id=new_command_id(), counter=request.path_params["counter"],
            services=tuple(body.services) if body.services is not None else None, agent=agent, agent_name=name,
        )
        return self._ticket_answer(await engine.execute(command))

    def _transition(self, make: Callable[[str, str], c.Command]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            engine = await self._engine(request, STAFF)
            command = make(new_command_id(), request.path_params["ticket_id"])
            return self._ticket_answer(await engine.execute(command))

        return endpoint

    async def finish(self, request: Request) -> Response:
        """End the visit, with its outcome if the body says one (the bodyless call of API.md ends it without)."""
        engine = await self._engine(request, STAFF)
        body = await parse_body(request, FinishBody, optional=True)
        command = c.Finish(command_id=new_command_id(), ticket_id=request.path_params["ticket_id"],
                           outcome=body.outcome)
        try:
            result = await engine.execute(command)
        except NotAChoice as refusal:  # named as a field of the body, as pydantic's own refusals are
            raise HTTPError(422, refusal.message, "invalid-body", extra={"errors": [
                {"field": refusal.field, "message": "not one of the service's outcomes"}]}) from refusal
        return self._ticket_answer(result)

    async def my_day(self, request: Request) -> Response:
        """The caller's own figures for today at this site (cheap: from the live state, never the history)."""
        caller, engine = await self._caller_engine(request, STAFF)
        agent, _ = agent_of(caller)
        figures = agent_day(engine.state, agent)
        view: AgentDayView = {"served": figures.served, "mean_visit_s": figures.mean_visit_s,
                              "no_shows": figures.no_shows}
        return json_response(view)

    async def transfer(self, request: Request) -> Response:
        engine = await self._engine(request, STAFF)
        body = await parse_body(request, TransferBody)
        ticket_id = request.path_params["ticket_id"]
        command = c.Transfer(command_id=new_command_id(), ticket_id=ticket_id, service=body.service,
                             to_front=body.to_front)
        result = await engine.execute(command)
        if body.note is not None and result.ticket is not None:
            result = await self.visits.note(engine, result.ticket, body.note)
        return self._ticket_answer(result)

    async def _today(self, engine: SiteEngine, ticket_id: str) -> Ticket:
        """Today's ticket ``ticket_id`` at the engine's site (one issued a moment ago through another
        process included); 404 otherwise."""
        if not plausible_id(ticket_id):
            raise HTTPError(404, "No such ticket at this site today.", "unknown-ticket")
        if ticket_id not in engine.state.tickets:
            await engine.catch_up()
        ticket = engine.state.tickets.get(ticket_id)
        if ticket is None:
            raise HTTPError(404, "No such ticket at this site today.", "unknown-ticket")
        return ticket

    async def set_note(self, request: Request) -> Response:
        """Staff (reception, an agent) leave a note for whoever serves the ticket next."""
        engine = await self._engine(request, STAFF)
        body = await parse_body(request, NoteBody)
        ticket = await self._today(engine, request.path_params["ticket_id"])
        return self._ticket_answer(await self.visits.note(engine, ticket, body.text))

    async def get_note(self, request: Request) -> Response:
        """The ticket's note, for staff; every read is in the audit log (it may be personal data)."""
        caller, engine = await self._caller_engine(request, STAFF)
        ticket = await self._today(engine, request.path_params["ticket_id"])
        text = await self.visits.read_note(engine, ticket, actor_of(caller), client_address(request))
        view: NoteView = {"text": text}
        return json_response(view)

    async def call_ticket(self, request: Request) -> Response:
        caller, engine = await self._caller_engine(request, STAFF)
        body = await parse_body(request, CallBody)
        agent, name = agent_of(caller)
        command = c.CallTicket(command_id=new_command_id(), ticket_id=request.path_params["ticket_id"],
                               counter=body.counter, agent=agent, agent_name=name)
        return self._ticket_answer(await engine.execute(command))

    async def reprint(self, request: Request) -> Response:
        """Print the ticket again at a kiosk: the one named in the body, by default the one that issued it."""
        engine = await self._engine(request, STAFF)
        body = await parse_body(request, ReprintBody, optional=True)
        if body.kiosk is not None:
            await self.visits.check_kiosk(engine.site, body.kiosk)
        command = c.Reprint(command_id=new_command_id(), ticket_id=request.path_params["ticket_id"],
                            kiosk=body.kiosk)
        return self._ticket_answer(await engine.execute(command))

    async def set_display_message(self, request: Request) -> Response:
        """A supervisor sets the message every hall display of the site scrolls (live)."""
        engine = await self._engine(request, SUPERVISORS)
        body = await parse_body(request, MessageBody)
        await engine.execute(c.SetDisplayMessage(command_id=new_command_id(), text=body.text))
        return json_response({"text": engine.state.display_message})

    async def report_printer(self, request: Request) -> Response:
        """A kiosk's printer agent reports its printer's status (an event only when it changed)."""
        caller, engine = await self._caller_engine(request, KIOSKS)
        assert isinstance(caller, Principal)  # people never have the kiosk role: authorize refused them
        body = await parse_body(request, PrinterBody)
        await engine.execute(c.ReportPrinter(command_id=new_command_id(), kiosk=caller.token_id, status=body.status))
        return json_response(printer_view(caller.token_id, body.status))

    def _counter(self, kind: type[c.CounterCommand]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            caller, engine = await self._caller_engine(request, STAFF)
            counter = request.path_params["counter"]
            if kind is c.OpenCounter:
                agent, name = agent_of(caller)
                await engine.execute(c.OpenCounter(command_id=new_command_id(), counter=counter, agent=agent,
                                                   agent_name=name))
            elif kind is c.PauseCounter:  # optionally saying why
                body = await parse_body(request, PauseBody, optional=True)
                await engine.execute(c.PauseCounter(command_id=new_command_id(), counter=counter,
                                                    reason=body.reason))
            else:
                await engine.execute(kind(command_id=new_command_id(), counter=counter))
            return json_response(counter_view(engine.state, request.path_params["counter"]))

        return endpoint

    async def state(self, request: Request) -> Response:
        """The snapshot; displays and kiosks get what their live feed gets (no personal or staff fields)."""
        caller, engine = await self._caller_engine(request, ANY_ROLE)
        if isinstance(caller, Principal) and AUDIENCE.get(caller.role) == "public":
            return json_response(public(snapshot_view(engine.state, staff=False)))
        return json_response(snapshot_view(engine.state))

    def build(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        t = base + "/tickets/{ticket_id}"
        transitions: dict[str, type[c.TicketCommand]] = {
            "recall": c.Recall, "start": c.Start, "no-show": c.MarkNoShow,
            "cancel": c.Cancel, "requeue": c.Requeue,
        }
        routes = [
            Route(base + "/tickets", self.issue, methods=["POST"]),
            Route(t, self.get_ticket, methods=["GET"]),
            Route(base + "/counters/{counter}/next", self.call_next, methods=["POST"]),
            Route(t + "/finish", self.finish, methods=["POST"]),
            Route(base + "/agents/me/today", self.my_day, methods=["GET"]),
            Route(t + "/transfer", self.transfer, methods=["POST"]),
            Route(t + "/call", self.call_ticket, methods=["POST"]),
            Route(t + "/reprint", self.reprint, methods=["POST"]),
            route(t + "/note", put=self.set_note, get=self.get_note),
            Route(base + "/kiosks/self/printer", self.report_printer, methods=["PUT"]),
            Route(base + "/display/message", self.set_display_message, methods=["PUT"]),
            Route(base + "/counters/{counter}/open", self._counter(c.OpenCounter), methods=["POST"]),
            Route(base + "/counters/{counter}/pause", self._counter(c.PauseCounter), methods=["POST"]),
            Route(base + "/counters/{counter}/close", self._counter(c.CloseCounter), methods=["POST"]),
            Route(base + "/state", self.state, methods=["GET"]),
        ]
        for name, kind in transitions.items():
            routes.append(Route(
                f"{t}/{name}",
                self._transition(lambda cid, tid, kind=kind: kind(command_id=cid, ticket_id=tid)),  # type: ignore[misc]
                methods=["POST"],
            ))
        return routes


"""The configuration endpoints (API.md "Configuration (admin), applied live"): read a site's whole
configuration, put and delete its services and counters, set its hours, and (an extension) create a
site or change its settings. Each parses its body, calls ``Configuration`` and answers; the rules of
what may change are there and in the queue's decision (``Configure``).

Administrators of the site (or of the whole collectivity) change; supervisors read."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BeforeValidator, Field, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.platform.calendar import regions
from queue_server.platform.sites import MAX_LOGO_BYTES
from queue_server.platform.territories import PHONE_REGIONS
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.configuration import COLOUR, PREFIX, SERVICE_ID, Configuration
from queue_server.queue.domain.config import ICONS, MAX_OUTCOME_CHARS, MAX_OUTCOMES
from queue_server.queue.web.api import site_engine
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.auth import SUPERVISORS
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    Body,
    actor_of,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    read_body,
    route,
    whole_number,
)

ADMIN = frozenset({"admin"})
# What the bodies take, stated in /openapi.json as exactly as a schema can: what no schema can state (a range
# that ends before it starts, two that overlap, a service the site does not have) is a 422 of its own kind.
HHMM = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
TEXT = r"\S"  # not blank
Time = Annotated[str, Field(pattern=HHMM)]
Span = Annotated[list[Time], Field(min_length=2, max_length=2)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekly = dict[Day, Annotated[list[Span], Field(max_length=12)]]
Language = Literal["fr", "en", "es", "ar"]
Icon = Literal[tuple(sorted(ICONS))]  # type: ignore[valid-type]
Region = Literal[tuple(regions())]  # type: ignore[valid-type]
PhoneRegion = Literal[PHONE_REGIONS]  # type: ignore[valid-type]
Zone = Literal[tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))]  # type: ignore[valid-type]  # noqa: E501
ServiceId = Annotated[str, Field(pattern=SERVICE_ID.pattern)]




Cap = Annotated[StrictInt, Field(ge=1, le=9999), BeforeValidator(whole_number)]
Ahead = Annotated[StrictInt, Field(ge=0, le=50), BeforeValidator(whole_number)]
AlertWait = Annotated[StrictInt, Field(ge=60, le=86_400), BeforeValidator(whole_number)]
Duration = Annotated[StrictInt, Field(ge=30, le=7_200), BeforeValidator(whole_number)]
Idle = Annotated[StrictInt, Field(ge=10, le=600), BeforeValidator(whole_number)]
Outcome = Annotated[str, Field(min_length=1, max_length=MAX_OUTCOME_CHARS, pattern=TEXT)]


class ServiceBody(Body):
    """A service as an administrator writes it; absent optional fields keep their value (defaults for a new one,
    which needs a name and a prefix)."""

    name: str = Field(default=None, max_length=200, pattern=TEXT)  # type: ignore[assignment]
    prefix: str = Field(default=None, pattern=PREFIX.pattern)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=200)  # type: ignore[assignment]
    icon: Icon = None  # type: ignore[valid-type]
    priority: StrictBool = None  # type: ignore[assignment]  # the kiosk offers priority tickets for it
    daily_cap: Cap | None = None  # null: no cap
    sms_ahead: Ahead | None = None  # 0 or null: no text message
    alert_wait_s: AlertWait = None  # type: ignore[assignment]
    ticket_message: str = Field(default=None, max_length=200)  # type: ignore[assignment]
    default_duration_s: Duration = None  # type: ignore[assignment]
    hours: Weekly | None = None  # hours of its own ({"mon": [["08:30", "12:00"]], …}); null: the site's
    # What its visits may end with, as agents say when finishing one ("Dossier complet"); []: nothing asked.
    outcomes: list[Outcome] = Field(default=None, max_length=MAX_OUTCOMES)  # type: ignore[arg-type]


class CounterBody(Body):
    name: str = Field(max_length=200, pattern=TEXT)
    services: list[ServiceId] = Field(min_length=1, max_length=100)


class ClosureBody(Body):
    from_: date = Field(alias="from")
    to: date = None  # type: ignore[assignment]  # the last day closed (default: the first)
    reason: str = Field(default="", max_length=200)


class HoursBody(Body):
    weekly: Weekly | None = None  # null: always open
    closures: list[ClosureBody] = Field(default=None, max_length=500)  # type: ignore[arg-type]
    public_holidays: Region | None = None  # type: ignore[valid-type]  # "FR", "FR-57"…; null: none


class KioskBody(Body):
    languages: list[Language] = Field(default=None, min_length=1, max_length=4)  # type: ignore[arg-type]
    idle_s: Idle | None = None  # null: the server's [kiosk] idle_s


class SiteBody(Body):
    name: str = Field(default=None, max_length=200, pattern=TEXT)  # type: ignore[assignment]
    address: str = Field(default=None, max_length=300)  # type: ignore[assignment]
    timezone: Zone = None  # type: ignore[valid-type]
    region: PhoneRegion = None  # reads local phone numbers: "FR", "RE", "GP"…
    languages: list[Language] = Field(default=None, min_length=1, max_length=4)  # type: ignore[arg-type]
    colours: list[Annotated[str, Field(pattern=COLOUR.pattern)]] = Field(
        default=None, min_length=2, max_length=2)  # type: ignore[arg-type]
    kiosk: KioskBody = None  # type: ignore[assignment]


def _given(body: Body) -> dict[str, Any]:
    """What the body named (``None`` given is kept: it means "none"), by its public names, dates as text."""
    return body.model_dump(exclude_unset=True, by_alias=True, mode="json")


class ConfigApi:
    def __init__(self, deps: QueueDeps, configuration: Configuration) -> None:
        self.queue, self.auth, self.configuration = deps.queue, deps.platform.auth, configuration

    async def _caller(self, request: Request, roles: frozenset[str]) -> tuple[Principal | Person, str]:
        caller = await self.auth.caller(request)
        site = request.path_params["site"]
        await site_engine(self.queue, caller, site, roles)
        return caller, site

    def _who(self, request: Request, caller: Principal | Person) -> dict[str, str]:
        return {"by": actor_of(caller), "address": client_address(request)}

    async def config(self, request: Request) -> Response:
        _caller, site = await self._caller(request, SUPERVISORS)
        return json_response(await self.configuration.document(site))

    async def put_service(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        body = await parse_body(request, ServiceBody)
        service = request.path_params["service"]
        created = await self.configuration.put_service(site, service, _given(body), **self._who(request, caller))
        document = await self.configuration.document(site)
        return json_response(next(s for s in document["services"] if s["id"] == service), 201 if created else 200)

    async def delete_service(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        await self.configuration.delete_service(site, request.path_params["service"], **self._who(request, caller))
        return Response(status_code=204)

    async def put_counter(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        body = await parse_body(request, CounterBody)
        counter = request.path_params["counter"]
        created = await self.configuration.put_counter(site, counter, _given(body), **self._who(request, caller))
        document = await self.configuration.document(site)
        return json_response(next(k for k in document["counters"] if k["id"] == counter), 201 if created else 200)

    async def delete_counter(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        await self.configuration.delete_counter(site, request.path_params["counter"], **self._who(request, caller))
        return Response(status_code=204)

    async def put_hours(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        body = await parse_body(request, HoursBody)
        await self.configuration.put_hours(site, _given(body), **self._who(request, caller))
        return json_response((await self.configuration.document(site))["hours"])

    async def put_site(self, request: Request) -> Response:
        """Create a site in the caller's collectivity (an administrator of the whole collectivity) or change
        its settings (an administrator of the site)."""
        caller = await self.auth.caller(request)
        site = request.path_params["site"]
        if not plausible_id(site):
            raise HTTPError(404, "No such site.", "unknown-site")
        body = await parse_body(request, SiteBody)
        engine = await self.queue.engine(site)
        if engine is not None:
            await site_engine(self.queue, caller, site, ADMIN)
        elif not _tenant_admin(caller):
            raise HTTPError(403, "Only an administrator of the whole collectivity creates sites.", "wrong-role")
        created = await self.configuration.put_site(site, _given(body), tenant=caller.tenant_id,
                                                    **self._who(request, caller))
        return json_response((await self.configuration.document(site))["site"], 201 if created else 200)

    async def put_logo(self, request: Request) -> Response:
        """The body is the logo itself (PNG or JPEG, judged by its content: the Content-Type is not trusted)."""
        caller, site = await self._caller(request, ADMIN)
        data = await read_body(request, MAX_LOGO_BYTES)
        await self.configuration.set_logo(site, data, **self._who(request, caller))
        return json_response((await self.configuration.document(site))["site"])

    async def delete_logo(self, request: Request) -> Response:
        caller, site = await self._caller(request, ADMIN)
        await self.configuration.remove_logo(site, **self._who(request, caller))
        return Response(status_code=204)

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        return [
            route(base, put=self.put_site),
            route(base + "/config", get=self.config),
            route(base + "/services/{service}", put=self.put_service, delete=self.delete_service),
            route(base + "/counters/{counter}", put=self.put_counter, delete=self.delete_counter),
            route(base + "/hours", put=self.put_hours),
            route(base + "/logo", put=self.put_logo, delete=self.delete_logo),
        ]


def _tenant_admin(caller: Principal | Person) -> bool:
    return isinstance(caller, Person) and caller.administers is None

"""The configuration endpoints (API.md "Configuration (admin), applied live"): read a site's whole
configuration, put and delete its services and counters, set its hours, and (an extension) create a
site or change its settings. Each parses its body, calls ``Configuration`` and answers; the rules of
what may change are there and in the queue's decision (``Configure``).

Administrators of the site (or of the whole collectivity) change; supervisors read."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.configuration import Configuration
from queue_server.queue.web.api import site_engine
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.auth import SUPERVISORS
from queue_server.web.errors import HTTPError
from queue_server.web.http import Body, actor_of, client_address, json_response, parse_body, plausible_id, route

ADMIN = frozenset({"admin"})
Hhmm = Annotated[str, Field(max_length=5)]
Weekly = dict[Annotated[str, Field(max_length=3)], list[Annotated[list[Hhmm], Field(min_length=2, max_length=2)]]]


class ServiceBody(Body):
    """A service as an administrator writes it; absent optional fields keep their value (defaults for a new one)."""

    name: str | None = Field(default=None, max_length=200)
    prefix: str | None = Field(default=None, max_length=3)
    description: str | None = Field(default=None, max_length=200)
    icon: str | None = Field(default=None, max_length=32)
    priority: StrictBool | None = None  # the kiosk offers priority tickets for it
    daily_cap: StrictInt | None = None
    sms_ahead: StrictInt | None = None
    alert_wait_s: StrictInt | None = None
    ticket_message: str | None = Field(default=None, max_length=200)
    default_duration_s: StrictInt | None = None
    hours: Weekly | None = None  # hours of its own ({"mon": [["08:30", "12:00"]], …}); null: the site's


class CounterBody(Body):
    name: str = Field(max_length=200)
    services: list[Annotated[str, Field(max_length=64)]] = Field(max_length=100)


class ClosureBody(Body):
    from_: str = Field(alias="from", max_length=10)
    to: str | None = Field(default=None, max_length=10)
    reason: str = Field(default="", max_length=200)


class HoursBody(Body):
    weekly: Weekly | None = None  # null: always open
    closures: list[ClosureBody] | None = Field(default=None, max_length=500)
    public_holidays: str | None = Field(default=None, max_length=16)  # "FR", "FR-57"…; null: none


class KioskBody(Body):
    languages: list[Annotated[str, Field(max_length=8)]] | None = Field(default=None, max_length=8)
    idle_s: StrictInt | None = None


class SiteBody(Body):
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    timezone: str | None = Field(default=None, max_length=64)
    languages: list[Annotated[str, Field(max_length=8)]] | None = Field(default=None, max_length=8)
    colours: list[Annotated[str, Field(max_length=7)]] | None = Field(default=None, max_length=2)
    kiosk: KioskBody | None = None


def _given(body: Body) -> dict[str, Any]:
    """What the body named (``None`` given is kept: it means "none"), by its public names."""
    return body.model_dump(exclude_unset=True, by_alias=True)


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

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        return [
            route(base, put=self.put_site),
            route(base + "/config", get=self.config),
            route(base + "/services/{service}", put=self.put_service, delete=self.delete_service),
            route(base + "/counters/{counter}", put=self.put_counter, delete=self.delete_counter),
            route(base + "/hours", put=self.put_hours),
        ]


def _tenant_admin(caller: Principal | Person) -> bool:
    return isinstance(caller, Person) and caller.administers is None

"""The requests' endpoints about the citizen record and retention, under ``/api/v1/tenants/{tenant}/requests``:

- ``POST …/{id}/party`` ``{"party": N}``: staff link the request to the party ``N`` of the citizen record
  (``parties.py``); 200 Request; 422 ``unknown-party`` naming ``party`` when the record has no such party;
- ``GET …/purges``: the deletion reports of the retention job (``retention.py``), for administrators.

Another collectivity is unknown (404), like a request of another one. ``…/purges`` is a path of its own: its
route comes before the API's ``…/{request}`` (``web/app.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.requests.errors import unknown_request, unknown_tenant
from queue_server.requests.parties import PartyLink
from queue_server.requests.retention import RequestsRetention
from queue_server.requests.service import Who
from queue_server.requests.web.api import request_view
from queue_server.web.auth import STAFF, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    Body,
    actor_of,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    route,
    whole_number,
)

ADMINS = frozenset({"admin"})



class PartyBody(Body):
    party: Annotated[StrictInt, Field(ge=1, le=2**31 - 1), BeforeValidator(whole_number)] = Field(
        description="the number of a party of the collectivity's citizen record (422 unknown-party otherwise)")


class RecordApi:
    def __init__(self, auth: Authenticator, link: PartyLink, retention: RequestsRetention) -> None:
        self.auth = auth
        self.link = link
        self.retention = retention

    def routes(self) -> list[Any]:
        base = "/api/v1/tenants/{tenant}/requests"
        return [route(base + "/purges", get=self.purges), route(base + "/{request}/party", post=self.party)]

    async def _caller(self, request: Request, allowed: frozenset[str], refusal: str) -> tuple[Principal | Person, str]:
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not roles & allowed:
            raise HTTPError(403, refusal, "wrong-role")
        return caller, tenant

    async def party(self, request: Request) -> Response:
        caller, tenant = await self._caller(request, STAFF, "Only staff of the collectivity may do this.")
        body = await parse_body(request, PartyBody)
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        found = await self.link.link(tenant, request_id, body.party,
                                     Who(actor_of(caller), True, client_address(request)))
        return json_response(request_view(found, staff=True))

    async def purges(self, request: Request) -> Response:
        _caller, tenant = await self._caller(request, ADMINS,
                                             "Only an administrator may read the deletion reports.")
        return json_response({"items": await self.retention.reports(tenant)})

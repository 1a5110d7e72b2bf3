"""``GET /api/v1/tenants/{tenant}/booking/purges``: booking's deletion reports (``booking/retention.py``), for
the collectivity's supervisors and administrators (a person counts with their best role in the collectivity,
a device's token with its own). Another collectivity is unknown (404)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.booking.retention import BookingRetention
from queue_server.platform.users import Person
from queue_server.web.auth import Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response, route

READERS = frozenset({"supervisor", "admin"})


class PurgesApi:
    def __init__(self, auth: Authenticator, retention: BookingRetention) -> None:
        self.auth = auth
        self.retention = retention

    def routes(self) -> list[Any]:
        return [route("/api/v1/tenants/{tenant}/booking/purges", get=self.purges)]

    async def purges(self, request: Request) -> Response:
        caller = await self.auth.caller(request)
        tenant = request.path_params["tenant"]
        if caller.tenant_id != tenant:
            raise HTTPError(404, "No such collectivity.", "unknown-tenant")
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not roles & READERS:
            raise HTTPError(403, "Only a supervisor or an administrator may read the deletion reports.", "wrong-role")
        return json_response({"items": await self.retention.reports(tenant)})

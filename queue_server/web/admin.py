"""What a tenant's administrators do through the API: pair devices, list and revoke them, read the
audit log (JSON or CSV). Every change is written to the audit log.

- ``POST /api/v1/sites/{site}/pairings`` (admin): a single-use code, valid 10 minutes, for a kiosk
  or a display of that site.
- ``POST /api/v1/pair`` (no credentials: the code is one): the device exchanges the code for its own
  long-lived token, bound to that site and role. Tokens never expire by themselves; they stop only
  when revoked.
- ``GET /api/v1/sites/{site}/devices``, ``POST /api/v1/sites/{site}/devices/{id}/revoke`` (admin).
- ``GET /api/v1/audit`` and ``GET /api/v1/audit.csv`` (admin): the latest entries of the tenant
  (a site admin sees the entries of their sites), narrowed as ``/admin/audit`` narrows them (``from``,
  ``to``, ``site``, ``who``, ``action``: ``admin_view.parse_filters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from typing_extensions import TypedDict

from queue_server.db.tables import ApiToken, AuditEntry
from queue_server.platform.audit import AuditLog, Clocks, as_csv
from queue_server.platform.devices import Devices
from queue_server.platform.pairing import TTL_S
from queue_server.platform.spreadsheet import for_people, wanted_language
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.codec import iso
from queue_server.queue.service import QueueService
from queue_server.queue.web.api import site_engine
from queue_server.web.admin_view import parse_filters
from queue_server.web.auth import SUPERVISORS, authorize
from queue_server.web.deps import PlatformDeps
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    Body,
    Matches,
    actor_of,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    rate_limit,
)

ADMIN = frozenset({"admin"})
DEVICE_ROLES = ("kiosk", "display")


# A device's name is shown in lists and written to SQL, where PostgreSQL refuses a NUL: no control characters.
DEVICE_NAME = r"^[^\u0000-\u001f\u007f-\u009f]*$"


def _(message: str) -> str:
    """Marks a column name for the catalogs (``make i18n``); it is translated when the file is written."""
    return message


AUDIT_COLUMNS = (_("When"), _("Site"), _("Who"), _("Action"), _("Target"), _("Address"), _("Detail"))


class PairingBody(Body):
    role: Literal["kiosk", "display"]
    name: Annotated[str, Field(max_length=200), Matches(DEVICE_NAME, "a device's name may not hold control "
                                                                     "characters")] = ""


class PairBody(Body):
    code: str = Field(min_length=1, max_length=32)


def whole_number(raw: str) -> bool:
    """Plain ASCII digits, short enough for an id (``"²".isdigit()`` is true, and int() refuses it)."""
    return raw.isascii() and raw.isdecimal() and len(raw) < 12


class DeviceStatus(TypedDict):
    id: int  # the device's token id
    role: str  # kiosk or display
    name: str
    online: bool  # its live feed is open (a kiosk's page or printer agent, a display's page or voice agent)
    last_seen: str | None
    printer: str | None  # a kiosk's printer as its agent last reported it (None: never reported)


def device_view(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "site": row.site_id, "role": row.role, "name": row.name,
            "created_at": iso(row.created_at), "revoked_at": iso(row.revoked_at) if row.revoked_at else None}


class Admin:
    def __init__(self, deps: PlatformDeps, queue: QueueService) -> None:
        self.queue = queue  # the sites' engines: who may act where, the kiosks' printers
        self.auth, self.presence = deps.auth, deps.presence
        self.audit_log = AuditLog(deps.db)
        self.devices_of = Devices(deps.db, deps.codes)
        self.limits, self.limit_settings = deps.limits, deps.settings.limits

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        return [
            Route(base + "/pairings", self.create_pairing, methods=["POST"]),
            Route("/api/v1/pair", self.pair, methods=["POST"]),
            Route(base + "/devices", self.devices, methods=["GET"]),
            Route(base + "/devices/status", self.device_status, methods=["GET"]),
            Route(base + "/devices/{device}/revoke", self.revoke, methods=["POST"]),
            Route("/api/v1/audit", self.audit, methods=["GET"]),
            Route("/api/v1/audit.csv", self.audit_csv, methods=["GET"]),
        ]

    async def _site_admin(self, request: Request) -> tuple[Principal | Person, str, str]:
        """The caller, the site and its tenant, if the caller administers the site (404/403 otherwise)."""
        caller = await self.auth.caller(request)
        site = request.path_params["site"]
        engine = await self.queue.engine(site) if plausible_id(site) else None
        config = authorize(caller, engine.config if engine else None, ADMIN)
        return caller, config.id, config.tenant

    async def create_pairing(self, request: Request) -> Response:
        caller, site, tenant = await self._site_admin(request)
        body = await parse_body(request, PairingBody)
        code = await self.devices_of.new_code(site=site, tenant=tenant, role=body.role, name=body.name,
                                              by=actor_of(caller), address=client_address(request))
        expires = datetime.now(UTC) + timedelta(seconds=TTL_S)
        return json_response({"code": code, "site": site, "role": body.role, "expires_at": iso(expires)}, 201)

    async def pair(self, request: Request) -> Response:
        await rate_limit(self.limits, f"pair-address:{client_address(request)}",
                         self.limit_settings.pairing_attempts_per_address_per_minute, "This address")
        body = await parse_body(request, PairBody)
        paired = await self.devices_of.pair(body.code, client_address(request))
        return json_response({"token": paired.token, "token_id": paired.token_id, "site": paired.site,
                              "role": paired.role}, 201)

    async def devices(self, request: Request) -> Response:
        _, site, _ = await self._site_admin(request)
        return json_response([device_view(row) for row in await self.devices_of.of_site(site)])

    async def device_status(self, request: Request) -> Response:
        """The site's paired displays and kiosks, whether each is connected now, and each kiosk's printer
        (supervisors and admins: the dashboard's alerts)."""
        caller = await self.auth.caller(request)
        engine = await site_engine(self.queue, caller, request.path_params["site"], SUPERVISORS)
        rows = await self.devices_of.of_site(engine.site, live_screens_and_kiosks=True)
        seen = await self.presence.status(engine.site)
        out: list[DeviceStatus] = []
        for row in rows:
            assert row.id is not None
            online, at = seen.get(row.id, (False, 0.0))
            out.append({"id": row.id, "role": row.role, "name": row.name, "online": online,
                        "last_seen": iso(datetime.fromtimestamp(at, UTC)) if at else None,
                        "printer": engine.state.printers.get(row.id) if row.role == "kiosk" else None})
        return json_response(out)

    async def revoke(self, request: Request) -> Response:
        caller, site, _ = await self._site_admin(request)
        raw = request.path_params["device"]
        row = await self.devices_of.revoke({site}, int(raw) if whole_number(raw) else None, actor_of(caller),
                                           client_address(request))
        await self.auth.announce("token", row.id or 0)
        return json_response(device_view(row))

    async def _audit_rows(self, request: Request) -> tuple[Sequence[AuditEntry], Clocks]:
        caller = await self.auth.caller(request)
        sites: frozenset[str] | None
        if isinstance(caller, Person):
            sites = caller.administers
            if sites is not None and not sites:
                raise HTTPError(403, "Only administrators may read the audit log.", "wrong-role")
        elif caller.role == "admin":
            sites = None  # an admin token covers every site of its tenant
        else:
            raise HTTPError(403, f"A {caller.role} token cannot read the audit log.", "wrong-role")
        raw = request.query_params.get("limit", "1000")
        limit = int(raw) if whole_number(raw) and 1 <= int(raw) <= 10_000 else None
        if limit is None:
            raise HTTPError(422, "limit must be a whole number from 1 to 10000.", "invalid-query")
        filters, errors = parse_filters(request.query_params)
        if errors:
            raise HTTPError(422, f"{next(iter(errors))} must be a day as YYYY-MM-DD, such as 2026-07-01.",
                            "invalid-query")
        return await self.audit_log.latest(caller.tenant_id, sites, filters, limit)

    async def audit(self, request: Request) -> Response:
        rows, _ = await self._audit_rows(request)
        return json_response([{"at": iso(r.at), "site": r.site_id, "actor": r.actor, "action": r.action,
                               "target": r.target, "address": r.address, "detail": r.detail} for r in rows])

    async def audit_csv(self, request: Request) -> Response:
        """The machine form, or with ``?lang=fr|en`` a spreadsheet in that language, times on each site's
        wall clock (for entries of no site, the clock the tenant's sites share, else Europe/Paris)."""
        try:
            lang = wanted_language(request.query_params.get("lang"))
        except ValueError:
            raise HTTPError(422, "lang must be fr or en (a spreadsheet in that language), or left out.",
                            "invalid-query") from None
        rows, clocks = await self._audit_rows(request)
        if lang is None:
            text = as_csv(rows)
        else:
            text = for_people(AUDIT_COLUMNS, [
                [r.at.astimezone(clocks.of(r.site_id)).strftime("%d/%m/%Y %H:%M:%S"), r.site_id,
                 r.actor, r.action, r.target, r.address, r.detail] for r in rows], lang)
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})

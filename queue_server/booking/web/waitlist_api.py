"""The waiting list's endpoints, under ``/api/v1/sites/{site}/waitlist``: anyone joins it for a motif they may
book (rate-limited per address like booking), staff for a person of the citizen record; staff list and remove
entries. Telling people happens in the booking service when a place frees up (``booking/waitlist.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.booking.tables import WaitingEntry
from queue_server.booking.waitlist import Waiting
from queue_server.booking.web.api import SLUG, BookingApi, Language, PartyId, PersonBody
from queue_server.platform.phones import mobile_e164
from queue_server.web.http import Body, client_address, json_response, parse_body, rate_limit, route


class WaitingBody(Body):
    motif: str = Field(pattern=SLUG)
    before: date = Field(description="the last day that would suit (the site's calendar)")
    person: PersonBody
    party: PartyId | None = Field(None, description="staff only: the citizen record's party")
    lang: Language = "fr"
    appointment: str | None = Field(None, min_length=1, max_length=32, description="the later appointment held")


def entry_view(entry: WaitingEntry) -> dict[str, Any]:
    return {"id": entry.id, "motif": entry.motif, "before": entry.before.isoformat(),
            "person": {"first_name": entry.first_name, "last_name": entry.last_name, "email": entry.email,
                       "phone": entry.phone},
            "party": entry.party, "appointment": entry.appointment_id,
            "created_at": entry.created_at.isoformat().replace("+00:00", "Z")}


class WaitlistApi:
    def __init__(self, api: BookingApi) -> None:
        self.api = api
        self.booking = api.booking

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}/waitlist"
        return [route(base, post=self.join, get=self.list), route(base + "/{entry}", delete=self.remove)]

    async def join(self, request: Request) -> Response:
        caller, config = await self.api._maybe_staff(request)
        body = await parse_body(request, WaitingBody)
        if caller is None:
            await rate_limit(self.api.limits, f"waitlist:{client_address(request)}", 10, "This address")
        await self.booking.motif(config.id, body.motif, staff=caller is not None)
        phone = mobile_e164(body.person.phone, config.region, "person.phone") if body.person.phone else None
        email = str(body.person.email).lower() if body.person.email else None
        entry = await self.booking.waitlist.add(config, Waiting(
            motif=body.motif, before=body.before, first_name=body.person.first_name.strip(),
            last_name=body.person.last_name.strip(), email=email,
            phone=phone, party=body.party if caller is not None else None, lang=body.lang,
            appointment=body.appointment), self.booking.clock())
        return json_response(entry_view(entry), 201)

    async def list(self, request: Request) -> Response:
        _caller, config = await self.api._staff(request)
        motif = request.query_params.get("motif")
        return json_response({"items": [entry_view(e) for e in await self.booking.waitlist.entries(config.id, motif)]})

    async def remove(self, request: Request) -> Response:
        _caller, config = await self.api._staff(request)
        raw = request.path_params["entry"]
        number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else -1  # "²" is a digit to Python
        await self.booking.waitlist.remove(config.id, number)
        return Response(status_code=204)

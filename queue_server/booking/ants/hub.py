"""The search API the ANTS hub calls on Guichet (contract: ``values.py``): the meeting points we manage, their
free slots, and our appointments for pre-application numbers.

``ants_routes`` gives the three routes under ``prefix`` (``/api/ants`` by default: the base URL declared to
the ANTS is then ``https://GUICHET/api/ants``). Each checks the ``X-HUB-RDV-AUTH-TOKEN`` header against
``token`` in constant time; missing, wrong, or an empty ``token`` configured: 401 problem+json. Bad
parameters: 400 problem+json. Answers are JSON in the contract's shapes.

The hub waits 15 s for ``availableTimeSlots`` and 5 s for ``searchApplicationIds``. Each meeting point's
slots are asked of the ``Directory`` on its own (four at a time) and the answer leaves after
``slots_budget_s`` at the latest, with the meeting points finished by then (the others are left out, and
logged); a meeting point whose search fails is left out too. ``searchApplicationIds`` has
``search_budget_s``; past it every number is answered with no appointment. Limits: ``MAX_DAYS`` days of slots
from ``start_date`` (the hub asks for whole months), ``MAX_MEETING_POINTS`` meeting points and
``MAX_APPLICATION_IDS`` numbers per request, ``MAX_DOCUMENTS`` persons.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.booking.ants.rules import APPLICATION_ID, split_ids
from queue_server.booking.ants.values import REASONS, Booked, MeetingPoint, TimeSlot, slot_datetime
from queue_server.web.errors import problem

log = logging.getLogger(__name__)
TOKEN_HEADER = "x-hub-rdv-auth-token"
MAX_DAYS = 190
MAX_MEETING_POINTS = 200
MAX_APPLICATION_IDS = 50
MAX_DOCUMENTS = 20
PARALLEL_SEARCHES = 4


class Directory(Protocol):
    """What the hub's routes need of the booking service."""

    async def meeting_points(self) -> list[MeetingPoint]:
        """The sites offering ANTS motifs."""
        ...

    async def free_slots(self, meeting_point_ids: Sequence[str], first: date, last: date, reason: str,
                         documents_number: int) -> dict[str, list[TimeSlot]]:
        """Free starts from ``first`` to ``last`` (local dates, both included) at each of ``meeting_point_ids``
        (unknown ones left out) for a ``reason`` (``values.REASONS``) motif, long enough for
        ``documents_number`` persons."""
        ...

    async def appointments_of(self, application_ids: Sequence[str]) -> dict[str, list[Booked]]:
        """Our upcoming appointments carrying each of ``application_ids`` (numbers without any: left out)."""
        ...


class _BadRequest(Exception):
    pass


def ants_routes(directory: Directory, token: str, *, prefix: str = "/api/ants", slots_budget_s: float = 10.0,
                search_budget_s: float = 4.0) -> list[Route]:
    """The search API's routes (see the module's docstring); ``token``: the one the ANTS sends us."""
    expected = token.encode()

    def guarded(endpoint: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def guard(request: Request) -> Response:
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not expected or not hmac.compare_digest(given, expected):
                return problem(401, "X-HUB-RDV-AUTH-TOKEN header is missing or invalid", "ants-token")
            try:
                body = await endpoint(request)
            except _BadRequest as exc:
                return problem(400, str(exc), "ants-parameters")
            return Response(orjson.dumps(body), media_type="application/json")
        return guard

    async def meeting_points(request: Request) -> list[MeetingPoint]:
        return await directory.meeting_points()

    async def available_time_slots(request: Request) -> dict[str, list[dict[str, str]]]:
        query = request.query_params
        ids = [part for value in query.getlist("meeting_point_ids") for part in value.split(",") if part]
        if not ids:
            raise _BadRequest("meeting_point_ids is required")
        if len(ids) > MAX_MEETING_POINTS:
            raise _BadRequest(f"at most {MAX_MEETING_POINTS} meeting_point_ids")
        first, last = _date(query.get("start_date"), "start_date"), _date(query.get("end_date"), "end_date")
        if first > last:
            raise _BadRequest("start_date is after end_date")
        last = min(last, first + timedelta(days=MAX_DAYS))
        reason = query.get("reason", "CNI")
        if reason not in REASONS:
            raise _BadRequest("reason must be CNI, PASSPORT or CNI-PASSPORT")
        documents = _count(query.get("documents_number", "1"))
        found = await _slots(directory, list(dict.fromkeys(ids)), first, last, reason, documents, slots_budget_s)
        return {point: _slots_json(slots) for point, slots in found.items()}

    async def search_application_ids(request: Request) -> dict[str, list[dict[str, str]]]:
        ids = [i for i in split_ids(request.query_params.getlist("application_ids")) if APPLICATION_ID.fullmatch(i)]
        if not ids:
            raise _BadRequest("application_ids is required: numbers of 10 letters and digits")
        if len(ids) > MAX_APPLICATION_IDS:
            raise _BadRequest(f"at most {MAX_APPLICATION_IDS} application_ids")
        booked: dict[str, list[Booked]] = {}
        with anyio.move_on_after(search_budget_s) as scope:
            booked = await directory.appointments_of(ids)
        if scope.cancelled_caught:
            log.warning("ANTS searchApplicationIds: no answer within %g s, answered empty", search_budget_s)
        return {i: [{"meeting_point": b.meeting_point, "datetime": slot_datetime(b.start),
                     "management_url": b.management_url, "cancel_url": b.cancel_url}
                    for b in booked.get(i, ())] for i in ids}

    return [
        Route(f"{prefix}/getManagedMeetingPoints", guarded(meeting_points), methods=["GET"]),
        Route(f"{prefix}/availableTimeSlots", guarded(available_time_slots), methods=["GET"]),
        Route(f"{prefix}/searchApplicationIds", guarded(search_application_ids), methods=["GET"]),
    ]


async def _slots(directory: Directory, ids: list[str], first: date, last: date, reason: str, documents: int,
                 budget_s: float) -> dict[str, list[TimeSlot]]:
    """Each meeting point's slots, asked on its own; those found within ``budget_s``."""
    found: dict[str, list[TimeSlot]] = {}
    limiter = anyio.CapacityLimiter(PARALLEL_SEARCHES)

    async def search(point: str) -> None:
        async with limiter:
            try:
                slots = await directory.free_slots([point], first, last, reason, documents)
            except Exception:  # one meeting point's failure leaves the others' answer intact
                log.exception("ANTS availableTimeSlots: the search failed for one meeting point")
                return
        if point in slots:
            found[point] = slots[point]

    with anyio.move_on_after(budget_s) as scope:
        async with anyio.create_task_group() as tasks:
            for point in ids:
                tasks.start_soon(search, point)
    if scope.cancelled_caught:
        log.warning("ANTS availableTimeSlots: %d of %d meeting points not searched within %g s, left out",
                    len(ids) - len(found), len(ids), budget_s)
    return found


def _slots_json(slots: Sequence[TimeSlot]) -> list[dict[str, str]]:
    """In time order, one per start (the hub neither sorts nor merges)."""
    unique: dict[str, str] = {}
    for slot in sorted(slots, key=lambda s: s.start.replace(tzinfo=None)):
        unique.setdefault(slot_datetime(slot.start), slot.callback_url)
    return [{"datetime": when, "callback_url": url} for when, url in unique.items()]


def _date(value: str | None, name: str) -> date:
    if not value:
        raise _BadRequest(f"{name} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _BadRequest(f"{name} must be a date, YYYY-MM-DD") from None


def _count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_DOCUMENTS:
        raise _BadRequest(f"documents_number must be a whole number from 1 to {MAX_DOCUMENTS}")
    return int(value)

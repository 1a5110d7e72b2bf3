"""The ANTS anti-duplicate API ("api-coordination"), which Guichet calls: a number's status at booking, our
appointments declared when booked and deleted when cancelled (contract: ``values.py``).

    AntsError   the API did not answer usefully: unreachable, no answer within ``timeout_s``, an HTTP
                error status, or a body we cannot read. One class: a caller only decides whether to go
                on without the ANTS. Its message names the call and the cause, never the token.

One ``httpx.AsyncClient`` per ``AntsClient``, owned by whoever made it (``async with``, or ``aclose()``; the
app's lifespan). ``timeout_s`` bounds each call as a whole (connect, send, wait, read). No retries here: a
booking waits for ``status``, so it must fail fast; ``declare``/``withdraw`` belong in a retried job (the
outbox), which calls them again. The token goes in the ``x-rdv-opt-auth-token`` header only, never in a log
line, a message or a URL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import anyio
import httpx

from queue_server.booking.ants.values import (
    STATUSES,
    ApplicationStatus,
    DeclaredAppointment,
    MeetingPoint,
    Status,
    appointment_date,
)

log = logging.getLogger(__name__)
TOKEN_HEADER = "x-rdv-opt-auth-token"
PRODUCTION_URL = "https://api-coordination.rendezvouspasseport.ants.gouv.fr/api"
_BODY_SHOWN = 200  # characters of an error answer kept in AntsError's message


class AntsError(Exception):
    """The anti-duplicate API did not answer usefully (see the module's docstring)."""


class AntsClient:
    """Calls to the anti-duplicate API at ``api_url`` (``PRODUCTION_URL``, or the ANTS' integration
    environment ``https://int.api-coordination.rendezvouspasseport.ants.gouv.fr/api``)."""

    def __init__(self, api_url: str, token: str, *, timeout_s: float = 4.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not api_url.startswith(("https://", "http://")):
            raise ValueError("the ANTS API URL must start with https:// or http://")
        self._timeout_s = timeout_s
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/") + "/", transport=transport, timeout=httpx.Timeout(timeout_s),
            headers={TOKEN_HEADER: token, "accept": "application/json"}, follow_redirects=False)

    async def __aenter__(self) -> AntsClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def status(self, ids: Sequence[str]) -> dict[str, ApplicationStatus]:
        """The status of each of ``ids`` (normalised numbers), in one call; a number the answer leaves out,
        or gives a status we do not know, is ``unknown``. No ids: no call."""
        if not ids:
            return {}
        answer = await self._call("GET", "status", {"application_ids": list(ids)}, "status")
        if not isinstance(answer, dict):
            raise AntsError("ANTS status: the answer is not a JSON object")
        return {application_id: _status(application_id, answer.get(application_id)) for application_id in ids}

    async def declare(self, application_id: str, *, meeting_point: MeetingPoint, start: datetime,
                      management_url: str) -> None:
        """Declares our appointment for ``application_id`` at ``meeting_point`` at ``start`` (the site's wall
        clock), where the citizen manages it at ``management_url`` (absolute)."""
        answer = await self._call("POST", "appointments", {
            "application_id": application_id, "meeting_point": meeting_point.name,
            "meeting_point_id": meeting_point.id, "appointment_date": appointment_date(start),
            "management_url": management_url}, "declare")
        if isinstance(answer, dict) and answer.get("success") is False:
            raise AntsError("ANTS declare: the appointment was refused")

    async def withdraw(self, application_id: str, *, meeting_point: MeetingPoint, start: datetime) -> int:
        """Deletes our appointment for ``application_id`` at ``meeting_point`` at ``start`` (as declared); how
        many the API deleted (0: it had none, which is not an error)."""
        answer = await self._call("DELETE", "appointments", {
            "application_id": application_id, "meeting_point": meeting_point.name,
            "meeting_point_id": meeting_point.id, "appointment_date": appointment_date(start)}, "withdraw")
        count = answer.get("rowcount", 0) if isinstance(answer, dict) else 0
        return count if isinstance(count, int) else 0

    async def _call(self, method: str, path: str, params: dict[str, Any], what: str) -> Any:
        try:
            with anyio.fail_after(self._timeout_s):
                response = await self._http.request(method, path, params=params)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise AntsError(f"ANTS {what}: no answer within {self._timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise AntsError(f"ANTS {what}: {type(exc).__name__} ({exc})") from exc
        if response.status_code >= 400:
            raise AntsError(f"ANTS {what}: HTTP {response.status_code}: {response.text[:_BODY_SHOWN]}")
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise AntsError(f"ANTS {what}: the answer is not JSON") from exc


def _status(application_id: str, entry: Any) -> ApplicationStatus:
    if not isinstance(entry, dict):
        return ApplicationStatus(application_id, "unknown")
    raw = entry.get("status")
    status: Status = next((known for known in STATUSES if known == raw), "unknown")
    if status == "unknown" and raw != "unknown":
        log.warning("ANTS status: a status we do not know (%r), taken as unknown", raw)
    appointments = tuple(_appointment(item) for item in entry.get("appointments") or () if isinstance(item, dict))
    return ApplicationStatus(application_id, status, tuple(a for a in appointments if a is not None))


def _appointment(item: dict[str, Any]) -> DeclaredAppointment | None:
    meeting_point, date, url = item.get("meeting_point"), item.get("appointment_date"), item.get("management_url")
    if not (isinstance(meeting_point, str) and isinstance(date, str) and isinstance(url, str)):
        return None
    point_id = item.get("meeting_point_id")
    return DeclaredAppointment(meeting_point, date, url, str(point_id) if point_id is not None else None)

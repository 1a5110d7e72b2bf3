"""A fake of the ANTS anti-duplicate API ("api-coordination"), following its published contract
(``queue_server/booking/ants/values.py``), served over real HTTP by uvicorn on 127.0.0.1; and ``served``, which
serves any ASGI app that way for a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.system.servers import free_port


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[str]:
    """``app`` on a real uvicorn server on 127.0.0.1 for the block; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None,
                                           timeout_graceful_shutdown=2))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve)
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True


@dataclass
class FakeAnts:
    """The anti-duplicate API under ``/api``: ``statuses`` per number (a number it does not hold is
    ``unknown``), appointments recorded by POST and removed by DELETE, the ``x-rdv-opt-auth-token`` header
    checked against ``token`` (401 otherwise, with the ANTS' words). ``fail_with``: answer every call with this
    HTTP status; ``hang``: answer no call until ``release()``."""

    token: str
    statuses: dict[str, str] = field(default_factory=dict)
    appointments: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    fail_with: int | None = None
    hang: bool = False
    calls: list[str] = field(default_factory=list)
    _released: anyio.Event = field(default_factory=anyio.Event)

    def release(self) -> None:
        self._released.set()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/status", self._status, methods=["GET"]),
                                 Route("/api/appointments", self._appointments, methods=["POST", "DELETE"])])

    async def _refusal(self, request: Request) -> JSONResponse | None:
        self.calls.append(f"{request.method} {request.url.path}")
        if self.hang:
            await self._released.wait()
        if request.headers.get("x-rdv-opt-auth-token") != self.token:
            return JSONResponse({"detail": "X-RDV-OPT-AUTH-TOKEN header invalid"}, status_code=401)
        if self.fail_with is not None:
            return JSONResponse({"detail": "Internal server error"}, status_code=self.fail_with)
        return None

    async def _status(self, request: Request) -> JSONResponse:
        if refused := await self._refusal(request):
            return refused
        ids = request.query_params.getlist("application_ids")
        if not ids:
            return _missing("application_ids")
        return JSONResponse({i: {"status": self.statuses.get(i, "unknown"),
                                 "appointments": self.appointments.get(i, [])} for i in ids})

    async def _appointments(self, request: Request) -> JSONResponse:
        if refused := await self._refusal(request):
            return refused
        query = request.query_params
        required = ("application_id", "meeting_point", "appointment_date") + (
            ("management_url",) if request.method == "POST" else ())
        for name in required:
            if not query.get(name):
                return _missing(name)
        held = self.appointments.setdefault(query["application_id"], [])
        if request.method == "POST":
            entry: dict[str, Any] = {k: query[k] for k in ("meeting_point", "appointment_date", "management_url")}
            if query.get("meeting_point_id"):
                entry["meeting_point_id"] = query["meeting_point_id"]
            held.append(entry)
            return JSONResponse({"success": True})
        kept = [a for a in held if (a["meeting_point"], a["appointment_date"])
                != (query["meeting_point"], query["appointment_date"])]
        self.appointments[query["application_id"]] = kept
        return JSONResponse({"rowcount": len(held) - len(kept)})


def _missing(name: str) -> JSONResponse:
    """FastAPI's answer for a missing query parameter, as the ANTS' API gives it."""
    return JSONResponse({"detail": [{"loc": ["query", name], "msg": "field required", "type": "value_error.missing"}]},
                        status_code=422)

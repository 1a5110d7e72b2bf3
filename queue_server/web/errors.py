"""The only place where errors become HTTP answers: problem+json (RFC 9457).

    DomainError.NotFound → 404, Conflict → 409, Invalid → 422
    Unavailable (Redis unreachable), a database that cannot be reached (OperationalError,
    InterfaceError), a refused or timed-out connection (ConnectionError, TimeoutError)
                                     → 503 with Retry-After
    HTTPError (raised by the web layer: 400, 401, 403, 404, 405, 413, 422) → its status
    PlatformError (platform/errors.py: InvalidField → 422, UnknownField → 404) → its status, naming the field
    ClientDisconnect (the client went away before its body was all read) → nothing: nobody listens;
                                     logged once at debug, never as an error (anyone can cause it)
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from queue_server.platform.errors import PlatformError
from queue_server.queue.codec import iso
from queue_server.queue.domain.errors import Conflict, DomainError, Invalid, NotFound, ServiceClosed
from queue_server.queue.service import Unavailable

log = logging.getLogger(__name__)

_TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    410: "Gone",
    413: "Content too large",
    422: "Invalid request",
    429: "Too many requests",
    503: "Service temporarily unavailable",
}


class HTTPError(Exception):
    """A refusal decided by the web layer itself (authentication, validation, routing)."""

    def __init__(self, status: int, detail: str, kind: str | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.headers = headers or {}
        self.extra = extra or {}


def problem(status: int, detail: str, kind: str, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    body = {"type": f"/problems/{kind}", "title": _TITLES.get(status, "Error"), "status": status,
            "detail": detail, **(extra or {})}
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/problem+json")


def _kebab(name: str) -> str:
    return "".join("-" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("-")


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
    if not isinstance(exc, NotFound | Conflict | Invalid):
        status = 422
    extra: dict[str, Any] = {}
    if isinstance(exc, ServiceClosed):  # when to come back, on the site's wall clock and in UTC
        extra["opens_at"] = iso(exc.opens_at) if exc.opens_at else None
        extra["opens_at_local"] = exc.opens_at.isoformat(timespec="minutes") if exc.opens_at else None
    return problem(status, exc.message, _kebab(type(exc).__name__), extra=extra)


async def platform_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlatformError)
    return problem(exc.status, exc.message, exc.kind,
                   extra={"errors": [{"field": exc.field, "message": exc.field_message}]})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return problem(exc.status, exc.detail, exc.kind, exc.headers, exc.extra)


async def starlette_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.status_code != 404 else "No such page or endpoint."
    return problem(exc.status_code, str(detail), _TITLES.get(exc.status_code, "error").lower().replace(" ", "-"),
                   dict(exc.headers or {}))


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client left in the middle of its request: its own doing, not a fault of ours."""
    log.debug("%s %s: the client went away before sending its whole body", request.method, request.url.path)
    return Response(status_code=400)  # never sent: the connection is gone


def unavailable(retry_after_s: int) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        log.warning("503 on %s %s: %s", request.method, request.url.path, exc)
        return problem(503, "The queue's storage cannot be reached right now; please retry shortly.",
                       "unavailable", {"Retry-After": str(retry_after_s)})

    return handler


def exception_handlers(retry_after_s: int) -> dict[Any, Any]:
    return {
        DomainError: domain_error,
        HTTPError: http_error,
        PlatformError: platform_error,
        HTTPException: starlette_http_error,
        ClientDisconnect: client_gone,
        Unavailable: unavailable(retry_after_s),
        RedisConnectionError: unavailable(retry_after_s),
        RedisTimeoutError: unavailable(retry_after_s),
        OperationalError: unavailable(retry_after_s),
        InterfaceError: unavailable(retry_after_s),
        # asyncpg lets a refused connection through as the builtin ConnectionRefusedError.
        ConnectionError: unavailable(retry_after_s),
        TimeoutError: unavailable(retry_after_s),
    }

"""Security headers on every HTTP answer (a pure ASGI middleware: it also wraps error pages).

- ``Content-Security-Policy``: scripts from this server only (no inline script, no eval); styles may
  be inline (pages carry their own small stylesheet); pages may be framed only by this server and by
  the origins of ``server.trusted_origins`` (the city's website, for the widgets to come).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (a ticket's URL, which is
  its key, never leaks to another site), and ``Cache-Control: no-store`` on anything personal.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE_PREFIXES = ("/login", "/logout", "/api/")


def content_security_policy(frame_origins: tuple[str, ...] = ()) -> str:
    """The policy of every page; a page of one site (a widget) passes its tenant's website origins
    so that the city's own website may frame it, and sets the header itself."""
    ancestors = " ".join(("'self'", *frame_origins))
    return (f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, frame_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.csp = content_security_policy(frame_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(NO_STORE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)

"""A client of a site's live feed, for the device agents (kiosk printer, display voice, counter).

    feed = LiveFeedClient("http://server:8000", "demo", token, on_message)
    await feed.run()   # forever: connects, resumes, reconnects

Built on the ``websockets`` package's reconnecting ``connect`` iterator: exponential backoff with
jitter between failed attempts, none after a connection that worked. Every reconnection resumes with
``?since=`` the id of the last message handed over, so the server replays what was missed, or sends
a fresh snapshot (``"resumed": false``) when it cannot. Messages are handed to ``on_message`` one at
a time, in order; a message is only counted as received once ``on_message`` returned.

Fatal refusals (401, 403, 404: a wrong or revoked token, a wrong site) end ``run`` with
``InvalidStatus``, and a feed closed because its token was revoked ends it with ``Revoked``;
everything else is retried. Imports nothing of the server but the wire shapes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus
from websockets.uri import parse_uri

from .protocol import CLOSE_REVOKED

log = logging.getLogger(__name__)


class Revoked(Exception):
    """The server closed the feed for good: this device's token was revoked (pair it again)."""

Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


def _retryable(exc: Exception) -> Exception | None:
    """Retry network failures and 5xx answers; give up on 4xx (credentials, site)."""
    if isinstance(exc, InvalidStatus):
        return exc if 400 <= exc.response.status_code < 500 else None
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return None  # the connection closed before the handshake's answer: a server or proxy going down
    return None if isinstance(exc, OSError | TimeoutError | ConnectionClosed) else exc


class LiveFeedClient:
    def __init__(self, server: str, site: str, token: str, on_message: Handler, *,
                 since: str | None = None, token_in_query: bool = False,
                 on_connect: Callable[[], None] | None = None) -> None:
        """``server``: ``http(s)://host:port``. ``token_in_query`` sends ``?token=`` instead of the
        Authorization header (what browser pages do; programs should keep the header)."""
        self.server = server.rstrip("/")
        self.site = site
        self.token = token
        self.on_message = on_message
        self.last_event_id = since
        self.token_in_query = token_in_query
        self.on_connect = on_connect  # called after each successful (re)connection
        self.connection: ClientConnection | None = None
        self.connections = 0  # successful connections so far (1 + reconnections)

    def uri(self) -> str:
        parts = urlsplit(self.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query: dict[str, str] = {}
        if self.last_event_id:
            query["since"] = self.last_event_id
        if self.token_in_query:
            query["token"] = self.token
        return urlunsplit((scheme, parts.netloc, f"/ws/sites/{self.site}", urlencode(query), ""))

    async def run(self) -> None:
        """Receive forever (until cancelled or refused for good)."""
        headers = {} if self.token_in_query else {"Authorization": f"Bearer {self.token}"}
        connector = connect(self.uri(), additional_headers=headers, process_exception=_retryable,
                            open_timeout=10, ping_interval=15, ping_timeout=15, compression=None)
        async for connection in connector:
            self.connection = connection
            self.connections += 1
            if self.on_connect is not None:
                self.on_connect()
            try:
                async for raw in connection:
                    message = orjson.loads(raw)
                    result = self.on_message(message)
                    if inspect.isawaitable(result):
                        await result
                    if isinstance(message.get("id"), str):
                        self.last_event_id = message["id"]
            except ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == CLOSE_REVOKED:
                    raise Revoked(closed.rcvd.reason) from closed
                log.info("live feed closed (%s); resuming after %s", closed, self.last_event_id)
            finally:
                self.connection = None
                # The next attempt resumes where this one stopped (connect keeps both forms of its URI).
                connector.uri = self.uri()
                connector.ws_uri = parse_uri(connector.uri)

"""The site's live feed (``/ws/sites/{site}``), followed for as long as the client runs.

Built on the ``websockets`` package's reconnecting ``connect`` iterator: after a connection drops it
tries again at once, then backs off (``BACKOFF_S``, with jitter, capped at ``MAX_BACKOFF_S`` so an
agent does not wait long once the network is back). Each attempt resumes with ``?since=`` the id of
the last message handled, so the server replays what was missed (or sends a fresh snapshot).

``on_message`` gets each message in order; ``on_status`` gets ``"live"`` once connected and ``"lost"``
when a connection drops or an attempt fails. A refusal for good (401, 403, 404 at the handshake, or
the close code 4001 of a revoked token or ended session) ends ``run`` with ``FeedRefused``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.uri import parse_uri

from queue_server.protocol import CLOSE_REVOKED

log = logging.getLogger(__name__)

BACKOFF_S = 1.0
MAX_BACKOFF_S = 10.0
Status = Literal["live", "lost"]


class FeedRefused(Exception):
    """The server will not let this client follow the site (the message says why)."""


def backoff() -> Generator[float]:
    """Delays between failed attempts: 0 to 1 s, then 1, 2, 4, 8, 10, 10… s."""
    yield random.random() * BACKOFF_S
    delay = BACKOFF_S
    while True:
        yield delay
        delay = min(delay * 2, MAX_BACKOFF_S)


class Feed:
    def __init__(self, server: str, site: str, headers: Callable[[], dict[str, str]],
                 on_message: Callable[[dict[str, Any]], None], on_status: Callable[[Status], None]) -> None:
        """``server``: ``http(s)://host:port``; ``headers``: asked before each attempt (a session's
        cookie may have been renewed meanwhile)."""
        self.server = server.rstrip("/")
        self.site = site
        self.headers = headers
        self.on_message = on_message
        self.on_status = on_status
        self.last_event_id: str | None = None

    def uri(self) -> str:
        parts = urlsplit(self.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = urlencode({"since": self.last_event_id}) if self.last_event_id else ""
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws/sites/{self.site}", query, ""))

    def _retry(self, exc: Exception) -> Exception | None:
        """``connect``'s verdict on a failed attempt: ``None`` to try again, else the error to end with."""
        if isinstance(exc, InvalidStatus):
            status = exc.response.status_code
            if 400 <= status < 500:
                return FeedRefused(_refusal(exc))
        elif not isinstance(exc, OSError | TimeoutError | ConnectionClosed | InvalidHandshake | EOFError):
            return exc
        log.info("live feed attempt failed: %s", exc)
        self.on_status("lost")
        return None

    async def run(self) -> None:
        """Follow the site until cancelled, or ``FeedRefused``."""
        connector = connect(self.uri(), additional_headers=self.headers(), process_exception=self._retry,
                            reconnect_delays=backoff, open_timeout=10, ping_interval=15, ping_timeout=15,
                            compression=None, max_size=2**24)
        async for connection in connector:
            self.on_status("live")
            try:
                async for raw in connection:
                    message = orjson.loads(raw)
                    if isinstance(message, dict):
                        self.on_message(message)
                        if isinstance(message.get("id"), str):
                            self.last_event_id = message["id"]
            except ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == CLOSE_REVOKED:
                    raise FeedRefused("the server closed the live feed: this token was revoked or the session "
                                      "ended") from None
                log.info("live feed closed (%s)", closed)
            self.on_status("lost")
            # The next attempt resumes after the last message (connect keeps both forms of its URI).
            connector.uri = self.uri()
            connector.ws_uri = parse_uri(connector.uri)
            connector.additional_headers = self.headers()


def _refusal(exc: InvalidStatus) -> str:
    """The server's reason for refusing the handshake, from its problem+json body."""
    try:
        body = orjson.loads(exc.response.body or b"")
        detail = str(body.get("detail")) if isinstance(body, dict) and body.get("detail") else ""
    except orjson.JSONDecodeError:
        detail = ""
    return f"the server refused the live feed ({exc.response.status_code}{': ' + detail if detail else ''})"

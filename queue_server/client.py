"""A client of a site's live feed, for the device agents (kiosk printer, display voice) and the counter terminal.

    feed = LiveFeedClient("http://server:8000", "demo", token, on_message)
    await feed.run()   # forever: connects, resumes, reconnects

Built on the ``websockets`` package's reconnecting ``connect`` iterator: exponential backoff with
jitter between failed attempts, none after a connection that worked. Every reconnection resumes with
``?since=`` the id of the last message handed over, so the server replays what was missed, or sends
a fresh snapshot (``"resumed": false``) when it cannot. Messages (JSON objects of up to 16 MiB: a
staff snapshot of a busy site) are handed to ``on_message`` one at a time, in order; a message is
only counted as received once ``on_message`` returned.

Fatal refusals (a 4xx at the handshake: a wrong or revoked token, an ended session, a wrong site) end
``run`` with ``InvalidStatus``, and a feed closed because its token was revoked or its session ended
(close code 4001) ends it with ``Revoked``. Network failures, dropped connections and other statuses
are retried; an answer that is no WebSocket handshake (a proxy's page) ends ``run`` too, unless the
client was made with ``retry_invalid_handshakes``. Imports nothing of the server but the wire shapes.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import anyio
import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import backoff
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidMessage, InvalidStatus
from websockets.uri import parse_uri

from queue_server.queue.protocol import CLOSE_REVOKED

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 2**24  # a staff snapshot lists every waiting ticket of the site


class Revoked(Exception):
    """The server closed the feed for good: this device's token was revoked (pair it again), or this
    person's session ended."""

Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


def _retryable(exc: Exception, any_handshake: bool) -> Exception | None:
    """Retry network failures and 5xx answers; give up on 4xx (credentials, site). ``any_handshake``:
    retry too an answer that is no WebSocket handshake (a proxy's page, a garbled answer)."""
    if isinstance(exc, InvalidStatus):
        return exc if 400 <= exc.response.status_code < 500 else None
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return None  # the connection closed before the handshake's answer: a server or proxy going down
    if any_handshake and isinstance(exc, InvalidHandshake | EOFError):
        return None
    return None if isinstance(exc, OSError | TimeoutError | ConnectionClosed) else exc


class LiveFeedClient:
    def __init__(self, server: str, site: str, token: str | None, on_message: Handler, *,
                 since: str | None = None, token_in_query: bool = False,
                 headers: Callable[[], dict[str, str]] | None = None,
                 on_connect: Callable[[], None] | None = None, on_lost: Callable[[], None] | None = None,
                 max_backoff_s: float | None = None, retry_invalid_handshakes: bool = False) -> None:
        """``server``: ``http(s)://host:port[/prefix]``. ``token``: sent in the Authorization header, or
        as ``?token=`` with ``token_in_query`` (what browser pages do; programs should keep the header);
        ``None`` with ``headers``, which gives the headers to add (a session's Cookie and its Origin),
        asked when ``run`` starts and again after each connection (a session may have been renewed).

        ``on_connect`` is called after each successful (re)connection, ``on_lost`` after a connection
        ended or an attempt failed, when ``run`` tries again (not when it ends).

        ``max_backoff_s``: wait 0 to 1 s after the first failed attempt, then 1, 2, 4… s, never more
        than this (for a person watching a screen); ``None``: ``websockets``' delays (0 to 5 s, then
        3.1 s growing by 1.618 up to 90 s; ``WEBSOCKETS_BACKOFF_*`` variables change them).
        ``retry_invalid_handshakes``: also retry an answer that is no WebSocket handshake (by default
        it ends ``run``, unless the connection closed before it was whole)."""
        self.server = server.rstrip("/")
        self.site = site
        self.token = token
        self.on_message = on_message
        self.last_event_id = since
        self.token_in_query = token_in_query
        self.headers = headers
        self.on_connect = on_connect
        self.on_lost = on_lost
        self.max_backoff_s = max_backoff_s
        self.retry_invalid_handshakes = retry_invalid_handshakes
        self.connection: ClientConnection | None = None
        self.connections = 0  # successful connections so far (1 + reconnections)

    def uri(self) -> str:
        parts = urlsplit(self.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query: dict[str, str] = {}
        if self.last_event_id:
            query["since"] = self.last_event_id
        if self.token_in_query and self.token is not None:
            query["token"] = self.token
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws/sites/{self.site}", urlencode(query), ""))

    def handshake_headers(self) -> dict[str, str]:
        """The headers of the next attempt: the token's, then those ``headers`` gives."""
        found = {"Authorization": f"Bearer {self.token}"} if self.token is not None and not self.token_in_query else {}
        return found | (self.headers() if self.headers is not None else {})

    def _retry(self, exc: Exception) -> Exception | None:
        """``connect``'s verdict on a failed attempt: ``None`` to try again, else the error ``run`` ends with."""
        verdict = _retryable(exc, self.retry_invalid_handshakes)
        if verdict is None and self.on_lost is not None:
            self.on_lost()
        return verdict

    def _delays(self) -> Callable[[], Generator[float]]:
        if self.max_backoff_s is None:
            return backoff
        return functools.partial(backoff, initial_delay=1.0, min_delay=1.0, max_delay=self.max_backoff_s, factor=2.0)

    async def run(self) -> None:
        """Receive forever (until cancelled or refused for good)."""
        connector = connect(self.uri(), additional_headers=self.handshake_headers(), process_exception=self._retry,
                            reconnect_delays=self._delays(), open_timeout=10, ping_interval=15, ping_timeout=15,
                            compression=None, max_size=MAX_MESSAGE_BYTES)
        async for connection in connector:
            self.connection = connection
            self.connections += 1
            if self.on_connect is not None:
                self.on_connect()
            try:
                async for raw in connection:
                    message = orjson.loads(raw)
                    if not isinstance(message, dict):
                        continue  # no message of this protocol
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
            connector.additional_headers = self.handshake_headers()
            if self.on_lost is not None:
                self.on_lost()


# Who a device's token stands for ------------------------------------------------------------------------


class Refused(Exception):
    """The server will not let this token do this agent's job; the message says why in one line."""


async def identify(server: str, token: str, role: str, *, timeout_s: float = 10.0,
                   max_delay_s: float = 30.0) -> tuple[dict[str, Any], httpx.Response]:
    """``GET /api/v1/me`` with ``token``: the token's ``{"token_id", "site", "role", "name"}`` and the
    answer (its ``Date`` header tells the server's clock). Waits, doubling the delay up to
    ``max_delay_s``, while the server cannot be reached or answers 5xx (a device's PC may start before
    it). ``Refused`` for a revoked or unknown token, a token of another role than ``role``, or an
    address that is not a Guichet server."""
    delay = 1.0
    while True:
        try:
            async with httpx.AsyncClient(timeout=timeout_s) as http:
                answer = await http.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code < 500:
                break
            problem = f"it answered {answer.status_code}"
        except httpx.HTTPError as exc:
            problem = str(exc) or type(exc).__name__
        log.warning("cannot reach the server at %s (%s); trying again in %.0f s", server, problem, delay)
        await anyio.sleep(delay)
        delay = min(delay * 2, max_delay_s)
    try:
        body = answer.json()
    except ValueError:
        body = None
    me: dict[str, Any] = body if isinstance(body, dict) else {}
    how = f"(queue-server token create --site SITE --role {role}, or pair the device again)"
    if answer.status_code == 401:
        if me.get("type") == "/problems/token-revoked":
            raise Refused(f"this {role}'s token was revoked: create a new one {how}")
        raise Refused(f"the server refused this token ({me.get('detail') or 'unknown token'})")
    if answer.status_code != 200 or not isinstance(me.get("site"), str):
        raise Refused(f"{server} is not a Guichet server (GET /api/v1/me answered {answer.status_code}): "
                      "check --server")
    if me.get("role") != role:
        raise Refused(f"this token is for the role {me.get('role')}; this agent needs a {role} token {how}")
    return me, answer

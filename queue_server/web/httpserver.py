"""uvicorn's httptools protocol with limits at the edge, before anything reaches the app.

uvicorn waits for ever for a request that is never finished and reads headers of any size and
number. Anyone could hold every file descriptor of the process with connections that send half a
request, or make it buffer megabytes of headers. This protocol adds, per connection:

- a deadline for the request head (request line and headers), counted from the connection or from
  the previous answer: a head still unfinished then gets ``408`` and the connection is closed (one
  that sent nothing at all is just closed, as an idle keep-alive connection is);
- a deadline for the body, counted from the end of the head: ``408`` and closed (the app's
  ``receive`` gets the disconnect; if the app already answered, the connection is just closed);
- a cap on the size of the head and on the number of headers: ``431`` and closed, as soon as the
  cap is passed (the rest is never buffered);
- a cap on the connections of one address that have not yet sent a whole request ("pending": half
  a head, half a body, or nothing yet): past it, a new connection gets ``429`` and is closed. A
  connection stops being pending once its first request is whole: from there the app's own
  authentication and rate limits judge it. Behind a reverse proxy every connection comes from the
  proxy's address: raise the cap or turn it off (0) and let the proxy limit each client.

Refusals are logged at INFO, the first of each kind at once and the others summed up once a
minute (whoever causes them cannot flood the log). The answers are problem+json like the app's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from queue_server.settings import ServerSettings

log = logging.getLogger(__name__)

REPORT_EVERY_S = 60.0
# After a refusal, what the peer still sends is read and dropped this long (at most) before the
# connection is closed: closing with unread bytes would reset it and lose the answer on the way.
LINGER_S = 2.0
LINGER_MAX_BYTES = 1 << 20  # ...and at most this much: a peer that sends more is not reading anyway
_TITLES = {408: "Request timeout", 429: "Too many requests", 431: "Request header fields too large"}


class EdgeReport:
    """Counts the refusals of one process; logs the first of each kind at once, then a sum a minute."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.addresses: dict[str, set[str]] = {}
        self.window_started: float | None = None

    def refused(self, kind: str, address: str, loop: asyncio.AbstractEventLoop) -> None:
        if self.window_started is None:
            self.window_started = time.monotonic()
            loop.call_later(REPORT_EVERY_S, self.flush)
        if kind not in self.counts:
            log.info("%s from %s (more like it are summed up every %d s)", kind, address, REPORT_EVERY_S)
        self.counts[kind] += 1
        seen = self.addresses.setdefault(kind, set())
        if len(seen) < 1000:
            seen.add(address)

    def flush(self) -> None:
        """Log what was refused since the first refusal of the window (beyond what was logged then)."""
        if any(n > 1 for n in self.counts.values()):
            log.info("refused at the edge in the last %d s: %s", REPORT_EVERY_S, "; ".join(
                f"{n} × {kind} from {len(self.addresses[kind])} address(es)" for kind, n in self.counts.items()))
        self.counts.clear()
        self.addresses.clear()
        self.window_started = None


class EdgeProtocol(HttpToolsProtocol):
    """The HTTP/1.1 protocol of ``queue-server``; ``configured(settings)`` gives it its limits."""

    head_timeout_s = 10.0
    body_timeout_s = 30.0
    max_head_bytes = 32 * 1024
    max_headers = 100
    max_pending_per_address = 64
    # Shared by every connection of one configured class (one per server process).
    pending: Counter[str] = Counter()
    report = EdgeReport()

    @classmethod
    def configured(cls, settings: ServerSettings) -> type[EdgeProtocol]:
        """The protocol with the limits of ``settings`` (and counters of its own)."""
        return type("ConfiguredEdgeProtocol", (cls,), {
            "head_timeout_s": settings.request_head_timeout_s,
            "body_timeout_s": settings.request_body_timeout_s,
            "max_head_bytes": settings.max_request_head_bytes,
            "max_headers": settings.max_request_headers,
            "max_pending_per_address": settings.max_pending_connections_per_address,
            "pending": Counter(), "report": EdgeReport(),
        })

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address = ""
        self._counted = False  # counted in ``pending`` (no whole request yet)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # reading a head (or waiting for one)
        self._message_done = True  # the last request's body was all read
        self._head_bytes = 0  # bytes received since this head began (all of it: head and any body after)
        self._header_count = 0
        self._refused = False
        self._dropped = 0  # bytes read and dropped since the refusal

    # The connection ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else ""
        cap = self.max_pending_per_address
        if cap and self.pending[self._address] >= cap:
            self._refuse(429, f"This address has {cap} connections that have not sent a whole request yet.",
                         "too-many-connections", {"Retry-After": "1"})
            return
        self.pending[self._address] += 1
        self._counted = True
        self._expect_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        self._release()
        super().connection_lost(exc)

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            self.pending[self._address] -= 1
            if self.pending[self._address] <= 0:
                del self.pending[self._address]

    # Deadlines --------------------------------------------------------------------------------------

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expect_head(self) -> None:
        self._cancel_deadline()
        self._in_head, self._head_bytes, self._header_count = True, 0, 0
        self._deadline = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._deadline = None
        if self._head_bytes == 0:  # nothing sent: an idle connection, closed without a word
            self.transport.close()
            return
        self._refuse(408, f"The request's head did not arrive within {self.head_timeout_s:g} s.", "request-timeout")

    def _body_too_slow(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if cycle is None or cycle.response_started or cycle.disconnected:
            # Already answered (without reading the body): nothing more to say.
            self.report.refused("body too slow after the answer", self._address, self.loop)
            self.transport.close()
            return
        cycle.disconnected = True  # whatever the app still sends is dropped; its receive() says so
        cycle.message_event.set()
        self._refuse(408, f"The request's body did not arrive within {self.body_timeout_s:g} s.", "request-timeout")

    # Parsing ----------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused:
            self._dropped += len(data)
            if self._dropped > LINGER_MAX_BYTES:
                self.transport.close()
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and not self._refused and self._head_bytes > self.max_head_bytes:
            self._too_large()  # still unfinished, and already longer than allowed

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._too_large()
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head_bytes:
            self._too_large()
            return
        self._in_head = False
        self._cancel_deadline()
        super().on_headers_complete()
        if not self._refused:
            self._deadline = self.loop.call_later(self.body_timeout_s, self._body_too_slow)

    def on_message_begin(self) -> None:
        self._message_done = False
        super().on_message_begin()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._cancel_deadline()
        self._release()  # a whole request: the app judges this connection from now on
        self._message_done = True
        super().on_message_complete()
        if self.cycle is not None and self.cycle.response_complete:
            self._next_head()  # answered before the body was all read: now the next head may come

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._message_done:
            self._next_head()  # else the body's deadline still runs

    def _next_head(self) -> None:
        if not self.transport.is_closing() and not self._refused and not self.pipeline:
            self._expect_head()

    def handle_websocket_upgrade(self) -> None:
        self._cancel_deadline()
        self._release()  # the WebSocket protocol takes over (its handshake authenticates)
        super().handle_websocket_upgrade()

    # Refusals ---------------------------------------------------------------------------------------

    def _too_large(self) -> None:
        self._refuse(431, f"The request's head may have {self.max_headers} headers and "
                          f"{self.max_head_bytes} bytes at most.", "headers-too-large")

    def _refuse(self, status: int, detail: str, kind: str, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with a problem+json body and close the connection (once the peer has
        read it and stopped sending, or after ``LINGER_S``)."""
        self._refused = True
        self._cancel_deadline()
        self.report.refused(f"{status} {kind}", self._address, self.loop)
        body = orjson.dumps({"type": f"/problems/{kind}", "title": _TITLES[status], "status": status,
                             "detail": detail})
        lines = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            lines += [name, b": ", value, b"\r\n"]
        for name_s, value_s in {"content-type": "application/problem+json", "content-length": str(len(body)),
                                "connection": "close", **(headers or {})}.items():
            lines += [name_s.encode(), b": ", value_s.encode(), b"\r\n"]
        lines += [b"\r\n", body]
        if self.transport.is_closing():
            return
        self.transport.write(b"".join(lines))
        if self.flow is not None:
            self.flow.resume_reading()  # keep reading (and dropping) what comes, see LINGER_S
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._deadline = self.loop.call_later(LINGER_S, self.transport.close)

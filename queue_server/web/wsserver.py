"""uvicorn's sans-I/O WebSocket protocol with one ASGI extension more: ``guichet.frames``.

The live feed sends the same event to thousands of screens. Through plain ASGI each copy costs a
task wake-up, a ``send`` coroutine and a frame built per connection (~25-40 µs). With this extension
the hub builds the frame's bytes once per audience and writes them straight to each connection's
transport, synchronously, from the loop that folds the event (~3 µs a copy, no task per
connection). The transport's write buffer is the subscriber's outbox: past ``limit`` bytes not yet
taken by the peer, the write is refused and the hub sheds the connection with a close code.

Only the sending side changes. The handshake, pings, the closing handshake and everything a client
sends go through uvicorn as usual; an app served by another server simply does not find the
extension in the scope and sends through ASGI.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger(__name__)

EXTENSION = "guichet.frames"
# A peer that was shed is cut once it takes nothing of what waits for it for this long (a slow reader
# that keeps reading gets all of it and its close code; a frozen one is cut).
SHED_STALL_S = 15.0


class FramesProtocol(WebSocketsSansIOProtocol):
    send_buffer = 0  # SO_SNDBUF of each connection (0: the kernel's); see ``sized``

    @classmethod
    def sized(cls, send_buffer: int) -> type[FramesProtocol]:
        """The protocol with ``send_buffer`` bytes of kernel send buffer per connection (0: the kernel's)."""
        return type("SizedFramesProtocol", (cls,), {"send_buffer": send_buffer})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if self.send_buffer and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
    def send_receive_event_to_app(self) -> None:
        """A text message that is not UTF-8 closes the connection with 1007, as uvicorn does, but is
        logged once at debug: the client's fault, which uvicorn logs as an ERROR with a traceback
        (anyone holding a display's token could fill the log with them)."""
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                log.debug("closing a live feed connection (1007): its client sent a text message that is not UTF-8")
                self.frames = []
                self.conn.send_close(1007, "text messages must be UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def schedule_ping(self) -> None:
        """Pings at 75-100 % of the interval: when a whole hall of screens reconnects at once (after a
        restart), their pings, and the pongs the server must read, spread out instead of coming in
        one wave every interval. A dead peer is still noticed within interval + timeout."""
        assert self.ping_interval is not None
        delay = max(0.0, self.ping_interval * random.uniform(0.75, 1.0) - self.last_ping_rtt)
        self.ping_timer = self.loop.call_later(delay, self.send_keepalive_ping)

    async def run_asgi(self) -> None:
        self.scope["extensions"][EXTENSION] = self  # type: ignore[assignment]
        await super().run_asgi()

    def write_frame(self, frame: bytes, limit: int | None = None) -> bool:
        """Write a whole serialised (unmasked) frame; ``False`` if the connection is closing or, with
        ``limit``, if more than ``limit`` bytes already wait for the peer."""
        if not self.handshake_complete or self.close_sent or self.disconnected or self.transport.is_closing():
            return False
        if limit is not None and self.transport.get_write_buffer_size() > limit:
            return False
        self.transport.write(frame)
        return True

    def shed(self, code: int, reason: str) -> None:
        """Close a peer that fell behind: the close frame goes after what it has not read yet; if it
        stops taking bytes (or does not answer its close) for ``SHED_STALL_S``, the connection is cut.
        The app's ``receive`` gets the disconnect at once."""
        if not self.handshake_complete or self.close_sent or self.disconnected:
            return
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self._cut_if_stalled(self.transport.get_write_buffer_size() + 1)

    def _cut_if_stalled(self, unread: int) -> None:
        """Abort if nothing of the ``unread`` bytes went since the last look; else look again later.
        (``close_timer`` is the handle uvicorn cancels when the peer's close arrives or it leaves.)"""
        now = self.transport.get_write_buffer_size()
        if now >= unread:
            self.transport.abort()
            return
        self.close_timer = self.loop.call_later(SHED_STALL_S, self._cut_if_stalled, now)


def frames_of(scope: Any) -> FramesProtocol | None:
    sink = scope.get("extensions", {}).get(EXTENSION)
    return sink if isinstance(sink, FramesProtocol) else None

"""Real parts for the outbox's tests: an SMTP server (aiosmtpd) and an HTTP endpoint standing for an SMS
provider, both in the test's event loop, each able to hold a message before accepting it; a database of
each kind; polling with a deadline."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import anyio
import orjson
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import EXTERNAL_DB, drop_postgres_database, fresh_postgres_database

DATABASES = ["sqlite"] + (["postgresql"] if EXTERNAL_DB else [])


async def eventually(probe: Callable[[], Awaitable[bool] | bool], timeout_s: float = 20.0) -> None:
    """Wait until ``probe()`` is true, polling (never a fixed sleep as the check)."""
    with anyio.fail_after(timeout_s):
        while True:
            result = probe()
            if await result if isinstance(result, Awaitable) else result:
                return
            await anyio.sleep(0.02)


async def database_url(kind: str, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, empty database of ``kind`` as the server's settings spell it (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
        return
    url = await fresh_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it accepted (``received``, parsed).

    ``refuse`` holds answers to give to the next DATA commands instead of accepting ("451 ..."),
    ``refuse_rcpt`` to the next RCPT commands. With ``hold`` set, the next DATA waits for ``release``
    before its answer (``holding`` is set meanwhile); a client that goes away while it waits has its
    message dropped (``dropped``), as a real server does with data it has not acknowledged."""

    refuse: list[str] = field(default_factory=list)
    refuse_rcpt: list[str] = field(default_factory=list)
    hold: bool = False
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    attempts: int = 0
    dropped: int = 0
    port: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> str:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self, hostname="sink.test"), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return f"smtp://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.release.set()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.refuse:
            return self.refuse.pop(0)
        if self.hold:
            self.hold = False
            self.holding.set()
            try:
                await self.release.wait()
            except asyncio.CancelledError:  # aiosmtpd cancels the handler when the client goes away
                self.dropped += 1
                raise
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted"


@dataclass
class SmsEndpoint:
    """An HTTP/1.1 server on 127.0.0.1 standing for an SMS provider (the JSON body of ``HttpProvider``'s
    default template). Answers the next of ``statuses`` (then 200); a message counts as ``accepted``
    once answered 2xx. With ``hold`` set, the next request gets no answer until the client goes away
    (``holding`` is set meanwhile; counted in ``dropped``). ``times`` holds each request's arrival."""

    statuses: list[int] = field(default_factory=list)
    hold: bool = False
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    accepted: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    dropped: int = 0
    server: asyncio.Server | None = None
    url: str = ""

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/sms"
        return self.url

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.times.append(time.monotonic())
            if self.hold:
                self.hold = False
                self.holding.set()
                await reader.read()  # until the client goes away: never answered, never accepted
                self.dropped += 1
                return
            status = self.statuses.pop(0) if self.statuses else 200
            if 200 <= status < 300:
                self.accepted.append(orjson.loads(body))
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

"""A reply lost on the network after Redis appended: redis-py retries the script, and the ticket
is still issued exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.eventstore import EventStore
from queue_server.queue.service import SiteEngine, new_command_id, new_ticket_id
from queue_server.store.client import make_redis

pytestmark = pytest.mark.anyio
CONFIG = SiteConfig(id="s", services=(ServiceConfig("etat-civil", "État civil", "A"),),
                    counters=(CounterConfig("1", "1", ("etat-civil",)),))


class ReplyDroppingProxy:
    """A TCP proxy in front of Redis that, when armed, swallows the next reply and cuts the
    connection: the command ran on the server, the client never hears of it."""

    def __init__(self, target: str) -> None:
        self.target = urlparse(target)
        self.armed = False
        self.dropped = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/{self.target.path.lstrip('/') or 0}"

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.target.scheme == "unix":
            return await asyncio.open_unix_connection(self.target.path)
        return await asyncio.open_connection(self.target.hostname, self.target.port or 6379)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await self._open()

        async def upstream() -> None:
            with contextlib.suppress(ConnectionError):  # a client that went away ends the link, as it would
                while data := await client_r.read(65536):
                    server_w.write(data)
                    await server_w.drain()

        async def downstream() -> None:
            with contextlib.suppress(ConnectionError):
                await relay_replies()

        async def relay_replies() -> None:
            while data := await server_r.read(65536):
                if self.armed:
                    self.armed = False
                    self.dropped += 1
                    client_w.close()
                    server_w.close()
                    return
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        client_w.close()
        server_w.close()


async def test_a_retried_append_after_a_lost_reply_issues_one_ticket(redis_url: str) -> None:
    """The append lands, its reply is lost, redis-py retries: one ticket, the one the kiosk asked for."""
    proxy = ReplyDroppingProxy(redis_url)
    url = await proxy.start()
    prefix = f"lost-{uuid.uuid4().hex[:8]}:"
    client = make_redis(url)
    store = EventStore(client, prefix)
    engine = SiteEngine(CONFIG, store, store, lambda: datetime(2026, 11, 27, 9, tzinfo=UTC))
    await engine.load()
    writer = asyncio.create_task(engine.run_writer())
    try:
        first = await engine.execute(c.IssueTicket(command_id=new_command_id(), ticket_id=new_ticket_id(),
                                                   service="etat-civil"))
        assert first.ticket is not None and first.ticket.number == "A001"
        proxy.armed = True
        ticket_id = new_ticket_id()
        second = await engine.execute(c.IssueTicket(command_id=new_command_id(), ticket_id=ticket_id,
                                                    service="etat-civil"))
        assert proxy.dropped == 1
        assert second.ticket is not None and second.ticket.id == ticket_id
        assert second.ticket.number == "A002" and second.created
        stored = [e for _, e in await store.read_all("s") if isinstance(e, TicketIssued)]
        assert [e.number for e in stored] == ["A001", "A002"]
    finally:
        writer.cancel()
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        assert proxy.server is not None
        proxy.server.close()

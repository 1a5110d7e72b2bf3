"""A citizen's phone follows one ticket over /ws/tickets/{id}, against a real server process; and the
"your turn is near" text message reaches a provider standing in on 127.0.0.1, through that server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from queue_server.queue.hub import PERSONAL
from queue_server.queue.phones import PhoneBook
from queue_server.store.keys import SiteKeys
from tests.system.servers import ServerProcess, seed_site, server
from tests.web.support import eventually

pytestmark = pytest.mark.anyio
SERVICES = ("etat-civil", "passeports")


class Hall:
    def __init__(self, running: ServerProcess, tokens: dict[str, str], http: httpx.AsyncClient) -> None:
        self.server, self.tokens, self.http = running, tokens, http

    def feed(self, ticket_id: str) -> str:
        return self.server.url.replace("http://", "ws://") + f"/ws/tickets/{ticket_id}"

    async def issue(self, service: str = "etat-civil", **body: Any) -> dict[str, Any]:
        answer = await self.http.post("/api/v1/sites/hall/tickets", json={"service": service, **body},
                                      headers={"Authorization": f"Bearer {self.tokens['kiosk']}"})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def post(self, path: str) -> httpx.Response:
        agent = {"Authorization": f"Bearer {self.tokens['agent']}"}
        return await self.http.post(f"/api/v1/sites/hall{path}", headers=agent)


@pytest.fixture
async def hall(tmp_path: Path) -> AsyncIterator[Hall]:
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "hall", 2, SERVICES)
    with server(tmp_path) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as http:
            yield Hall(running, tokens, http)


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    with anyio.fail_after(timeout):
        return dict(orjson.loads(await ws.recv()))


async def receive_until(ws: ClientConnection, done: Any, seen: list[dict[str, Any]]) -> dict[str, Any]:
    """Frames until ``done(ticket)``; each one must differ from the one before (only changes are sent)."""
    with anyio.fail_after(5):
        while True:
            message = await receive(ws)
            assert not seen or message["data"] != seen[-1]["data"], "a frame that changes nothing"
            seen.append(message)
            if done(message["data"]["ticket"]):
                return message


async def test_the_phone_gets_its_ticket_each_time_it_changes_and_only_then(hall: Hall) -> None:
    """The first frame is the ticket; then a frame when it changes (its place, its estimate, the number served
    now, its call), never one that says nothing new, and never anyone else's ticket."""
    first = await hall.issue()
    mine = await hall.issue()
    async with connect(hall.feed(mine["id"])) as ws:
        message = await receive(ws)
        assert message["type"] == "ticket"
        assert message["data"]["ticket"]["position"] == 1 and message["data"]["ticket"]["number"] == "A002"
        seen = [message]
        await hall.issue("passeports")  # another service: the counters it shares give mine less time
        assert (await hall.post("/counters/1/next")).json()["id"] == first["id"]
        await receive_until(ws, lambda t: t["position"] == 0, seen)
        await hall.post("/counters/2/next")
        called = await receive_until(ws, lambda t: t["status"] == "called", seen)
        assert called["data"]["counter_name"] == "2"
        for before, frame in zip(seen, seen[1:], strict=False):
            assert frame["data"] != before["data"], "a frame that says nothing new"
        for frame in seen:
            assert frame["data"]["ticket"]["id"] == mine["id"]
            assert not PERSONAL & frame["data"]["ticket"].keys()


async def test_an_unknown_ticket_has_no_feed(hall: Hall) -> None:
    """A made-up id is refused at the handshake with 404: nothing to follow, nothing to learn."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(hall.feed("made-up-id")):
            pass
    assert refused.value.response.status_code == 404


class FakeSmsProvider:
    """An HTTP server on 127.0.0.1 standing in for an SMS provider: it records each request body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        self.bodies.append(orjson.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()


async def test_one_text_message_when_the_turn_is_near_and_the_number_is_deleted(
        tmp_path: Path, redis_url: str, key_prefix: str, redis: Redis) -> None:
    """With sms_ahead 3, a number left on the ticket page gets exactly one message when 3 people are
    ahead; a cancelled ticket's number gets none; numbers are gone once the visits end."""
    provider = FakeSmsProvider()
    listener = await asyncio.start_server(provider.handle, "127.0.0.1", 0)
    provider.port = listener.sockets[0].getsockname()[1]
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "hall", 2, SERVICES)
    # the server and the test's own client on the same Redis (the embedded Valkey, or the machine's)
    env = {"QUEUE_REDIS_URL": redis_url, "QUEUE_REDIS_KEY_PREFIX": key_prefix, "QUEUE_REDIS_CHECK_PERSISTENCE": "false",
           "QUEUE_SMS_PROVIDER": "http",
           "QUEUE_SMS_URL": f"http://127.0.0.1:{provider.port}/sms", "QUEUE_SMS_SENDER": "MAIRIE"}
    async with listener:
        with server(tmp_path, env=env) as running:
            async with httpx.AsyncClient(base_url=running.url, timeout=10) as http:
                hall = Hall(running, tokens, http)
                tickets = [await hall.issue() for _ in range(6)]
                mine, gone = tickets[5], tickets[4]
                for ticket, phone in ((mine, "06 12 34 56 78"), (gone, "07 98 76 54 32")):
                    answer = await http.put(f"/api/v1/sites/hall/tickets/{ticket['id']}/phone", json={"phone": phone})
                    assert answer.status_code == 204
                assert (await hall.post(f"/tickets/{gone['id']}/cancel")).status_code == 200
                await eventually(lambda: notifier_caught_up(redis, key_prefix, "hall"), 10)
                assert provider.bodies == []  # 4 people ahead: not yet
                await serve(hall, "1")  # now 3 ahead
                await eventually(lambda: _async(len(provider.bodies) == 1), 10)
                assert provider.bodies[0]["to"] == "+33612345678"
                assert provider.bodies[0]["sender"] == "MAIRIE"
                assert "A006" in provider.bodies[0]["text"] and "3" in provider.bodies[0]["text"]
                await serve(hall, "2")
                await hall.issue()
                await eventually(lambda: notifier_caught_up(redis, key_prefix, "hall"), 10)
                assert len(provider.bodies) == 1  # once, not at every move
                phones = PhoneBook(redis, key_prefix)
                await eventually(lambda: _phone_gone(phones, gone["id"]), 10)  # the archiver purged the cancelled one
                for counter in ("1", "2"):
                    await serve(hall, counter)
                assert await phones.get("hall", mine["id"]) == "+33612345678"  # kept while the visit lasts
                assert (await serve(hall, "1"))["id"] == mine["id"]
                await eventually(lambda: _phone_gone(phones, mine["id"]), 15)


async def serve(hall: Hall, counter: str) -> dict[str, Any]:
    """Call the next ticket at ``counter``, start and finish its visit."""
    called = (await hall.post(f"/counters/{counter}/next")).json()
    for action in ("start", "finish"):
        assert (await hall.post(f"/tickets/{called['id']}/{action}")).status_code == 200
    return dict(called)


async def notifier_caught_up(redis: Redis, prefix: str, site: str) -> bool:
    """Whether the server's notifier has handled every event of ``site`` so far: its consumer group has read
    the stream's last entry and acknowledged all it read (it acknowledges once it sent what was due)."""
    stream = SiteKeys.of(prefix, site).stream
    last: Any = await redis.xrevrange(stream, count=1)
    groups: Any = await redis.xinfo_groups(stream)
    group = next((g for g in groups if _text(g["name"]) == "notifier"), None)
    return bool(last) and group is not None and group["pending"] == 0 \
        and _text(group["last-delivered-id"]) == _text(last[0][0])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _async(value: bool) -> bool:
    return value


async def _phone_gone(phones: PhoneBook, ticket_id: str) -> bool:
    return await phones.get("hall", ticket_id) is None

"""The live feed against a real uvicorn server, with real WebSocket clients (the `websockets` package)."""

from __future__ import annotations

import logging
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from queue_server.client import LiveFeedClient, Revoked
from queue_server.queue.hub import PERSONAL
from queue_server.store.embedded import EmbeddedValkey
from tests.system.servers import QUEUE_SERVER, ServerProcess, seed_site, server

pytestmark = pytest.mark.anyio
SERVICES = ("etat-civil", "passeports")
ROLES = ("kiosk", "display", "agent", "supervisor")
TICKET_FIELDS = {"id", "number", "service", "status", "priority", "position", "estimated_wait_s", "counter",
                 "issued_at", "called_at", "recalls", "booked"}
class PingCounter(logging.Handler):
    """Counts the pings a client connection receives, from the frames websockets logs at debug level (given
    as the connection's ``logger``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.logger = logging.getLogger(f"tests.pings.{id(self)}")
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().startswith("< PING")


@dataclass
class Site:
    server: ServerProcess
    tokens: dict[str, str]
    http: httpx.AsyncClient

    @property
    def ws(self) -> str:
        return self.server.url.replace("http://", "ws://") + "/ws/sites/live"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def issue(self, service: str = "etat-civil") -> dict[str, Any]:
        r = await self.http.post("/api/v1/sites/live/tickets", json={"service": service}, headers=self.auth("kiosk"))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def call(self, counter: str = "1") -> dict[str, Any]:
        """Call the next ticket at ``counter`` and start it, so that the counter can call again."""
        r = await self.http.post(f"/api/v1/sites/live/counters/{counter}/next", headers=self.auth("agent"))
        assert r.status_code == 200, r.text
        started = await self.http.post(f"/api/v1/sites/live/tickets/{r.json()['id']}/start", headers=self.auth("agent"))
        assert started.status_code == 200
        return dict(r.json())


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "live", 3, SERVICES, ROLES)
    with server(tmp_path) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as http:
            yield Site(running, tokens, http)


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    with anyio.fail_after(timeout):
        return dict(orjson.loads(await ws.recv()))


async def receive_until(ws: ClientConnection, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    with anyio.fail_after(timeout):
        while (message := await receive(ws))["type"] != kind:
            pass
    return message


async def test_first_message_is_the_snapshot_then_a_call_arrives_with_its_ticket(site: Site) -> None:
    """A display gets the snapshot first, then each call as ticket.called with the ticket and what
    to announce."""
    ticket = await site.issue()
    async with connect(site.ws, additional_headers=site.auth("display")) as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot" and snapshot["data"]["site"] == "live"
        assert snapshot["id"] == snapshot["data"]["last_event_id"]
        assert snapshot["data"]["services"][0]["waiting"] == 1
        await site.call("2")
        called = await receive_until(ws, "ticket.called")
    assert called["site"] == "live" and called["at"].endswith("Z")
    assert called["data"]["ticket"]["id"] == ticket["id"]
    assert called["data"]["ticket"]["status"] == "called" and called["data"]["ticket"]["counter"] == "2"
    # speech is off on this server (tests/browser checks the WAVs): no audio, the displays chime
    assert called["data"]["announcements"] == [{"lang": "fr", "text": "Ticket A 1, guichet 2", "audio_url": None}]


async def test_public_screens_get_no_personal_field(site: Site) -> None:
    """Displays and kiosks receive ticket.called and ticket.recalled, and no ticket field beyond the
    public Ticket shape."""
    await site.issue()
    async with connect(site.ws, additional_headers=site.auth("display")) as display, \
            connect(site.ws + f"?token={site.tokens['kiosk']}") as kiosk:
        await receive(display)
        await receive(kiosk)
        called = await site.call()
        await site.http.post(f"/api/v1/sites/live/tickets/{called['id']}/finish", headers=site.auth("agent"))
        for ws in (display, kiosk):
            message = await receive_until(ws, "ticket.called")
            assert set(message["data"]["ticket"]) <= TICKET_FIELDS
            assert not PERSONAL & set(message["data"]["ticket"])


async def test_public_screens_get_visit_starts_and_ends_but_not_notes(site: Site) -> None:
    """A display is sent the start and end of a visit (a counter freed, the visits served and the estimates
    change with them), never a note left for the agent; an agent gets them all."""
    await site.issue()
    async with connect(site.ws, additional_headers=site.auth("display")) as display, \
            connect(site.ws, additional_headers=site.auth("agent")) as agent:
        await receive(display)
        await receive(agent)
        called = await site.call()
        for action in ("start", "finish"):
            await site.http.post(f"/api/v1/sites/live/tickets/{called['id']}/{action}", headers=site.auth("agent"))
        noted = await site.issue()
        await site.http.put(f"/api/v1/sites/live/tickets/{noted['id']}/note", json={"text": "Malentendant"},
                            headers=site.auth("agent"))
        marker = await site.issue()
        kinds: dict[str, list[str]] = {"display": [], "agent": []}
        for name, ws in (("display", display), ("agent", agent)):
            while True:
                message = await receive(ws)
                kinds[name].append(message["type"])
                if message["type"] == "ticket.issued" and message["data"]["ticket"]["id"] == marker["id"]:
                    break
    assert {"ticket.called", "ticket.started", "ticket.finished"} <= set(kinds["display"])
    assert "ticket.noted" not in kinds["display"]
    assert {"ticket.started", "ticket.finished", "ticket.noted"} <= set(kinds["agent"])


async def test_resume_with_since_replays_every_missed_call_once_in_order(site: Site) -> None:
    """A display away while 50 calls were made gets all 50, once each, in order, then live events."""
    for n in range(50):
        await site.issue(SERVICES[n % 2])
    async with connect(site.ws, additional_headers=site.auth("display")) as ws:
        last = (await receive(ws))["id"]
    calls = [await site.call(str(1 + n % 3)) for n in range(50)]
    seen: list[dict[str, Any]] = []
    async with connect(f"{site.ws}?since={last}", additional_headers=site.auth("display")) as ws:
        while len([m for m in seen if m["type"] == "ticket.called"]) < 50:
            seen.append(await receive(ws))
        live = await site.issue()
        seen.append(await receive_until(ws, "ticket.issued"))
    assert seen[0]["type"] != "snapshot"
    ids = [m["id"] for m in seen]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))) and len(ids) == len(set(ids))
    assert [m["data"]["ticket"]["id"] for m in seen if m["type"] == "ticket.called"] == [c["id"] for c in calls]
    assert seen[-1]["data"]["ticket"]["id"] == live["id"]


@pytest.mark.parametrize("since", ["1-0", "garbage", "99999999999999-0"])
async def test_an_unknown_since_gets_a_fresh_snapshot_flagged_not_resumed(site: Site, since: str) -> None:
    """A since id that is not (or no longer) in the log gets a whole snapshot, never a partial replay."""
    await site.issue()
    async with connect(f"{site.ws}?since={since}", additional_headers=site.auth("agent")) as ws:
        first = await receive(ws)
    assert first["type"] == "snapshot" and first["resumed"] is False
    assert first["data"]["services"][0]["waiting"] == 1


async def test_refusals_happen_before_the_handshake(site: Site) -> None:
    """A bad token is 401, a wrong site 404, another tenant's token 404, a foreign Origin 403."""
    cases = [
        (site.ws + "?token=gq_nope", {}, None, 401),
        (site.ws, {"Authorization": "Bearer gq_nope"}, None, 401),
        (site.ws, {}, None, 401),
        (site.ws.replace("/live", "/elsewhere"), site.auth("display"), None, 404),
        (site.ws, site.auth("display"), "https://evil.example", 403),
    ]
    for uri, headers, origin, status in cases:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(uri, additional_headers=headers, origin=origin):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == status, (uri, origin)
    async with connect(site.ws, additional_headers=site.auth("display"), origin=site.server.url) as ws:  # type: ignore[arg-type]
        assert (await receive(ws))["type"] == "snapshot"


def slow_socket(port: int) -> socket.socket:
    """A client socket with a tiny receive buffer, so that a client that never reads is felt at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", port))
    return sock


async def test_a_frozen_client_delays_nobody(site: Site) -> None:
    """With one client that never reads among 100 readers, every reader still gets every event."""
    readers: list[ClientConnection] = []
    received: list[list[str]] = [[] for _ in range(100)]
    frozen = await connect(site.ws, additional_headers=site.auth("display"), sock=slow_socket(site.server.port),
                           max_queue=1, ping_interval=None)  # it reads nothing, pongs included
    try:
        for _ in range(100):
            readers.append(await connect(site.ws, additional_headers=site.auth("display")))

        async def read(i: int, ws: ClientConnection) -> None:
            async for raw in ws:
                message = orjson.loads(raw)
                if message["type"] == "ticket.issued":
                    received[i].append(message["data"]["ticket"]["id"])
                    if len(received[i]) == 300:
                        return

        async with anyio.create_task_group() as tg:
            for i, ws in enumerate(readers):
                tg.start_soon(read, i, ws)
            issued = [(await site.issue())["id"] for _ in range(300)]
        assert all(r == issued for r in received)
    finally:
        for ws in readers:
            await ws.close()
        await frozen.close()


async def test_a_client_that_never_reads_is_cut_with_1013(tmp_path: Path) -> None:
    """A client that stops reading is cut once its outbox is full, told 1013 (come back with since),
    and the server goes on."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "live", 3, SERVICES, ROLES)
    # Pings far apart: on a loaded machine filling the buffers can take longer than the 30 s after
    # which heartbeats would close the silent client (1011) before it is cut for being behind.
    # A small kernel send buffer: the outbox fills after some hundreds of events, not tens of thousands.
    slow_pings = {"QUEUE_SERVER_WS_PING_INTERVAL_S": "300", "QUEUE_SERVER_WS_PING_TIMEOUT_S": "300",
                  "QUEUE_SERVER_WS_SEND_BUFFER_BYTES": "16384"}
    with server(tmp_path, env=slow_pings) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as http:
            site = Site(running, tokens, http)
            frozen = await connect(site.ws, additional_headers=site.auth("display"), sock=slow_socket(running.port),
                                   max_queue=1, ping_interval=None)  # it reads nothing, pongs included

            async def issue_many(n: int) -> None:
                for _ in range(n):
                    await site.issue()

            try:
                # Loopback TCP buffers hold megabytes: issue until they and the outbox are full and the
                # server says it cut the client (then read at once: a cut client that takes nothing for
                # 15 s is aborted).
                for _ in range(150):
                    async with anyio.create_task_group() as tg:
                        for _ in range(8):
                            tg.start_soon(issue_many, 50)
                    if "dropped" in running.log.read_text():
                        break
                assert "dropped" in running.log.read_text()
                with anyio.fail_after(60):
                    with pytest.raises(ConnectionClosed) as closed:
                        while True:
                            await frozen.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
                async with connect(site.ws, additional_headers=site.auth("display")) as again:
                    assert (await receive(again))["data"]["services"][0]["waiting"] > 0
            finally:
                await frozen.close()


async def test_shutdown_closes_with_service_restart(site: Site) -> None:
    """When the server stops, clients are told 1012 (service restart) so they reconnect elsewhere."""
    async with connect(site.ws, additional_headers=site.auth("display")) as ws:
        await receive(ws)
        site.server.stop()
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws, timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012


async def test_a_display_on_one_process_sees_calls_made_through_another(tmp_path: Path) -> None:
    """Two server processes on one Redis: a call made through B reaches a display connected to A."""
    valkey = EmbeddedValkey(tmp_path / "shared")
    env = {"QUEUE_REDIS_URL": valkey.start(), "QUEUE_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    tokens = await seed_site(env["QUEUE_DATABASE_URL"], "live", 2, SERVICES, ROLES)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        with server(tmp_path / "a", env, name="a") as a, server(tmp_path / "b", env, name="b") as b:
            async with httpx.AsyncClient(base_url=b.url) as http, \
                    connect(a.url.replace("http", "ws") + "/ws/sites/live",
                            additional_headers={"Authorization": f"Bearer {tokens['display']}"}) as ws:
                await receive(ws)
                agent = {"Authorization": f"Bearer {tokens['agent']}"}
                issued = await http.post("/api/v1/sites/live/tickets", json={"service": "passeports"},
                                         headers={"Authorization": f"Bearer {tokens['kiosk']}"})
                await http.post("/api/v1/sites/live/counters/2/next", headers=agent)
                called = await receive_until(ws, "ticket.called")
        assert called["data"]["ticket"]["id"] == issued.json()["id"]
        assert called["data"]["ticket"]["counter"] == "2"
    finally:
        valkey.stop()


async def test_the_client_library_resumes_across_a_server_restart(tmp_path: Path) -> None:
    """LiveFeedClient reconnects by itself after a restart and resumes with since: every call made
    while it was away arrives once."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "live", 2, SERVICES, ROLES)
    from tests.system.servers import free_port

    port = free_port()
    messages: list[dict[str, Any]] = []
    with server(tmp_path, port=port, name="first") as first:
        feed = LiveFeedClient(first.url, "live", tokens["display"], messages.append)
        async with anyio.create_task_group() as tg:
            tg.start_soon(feed.run)
            with anyio.fail_after(20):  # connected: a ticket issued before would be in the snapshot, not an event
                while not any(m["type"] == "snapshot" for m in messages):
                    await anyio.sleep(0.01)
            async with httpx.AsyncClient(base_url=first.url) as http:
                kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
                before = await http.post("/api/v1/sites/live/tickets", json={"service": "etat-civil"}, headers=kiosk)
                with anyio.fail_after(20):
                    while not any(m["type"] == "ticket.issued" for m in messages):
                        await anyio.sleep(0.01)
            first.stop()
            with server(tmp_path, port=port, name="second") as second:
                async with httpx.AsyncClient(base_url=second.url) as http:
                    after = await http.post("/api/v1/sites/live/tickets", json={"service": "etat-civil"},
                                            headers=kiosk)
                    with anyio.fail_after(20):
                        while not any(m.get("data", {}).get("ticket", {}) and
                                      m["data"]["ticket"]["id"] == after.json()["id"] for m in messages):
                            await anyio.sleep(0.02)
            tg.cancel_scope.cancel()
    issued = [m["data"]["ticket"]["id"] for m in messages if m["type"] == "ticket.issued"]
    assert issued == [before.json()["id"], after.json()["id"]]
    assert feed.connections == 2
    ids = [m["id"] for m in messages if m["type"] != "snapshot"]
    assert len(ids) == len(set(ids))


async def test_heartbeats_close_a_dead_peer_and_keep_a_live_one(tmp_path: Path) -> None:
    """A peer that stops answering pings is closed within interval + timeout (here 1 s + 1 s; 15 s +
    15 s by default), while a client that answers stays connected and keeps getting calls."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "live", 1, SERVICES, ROLES)
    fast = {"QUEUE_SERVER_WS_PING_INTERVAL_S": "1", "QUEUE_SERVER_WS_PING_TIMEOUT_S": "1"}
    with server(tmp_path, env=fast) as running:
        site = Site(running, tokens, httpx.AsyncClient(base_url=running.url, timeout=10))
        # The dead peer: a handshake by hand, then silence (the kernel still ACKs; nobody pongs).
        protocol = ClientProtocol(parse_uri(site.ws))
        request = protocol.connect()
        request.headers["Authorization"] = f"Bearer {tokens['display']}"
        protocol.send_request(request)
        dead = socket.create_connection(("127.0.0.1", running.port))
        dead.sendall(b"".join(protocol.data_to_send()))
        pinged = PingCounter()
        async with connect(site.ws, additional_headers=site.auth("display"), logger=pinged.logger) as alive:
            await receive(alive)  # the snapshot
            started = anyio.current_time()
            pings, closed = 0, False
            with anyio.fail_after(10):
                while not closed:
                    data = await anyio.to_thread.run_sync(dead.recv, 65536)
                    closed = not data
                    protocol.receive_data(data) if data else protocol.receive_eof()
                    for event in protocol.events_received():
                        pings += isinstance(event, Frame) and event.opcode == Opcode.PING
            elapsed = anyio.current_time() - started
            assert pings >= 1 and elapsed < 3.5, (pings, elapsed)
            # The server pings again only once its last ping was answered in time: a second ping to the live
            # client says it went through a whole heartbeat and was kept.
            with anyio.fail_after(10):
                while pinged.count < 2:
                    await anyio.sleep(0.02)
            await site.issue()
            await site.call()
            assert (await receive_until(alive, "ticket.called"))["data"]["ticket"]["number"] == "A001"
        dead.close()
        await site.http.aclose()


async def test_a_phone_left_at_the_kiosk_reaches_no_screen_and_goes_with_the_visit(tmp_path: Path) -> None:
    """A ticket issued with a phone number: no display, kiosk or agent frame carries the number (it
    never enters the event log); it is kept in E.164 for the SMS, and deleted once the visit ends."""
    valkey = EmbeddedValkey(tmp_path / "valkey")
    env = {"QUEUE_REDIS_URL": valkey.start()}
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "live", 1, SERVICES, ROLES)
    redis = Redis.from_url(env["QUEUE_REDIS_URL"], decode_responses=True)
    try:
        with server(tmp_path, env=env) as running:
            site = Site(running, tokens, httpx.AsyncClient(base_url=running.url, timeout=10))
            screens = {role: await connect(site.ws, additional_headers=site.auth(role))
                       for role in ("display", "kiosk", "agent", "supervisor")}
            frames: dict[str, list[str]] = {role: [str(await ws.recv())] for role, ws in screens.items()}
            r = await site.http.post("/api/v1/sites/live/tickets", headers=site.auth("kiosk"),
                                     json={"service": "etat-civil", "phone": "06 12 34 56 78"})
            assert r.status_code == 201, r.text
            ticket = r.json()
            assert "phone" not in ticket
            stored = {k: v for key in await redis.keys("*phones*") for k, v in (await redis.hgetall(key)).items()}
            assert stored == {ticket["id"]: "+33612345678"}
            await site.call()
            await site.http.post(f"/api/v1/sites/live/tickets/{ticket['id']}/finish", headers=site.auth("agent"))
            for role, ws in screens.items():
                frames[role].append(str(await ws.recv()))  # ticket.issued
                while '"ticket.called"' not in frames[role][-1]:
                    frames[role].append(str(await ws.recv()))
            for role, received in frames.items():
                for frame in received:
                    assert "612345678" not in frame and "12 34 56 78" not in frame, (role, frame)
            with anyio.fail_after(10):  # the archiver sees the visit end and deletes the number
                while any([await redis.hlen(key) for key in await redis.keys("*phones*")]):
                    await anyio.sleep(0.02)
            for ws in screens.values():
                await ws.close()
            await site.http.aclose()
    finally:
        await redis.aclose()
        valkey.stop()


async def test_revoking_a_token_closes_its_open_feed_for_good(site: Site, tmp_path: Path) -> None:
    """A display whose token is revoked (here with the CLI) is closed with 4001 within seconds, the
    client library stops instead of reconnecting, and the token opens nothing any more; another
    device's feed goes on."""
    async with connect(site.ws, additional_headers=site.auth("kiosk")) as kiosk:
        await receive(kiosk)
        feed = LiveFeedClient(site.server.url, "live", site.tokens["display"], lambda message: None)
        listing = subprocess.run([QUEUE_SERVER, "token", "list", "--data-dir", str(tmp_path)],
                                 capture_output=True, text=True, check=True).stdout
        display_id = next(line.split("\t")[0] for line in listing.splitlines() if "\tdisplay\t" in line)
        with anyio.fail_after(15):
            async with anyio.create_task_group() as tg:
                async def revoke_once_connected() -> None:
                    while feed.connections == 0:
                        await anyio.sleep(0.05)
                    subprocess.run([QUEUE_SERVER, "token", "revoke", display_id, "--data-dir", str(tmp_path)],
                                   check=True, capture_output=True)

                tg.start_soon(revoke_once_connected)
                with pytest.raises(Revoked):
                    await feed.run()
        assert feed.connections == 1
        with pytest.raises(InvalidStatus) as refused:
            async with connect(site.ws, additional_headers=site.auth("display")):
                pass
        assert refused.value.response.status_code == 401
        assert b"/problems/token-revoked" in refused.value.response.body  # the device page can say so
        await site.issue()
        assert (await receive_until(kiosk, "ticket.issued"))["data"]["ticket"]["number"] == "A001"


async def device_status(site: Site) -> dict[str, dict[str, Any]]:
    response = await site.http.get("/api/v1/sites/live/devices/status", headers=site.auth("supervisor"))
    assert response.status_code == 200, response.text
    return {d["role"]: d for d in response.json()}


async def test_supervisors_see_which_devices_are_connected(site: Site) -> None:
    """A display whose feed is open is online; once it closes it is offline at once, with the time it was
    last seen; the kiosk, never connected, is offline with no time; agents may not ask."""
    before = await device_status(site)
    assert set(before) == {"display", "kiosk"}
    assert (before["display"]["online"], before["display"]["last_seen"]) == (False, None)
    async with connect(site.ws, additional_headers=site.auth("display")) as ws:
        await receive_until(ws, "snapshot")
        assert (await device_status(site))["display"]["online"] is True
    with anyio.fail_after(5):
        while (now := await device_status(site))["display"]["online"]:
            await anyio.sleep(0.05)
    assert now["display"]["last_seen"] is not None and now["kiosk"]["online"] is False
    refused = await site.http.get("/api/v1/sites/live/devices/status", headers=site.auth("agent"))
    assert refused.status_code == 403

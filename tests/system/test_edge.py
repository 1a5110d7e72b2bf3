"""Limits at the edge against a real `queue-server serve`: slow senders, oversized heads, crowds of
connections from one address (web/httpserver.py)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.system.servers import ServerProcess, seed_site, server

HEAD_S, BODY_S, PENDING = 1.5, 1.5, 20
EDGE = {"QUEUE_SERVER_REQUEST_HEAD_TIMEOUT_S": str(HEAD_S), "QUEUE_SERVER_REQUEST_BODY_TIMEOUT_S": str(BODY_S),
        "QUEUE_SERVER_MAX_PENDING_CONNECTIONS_PER_ADDRESS": str(PENDING),
        # Debug: what clients cause is logged there, and the tests wait for those lines.
        "QUEUE_SERVER_LOG_LEVEL": "debug", "QUEUE_SERVER_ACCESS_LOG": "true"}
SLOW_BODY = (b"POST /api/v1/pair HTTP/1.1\r\nHost: guichet\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n{\"code\":")


class Edge(ServerProcess):
    display: str  # a display's token at the site ``edge``


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    data = tmp_path_factory.mktemp("edge")
    tokens = anyio.run(seed_site, f"sqlite:///{data / 'guichet.sqlite3'}", "edge", 1, ("etat-civil",), ("display",))
    with server(data, EDGE, name="edge") as process:
        process.__class__ = Edge
        process.display = tokens["display"]  # type: ignore[attr-defined]
        yield process  # type: ignore[misc]


def wait_for_line(process: ServerProcess, text: str, timeout: float = 10.0) -> str:
    """The server's log once it holds ``text``."""
    deadline = time.monotonic() + timeout
    while text not in (log := process.log.read_text()):
        assert time.monotonic() < deadline, f"{text!r} never logged"
        time.sleep(0.05)
    return log


def connect(process: ServerProcess, source: str) -> socket.socket:
    """A TCP connection to the server from ``source`` (any address of 127.0.0.0/8 is this machine)."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", process.port))
    return sock


def answer(sock: socket.socket, within: float) -> tuple[bytes, bool]:
    """What the server sends within ``within`` seconds, and whether it then closed the connection."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return received, False
    except ConnectionResetError:
        pass
    return received, True


def status(received: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", received)
    assert match, received[:200]
    return int(match.group(1))


def rss_kib(process: ServerProcess) -> int:
    text = Path(f"/proc/{process.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1))  # type: ignore[union-attr]


def test_slow_senders_get_408_within_the_deadline_while_the_server_stays_ready(edge: ServerProcess) -> None:
    """150 connections from 10 addresses that send half a body get 408 and are closed within the body
    deadline, half a head within the head deadline, and /readyz answers 200 all along."""
    with ExitStack() as stack:
        slow = []
        started = time.monotonic()
        for n in range(150):
            sock = stack.enter_context(connect(edge, f"127.0.0.{2 + n % 10}"))
            sock.sendall(SLOW_BODY if n % 3 else b"GET /healthz HTTP/1.1\r\nHost: guichet\r\nX-Slow: ")
            slow.append(sock)
        for _ in range(5):
            assert httpx.get(f"{edge.url}/readyz", timeout=2).status_code == 200
        for sock in slow:
            received, closed = answer(sock, started + max(HEAD_S, BODY_S) + 2.0 - time.monotonic())
            assert status(received) == 408 and b"request-timeout" in received
            assert closed
        assert time.monotonic() - started < max(HEAD_S, BODY_S) + 2.0
        assert httpx.get(f"{edge.url}/readyz", timeout=2).status_code == 200
    assert "408 request-timeout from 127.0.0." in edge.log.read_text()


def test_one_address_may_hold_only_so_many_connections_without_a_request(edge: ServerProcess) -> None:
    """Past the cap of connections that sent no whole request, an address gets 429 at once; other addresses
    are served meanwhile, and the address is served again once its idle connections are closed."""
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(edge, "127.0.0.20")) for _ in range(PENDING)]
        extra = stack.enter_context(connect(edge, "127.0.0.20"))
        received, closed = answer(extra, 2.0)
        assert status(received) == 429 and closed
        assert httpx.get(f"{edge.url}/readyz", timeout=2).status_code == 200
        for sock in idle:  # nothing was sent on them: closed without a word at the head's deadline
            assert answer(sock, HEAD_S + 2.0) == (b"", True)
    again = connect(edge, "127.0.0.20")
    with again:
        again.sendall(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\nConnection: close\r\n\r\n")
        received, closed = answer(again, 2.0)
    assert status(received) == 200 and closed


def test_a_whole_request_frees_its_connection_from_the_cap(edge: ServerProcess) -> None:
    """Keep-alive connections that have sent a request no longer count against their address's cap."""
    with ExitStack() as stack:
        for _ in range(PENDING + 5):
            sock = stack.enter_context(connect(edge, "127.0.0.21"))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\n\r\n")
            sock.settimeout(2.0)
            assert status(sock.recv(65536)) == 200


def test_an_oversized_head_gets_431_and_the_memory_does_not_grow(edge: ServerProcess) -> None:
    """A 64 KiB header, 150 headers, or a header of 32 MB sent in a stream get 431; the server's memory stays
    where it was."""
    for head in (b"X-Big: " + b"a" * 64 * 1024 + b"\r\n", b"".join(b"X-%d: v\r\n" % n for n in range(150))):
        with connect(edge, "127.0.0.30") as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\n" + head + b"\r\n")
            received, closed = answer(sock, 3.0)
        assert status(received) == 431 and b"headers-too-large" in received and closed
    before = rss_kib(edge)
    for _ in range(3):
        with connect(edge, "127.0.0.30") as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\nX-Huge: ")
            sent, chunk = 0, b"a" * (1 << 20)
            try:
                while sent < 32 << 20:
                    sock.sendall(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert sent < 32 << 20, "the server read a 32 MB header to its end"
    assert rss_kib(edge) - before < 4 * 1024
    assert httpx.get(f"{edge.url}/healthz", timeout=2).status_code == 200


def test_heads_within_the_limits_are_served_as_before(edge: ServerProcess) -> None:
    """A 20 KiB cookie and 60 headers are fine; so are several requests on one keep-alive connection."""
    headers = {f"X-Extra-{n}": "v" for n in range(60)}
    with httpx.Client(base_url=edge.url, timeout=2) as http:
        for _ in range(3):
            answered = http.get("/healthz", headers={**headers, "Cookie": "c=" + "x" * 20 * 1024})
            assert answered.status_code == 200


def test_a_client_that_leaves_in_the_middle_of_its_body_is_no_error(edge: Edge) -> None:
    """A body cut short by the client (the connection closed) leaves one debug line, no ERROR, no traceback."""
    for path in (b"/api/v1/pair", b"/login"):
        with connect(edge, "127.0.0.40") as sock:
            sock.sendall(SLOW_BODY.replace(b"/api/v1/pair", path))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
    log = wait_for_line(edge, "POST /login: the client went away before sending its whole body")
    assert " ERROR " not in log and "Traceback" not in log


@pytest.mark.anyio
async def test_a_text_frame_that_is_not_utf8_closes_the_feed_with_1007_and_no_error(edge: Edge) -> None:
    """A display that sends invalid UTF-8 in a text frame is closed with 1007; the log says it at debug only."""
    url = f"ws://127.0.0.1:{edge.port}/ws/sites/edge"
    async with ws_connect(url, additional_headers={"Authorization": f"Bearer {edge.display}"}) as feed:
        await feed.recv()
        await feed.send(b"\xff\xfe not UTF-8", text=True)
        with anyio.fail_after(5), pytest.raises(ConnectionClosed) as closed:
            while True:
                await feed.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    log = wait_for_line(edge, "sent a text message that is not UTF-8")
    assert " ERROR " not in log and "Traceback" not in log


@pytest.mark.anyio
async def test_a_token_is_taken_under_its_exact_name_only_and_never_logged(edge: Edge) -> None:
    """``?tok%65n=`` (which decodes to ``token``) opens no live feed, and no spelling of a token reaches the
    log, where ``?token=`` opens it."""
    base = f"ws://127.0.0.1:{edge.port}/ws/sites/edge"
    for spelling in ("tok%65n", "%74oken", "TOKEN"):
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(f"{base}?{spelling}={edge.display}"):
                pass
        assert refused.value.response.status_code == 401
        page = httpx.get(f"{edge.url}/display?{spelling}={edge.display}", timeout=5)
        assert page.status_code == 200
    async with ws_connect(f"{base}?v=1&token={edge.display}") as feed:
        assert orjson.loads(await feed.recv())["type"] == "snapshot"
    log = wait_for_line(edge, "/ws/sites/edge?v=1&token=***")
    assert "tok%65n=***" in log and "%74oken=***" in log and "TOKEN=***" in log
    assert edge.display not in log

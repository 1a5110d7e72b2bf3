"""Real server processes for system tests: `queue-server serve` started as a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import Site, Tenant
from queue_server.platform.tokens import create_token
from queue_server.queue.tables import Counter, Service
from queue_server.settings import load_settings

# Tests issue thousands of tickets a minute with one kiosk token: rate limits are off unless a
# test turns them on (tests/web/test_limits.py checks them).
NO_LIMITS = {"QUEUE_LIMITS_KIOSK_TICKETS_PER_MINUTE": "0", "QUEUE_LIMITS_KIOSK_TICKETS_PER_ADDRESS_PER_MINUTE": "0",
             "QUEUE_LIMITS_PUBLIC_READS_PER_ADDRESS_PER_MINUTE": "0",
             # Hundreds of clients connect from 127.0.0.1 at once (tests/system/test_edge.py checks the cap).
             "QUEUE_SERVER_MAX_PENDING_CONNECTIONS_PER_ADDRESS": "0",
             # and no speech worker per server: tests/browser and tests/display turn it on
             "QUEUE_SPEECH_ENABLED": "false"}
QUEUE_SERVER = str(Path(sys.executable).parent / "queue-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def server(data_dir: Path, env: dict[str, str] | None = None, port: int | None = None,
           name: str = "server") -> Iterator[ServerProcess]:
    """A `queue-server serve` process on a free port, ready when yielded, stopped afterwards."""
    port = port or free_port()
    log = data_dir / f"{name}-{port}.log"
    full_env = {**os.environ, **NO_LIMITS, **(env or {})}
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [QUEUE_SERVER, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out, stderr=subprocess.STDOUT, env=full_env,
        )
    proc = ServerProcess(port, process, log)
    try:
        wait_ready(proc.url, process, log)
        yield proc
    finally:
        proc.stop()


async def seed_site(database_url: str, site: str, counters: int, services: tuple[str, ...],
                    roles: tuple[str, ...] = ("kiosk", "agent")) -> dict[str, str]:
    """A tenant with one site, ``services`` (prefixes A, B, C…) and ``counters`` serving them all."""
    settings = load_settings(database={"url": database_url})
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with sessions(engine)() as session:
            session.add(Tenant(id=site, name=site))
            await session.flush()
            session.add(Site(id=site, tenant_id=site, name=site))
            await session.flush()
            for i, sid in enumerate(services):
                session.add(Service(site_id=site, id=sid, name=sid, prefix=chr(ord("A") + i), position=i))
            for n in range(1, counters + 1):
                session.add(Counter(site_id=site, id=str(n), name=str(n), services=list(services), position=n))
            await session.commit()
            return {role: (await create_token(session, site, role))[1] for role in roles}
    finally:
        await engine.dispose()


Prepare = Callable[[AsyncSession, str], Awaitable[None]]


async def _seed_sites(database_url: str, sites: Sequence[str], counters: int, services: tuple[str, ...],
                      roles: tuple[str, ...], prepare: Prepare | None) -> dict[str, dict[str, str]]:
    tokens = {site: await seed_site(database_url, site, counters, services, roles) for site in sites}
    if prepare is not None:
        engine = make_engine(load_settings(database={"url": database_url}).database_url)
        try:
            async with sessions(engine)() as session:
                for site in sites:
                    await prepare(session, site)
                await session.commit()
        finally:
            await engine.dispose()
    return tokens


class SharedSites:
    """One server for a module's tests, with a site of its own for each test (``take``): a test's tickets, calls
    and tokens touch no other test's, and the module pays for one server start instead of one per test."""

    def __init__(self, running: ServerProcess, tokens: dict[str, dict[str, str]]) -> None:
        self.server = running
        self.tokens = tokens
        self.free = list(tokens)

    def take(self) -> tuple[str, dict[str, str]]:
        """A site no test of this process has used yet, and its tokens."""
        assert self.free, "every shared site is taken: seed more"
        site = self.free.pop(0)
        return site, self.tokens[site]


@contextmanager
def shared_sites(data_dir: Path, count: int, counters: int, services: tuple[str, ...], roles: tuple[str, ...],
                 prepare: Prepare | None = None, env: dict[str, str] | None = None) -> Iterator[SharedSites]:
    """``count`` sites (``mairie``, ``mairie-2``…: each ``counters`` counters serving ``services``, a token per
    role in ``roles``, then ``prepare(session, site)``), seeded before one `queue-server serve` process starts on
    ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{data_dir / 'guichet.sqlite3'}"
    sites = ["mairie", *(f"mairie-{n}" for n in range(2, count + 1))]
    with ThreadPoolExecutor(1) as pool:  # a thread of its own: the caller's may hold a test runner's event loop
        tokens = pool.submit(asyncio.run, _seed_sites(database, sites, counters, services, roles, prepare)).result()
    with server(data_dir, env) as running:
        yield SharedSites(running, tokens)

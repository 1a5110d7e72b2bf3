"""What the benchmarks share: a seeded site and a server process."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import Site, Tenant
from queue_server.platform.tokens import create_token
from queue_server.queue.tables import Counter, Service
from queue_server.settings import load_settings

SERVICES = ("etat-civil", "passeports", "urbanisme")


async def seed(data_dir: Path, counters: int) -> dict[str, str]:
    settings = load_settings(server={"data_dir": data_dir})
    engine = make_engine(settings.database_url)
    await migrate(engine)
    async with sessions(engine)() as session:
        session.add(Tenant(id="bench", name="bench"))
        await session.flush()
        session.add(Site(id="bench", tenant_id="bench", name="bench"))
        await session.flush()
        for i, sid in enumerate(SERVICES):
            session.add(Service(site_id="bench", id=sid, name=sid, prefix="ABC"[i], position=i))
        for n in range(1, counters + 1):
            session.add(Counter(site_id="bench", id=str(n), name=str(n), services=list(SERVICES)))
        await session.commit()
        tokens = {role: (await create_token(session, "bench", role))[1] for role in ("kiosk", "agent", "display")}
    await engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``queue-server serve`` with the embedded Valkey on a free port, once it is ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "queue-server"), "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # One kiosk token issues for thousands, and thousands of screens connect from this one address at once.
        env={**os.environ, "QUEUE_SERVER_LOG_LEVEL": "warning", "QUEUE_LIMITS_KIOSK_TICKETS_PER_MINUTE": "0",
             "QUEUE_LIMITS_KIOSK_TICKETS_PER_ADDRESS_PER_MINUTE": "0",
             "QUEUE_SERVER_MAX_PENDING_CONNECTIONS_PER_ADDRESS": "0"},
    )
    for _ in range(400):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


@asynccontextmanager
async def scratch_postgresql(server_url: str) -> AsyncIterator[str]:
    """The URL of a database created on the PostgreSQL server of ``server_url`` for one run, dropped afterwards."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def print_figures(rows: Sequence[tuple[str, Sequence[float], float]], width: int = 12) -> None:
    """One line per (label, milliseconds, mean hits): how many, the hits, p50, p95, p99 and max."""
    print(f"{'kind':<{width}}{'n':>5}{'hits':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  (ms)")
    for label, values, found in rows:
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        print(f"{label:<{width}}{len(values):>5}{found:>7.0f}{cuts[49]:>8.1f}{cuts[94]:>8.1f}{cuts[98]:>8.1f}"
              f"{max(values):>8.1f}")

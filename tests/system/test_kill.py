"""Nothing acknowledged is lost: kill -9 the server, or the Valkey under it, while tickets are issued."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import anyio
import httpx
import pytest

from queue_server.store.embedded import EmbeddedValkey
from tests.system.servers import free_port, seed_site, server

pytestmark = pytest.mark.anyio
SERVICES = ("etat-civil", "passeports")


async def issue_until(url: str, token: str, acknowledged: dict[str, str], stop: anyio.Event,
                      clients: int = 4, unavailable: anyio.Event | None = None) -> None:
    """Issue tickets from ``clients`` concurrent clients until ``stop``; record every 201; set
    ``unavailable`` at the first 503."""

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = await http.post("/api/v1/sites/k/tickets", json={"service": SERVICES[(n + i) % 2]})
                except httpx.HTTPError:
                    await anyio.sleep(0.01)
                    continue
                if r.status_code == 201:
                    acknowledged[r.json()["id"]] = r.json()["number"]
                else:
                    assert r.status_code == 503, r.text  # never a 500, even mid-crash
                    if unavailable is not None:
                        unavailable.set()
                    await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        for n in range(clients):
            tg.start_soon(client, n)


async def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)


async def all_present(url: str, acknowledged: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        for ticket_id, number in acknowledged.items():
            r = await http.get(f"/api/v1/sites/k/tickets/{ticket_id}")
            assert r.status_code == 200, (ticket_id, r.text)
            assert r.json()["number"] == number


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


async def test_server_killed_mid_issuing_loses_no_acknowledged_ticket(tmp_path: Path) -> None:
    """kill -9 of the server (embedded Valkey and SQLite) while 4 clients issue: after a restart,
    every ticket that got a 201 is there with its number, and numbering goes on without reuse."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "k", 2, SERVICES)
    acknowledged: dict[str, str] = {}
    port = free_port()
    with server(tmp_path, port=port, name="first") as first:
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(issue_until, first.url, tokens["kiosk"], acknowledged, stop)
            await wait_for(lambda: len(acknowledged) >= 300)
            valkey_pid = int((tmp_path / "valkey" / "valkey.pid").read_text())
            first.kill()
            stop.set()  # the requests in flight at the kill end (failed) before the clients stop
    await wait_for(lambda: pid_gone(valkey_pid))
    with server(tmp_path, port=port, name="second") as second:
        await all_present(second.url, acknowledged)
        async with httpx.AsyncClient(base_url=second.url,
                                     headers={"Authorization": f"Bearer {tokens['kiosk']}"}) as http:
            r = await http.post("/api/v1/sites/k/tickets", json={"service": "etat-civil"})
        taken = {int(n[1:]) for n in acknowledged.values() if n.startswith("A")}
        assert int(r.json()["number"][1:]) > max(taken)


async def test_valkey_killed_mid_issuing_loses_no_acknowledged_ticket(tmp_path: Path) -> None:
    """kill -9 of Valkey while clients issue: the API answers 503 (never 500) until Valkey is back,
    then recovers by itself; after a server restart every 201 ticket is still there."""
    valkey = EmbeddedValkey(tmp_path / "redis")
    redis_url = valkey.start()
    db_url = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    tokens = await seed_site(db_url, "k", 2, SERVICES)
    env = {"QUEUE_REDIS_URL": redis_url, "QUEUE_DATABASE_URL": db_url}
    acknowledged: dict[str, str] = {}
    try:
        with server(tmp_path, env, name="first") as first:
            stop, unavailable = anyio.Event(), anyio.Event()
            async with anyio.create_task_group() as tg:
                tg.start_soon(issue_until, first.url, tokens["kiosk"], acknowledged, stop, 4, unavailable)
                await wait_for(lambda: len(acknowledged) >= 300)
                assert valkey.pid is not None
                os.kill(valkey.pid, signal.SIGKILL)
                with anyio.fail_after(20):
                    await unavailable.wait()  # the API answers 503 while Valkey is away
                before_restart = len(acknowledged)
                valkey = EmbeddedValkey(tmp_path / "redis")
                valkey.start()
                await wait_for(lambda: len(acknowledged) >= before_restart + 100)
                stop.set()
        with server(tmp_path, env, name="second") as second:
            await all_present(second.url, acknowledged)
    finally:
        valkey.stop()


async def test_embedded_valkey_killed_is_restarted_by_the_server(tmp_path: Path) -> None:
    """kill -9 of the server's own Valkey: the server starts it again by itself, issuing resumes,
    and every ticket acknowledged before and after is there."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "k", 2, SERVICES)
    acknowledged: dict[str, str] = {}
    with server(tmp_path) as running:
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(issue_until, running.url, tokens["kiosk"], acknowledged, stop)
            await wait_for(lambda: len(acknowledged) >= 200)
            pid_file = tmp_path / "valkey" / "valkey.pid"
            old_pid = int(pid_file.read_text())
            os.kill(old_pid, signal.SIGKILL)
            before = len(acknowledged)
            await wait_for(lambda: len(acknowledged) >= before + 100)
            stop.set()
        assert int(pid_file.read_text()) != old_pid
        await all_present(running.url, acknowledged)
        numbers = sorted(int(n[1:]) for n in acknowledged.values() if n.startswith("A"))
        assert len(numbers) == len(set(numbers))

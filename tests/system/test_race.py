"""Two server processes on one Redis, many issuers and agents at once: no duplicate, no gap."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import anyio
import httpx
import pytest

from queue_server.store.embedded import EmbeddedValkey
from tests.system.servers import seed_site, server

pytestmark = pytest.mark.anyio
SERVICES = ("etat-civil", "passeports", "urbanisme")
TICKETS, ISSUERS, AGENTS = 1000, 4, 8


async def test_two_processes_issue_and_call_every_ticket_exactly_once(tmp_path: Path) -> None:
    """1,000 tickets by 4 issuers while 8 agents call next through 2 processes: each ticket is
    called exactly once and each service's numbers are exactly 1..n."""
    valkey = EmbeddedValkey(tmp_path / "shared")
    redis_url = valkey.start()
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    tokens = await seed_site(db_url, "race", AGENTS, SERVICES)
    env = {"QUEUE_REDIS_URL": redis_url, "QUEUE_DATABASE_URL": db_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        with server(tmp_path / "a", env, name="a") as a, server(tmp_path / "b", env, name="b") as b:
            urls = [a.url, b.url]
            issued: dict[str, dict[str, object]] = {}
            called: list[str] = []
            issuing_done = anyio.Event()

            async def issuer(n: int) -> None:
                async with httpx.AsyncClient(base_url=urls[n % 2], timeout=30,
                                             headers={"Authorization": f"Bearer {tokens['kiosk']}"}) as http:
                    for i in range(TICKETS // ISSUERS):
                        r = await http.post("/api/v1/sites/race/tickets",
                                            json={"service": SERVICES[(n + i) % 3]})
                        assert r.status_code == 201, r.text
                        issued[r.json()["id"]] = r.json()

            async def agent(counter: int) -> None:
                async with httpx.AsyncClient(base_url=urls[counter % 2], timeout=30,
                                             headers={"Authorization": f"Bearer {tokens['agent']}"}) as http:
                    while True:
                        r = await http.post(f"/api/v1/sites/race/counters/{counter}/next")
                        if r.status_code == 204:
                            if issuing_done.is_set():
                                again = await http.post(f"/api/v1/sites/race/counters/{counter}/next")
                                if again.status_code == 204:
                                    return
                                r = again
                            else:
                                await anyio.sleep(0.005)
                                continue
                        assert r.status_code == 200, r.text
                        ticket = r.json()
                        assert ticket["status"] == "called" and ticket["counter"] == str(counter)
                        called.append(ticket["id"])
                        started = await http.post(f"/api/v1/sites/race/tickets/{ticket['id']}/start")
                        assert started.status_code == 200, started.text

            async with anyio.create_task_group() as agents:
                for c in range(1, AGENTS + 1):
                    agents.start_soon(agent, c)
                async with anyio.create_task_group() as issuers:
                    for n in range(ISSUERS):
                        issuers.start_soon(issuer, n)
                issuing_done.set()

            assert len(issued) == TICKETS
            assert len(called) == len(set(called)) == TICKETS
            assert set(called) == set(issued)
            numbers: dict[str, list[int]] = defaultdict(list)
            for t in issued.values():
                numbers[str(t["service"])].append(int(str(t["number"])[1:]))
            for service, seqs in numbers.items():
                assert sorted(seqs) == list(range(1, len(seqs) + 1)), service
    finally:
        valkey.stop()

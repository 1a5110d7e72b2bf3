"""Call-to-screen latency of the live feed: N display clients, 200 calls at 10 calls/s.

For each N (100, 1,000, 5,000 by default) a fresh server (embedded Valkey) is started, a separate
process connects N display clients, 200 tickets are issued and then called through the HTTP API at
10 calls/s. Printed per N: latency from the moment the call's POST is sent to the moment the *last*
client received its ticket.called (p50, p99, max), the server's RSS per connection, and whether
every client received every call. Times are CLOCK_MONOTONIC, shared by processes on one machine.

The displays live in ``--processes`` load-generator processes (2 by default): reading and parsing a
frame costs a client more CPU than writing it costs the server, so with one process the load
generator, not the server, would set the figures for large N. CPU per frame is printed for both.

Usage: .venv/bin/python bench/fanout.py [--clients 100 1000 5000] [--calls 200] [--rate 10] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import uvloop
from common import seed, start_server
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

COUNTERS = 4


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet(*pids: int, timeout: float = 60.0) -> None:
    """Wait until the processes are idle (under 5 % of a core over half a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_s(p) for p in pids)
        time.sleep(0.5)
        if sum(cpu_s(p) for p in pids) - before < 0.025:
            return


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Display(asyncio.Protocol):
    """One display, as light as a client gets: the websockets package's sans-I/O protocol over a
    bare asyncio transport (no task, no queue per connection), so that the load generator, which
    shares this machine's two cores with the server, costs as little as possible per frame."""

    def __init__(self, uri: str, token: str, on_call: Callable[[bytes], None]) -> None:
        self.protocol = ClientProtocol(parse_uri(uri))
        self.request = self.protocol.connect()
        self.request.headers["Authorization"] = f"Bearer {token}"
        self.on_call = on_call
        self.opened = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.protocol.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode == Opcode.TEXT and b'"ticket.called"' in event.data:
                    self.on_call(bytes(event.data))
            elif not self.opened.done():
                self.opened.set_result(event)
        self._flush()  # pongs

    def _flush(self) -> None:
        data = self.protocol.data_to_send()
        if data and self.transport is not None:
            self.transport.write(b"".join(data))


async def clients_main(url: str, token: str, n: int, calls: int, ready: Path, out: Path, frozen: bool) -> None:
    """The load generator's side: n displays, each noting when every ticket.called arrives."""
    last_seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    total = n * calls
    received = 0
    done = asyncio.Event()

    def on_call(raw: bytes) -> None:
        nonlocal received
        now = time.monotonic_ns()
        ticket = orjson.loads(raw)["data"]["ticket"]["id"]
        if now > last_seen.get(ticket, 0):
            last_seen[ticket] = now
        counts[ticket] = counts.get(ticket, 0) + 1
        received += 1
        if received == total:
            done.set()

    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    uri = f"ws://{parts.netloc}/ws/sites/bench"
    displays = []
    for i in range(0, n, 100):
        batch = []
        for _ in range(min(100, n - i)):
            _, display = await loop.create_connection(lambda: Display(uri, token, on_call),
                                                      parts.hostname, parts.port)
            batch.append(display)
        await asyncio.gather(*(d.opened for d in batch))
        displays.extend(batch)
    if frozen:  # one more display that stops reading at once, with a tiny receive buffer
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect((parts.hostname, parts.port))
        _, stuck = await loop.create_connection(lambda: Display(uri, token, lambda raw: None), sock=sock)
        await stuck.opened
        assert stuck.transport is not None
        stuck.transport.pause_reading()
    # The load generator must not pause: its full garbage collections walk every connection's
    # objects (tens of ms at 5,000) and would be counted as the server's latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    ready.write_text("ready")
    with contextlib.suppress(TimeoutError):  # then the report says who missed what
        await asyncio.wait_for(done.wait(), timeout=calls / 5 + 120)
    out.write_text(json.dumps({"last_seen": last_seen, "counts": counts}))
    for display in displays:
        if display.transport is not None:
            display.transport.close()


def measure(n: int, calls: int, rate: float, processes: int, frozen: bool = False) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="guichet-fanout-"))
    tokens = asyncio.run(seed(data_dir, COUNTERS))
    server, url = start_server(data_dir)
    try:
        kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
        agent = {"Authorization": f"Bearer {tokens['agent']}"}
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(calls):
                http.post("/api/v1/sites/bench/tickets", json={"service": "etat-civil"}, headers=kiosk)
            for c in range(1, COUNTERS + 1):  # as agents do at the start of the day (else the first
                http.post(f"/api/v1/sites/bench/counters/{c}/open", headers=agent)  # call opens it: 2 events)
            rss_before = rss_kib(server.pid)
            # The displays are shared by `processes` load-generator processes: parsing frames costs
            # a client more than writing them costs the server, and one process would be the bottleneck.
            shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
            clients = []
            for i, share in enumerate(shares):
                ready, out = data_dir / f"ready{i}", data_dir / f"out{i}.json"
                clients.append((subprocess.Popen(
                    [sys.executable, __file__, "--client", url, tokens["display"], str(share), str(calls),
                     str(ready), str(out), "frozen" if frozen and i == 0 else "-"]), ready, out))
            for client, ready, _ in clients:
                while not ready.exists():
                    if client.poll() is not None:
                        raise SystemExit("a load-generator process died")
                    time.sleep(0.05)
            quiet(server.pid, *(c.pid for c, _, _ in clients))  # snapshots read, connections settled
            rss_after = rss_kib(server.pid)
            sent: dict[str, int] = {}
            server_cpu, client_cpu = cpu_s(server.pid), sum(cpu_s(c.pid) for c, _, _ in clients)
            started = time.monotonic()
            busy = {str(c): None for c in range(1, COUNTERS + 1)}
            for i in range(calls):
                counter = str(1 + i % COUNTERS)
                if busy[counter]:
                    http.post(f"/api/v1/sites/bench/tickets/{busy[counter]}/start", headers=agent)
                target = started + i / rate
                time.sleep(max(0.0, target - time.monotonic()))
                t0 = time.monotonic_ns()
                r = http.post(f"/api/v1/sites/bench/counters/{counter}/next", headers=agent)
                ticket = r.json()["id"]
                sent[ticket] = t0
                busy[counter] = ticket
            time.sleep(0.5)
            server_cpu = cpu_s(server.pid) - server_cpu
            client_cpu = sum(cpu_s(c.pid) for c, _, _ in clients) - client_cpu
            for client, _, _ in clients:
                client.wait(timeout=calls / 5 + 180)
        last_seen: dict[str, int] = {}
        counts: dict[str, int] = {}
        for _, _, out in clients:
            part = json.loads(out.read_text())
            for ticket, seen in part["last_seen"].items():
                last_seen[ticket] = max(seen, last_seen.get(ticket, 0))
            for ticket, count in part["counts"].items():
                counts[ticket] = counts.get(ticket, 0) + count
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)
    latencies = sorted((last_seen[t] - sent[t]) / 1e6 for t in sent if t in last_seen)
    complete = all(counts.get(t) == n for t in sent)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {
        "clients": n, "calls": calls, "p50_ms": round(pct(50), 1), "p99_ms": round(pct(99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "rss_per_connection_kib": round((rss_after - rss_before) / n, 1),
        "every_client_got_every_call": complete,
        "server_cpu_us_per_frame": round(server_cpu / (calls * n) * 1e6, 1),
        "client_cpu_us_per_frame": round(client_cpu / (calls * n) * 1e6, 1),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        url, token, n, calls, ready, out, frozen = sys.argv[2:9]
        # uvloop, as the server has: the stdlib loop's per-read overhead would dominate the client's cost.
        uvloop.run(clients_main(url, token, int(n), int(calls), Path(ready), Path(out), frozen == "frozen"))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--frozen", action="store_true",
                        help="measure each N again with one more display that never reads, and compare")
    args = parser.parse_args()
    for n in args.clients:
        r = measure(n, args.calls, args.rate, args.processes)
        print(f"{n:>5} screens: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms, "
              f"{r['rss_per_connection_kib']} KiB per connection, every call everywhere: "
              f"{r['every_client_got_every_call']}; CPU per delivered call frame: server "
              f"{r['server_cpu_us_per_frame']} µs, load generator {r['client_cpu_us_per_frame']} µs")
        print(json.dumps(r))
        if args.frozen:
            f = measure(n, args.calls, args.rate, args.processes, frozen=True)
            change = (float(f["p99_ms"]) - float(r["p99_ms"])) / float(r["p99_ms"]) * 100  # type: ignore[arg-type]
            print(f"{n:>5} screens + 1 frozen: p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms ({change:+.0f} % p99), "
                  f"every call everywhere: {f['every_client_got_every_call']}")
            print(json.dumps({**f, "frozen": True, "p99_change_percent": round(change, 1)}))


if __name__ == "__main__":
    main()

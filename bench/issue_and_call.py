"""Tickets issued per second over HTTP, and calls per second, for one server process with the
embedded Valkey (append-only file, fsync on every write), into one site.

Load: wrk (Debian package `wrk`) from this machine, 16 connections issuing; then 16 agents at 16
counters calling next and starting each called ticket. Prints figures; never fails a build.
Usage: .venv/bin/python bench/issue_and_call.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from common import seed, start_server

HERE = Path(__file__).parent
COUNTERS = 16


def wrk(script: str, url: str, token: str, seconds: int, threads: int, connections: int) -> str:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(HERE / script), url],
        capture_output=True, text=True, env={**os.environ, "BENCH_TOKEN": token},
    )
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr or out.stdout}")
    return out.stdout


def latency(out: str, pct: str) -> str:
    match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
    return match.group(1) if match else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    data_dir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    tokens = asyncio.run(seed(data_dir, COUNTERS))
    server, url = start_server(data_dir)
    try:
        httpx.post(f"{url}/api/v1/sites/bench/tickets", json={"service": "etat-civil"},
                   headers={"Authorization": f"Bearer {tokens['kiosk']}"})  # load the site once
        issue = wrk("issue.lua", url, tokens["kiosk"], args.seconds, 2, 16)
        issued_rate = float(re.search(r"Requests/sec:\s+([\d.]+)", issue).group(1))  # type: ignore[union-attr]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", issue)
        state = httpx.get(f"{url}/api/v1/sites/bench/state",
                          headers={"Authorization": f"Bearer {tokens['agent']}"}).json()
        waiting = sum(s["waiting"] for s in state["services"])
        call = wrk("call.lua", url, tokens["agent"], args.seconds, COUNTERS, COUNTERS)
        calls = re.search(r"CALLS (\d+) EMPTY (\d+) ERRORS (\d+)", call)
        assert calls is not None
        result = {
            "issue_per_s": round(issued_rate),
            "issue_p50": latency(issue, "50"),
            "issue_p99": latency(issue, "99"),
            "issue_errors": int(errors.group(1)) if errors else 0,
            "tickets_waiting_after_issue": waiting,
            "calls_per_s": round(int(calls.group(1)) / args.seconds),
            "call_and_start_p50": latency(call, "50"),
            "call_and_start_p99": latency(call, "99"),
            "call_errors": int(calls.group(3)),
        }
        print(f"issue: {result['issue_per_s']} tickets/s over HTTP, 16 connections, "
              f"p50 {result['issue_p50']}, p99 {result['issue_p99']}, errors {result['issue_errors']}")
        print(f"call:  {result['calls_per_s']} calls/s (16 agents, each call followed by a start), "
              f"p50 {result['call_and_start_p50']}, p99 {result['call_and_start_p99']}, "
              f"errors {result['call_errors']}")
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

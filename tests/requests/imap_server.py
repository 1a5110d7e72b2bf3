"""A real IMAP server for the intake's tests: Debian's dovecot (``dovecot-imapd``), started with a configuration of
the test's own in a temporary directory (one user, any name, password ``secret``: passdb static; maildir; plain
IMAP on a free port of 127.0.0.1), and a client (the standard library's ``imaplib``, in a thread) to put e-mails
in its mailbox and read their flags back."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "mairie", "secret"
NOBODY = 65534


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def _append(self, raw: bytes) -> None:
        client = self._client()
        try:
            status, _ = client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"
        finally:
            client.logout()

    async def deliver(self, raw: bytes) -> None:
        """Put ``raw`` in the mailbox, unseen, as the collectivity's mail server would."""
        await anyio.to_thread.run_sync(self._append, raw)

    def _unseen(self) -> int:
        client = self._client()
        try:
            client.select("INBOX", readonly=True)
            status, data = client.search(None, "UNSEEN")
            assert status == "OK"
            return len(data[0].split())
        finally:
            client.logout()

    async def unseen(self) -> int:
        """How many e-mails of the mailbox are not marked seen."""
        return await anyio.to_thread.run_sync(self._unseen)


def start_dovecot() -> Iterator[Dovecot]:
    """A dovecot of its own in a new directory of /tmp until the generator is closed (then stopped, its directory
    removed). Dovecot never lets root own a mailbox: run as root, the mailbox belongs to ``nobody`` (and the
    directory is readable by all, as pytest's own temporary directories are not)."""
    root = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))
    root.chmod(0o755)
    uid, gid = (os.getuid(), os.getgid()) if os.getuid() != 0 else (NOBODY, NOBODY)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir(exist_ok=True)
        if os.getuid() == 0 and sub in ("mail", "home"):
            os.chown(root / sub, uid, gid)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD, uid=uid, gid=gid))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot did not start: {process.stderr.read() if process.stderr else b''!r}"
                                   f" {log}")
            time.sleep(0.05)
        yield Dovecot(root, port, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)

"""``queue-kiosk`` against a real server and a TCP listener standing in for a network printer."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import update

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Service, Site
from queue_server.settings import load_settings
from tests.system.servers import QUEUE_SERVER, ServerProcess, seed_site, server

pytestmark = pytest.mark.anyio
QUEUE_KIOSK = str(Path(sys.executable).parent / "queue-kiosk")
CP858_E_ACUTE_CAPITAL = b"\x90"  # "É" in code page 858
SELECT_CP858 = b"\x1bt\x13"  # ESC t 19
QR_STORE = b"\x1d(k"  # GS ( k: the printer's own QR code
CUT = b"\x1dV"  # GS V


@dataclass
class FakePrinter:
    """A TCP listener on 127.0.0.1: every connection's bytes, as a network printer would get them."""

    port: int = 0
    jobs: list[bytes] = field(default_factory=list)

    async def serve(self) -> asyncio.Server:
        async def job(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            data = await reader.read()
            if data:
                self.jobs.append(data)
            writer.close()

        listener = await asyncio.start_server(job, "127.0.0.1", 0)
        self.port = listener.sockets[0].getsockname()[1]
        return listener

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:
        with anyio.fail_after(timeout):
            while len(self.jobs) < count:
                await anyio.sleep(0.05)


@dataclass
class Hall:
    server: ServerProcess
    tokens: dict[str, str]
    data_dir: Path
    printer: FakePrinter

    async def issue(self, role: str = "kiosk", token: str | None = None) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            answer = await http.post("/api/v1/sites/mairie/tickets", json={"service": "etat-civil"},
                                     headers={"Authorization": f"Bearer {token or self.tokens[role]}"})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    @contextmanager
    def agent(self, *extra: str) -> Iterator[Path]:
        """``queue-kiosk`` running with the kiosk's token; yields its log once it follows the site."""
        log = self.data_dir / "agent.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [QUEUE_KIOSK, "--server", self.server.url, "--token", self.tokens["kiosk"],
                 "--printer", f"network://127.0.0.1:{self.printer.port}", "--data-dir", str(self.data_dir / "kiosk"),
                 *extra], stdout=out, stderr=subprocess.STDOUT)
        try:
            start = log.read_text().count("following site")
            for _ in range(300):
                if log.read_text().count("following site") > start:
                    break
                assert process.poll() is None, log.read_text()
                subprocess.run(["sleep", "0.05"])
            yield log
        finally:
            process.terminate()
            process.wait(10)


@pytest.fixture
async def hall(tmp_path: Path) -> AsyncIterator[Hall]:
    database = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    tokens = await seed_site(database, "mairie", 1, ("etat-civil",), roles=("kiosk", "agent"))
    engine = make_engine(load_settings(database={"url": database}).database_url)
    async with sessions(engine)() as session:
        await session.execute(update(Site).where(Site.id == "mairie").values(name="Mairie de Saint-Étienne"))  # type: ignore[arg-type]
        await session.execute(update(Service).values(name="État civil"))
        await session.commit()
    await engine.dispose()
    printer = FakePrinter()
    listener = await printer.serve()
    try:
        with server(tmp_path) as running:
            yield Hall(running, tokens, tmp_path, printer)
    finally:
        listener.close()


async def test_a_ticket_of_this_kiosk_prints_with_accents_a_qr_code_and_a_cut(hall: Hall) -> None:
    """The printer gets the number, the site and service names in code page 858 (É is 0x90), the
    people ahead, a QR code of the tracking page and a cut; tickets of staff are not its own."""
    with hall.agent():
        await hall.issue("agent")  # issued by staff: no kiosk printer prints it
        ticket = await hall.issue()
        await hall.printer.wait_for(1)
        await anyio.sleep(0.5)
    assert len(hall.printer.jobs) == 1
    job = hall.printer.jobs[0]
    assert b"A002" in job
    assert SELECT_CP858 in job
    assert b"Mairie de Saint-" + CP858_E_ACUTE_CAPITAL + b"tienne" in job
    assert CP858_E_ACUTE_CAPITAL + b"tat civil" in job
    assert b"Personnes avant vous : 1" in job
    assert QR_STORE in job and f"/t/{ticket['id']}".encode() in job
    assert job.rstrip(b"\x00").endswith(CUT) or CUT in job[-8:]


async def test_a_restart_prints_what_was_missed_once_and_nothing_twice(hall: Hall) -> None:
    """Tickets issued while the agent was away print when it comes back (they are fresh); a second
    restart prints nothing again; a ticket of another kiosk never prints here."""
    with hall.agent():
        await hall.issue()
        await hall.printer.wait_for(1)
    missed = [await hall.issue(), await hall.issue()]
    other = subprocess.run([QUEUE_SERVER, "token", "create", "--site", "mairie", "--role", "kiosk",
                            "--data-dir", str(hall.data_dir)], capture_output=True, text=True, check=True).stdout
    await hall.issue(token=other.strip())
    with hall.agent():
        await hall.printer.wait_for(3)
        await anyio.sleep(1.0)
    with hall.agent():
        await anyio.sleep(1.5)
    numbers = [next(n for n in (b"A001", b"A002", b"A003", b"A004") if n in job) for job in hall.printer.jobs]
    assert numbers == [b"A001", b"A002", b"A003"]
    assert all(t["number"].encode() in b"".join(hall.printer.jobs) for t in missed)


async def test_a_ticket_missed_for_too_long_is_reported_not_printed(hall: Hall) -> None:
    """With --fresh 1, a ticket issued two seconds before the agent came back is only reported."""
    with hall.agent("--fresh", "1"):
        pass
    await hall.issue()
    await anyio.sleep(2.0)
    with hall.agent("--fresh", "1") as log:
        await anyio.sleep(1.5)
        assert "A001 was issued" in log.read_text() and "not printed" in log.read_text()
    assert hall.printer.jobs == []


def test_a_wrong_printer_is_refused_with_a_readable_message(tmp_path: Path) -> None:
    for printer, says in [("lpt1", "unknown printer"), ("usb://04b8", "usb://VENDOR:PRODUCT"),
                          ("network://", "network://HOST")]:
        run = subprocess.run([QUEUE_KIOSK, "--server", "http://127.0.0.1:9", "--token", "x", "--printer", printer,
                              "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30)
        assert run.returncode == 2 and says in run.stderr and "Traceback" not in run.stderr, run.stderr

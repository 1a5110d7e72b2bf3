"""``queue-kiosk`` against a real server and a TCP listener standing in for a network printer: what it
prints, what it reprints, and the printer's status it reports."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from PIL import Image
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Site
from queue_server.i18n import translations
from queue_server.platform.sites import set_logo
from queue_server.queue.tables import Service
from queue_server.settings import load_settings
from tests.ages import until_older_than
from tests.system.servers import QUEUE_SERVER, ServerProcess, SharedSites, free_port, seed_site, server, shared_sites

pytestmark = pytest.mark.anyio
QUEUE_KIOSK = str(Path(sys.executable).parent / "queue-kiosk")
CP858_E_ACUTE_CAPITAL = b"\x90"  # "É" in code page 858
SELECT_CP858 = b"\x1bt\x13"  # ESC t 19
QR_STORE = b"\x1d(k"  # GS ( k: the printer's own QR code
CUT = b"\x1dV"  # GS V
RASTER_IMAGE = b"\x1dv0"  # GS v 0: the logo
# DLE EOT 4, "transmit the paper sensor status", and the answers python-escpos reads (escpos.constants):
# the fixed bits 1 and 4 (0x12), plus bits 2-3 when the paper runs low, plus bits 5-6 when it is out.
PAPER_QUERY = b"\x10\x04\x04"
PAPER_OK, PAPER_LOW, PAPER_OUT = b"\x12", b"\x1e", b"\x72"


@dataclass
class FakePrinter:
    """A TCP listener on 127.0.0.1: every connection's bytes, as a network printer would get them (a
    connection that only asked for the paper status is no job). It answers DLE EOT 4 with ``paper``
    (``None``: it never answers, as a printer that cannot report)."""

    port: int = 0
    jobs: list[bytes] = field(default_factory=list)
    paper: bytes | None = PAPER_OK
    queries: int = 0

    async def serve(self) -> asyncio.Server:
        async def job(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            data = b""
            try:
                while chunk := await reader.read(65536):
                    data += chunk
                    while PAPER_QUERY in data:
                        data = data.replace(PAPER_QUERY, b"", 1)
                        self.queries += 1
                        if self.paper is not None:
                            writer.write(self.paper)
                            await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                pass  # an agent stopped while it held the connection resets it, as a printer sees it: the end of a job
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
    data_dir: Path  # the test's: the agent's data and log
    printer: FakePrinter
    site: str = "mairie"
    server_dir: Path | None = None  # the server's data (for its command line); None: data_dir

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def issue(self, role: str = "kiosk", token: str | None = None, service: str = "etat-civil",
                    priority: bool = False) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            answer = await http.post(f"/api/v1/sites/{self.site}/tickets",
                                     json={"service": service, "priority": priority},
                                     headers={"Authorization": f"Bearer {token or self.tokens[role]}"})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def reprint(self, ticket_id: str) -> None:
        """An agent at a counter has the ticket printed again by the kiosk that issued it."""
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            answer = await http.post(f"/api/v1/sites/{self.site}/tickets/{ticket_id}/reprint",
                                     headers=self.auth("agent"))
        assert answer.status_code == 200, answer.text

    async def printers(self) -> list[dict[str, object]]:
        """The snapshot's printers, as the kiosk's own page reads them."""
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            answer = await http.get(f"/api/v1/sites/{self.site}/state", headers=self.auth("kiosk"))
        assert answer.status_code == 200, answer.text
        return list(answer.json()["printers"])

    async def kiosk_id(self) -> int:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            return int((await http.get("/api/v1/me", headers=self.auth("kiosk"))).json()["token_id"])

    async def wait_for_status(self, status: str, timeout: float = 15.0) -> None:
        """Waits until the server holds ``status`` for this kiosk's printer."""
        expected = [{"kiosk": await self.kiosk_id(), "status": status}]
        with anyio.fail_after(timeout):
            while await self.printers() != expected:
                await anyio.sleep(0.02)

    async def printed(self, number: str, timeout: float = 15.0) -> None:
        """Waits until a job holding ticket ``number`` reached the printer."""
        with anyio.fail_after(timeout):
            while not any(number.encode() in job for job in self.printer.jobs):
                await anyio.sleep(0.05)

    async def caught_up(self) -> str:
        """Issues a ticket of this kiosk and waits until it prints: the agent handles the feed in order, so
        every event before it has been handled (printed or not) by then. Returns its number."""
        number = (await self.issue())["number"]
        await self.printed(number)
        return number

    async def logged(self, *texts: str, timeout: float = 15.0) -> None:
        """Waits until one line of the agent's log holds all of ``texts``."""
        log = self.data_dir / "agent.log"
        with anyio.fail_after(timeout):
            while not any(all(text in line for text in texts) for line in log.read_text().splitlines()):
                await anyio.sleep(0.05)

    async def journaled(self) -> None:
        """Waits until the agent's journal holds an event id to resume after."""
        journal = self.data_dir / "kiosk" / "printed.json"
        with anyio.fail_after(15):
            while not (journal.exists() and json.loads(journal.read_text()).get("last_event_id")):
                await anyio.sleep(0.05)

    @asynccontextmanager
    async def agent(self, *extra: str, printer: str | None = None) -> AsyncIterator[Path]:
        """``queue-kiosk`` running with the kiosk's token; yields its log once it follows the site."""
        log = self.data_dir / "agent.log"
        printer = printer or f"network://127.0.0.1:{self.printer.port}"
        start = log.read_text().count("following site") if log.exists() else 0
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [QUEUE_KIOSK, "--server", self.server.url, "--token", self.tokens["kiosk"],
                 "--printer", printer, "--data-dir", str(self.data_dir / "kiosk"),
                 *extra], stdout=out, stderr=subprocess.STDOUT)
        try:
            with anyio.fail_after(15):  # the fake printer answers meanwhile: the loop is not blocked
                while log.read_text().count("following site") <= start:
                    assert process.poll() is None, log.read_text()
                    await anyio.sleep(0.05)
            yield log
            assert process.poll() is None, log.read_text()  # whatever the printer did, the agent carried on
        finally:
            process.terminate()
            with anyio.fail_after(10):
                while process.poll() is None:
                    await anyio.sleep(0.05)


@asynccontextmanager
async def open_hall(tmp_path: Path, services: tuple[str, ...] = ("etat-civil",), logo: bytes | None = None,
                    messages: dict[str, str] | None = None) -> AsyncIterator[Hall]:
    """Site ``mairie`` (with ``logo`` and the services' ticket ``messages``, if given) served by a real
    server, and a fake network printer."""
    database = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    tokens = await seed_site(database, "mairie", 1, services, roles=("kiosk", "agent"))
    engine = make_engine(load_settings(database={"url": database}).database_url)
    async with sessions(engine)() as session:
        await session.execute(update(Site).where(Site.id == "mairie").values(name="Mairie de Saint-Étienne"))  # type: ignore[arg-type]
        await session.execute(update(Service).where(Service.id == "etat-civil").values(name="État civil"))  # type: ignore[arg-type]
        for service, message in (messages or {}).items():
            await session.execute(update(Service).where(Service.id == service).values(ticket_message=message))  # type: ignore[arg-type]
        if logo is not None:
            await set_logo(session, "mairie", logo, "image/png")
        await session.commit()
    await engine.dispose()
    printer = FakePrinter()
    listener = await printer.serve()
    try:
        with server(tmp_path) as running:
            yield Hall(running, tokens, tmp_path, printer)
    finally:
        listener.close()


async def _saint_etienne(session: AsyncSession, site: str) -> None:
    await session.execute(update(Site).where(Site.id == site).values(name="Mairie de Saint-Étienne"))  # type: ignore[arg-type]
    await session.execute(update(Service).where(Service.site_id == site, Service.id == "etat-civil")  # type: ignore[arg-type]
                          .values(name="État civil"))


@pytest.fixture(scope="module")
def halls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSites]:
    """One server for the module's plain halls (``open_hall`` starts its own for a logo or messages), a site per
    test."""
    with shared_sites(tmp_path_factory.mktemp("halls"), 16, 1, ("etat-civil",), ("kiosk", "agent"),
                      _saint_etienne) as shared:
        yield shared


@pytest.fixture
async def hall(halls: SharedSites, tmp_path: Path) -> AsyncIterator[Hall]:
    """Site ``mairie`` (or one like it) served by the module's server, and a fake network printer."""
    site, tokens = halls.take()
    printer = FakePrinter()
    listener = await printer.serve()
    try:
        yield Hall(halls.server, tokens, tmp_path, printer, site, halls.server.log.parent)
    finally:
        listener.close()


async def test_a_ticket_of_this_kiosk_prints_with_accents_a_qr_code_and_a_cut(hall: Hall) -> None:
    """The printer gets the number, the site and service names in code page 858 (É is 0x90), the
    people ahead, a QR code of the tracking page and a cut; tickets of staff are not its own."""
    async with hall.agent():
        await hall.issue("agent")  # issued by staff: no kiosk printer prints it
        ticket = await hall.issue()
        await hall.printer.wait_for(1)  # the agent handles the feed in order: A001 was handled before
    assert len(hall.printer.jobs) == 1
    job = hall.printer.jobs[0]
    assert b"A002" in job
    assert SELECT_CP858 in job
    assert b"Mairie de Saint-" + CP858_E_ACUTE_CAPITAL + b"tienne" in job
    assert CP858_E_ACUTE_CAPITAL + b"tat civil" in job
    assert b"Personnes avant vous : 1" in job
    assert QR_STORE in job and f"/t/{ticket['id']}".encode() in job
    assert job.rstrip(b"\x00").endswith(CUT) or CUT in job[-8:]


async def test_a_priority_ticket_prints_priority_in_words(hall: Hall) -> None:
    """A priority ticket taken at the kiosk reaches the printer with "Prioritaire" under its number; an ordinary one
    without it."""
    async with hall.agent():
        await hall.issue(priority=True)
        await hall.issue()
        await hall.printer.wait_for(2)
    priority, ordinary = hall.printer.jobs
    assert priority.find(b"A001") < priority.find(b"Prioritaire") < priority.find(CP858_E_ACUTE_CAPITAL + b"tat civil")
    assert b"A002" in ordinary and b"Prioritaire" not in ordinary


async def test_a_restart_prints_what_was_missed_once_and_nothing_twice(hall: Hall) -> None:
    """Tickets issued while the agent was away print when it comes back (they are fresh); a second
    restart prints nothing again; a ticket of another kiosk never prints here."""
    async with hall.agent():
        await hall.issue()
        await hall.printer.wait_for(1)
    missed = [await hall.issue(), await hall.issue()]
    other = subprocess.run([QUEUE_SERVER, "token", "create", "--site", hall.site, "--role", "kiosk",
                            "--data-dir", str(hall.server_dir or hall.data_dir)], capture_output=True, text=True,
                           check=True).stdout
    await hall.issue(token=other.strip())
    async with hall.agent():
        assert await hall.caught_up() == "A005"  # printed after the other kiosk's A004 was handled
    async with hall.agent():
        assert await hall.caught_up() == "A006"  # printed after the restart replayed what it would
    numbers = [next(n for n in (b"A001", b"A002", b"A003", b"A004", b"A005", b"A006") if n in job)
               for job in hall.printer.jobs]
    assert numbers == [b"A001", b"A002", b"A003", b"A005", b"A006"]
    assert all(t["number"].encode() in b"".join(hall.printer.jobs) for t in missed)


async def test_a_ticket_missed_for_too_long_is_reported_not_printed(hall: Hall) -> None:
    """With --fresh 1, a ticket issued two seconds before the agent came back is only reported."""
    async with hall.agent("--fresh", "1"):
        await hall.journaled()  # the site's snapshot: the next start resumes after it
    ticket = await hall.issue()
    await until_older_than(ticket["issued_at"], 1)  # the --fresh window
    async with hall.agent("--fresh", "1"):
        await hall.logged("A001 was issued", "not printed")  # its decision: nothing printed after it
    assert hall.printer.jobs == []


def test_a_wrong_printer_is_refused_with_a_readable_message(tmp_path: Path) -> None:
    for printer, says in [("lpt1", "unknown printer"), ("usb://04b8", "usb://VENDOR:PRODUCT"),
                          ("network://", "network://HOST")]:
        run = subprocess.run([QUEUE_KIOSK, "--server", "http://127.0.0.1:9", "--token", "x", "--printer", printer,
                              "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30)
        assert run.returncode == 2 and says in run.stderr and "Traceback" not in run.stderr, run.stderr


async def test_a_reprint_prints_the_ticket_again_once(hall: Hall) -> None:
    """A counter's reprint prints the kiosk's ticket a second time, marked as such; neither a restart nor
    a later ticket prints it a third time."""
    async with hall.agent():
        ticket = await hall.issue()
        await hall.printer.wait_for(1)
        await hall.reprint(ticket["id"])
        await hall.printer.wait_for(2)
    async with hall.agent():
        await hall.issue()  # printed after the reprint's event, had it been printed again
        await hall.printer.wait_for(3)
    assert [b"A001" in job for job in hall.printer.jobs] == [True, True, False]
    marked = translations("fr").gettext("Reprint").encode("cp858")  # the ticket's language
    assert marked not in hall.printer.jobs[0] and marked in hall.printer.jobs[1]
    assert f"/t/{ticket['id']}".encode() in hall.printer.jobs[1]
    assert b"A002" in hall.printer.jobs[2]


async def test_the_printer_status_is_reported_on_connecting_and_when_it_changes(hall: Hall) -> None:
    """The paper status read with DLE EOT 4 reaches the server once the agent follows the site, then
    each change of it; every kiosk page and supervisor reads it from the snapshot."""
    hall.printer.paper = PAPER_LOW
    async with hall.agent("--status-every", "0.2"):
        await hall.wait_for_status("paper_low")
        hall.printer.paper = PAPER_OUT
        await hall.wait_for_status("paper_out")
        hall.printer.paper = PAPER_OK
        await hall.wait_for_status("ok")
    assert hall.printer.jobs == [] and hall.printer.queries >= 3


async def test_a_printer_that_never_answers_is_offline_and_tickets_still_print(hall: Hall) -> None:
    """A printer that takes bytes but never answers the status query is reported offline after a short
    timeout, and the agent does not hang on it: the kiosk's ticket prints."""
    hall.printer.paper = None
    async with hall.agent():
        await hall.issue()
        await hall.printer.wait_for(1)
        await hall.wait_for_status("offline")
    assert b"A001" in hall.printer.jobs[0]


async def test_a_printer_that_cannot_be_reached_is_offline_and_the_agent_carries_on(hall: Hall) -> None:
    """With nothing listening where the printer should be, the status is offline, the lost ticket is
    logged with what to do, and the agent keeps running."""
    async with hall.agent(printer=f"network://127.0.0.1:{free_port()}") as log:
        await hall.wait_for_status("offline")
        await hall.issue()
        with anyio.fail_after(15):
            while "could not print A001" not in log.read_text():
                await anyio.sleep(0.05)
    assert "reprint it from a counter" in log.read_text()


async def test_a_file_printer_reports_only_what_printing_tells(hall: Hall, tmp_path: Path) -> None:
    """A file cannot answer a status query: nothing is reported until a ticket is written, then ok."""
    out = tmp_path / "lp0"
    async with hall.agent(printer=f"file://{out}"):
        assert await hall.printers() == []
        await hall.issue()
        await hall.wait_for_status("ok")
    assert b"A001" in out.read_bytes() and PAPER_QUERY not in out.read_bytes()


async def test_a_file_printer_that_could_not_be_written_is_ok_again_once_it_opens(hall: Hall, tmp_path: Path) -> None:
    """A ticket that cannot be written makes the printer offline (logged, the agent carries on); once its
    device can be opened again, the agent withdraws the alert, so that the kiosk page takes tickets again."""
    device = tmp_path / "usb" / "lp0"
    async with hall.agent("--status-every", "0.2", printer=f"file://{device}") as log:
        await hall.issue()
        await hall.wait_for_status("offline")
        assert "could not print A001" in log.read_text()
        device.parent.mkdir()
        await hall.wait_for_status("ok")
    assert device.read_bytes() == b""  # opened to see, nothing written


def logo_png() -> bytes:
    """A logo file as an operator gives it: a PNG, wider than the paper."""
    out = io.BytesIO()
    Image.new("RGB", (800, 200), (0, 70, 160)).save(out, "PNG")
    return out.getvalue()


async def test_tickets_print_the_sites_logo_and_their_services_message(tmp_path: Path) -> None:
    """At a site with a logo, every ticket starts with it as a raster image (downloaded once) before
    the site's name, and a passports ticket ends with that service's message."""
    message = "Pièce d'identité obligatoire."  # one line of 58 mm paper
    async with open_hall(tmp_path, ("etat-civil", "passeports"), logo=logo_png(),
                         messages={"passeports": message}) as hall:
        async with hall.agent() as log:
            await hall.issue(service="passeports")
            await hall.issue()
            await hall.printer.wait_for(2)
        passports, civil = hall.printer.jobs
    for job in (passports, civil):
        assert 0 <= job.find(RASTER_IMAGE) < job.find(b"Mairie de Saint-" + CP858_E_ACUTE_CAPITAL + b"tienne")
    assert b"B001" in passports and message.encode("cp858") in passports
    assert message.encode("cp858") not in civil
    assert log.read_text().count("loaded the site's logo") == 1


async def test_a_logo_that_cannot_be_read_is_logged_once_and_tickets_print_without_it(tmp_path: Path) -> None:
    """A logo the agent cannot open (here bytes that are no image) is reported once in its log, and
    every ticket still prints, without an image."""
    async with open_hall(tmp_path, logo=b"not an image at all") as hall:
        async with hall.agent() as log:
            await hall.issue()
            await hall.issue()
            await hall.printer.wait_for(2)
        assert log.read_text().count("could not load the site's logo") == 1
    assert all(b"A00" in job and RASTER_IMAGE not in job for job in hall.printer.jobs)


@pytest.mark.parametrize(("token", "says"), [
    ("agent", "this token is for the role agent; this agent needs a kiosk token"),
    ("unknown", "the server refused this token"),
])
async def test_a_token_that_is_not_a_kiosks_is_refused_in_one_line(hall: Hall, token: str, says: str) -> None:
    """An agent's token, or one the server does not know, stops the printer agent at once with one line."""
    run = subprocess.run([QUEUE_KIOSK, "--server", hall.server.url, "--token", hall.tokens.get(token, "not-a-token"),
                          "--printer", "file:///dev/null", "--data-dir", str(hall.data_dir)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f"queue-kiosk: {says}"), run.stderr

"""``queue-kiosk``: prints every ticket its kiosk issues, exactly once, and reports its printer.

    queue-kiosk --server http://server:8000 --token KIOSK_TOKEN --printer network://10.0.0.5:9100

It asks the server which kiosk its token stands for (``GET /api/v1/me``), follows the site's live
feed with the project's client (reconnects with backoff, resumes with ``since``) and prints each
``ticket.issued`` whose ``issued_by`` is its kiosk, and each ``ticket.reprinted`` whose ``kiosk`` is
its kiosk (a counter asked for the ticket again).

Each ticket ends with its service's message and starts with the site's logo, both as the last
snapshot gave them (or the last configuration change: ``site.configured`` carries the whole snapshot).
The logo is downloaded once per version (the snapshot's URL names it) and prepared for the paper; one
that cannot be downloaded or read is logged once, and tickets print without it.

Exactly once: the ticket is written to the journal on disk (``DATA_DIR/printed.json``, replaced
atomically) *before* it is printed, with the id of its event; the next connection resumes after that
id. A reconnect therefore never reprints, and a crash in the middle of a print loses that one ticket
(the log says so) rather than printing it twice. A ticket issued while the agent was away prints
when the agent comes back if it is at most ``--fresh`` seconds old (120 by default: the citizen is
probably still at the kiosk); an older one is only reported in the log. A reprint is journaled by its
own event id, so it prints once although its ticket printed before.

The printer's status goes to the server (``PUT /api/v1/sites/{site}/kiosks/self/printer``), which
tells every screen and supervisor: read after each (re)connection, after each print and every
``--status-every`` seconds (30), sent when it changed since the last report the server took, or
``REPORT_EVERY_S`` after it. A network, USB or serial printer is asked for its paper (``ok``,
``paper_low``, ``paper_out``; ``offline`` when it does not answer within ``STATUS_TIMEOUT_S``); a file
or CUPS printer cannot answer, so only the outcome of printing is reported: ``offline`` when a ticket
could not be written, ``ok`` when one was, or when the printer can be opened again after the server
was told it was offline (else the kiosk page, which takes no ticket while its printer is offline,
would never print again). One task at a time uses the printer, in a worker thread
(python-escpos blocks), so that the live feed keeps being read meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.to_thread
import httpx
import typer
from PIL import Image

from queue_server.client import LiveFeedClient, Refused, Revoked, identify
from queue_server.queue.codec import parse_iso

from .printer import (
    STATUS_TIMEOUT_S,
    PrinterURLError,
    TicketSlip,
    can_open,
    describe,
    fit_logo,
    open_printer,
    print_ticket,
    read_status,
)

log = logging.getLogger("queue_kiosk")
KEEP = 2000  # ticket ids (and reprints' event ids) remembered in the journal
REPORT_EVERY_S = 300.0  # an unchanged printer status is reported again after this long
LOGO_TIMEOUT_S = 5.0  # the live feed waits this long at most while a new logo downloads


class Journal:
    """What was printed, on disk: the last event id handled and the recently printed ticket ids."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_event_id: str | None = None
        # ticket id (a reprint: "reprint " + its event id) -> event id
        self.printed: OrderedDict[str, str] = OrderedDict()
        if path.exists():
            data = json.loads(path.read_text())
            self.last_event_id = data.get("last_event_id")
            self.printed = OrderedDict(data.get("printed", []))

    def note(self, event_id: str, key: str | None = None) -> None:
        """Remember ``event_id`` as handled (and ``key`` as printed), durably, before acting."""
        self.last_event_id = event_id
        if key is not None:
            self.printed[key] = event_id
            while len(self.printed) > KEEP:
                self.printed.popitem(last=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".printed.")
        with os.fdopen(fd, "w") as out:
            json.dump({"last_event_id": self.last_event_id, "printed": list(self.printed.items())}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)


class KioskAgent:
    def __init__(self, server: str, token: str, printer_url: str, data_dir: Path, fresh_s: float = 120.0,
                 status_every_s: float = 30.0, report_every_s: float = REPORT_EVERY_S) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.printer_url = printer_url
        open_printer(printer_url)  # a wrong URL is refused now, not at the first ticket
        self.journal = Journal(data_dir / "printed.json")
        self.fresh_s = fresh_s
        self.status_every_s = status_every_s
        self.report_every_s = report_every_s
        self.kiosk_id: int | None = None
        self.site = ""
        self.site_name = ""
        self.services: dict[str, str] = {}  # service id -> name
        self.messages: dict[str, str] = {}  # service id -> what its tickets end with ("": nothing)
        self.logo: Image.Image | None = None  # the site's logo, ready to print
        self._logo_url: str | None = None  # the snapshot's logo URL that ``logo`` comes from
        self._logo_failures: set[str] = set()  # logo URLs whose failure was logged
        self.printed = 0  # this run, for tests and the log
        self.others = 0  # events that were not this kiosk's tickets
        self._printer = anyio.Lock()  # one print or status query at a time
        self._check = anyio.Event()  # set: read the printer's status now
        self._last_print_ok: bool | None = None  # the outcome of the print since the last check
        self.reported: str | None = None  # the status the server last took from this run
        self._reported_at = 0.0
        self.known: str | None = None  # the status the server holds for this kiosk, as its feed says

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def identify(self) -> None:
        """Which kiosk and site this token stands for; waits for the server if it cannot be reached
        (the kiosk's PC may start before it)."""
        try:
            me, _answer = await identify(self.server, self.token, "kiosk")
        except Refused as exc:
            raise SystemExit(f"queue-kiosk: {exc}") from None
        self.kiosk_id, self.site = int(me["token_id"]), str(me["site"])

    async def run(self) -> None:
        await self.identify()
        log.info("printing the tickets of kiosk %s at site %s on %s", self.kiosk_id, self.site, self.printer_url)

        def connected() -> None:
            log.info("following site %s (after event %s)", self.site, self.journal.last_event_id)
            self._check.set()

        feed = LiveFeedClient(self.server, self.site, self.token, self.handle, since=self.journal.last_event_id,
                              on_connect=connected)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self.watch_printer)
                await feed.run()
                tasks.cancel_scope.cancel()
        except Revoked:
            raise SystemExit("queue-kiosk: this kiosk's token was revoked: pair the kiosk again") from None

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        data = message.get("data") or {}
        if kind in ("snapshot", "site.configured"):  # an administrator's change carries the whole snapshot
            self.site_name = data.get("name") or data["site"]
            self.services = {s["id"]: s["name"] for s in data["services"]}
            self.messages = {s["id"]: s.get("ticket_message") or "" for s in data["services"]}
            await self.load_logo(data.get("logo"))
        if kind == "snapshot":
            self.known = next((p["status"] for p in data.get("printers", ()) if p["kiosk"] == self.kiosk_id), None)
            if message.get("resumed") is False:
                log.warning("the server could not replay what happened since %s: tickets issued meanwhile by "
                            "this kiosk may not have printed", self.journal.last_event_id)
            self.journal.note(message["id"])  # the next start resumes from here
            return
        if kind == "kiosk.printer" and data.get("kiosk") == self.kiosk_id:
            self.known = data.get("status")
        ticket = data.get("ticket")
        if kind == "ticket.issued" and data.get("issued_by") == self.kiosk_id and ticket:
            key, what = ticket["id"], "ticket %s was issued"
        elif kind == "ticket.reprinted" and data.get("kiosk") == self.kiosk_id and ticket:
            key, what = f"reprint {message['id']}", "the reprint of ticket %s was asked for"
        else:
            self.others += 1
            if self.others % 100 == 0 and isinstance(message.get("id"), str):
                self.journal.note(message["id"])  # now and then, so that a restart has little to replay
            return
        if key in self.journal.printed:
            return
        age = (datetime.now(UTC) - parse_iso(message["at"])).total_seconds()
        if age > self.fresh_s:
            log.warning(what + " %.0f s ago while this agent was away: not printed (older than %.0f s)",
                        ticket["number"], age, self.fresh_s)
            self.journal.note(message["id"])
            return
        self.journal.note(message["id"], key)  # before printing: never twice
        slip = TicketSlip(
            site_name=self.site_name, number=ticket["number"],
            service_name=self.services.get(ticket["service"], ticket["service"]),
            people_ahead=ticket["position"], estimated_wait_s=ticket["estimated_wait_s"],
            issued_at=parse_iso(ticket["issued_at"]),
            tracking_url=f"{self.server}/t/{ticket['id']}", lang=data.get("lang") or "fr",
            reprint=kind == "ticket.reprinted", message=self.messages.get(ticket["service"], ""), logo=self.logo,
            booked=bool(ticket.get("booked")), priority=bool(ticket.get("priority")),
        )
        async with self._printer:
            printed = await anyio.to_thread.run_sync(self._print, slip)
        self._last_print_ok = printed
        self._check.set()
        if printed:
            self.printed += 1
            log.info("printed %s%s", ticket["number"], " again" if slip.reprint else "")

    async def load_logo(self, url: str | None) -> None:
        """Download and prepare the site's logo if ``url`` (the snapshot's ``logo``, versioned) is not the
        one already loaded; ``None``: the site has none. A failure is logged once per URL, and tried again
        at the next snapshot (a reconnection); meanwhile tickets print without a logo."""
        if url == self._logo_url and (url is None or self.logo is not None):
            return
        self.logo, self._logo_url = None, url
        if url is None:
            return
        try:
            async with httpx.AsyncClient(timeout=LOGO_TIMEOUT_S) as http:
                answer = await http.get(self.server + url)
            answer.raise_for_status()
            self.logo = await anyio.to_thread.run_sync(fit_logo, answer.content)
        except Exception as exc:  # noqa: BLE001 - whatever keeps the logo away, tickets print without it
            if url not in self._logo_failures:
                self._logo_failures.add(url)
                log.warning("could not load the site's logo from %s (%s): tickets print without it",
                            url, describe(exc))
            return
        log.info("loaded the site's logo %s (%d x %d dots)", url, *self.logo.size)

    def _print(self, slip: TicketSlip) -> bool:
        """Print ``slip`` (in a worker thread); whether it went through. Never raises: a printer that fails
        is logged, and reported offline, and the agent carries on."""
        printer = open_printer(self.printer_url)
        try:
            print_ticket(printer, slip)
            return True
        except Exception as exc:  # noqa: BLE001 - the printer's failure must not stop the agent
            log.error("could not print %s (%s): ask the citizen to take another ticket or reprint it from a "
                      "counter", slip.number, describe(exc))
            return False
        finally:
            with contextlib.suppress(Exception):  # closing a printer that failed may fail too
                printer.close()

    async def watch_printer(self) -> None:
        """Read the printer's status when asked (a connection, a print) and every ``status_every_s``;
        report it to the server."""
        while True:
            with anyio.move_on_after(self.status_every_s):
                await self._check.wait()
            self._check = anyio.Event()
            printed, self._last_print_ok = self._last_print_ok, None
            async with self._printer:
                status = await anyio.to_thread.run_sync(self._status, printed)
            if status is not None:
                await self.report(status)

    def _status(self, printed: bool | None) -> str | None:
        """The status to report (in a worker thread), ``printed`` being the outcome of the print since the
        last check (``None``: none); ``None``: nothing to report."""
        if printed is False:
            return "offline"
        status = read_status(open_printer(self.printer_url, STATUS_TIMEOUT_S))
        if status is not None:
            return status
        if printed:
            return "ok"  # a printer that cannot tell took a whole ticket
        if self.known == "offline" and can_open(open_printer(self.printer_url, STATUS_TIMEOUT_S)):
            return "ok"  # it opens again: the kiosk page may take tickets again
        return None

    async def report(self, status: str) -> None:
        """Send ``status`` to the server if it changed since the last report it took, or that report is
        ``report_every_s`` old; a failure is logged and tried again at the next check."""
        if status == self.reported and time.monotonic() - self._reported_at < self.report_every_s:
            return
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                answer = await http.put(f"{self.server}/api/v1/sites/{self.site}/kiosks/self/printer",
                                        json={"status": status}, headers=self._auth)
        except httpx.HTTPError as exc:
            log.warning("could not report the printer's status (%s) to the server: %s", status, describe(exc))
            return
        if answer.status_code != 200:
            log.warning("the server did not take the printer's status (%s): it answered %s", status,
                        answer.status_code)
            return
        if status != self.reported:
            (log.info if status == "ok" else log.warning)("printer status reported: %s", status)
        self.reported, self._reported_at = status, time.monotonic()


app = typer.Typer(add_completion=False)


@app.command()
def main_command(
    server: Annotated[str, typer.Option("--server", envvar="QUEUE_KIOSK_SERVER", help="http(s)://host:port")],
    token: Annotated[str, typer.Option("--token", envvar="QUEUE_KIOSK_TOKEN", help="The kiosk's device token.")],
    printer: Annotated[str, typer.Option("--printer", envvar="QUEUE_KIOSK_PRINTER",
                                         help="network://HOST:PORT, usb://VENDOR:PRODUCT, serial:///dev/ttyUSB0, "
                                              "cups://NAME or file:///PATH")],
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar="QUEUE_KIOSK_DATA_DIR",
                                           help="Where the journal of printed tickets is kept.")] = Path("var/kiosk"),
    fresh: Annotated[float, typer.Option("--fresh", envvar="QUEUE_KIOSK_FRESH_S",
                                         help="Seconds a missed ticket stays worth printing.")] = 120.0,
    status_every: Annotated[float, typer.Option("--status-every", envvar="QUEUE_KIOSK_STATUS_EVERY_S", min=0.1,
                                                help="Seconds between two reads of the printer's status.")] = 30.0,
) -> None:
    """Print every ticket this kiosk issues, exactly once, and report the printer's status."""
    # force: python-escpos installs a root handler at import time, which would make this a no-op.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        agent = KioskAgent(server, token, printer, data_dir, fresh, status_every)
    except PrinterURLError as exc:
        typer.echo(f"queue-kiosk: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        anyio.run(agent.run)
    except KeyboardInterrupt:
        sys.exit(130)


def main() -> None:
    app()

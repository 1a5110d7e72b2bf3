"""``queue-kiosk``: prints every ticket its kiosk issues, exactly once.

    queue-kiosk --server http://server:8000 --token KIOSK_TOKEN --printer network://10.0.0.5:9100

It asks the server which kiosk its token stands for (``GET /api/v1/me``), follows the site's live
feed with the project's client (reconnects with backoff, resumes with ``since``) and prints each
``ticket.issued`` whose ``issued_by`` is its kiosk.

Exactly once: the ticket is written to the journal on disk (``DATA_DIR/printed.json``, replaced
atomically) *before* it is printed, with the id of its event; the next connection resumes after that
id. A reconnect therefore never reprints, and a crash in the middle of a print loses that one ticket
(the log says so) rather than printing it twice. A ticket issued while the agent was away prints
when the agent comes back if it is at most ``--fresh`` seconds old (120 by default: the citizen is
probably still at the kiosk); an older one is only reported in the log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import httpx
import typer

from queue_server.client import LiveFeedClient, Revoked
from queue_server.codec import parse_iso

from .printer import PrinterURLError, TicketSlip, describe, open_printer, print_ticket

log = logging.getLogger("queue_kiosk")
KEEP = 2000  # ticket ids remembered in the journal


class Journal:
    """What was printed, on disk: the last event id handled and the recently printed ticket ids."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_event_id: str | None = None
        self.printed: OrderedDict[str, str] = OrderedDict()  # ticket id -> event id
        if path.exists():
            data = json.loads(path.read_text())
            self.last_event_id = data.get("last_event_id")
            self.printed = OrderedDict(data.get("printed", []))

    def note(self, event_id: str, ticket_id: str | None = None) -> None:
        """Remember ``event_id`` as handled (and ``ticket_id`` as printed), durably, before acting."""
        self.last_event_id = event_id
        if ticket_id is not None:
            self.printed[ticket_id] = event_id
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
    def __init__(self, server: str, token: str, printer_url: str, data_dir: Path, fresh_s: float = 120.0) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.printer_url = printer_url
        open_printer(printer_url)  # a wrong URL is refused now, not at the first ticket
        self.journal = Journal(data_dir / "printed.json")
        self.fresh_s = fresh_s
        self.kiosk_id: int | None = None
        self.site = ""
        self.site_name = ""
        self.services: dict[str, str] = {}
        self.printed = 0  # this run, for tests and the log
        self.others = 0  # events that were not this kiosk's tickets

    async def identify(self) -> None:
        """Which kiosk and site this token stands for; waits for the server if it cannot be reached
        (the kiosk's PC may start before it)."""
        delay = 1.0
        while True:
            try:
                async with httpx.AsyncClient(timeout=10) as http:
                    answer = await http.get(f"{self.server}/api/v1/me",
                                            headers={"Authorization": f"Bearer {self.token}"})
                if answer.status_code < 500:
                    break
                problem = f"it answered {answer.status_code}"
            except httpx.HTTPError as exc:
                problem = describe(exc)
            log.warning("cannot reach the server at %s (%s); trying again in %.0f s", self.server, problem, delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, 30.0)
        if answer.status_code == 401:
            raise SystemExit(f"queue-kiosk: the server refused this token: {answer.json().get('detail')}")
        answer.raise_for_status()
        me = answer.json()
        if me.get("role") != "kiosk":
            raise SystemExit(f"queue-kiosk: this is a {me.get('role')} token; the printer agent needs a kiosk's")
        self.kiosk_id, self.site = int(me["token_id"]), str(me["site"])

    async def run(self) -> None:
        await self.identify()
        log.info("printing the tickets of kiosk %s at site %s on %s", self.kiosk_id, self.site, self.printer_url)
        feed = LiveFeedClient(self.server, self.site, self.token, self.handle, since=self.journal.last_event_id,
                              on_connect=lambda: log.info("following site %s (after event %s)", self.site,
                                                          self.journal.last_event_id))
        try:
            await feed.run()
        except Revoked:
            raise SystemExit("queue-kiosk: this kiosk's token was revoked: pair the kiosk again") from None

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "snapshot":
            data = message["data"]
            self.site_name = data.get("name") or data["site"]
            self.services = {s["id"]: s["name"] for s in data["services"]}
            if message.get("resumed") is False:
                log.warning("the server could not replay what happened since %s: tickets issued meanwhile by "
                            "this kiosk may not have printed", self.journal.last_event_id)
            self.journal.note(message["id"])  # the next start resumes from here
            return
        if kind != "ticket.issued" or message["data"].get("issued_by") != self.kiosk_id:
            self.others += 1
            if self.others % 100 == 0 and isinstance(message.get("id"), str):
                self.journal.note(message["id"])  # now and then, so that a restart has little to replay
            return
        ticket = message["data"]["ticket"]
        if ticket["id"] in self.journal.printed:
            return
        age = (datetime.now(UTC) - parse_iso(message["at"])).total_seconds()
        if age > self.fresh_s:
            log.warning("ticket %s was issued %.0f s ago while this agent was away: not printed (older than %.0f s)",
                        ticket["number"], age, self.fresh_s)
            self.journal.note(message["id"])
            return
        self.journal.note(message["id"], ticket["id"])  # before printing: never twice
        slip = TicketSlip(
            site_name=self.site_name, number=ticket["number"],
            service_name=self.services.get(ticket["service"], ticket["service"]),
            people_ahead=ticket["position"], estimated_wait_s=ticket["estimated_wait_s"],
            issued_at=parse_iso(ticket["issued_at"]),
            tracking_url=f"{self.server}/t/{ticket['id']}", lang=message["data"].get("lang") or "fr",
        )
        printer = open_printer(self.printer_url)
        try:
            print_ticket(printer, slip)
            self.printed += 1
            log.info("printed %s", ticket["number"])
        except Exception as exc:  # noqa: BLE001 - the printer's failure must not stop the agent
            log.error("could not print %s (%s): ask the citizen to take another ticket or reprint it from a "
                      "counter", ticket["number"], describe(exc))
        finally:
            with contextlib.suppress(Exception):  # closing a printer that failed may fail too
                printer.close()


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
) -> None:
    """Print every ticket this kiosk issues, exactly once."""
    # force: python-escpos installs a root handler at import time, which would make this a no-op.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        agent = KioskAgent(server, token, printer, data_dir, fresh)
    except PrinterURLError as exc:
        typer.echo(f"queue-kiosk: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        anyio.run(agent.run)
    except KeyboardInterrupt:
        sys.exit(130)


def main() -> None:
    app()

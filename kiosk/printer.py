"""The kiosk's thermal printer: which one (the ``--printer`` URLs of API.md), and what a ticket looks like.

The ESC/POS bytes are python-escpos's; this module only chooses the printer and lays the ticket out.
The code page is fixed (CP858: French accents and the euro sign) rather than left to escpos's
automatic choice, so that every ticket prints the same bytes for the same text.

    network://HOST[:PORT]          a network printer (port 9100 by default)
    usb://VENDOR:PRODUCT           hexadecimal USB ids, e.g. usb://04b8:0202 (needs pyusb and libusb)
    serial:///dev/ttyUSB0[?baudrate=19200]   (needs pyserial)
    cups://NAME                    a CUPS queue (needs pycups, which builds against libcups2-dev)
    file:///PATH                   append the bytes to a file or device node (tests, /dev/usb/lp0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from escpos import printer as escpos_printer
from escpos.escpos import Escpos

from queue_server.i18n import translations

CODE_PAGE = "CP858"
NETWORK_TIMEOUT_S = 10.0


class PrinterURLError(ValueError):
    """A ``--printer`` value that names no printer; the message says what is expected."""


def open_printer(url: str) -> Escpos:
    """The python-escpos printer ``url`` names (not connected yet: it connects on first write)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        if scheme == "network":
            if not parts.hostname:
                raise PrinterURLError("network printers are written network://HOST[:PORT], e.g. network://10.0.0.5:9100")
            return escpos_printer.Network(parts.hostname, port=parts.port or 9100, timeout=NETWORK_TIMEOUT_S)
        if scheme == "usb":
            vendor, sep, product = parts.netloc.partition(":")
            if not sep:
                raise PrinterURLError("USB printers are written usb://VENDOR:PRODUCT in hexadecimal, e.g. usb://04b8:0202")
            return escpos_printer.Usb(int(vendor, 16), int(product, 16))
        if scheme == "serial":
            options = parse_qs(parts.query)
            baudrate = int(options.get("baudrate", ["19200"])[0])
            return escpos_printer.Serial(parts.path, baudrate=baudrate)
        if scheme == "cups":
            return escpos_printer.CupsPrinter(parts.netloc or parts.path.lstrip("/"))
        if scheme == "file":
            if not parts.path:
                raise PrinterURLError("file printers are written file:///PATH")
            return escpos_printer.File(parts.path)
    except (ValueError, RuntimeError) as exc:
        if isinstance(exc, PrinterURLError):
            raise
        raise PrinterURLError(f"{url}: {exc}") from exc
    raise PrinterURLError(f"unknown printer {url!r}: use network://, usb://, serial://, cups:// or file://")


@dataclass(frozen=True)
class TicketSlip:
    """What a printed ticket says."""

    site_name: str
    number: str
    service_name: str
    people_ahead: int | None
    estimated_wait_s: int | None
    issued_at: datetime
    tracking_url: str
    lang: str = "fr"
    message: str = ""  # a per-service message ("Munissez-vous de votre pièce d'identité")
    timezone: str = "Europe/Paris"


def print_ticket(printer: Escpos, slip: TicketSlip) -> None:
    """Lay the ticket out on ``printer`` and cut. Raises whatever the connection raises."""
    _ = translations(slip.lang).gettext
    printer.hw("INIT")
    printer.charcode(CODE_PAGE)
    printer.set(align="center", bold=True)
    printer.textln(slip.site_name)
    printer.set(align="center", bold=True, double_width=True, double_height=True)
    printer.textln(slip.number)
    printer.set(align="center", bold=True)
    printer.textln(slip.service_name)
    printer.set(align="center")
    if slip.people_ahead is not None:
        printer.textln(_("People ahead of you: %(count)s") % {"count": slip.people_ahead})
    if slip.estimated_wait_s is not None:
        minutes = max(1, round(slip.estimated_wait_s / 60))
        printer.textln(_("Estimated wait: about %(minutes)s min") % {"minutes": minutes})
    local = slip.issued_at.astimezone(ZoneInfo(slip.timezone))
    printer.textln(local.strftime("%d/%m/%Y %H:%M"))
    if slip.message:
        printer.textln(slip.message)
    printer.ln()
    printer.textln(_("Follow your turn on your phone:"))
    printer.qr(slip.tracking_url, native=True, size=6)
    printer.cut()


def describe(exc: BaseException) -> str:
    """A printer failure in one line, for the log and the status report."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def status_of(printer: Any) -> str:
    """``ok``, ``paper_low``, ``paper_out`` or ``offline`` as the printer answers, or ``unknown`` where
    the connection cannot read back (file, CUPS)."""
    try:
        if not printer.is_online():
            return "offline"
        paper = printer.paper_status()
    except NotImplementedError:
        return "unknown"
    except Exception:  # noqa: BLE001 - whatever stops the printer answering means it is offline
        return "offline"
    return {2: "ok", 1: "paper_low", 0: "paper_out"}.get(paper, "unknown")

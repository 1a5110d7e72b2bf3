"""The kiosk's thermal printer: which one (the ``--printer`` URLs of API.md), and what a ticket looks like.

The ESC/POS bytes are python-escpos's; this module only chooses the printer, lays the ticket out and
asks the printer how its paper is (``read_status``).
The code page is fixed (CP858: French accents and the euro sign) rather than left to escpos's
automatic choice, so that every ticket prints the same bytes for the same text.
The site's logo is prepared for 58 mm paper (384 dots a line at 203 dpi, the narrowest the kiosks
use) by ``fit_logo``; on wider paper it prints within the same 384 dots.

    network://HOST[:PORT]          a network printer (port 9100 by default)
    usb://VENDOR:PRODUCT           hexadecimal USB ids, e.g. usb://04b8:0202 (needs pyusb and libusb)
    serial:///dev/ttyUSB0[?baudrate=19200]   (needs pyserial)
    cups://NAME                    a CUPS queue (needs pycups, which builds against libcups2-dev)
    file:///PATH                   append the bytes to a file or device node (tests, /dev/usb/lp0)
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from escpos import printer as escpos_printer
from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_PAPER, RT_STATUS_PAPER
from escpos.escpos import Escpos
from PIL import Image, ImageOps

from queue_server.i18n import translations
from queue_server.queue.domain.estimate import shown_wait

CODE_PAGE = "CP858"
NETWORK_TIMEOUT_S = 10.0
STATUS_TIMEOUT_S = 2.0  # a printer that has not answered a status query by then is offline
# Connections that carry the printer's answers back. A file cannot; CUPS's "answer" is its queue's
# state, which escpos would read as "no paper", and each query would be sent as a print job.
READS_BACK = (escpos_printer.Network, escpos_printer.Usb, escpos_printer.Serial)
PAPER_WIDTH_PX = 384  # dots a line on 58 mm paper at 203 dpi
LOGO_MAX_HEIGHT_PX = 160  # 20 mm: the logo heads the ticket without making it much longer
MESSAGE_CHARS = 32  # characters a line on 58 mm paper (font A): a service's message wraps between words
# Typographic punctuation that word processors put in typed text and CP858 cannot write (escpos would
# print "?"), as the nearest characters it can.
PLAIN_PUNCTUATION = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
                                   "\u2013": "-", "\u2014": "-", "\u202f": "\u00a0"})


class PrinterURLError(ValueError):
    """A ``--printer`` value that names no printer; the message says what is expected."""


def open_printer(url: str, timeout_s: float | None = None) -> Escpos:
    """The python-escpos printer ``url`` names (not connected yet: it connects on first write).

    ``timeout_s`` bounds each network, serial or USB operation (connecting, writing, reading an
    answer); ``None``: escpos's defaults, except ``NETWORK_TIMEOUT_S`` on the network."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        if scheme == "network":
            if not parts.hostname:
                raise PrinterURLError("network printers are written network://HOST[:PORT], e.g. network://10.0.0.5:9100")
            return escpos_printer.Network(parts.hostname, port=parts.port or 9100,
                                          timeout=NETWORK_TIMEOUT_S if timeout_s is None else timeout_s)
        if scheme == "usb":
            vendor, sep, product = parts.netloc.partition(":")
            if not sep:
                raise PrinterURLError("USB printers are written usb://VENDOR:PRODUCT in hexadecimal, e.g. usb://04b8:0202")
            usb_timeout = {} if timeout_s is None else {"timeout": int(timeout_s * 1000)}  # milliseconds
            return escpos_printer.Usb(int(vendor, 16), int(product, 16), **usb_timeout)
        if scheme == "serial":
            options = parse_qs(parts.query)
            baudrate = int(options.get("baudrate", ["19200"])[0])
            serial_timeout = {} if timeout_s is None else {"timeout": timeout_s}
            return escpos_printer.Serial(parts.path, baudrate=baudrate, **serial_timeout)
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
    message: str = ""  # a per-service message ("Munissez-vous de votre pièce d'identité"), at the bottom
    timezone: str = "Europe/Paris"
    reprint: bool = False  # printed again at a counter's request: says so, under the date
    logo: Image.Image | None = None  # the site's logo as ``fit_logo`` made it, above the site's name
    booked: bool = False  # an appointment's ticket (checked in): says so under the number
    priority: bool = False  # a priority ticket (pregnancy, disability...): says so under the number, in words


def fit_logo(data: bytes) -> Image.Image:
    """A PNG or JPEG logo as tickets print it: grayscale on white (transparent parts become paper),
    its contrast stretched so that light colours still print once reduced to black dots, and within
    ``PAPER_WIDTH_PX`` x ``LOGO_MAX_HEIGHT_PX`` with its aspect ratio kept (never enlarged).

    Raises what Pillow raises for data it cannot read (``PIL.UnidentifiedImageError``, ``OSError``,
    ``Image.DecompressionBombError``...)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (PAPER_WIDTH_PX, LOGO_MAX_HEIGHT_PX))  # a JPEG decodes at a reduced scale
        rgba = image.convert("RGBA")
    rgba.thumbnail((PAPER_WIDTH_PX, LOGO_MAX_HEIGHT_PX), Image.Resampling.LANCZOS)
    paper = Image.new("RGBA", rgba.size, "white")
    paper.alpha_composite(rgba)
    return ImageOps.autocontrast(paper.convert("L"))


def _tell_paper_width(printer: Escpos) -> None:
    """Give ``printer``'s profile the paper's width in dots, which python-escpos's default profile
    leaves unknown: ``image(center=True)`` needs it to center, and without it escpos prints a notice
    on standard output at every image. The profile is this printer's own object, so no other printer
    changes; a profile that knows its width is left alone."""
    data = printer.profile.profile_data
    media = data.get("media", {})
    if str(media.get("width", {}).get("pixels", "Unknown")).isdigit():
        return
    printer.profile.profile_data = {**data, "media": {**media, "width": {"mm": 58, "pixels": PAPER_WIDTH_PX}}}


# Languages whose script CP858 can print; a ticket taken in another (Arabic) prints in French, the
# language of the site's names, while the kiosk's screen and the ticket page speak the citizen's.
PRINTED_LANGUAGES = frozenset({"fr", "en", "es"})


def wait_words(lang: str, seconds: int | None) -> str | None:
    """The estimate as the ticket prints it, in the words the kiosk's screen uses (``domain/estimate.py``
    ``shown_wait``: "No wait", "Estimated wait: about 15 min"...); ``None`` when it is not known yet (no line)."""
    catalog = translations(lang)
    shown = shown_wait(seconds)
    if shown.kind == "unknown":
        return None
    if shown.kind == "none":
        words = catalog.gettext("no wait")
        return words[:1].upper() + words[1:]
    if shown.kind == "about":
        words = catalog.ngettext("about {n} minute", "about {n} minutes", shown.minutes).replace(
            "{n}", str(shown.minutes))
    elif shown.kind == "under":
        words = catalog.gettext("less than 5 min")
    else:
        words = catalog.gettext("more than an hour")
    return catalog.gettext("Estimated wait: {wait}").replace("{wait}", words)


def print_ticket(printer: Escpos, slip: TicketSlip) -> None:
    """Lay the ticket out on ``printer`` and cut: the logo, the site, the number ("Appointment" or "Priority" under
    it, in words), the service, the wait, the date, the tracking QR code, the service's message. Raises whatever
    the connection raises."""
    lang = slip.lang if slip.lang in PRINTED_LANGUAGES else "fr"
    _ = translations(lang).gettext
    printer.hw("INIT")
    printer.charcode(CODE_PAGE)
    if slip.logo is not None:
        _tell_paper_width(printer)
        printer.set(align="center")  # on wider paper, printers that center images do so
        printer.image(slip.logo, center=True)
    printer.set(align="center", bold=True)
    printer.textln(slip.site_name)
    printer.set(align="center", bold=True, double_width=True, double_height=True)
    printer.textln(slip.number)
    if slip.booked:
        printer.set(align="center", bold=True, double_width=True)
        printer.textln(_("Appointment"))
    if slip.priority:
        printer.set(align="center", bold=True, double_width=True)
        printer.textln(_("Priority"))
    printer.set(align="center", bold=True)
    printer.textln(slip.service_name)
    printer.set(align="center")
    if slip.people_ahead is not None:
        printer.textln(_("People ahead of you: %(count)s") % {"count": slip.people_ahead})
    wait = wait_words(lang, slip.estimated_wait_s)
    if wait is not None:
        printer.textln(wait)
    local = slip.issued_at.astimezone(ZoneInfo(slip.timezone))
    printer.textln(local.strftime("%d/%m/%Y %H:%M"))
    if slip.reprint:
        printer.textln(_("Reprint"))
    printer.ln()
    printer.textln(_("Follow your turn on your phone:"))
    printer.qr(slip.tracking_url, native=True, size=6)
    if slip.message:
        printer.set(align="center", bold=True)
        for line in textwrap.wrap(slip.message.translate(PLAIN_PUNCTUATION), MESSAGE_CHARS):
            printer.textln(line)
    printer.cut()


def describe(exc: BaseException) -> str:
    """A printer failure in one line, for the log and the status report."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def read_status(printer: Escpos) -> str | None:
    """How the printer says its paper is, as a status the server takes: ``ok``, ``paper_low``,
    ``paper_out``; ``offline`` when it cannot be reached or does not answer within the timeout it was
    opened with (open it with ``STATUS_TIMEOUT_S``); ``error`` for an answer that is no paper status;
    ``None`` when its connection cannot carry an answer (file, CUPS): nothing to report then.

    Sends DLE EOT 4 through python-escpos (``query_status(RT_STATUS_PAPER)``) and reads the answer
    with escpos's own masks, as ``paper_status()`` does, except that no answer at all is "offline":
    ``paper_status()`` takes it for plenty of paper, but a silent serial printer or a network one
    that hangs up is not fine. Closes the printer. Blocks up to the timeout: call it from a thread.
    """
    if not isinstance(printer, READS_BACK):
        return None
    try:
        answer = printer.query_status(RT_STATUS_PAPER)
    except Exception:  # noqa: BLE001 - whatever keeps the printer from answering means it is offline
        return "offline"
    finally:
        with contextlib.suppress(Exception):  # closing a printer that failed may fail too
            printer.close()
    if not answer:
        return "offline"
    status = answer[0]
    if status & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return "paper_out"
    if status & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return "paper_low"
    if status & RT_MASK_PAPER == RT_MASK_PAPER:
        return "ok"
    return "error"


def can_open(printer: Escpos) -> bool:
    """Whether the printer can be opened now, printing nothing: for a printer that cannot answer a
    status query, the most there is to know. A file or device node is opened for appending (escpos
    would truncate a file), anything else as escpos opens it. Closes the printer."""
    try:
        if isinstance(printer, escpos_printer.File):
            with open(printer.devfile, "ab"):
                pass
        else:
            printer.open()
        return True
    except Exception:  # noqa: BLE001 - whatever keeps it from opening, it cannot print
        return False
    finally:
        with contextlib.suppress(Exception):
            printer.close()

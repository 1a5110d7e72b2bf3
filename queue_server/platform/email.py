"""E-mail: the mailer interface, an SMTP mailer (aiosmtplib), a log mailer and address masking.

One error: every mailer failure is an ``EmailError``; its message names no address and no credential,
so it may be logged as is. ``permanent`` when the server refused the message for good (a 5xx answer
to the sender, the recipient or the data: an unknown mailbox), so that the outbox stops trying; a
refused sign-in (535) is not permanent: it is the configuration to mend, and the message waits.

Attachments (an appointment's ``.ics``) are added as MIME parts after the text, base64-encoded, with
the content type their caller gives (``text/calendar; method=PUBLISH; charset=utf-8``).

Each message carries a ``Message-ID`` made by the caller and the same for every attempt, so that a
message sent twice (a process killed after the server took it, before it was marked sent) is
recognisable as one by the receiving systems and by a person reading the headers.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import formatdate, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from queue_server.settings import EmailSettings

log = logging.getLogger(__name__)

LOG_KEEP = 100  # e-mails a LogMailer remembers
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
# Headers a caller may add to an e-mail (``Mail.headers``): threading and RFC 3834's marking of automatic mail.
EXTRA_HEADERS = frozenset({"In-Reply-To", "References", "Auto-Submitted", "Reply-To"})


class EmailError(Exception):
    """The SMTP server did not take the message (unreachable, timed out, refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    """A file joined to an e-mail: its name as the reader sees it, its MIME type with any parameters
    (``text/calendar; method=PUBLISH; charset=utf-8``) and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    """One e-mail: plain text, then its ``attachments``; ``ref`` is unique to the message and the same
    for every attempt (the left part of its Message-ID, ``<ref@domain of the sender>``)."""

    to: str
    subject: str
    body: str
    ref: str
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # (name, value) of ``EXTRA_HEADERS`` only, added as given


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Send ``mail``; raises ``EmailError`` on failure."""
        ...


def mask_address(address: str) -> str:
    """``"anne.dupont@example.org"`` as ``"a***@example.org"``: enough to tell two test addresses
    apart in a log; the domain is kept (it says which provider refuses)."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


class LogMailer:
    """Sends nothing: logs each e-mail (address masked, no subject or body, which may be personal) and
    keeps the last ``LOG_KEEP`` in ``sent``; what the server does when ``[email] url`` is empty."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)
        del self.sent[:-LOG_KEEP]
        log.info("E-mail %s to %s not sent: no [email] url configured", mail.ref, mask_address(mail.to))


class SmtpMailer:
    """One SMTP connection per message, to ``url``: ``smtp://[USER:PASSWORD@]HOST[:PORT]`` (port 25 by
    default; STARTTLS when the server offers it, and then the certificate is checked) or
    ``smtps://…`` (TLS from the start, port 465 by default). User and password are percent-decoded.
    ``timeout_s`` bounds each step of the exchange (connect, each command), not the whole of it.
    ``tls_context`` replaces the system's trust store (tests, a private authority)."""

    def __init__(self, url: str, sender: str, *, timeout_s: float = 30.0,
                 tls_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("email.url has a port that is not a number") from None
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("email.url must be smtp://[USER:PASSWORD@]HOST:PORT or smtps://...")
        address = parseaddr(sender)[1]
        if "@" not in address:
            raise ValueError("email.from must be an address (\"Mairie <accueil@ville.fr>\") when email.url is set")
        self.hostname = parts.hostname
        self.port = port or DEFAULT_PORTS[parts.scheme]
        self.use_tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.domain = address.rpartition("@")[2]
        self.timeout_s = timeout_s
        self.tls_context = tls_context

    def message(self, mail: Mail) -> EmailMessage:
        """``mail`` as a MIME message (UTF-8 plain text, its Message-ID, the current date), multipart
        when it has attachments."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{mail.ref}@{self.domain}>"
        for name, value in mail.headers:
            if name in EXTRA_HEADERS:  # never a second From or Message-ID
                message[name] = value
        message.set_content(mail.body)
        for attachment in mail.attachments:
            parsed = Message()  # the content type's parameters (method, charset) carried over as given
            parsed["Content-Type"] = attachment.content_type
            params = {name: value for name, value in parsed.get_params(failobj=[])[1:] if isinstance(value, str)}
            message.add_attachment(attachment.data, maintype=parsed.get_content_maintype(),
                                   subtype=parsed.get_content_subtype(), filename=attachment.filename,
                                   params=params)
        return message

    async def send(self, mail: Mail) -> None:
        try:
            await aiosmtplib.send(
                self.message(mail), hostname=self.hostname, port=self.port, username=self.username,
                password=self.password, use_tls=self.use_tls, start_tls=False if self.use_tls else None,
                timeout=self.timeout_s, tls_context=self.tls_context,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise EmailError(f"SMTP server refused the sign-in ({exc.code})") from None
        except aiosmtplib.SMTPRecipientsRefused as exc:  # its text holds the addresses: only the codes go on
            codes = sorted({refused.code for refused in exc.recipients})
            raise EmailError(f"SMTP server refused the recipient ({', '.join(map(str, codes))})",
                             permanent=all(500 <= code < 600 for code in codes)) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise EmailError(f"SMTP server answered {exc.code}", permanent=500 <= exc.code < 600) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise EmailError(f"SMTP server unreachable ({type(exc).__name__})") from None


def make_mailer(settings: EmailSettings, *, tls_context: ssl.SSLContext | None = None) -> Mailer:
    """The mailer ``settings`` choose: a ``LogMailer`` when ``url`` is empty. Raises ``ValueError``
    on a configuration that cannot work (checked at start, not at the first message), in words that
    never repeat the URL (it may hold a password)."""
    url = settings.url.get_secret_value()
    if not url:
        return LogMailer()
    return SmtpMailer(url, settings.from_, timeout_s=settings.timeout_s, tls_context=tls_context)

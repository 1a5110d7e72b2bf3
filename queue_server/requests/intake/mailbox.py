"""E-mail intake: the collectivity's mailbox read over IMAP (``[requests] imap_url``), each citizen's e-mail made a
request or a message on its request (``Intake.handle``), automatic ones left unanswered.

Reading: the unseen e-mails of the mailbox, by UID, fetched without marking them (``BODY.PEEK[]``); each is
marked ``\\Seen`` only once what it became is committed. Then the client waits in IDLE where the server offers it
(a new e-mail wakes it at once), for ``poll_s`` at most, else sleeps ``poll_s``, and looks again. A lost connection
or a refused sign-in is logged (never the URL: it holds the password) and tried again after ``poll_s``.

Once each, at least once: an e-mail stays unseen until its request or message is committed, so a crash in between
reads it again; its Message-ID, remembered with what it became (``RequestMail``), makes that second reading write
nothing (it is only marked seen then). An e-mail that cannot be written (the database away) stays unseen and is
tried again at the next round. Limits: an e-mail that can never be written (a sender R112-9-1 does not identify,
no such category) is logged and marked seen, left in the mailbox for a person; e-mails marked seen by someone
else before the intake read them are never read (share the mailbox with nobody, or give the intake its own)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aioimaplib
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from queue_server.db.tables import Tenant
from queue_server.requests.errors import Refusal
from queue_server.requests.intake import reading
from queue_server.requests.service import Incoming, PersonIn, RequestIn, Requests, Who

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"imap": 143, "imaps": 993}
TIMEOUT_S = 30.0  # one IMAP command
FALLBACK_CATEGORY = "autre"
EMPTY_SUBJECT = "(sans objet)"


@dataclass(frozen=True, slots=True)
class MailboxUrl:
    host: str
    port: int
    tls: bool
    user: str
    password: str
    mailbox: str


def parse_url(url: str) -> MailboxUrl:
    """``imaps://USER:PASSWORD@HOST[:PORT]/MAILBOX`` (``imap://``: no TLS), user and password percent-decoded,
    ``INBOX`` when no mailbox is named. Raises ``ValueError`` in words that never repeat the URL."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("requests.imap_url has a port that is not a number") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or not parts.username:
        raise ValueError("requests.imap_url must be imaps://USER:PASSWORD@HOST/MAILBOX or imap://...")
    return MailboxUrl(parts.hostname, port or DEFAULT_PORTS[parts.scheme], parts.scheme == "imaps",
                      unquote(parts.username), unquote(parts.password or ""),
                      unquote(parts.path.lstrip("/")) or "INBOX")


class Intake:
    """One per process when ``imap_url`` is set, run in the lifespan. ``tenant``: whose requests (empty: the
    first tenant by id); ``categories``: a new e-mail's category by the address it was written to."""

    def __init__(self, requests: Requests, url: str, *, base_url: str, poll_s: float, tenant: str = "",
                 categories: dict[str, str] | None = None, tls_context: ssl.SSLContext | None = None) -> None:
        self.requests = requests
        self.mailbox = parse_url(url)
        self.base_url = base_url
        self.poll_s = poll_s
        self.tenant = tenant
        self.categories = {address.lower(): category for address, category in (categories or {}).items()}
        self.tls_context = tls_context
        self.handled = 0  # e-mails this intake read to the end (tests, metrics)

    # One e-mail ---------------------------------------------------------------------------------------------

    async def handle(self, raw: bytes) -> str:
        """What ``raw`` became: "automatic", "known" (written before), "message", "request" or "refused" (logged).
        Raises when it could not be written now (try again later)."""
        read = reading.parse(raw)
        tenant = await self._tenant()
        if read.automatic:
            log.info("Requests by e-mail: an automatic e-mail (%s) left unanswered", read.automatic)
            return "automatic"
        if await self.requests.mail_known(tenant, read.message_id):
            return "known"
        files = self._spooled(read.files)
        try:
            body = _with_refusals(read.text, read.refused)
            target = await self.requests.answered_request(tenant, reference_text=read.reference,
                                                          message_ids=read.answers, sender_email=read.sender)
            if target is not None:
                written = await self.requests.add_citizen_mail(tenant, target, body, read.message_id, files)
                return "message" if written is not None else "known"
            category = next((self.categories[address] for address in read.to if address in self.categories),
                            FALLBACK_CATEGORY)
            new = RequestIn(category=category, subject=read.subject or EMPTY_SUBJECT, body=body or "(message vide)",
                            person=PersonIn(read.first_name, read.last_name, email=read.sender), channel="email",
                            files=files, mail_id=read.message_id)
            try:
                await self.requests.create(tenant, new, Who("email"), self.base_url)
            except IntegrityError:  # another process wrote this e-mail meanwhile
                return "known"
            return "request"
        except Refusal as refusal:
            log.warning("Requests by e-mail: an e-mail was refused (%s), left in the mailbox", refusal.kind)
            return "refused"
        finally:
            for incoming in files:  # those a request took were moved
                with contextlib.suppress(OSError):
                    incoming.path.unlink(missing_ok=True)

    async def _tenant(self) -> str:
        if not self.tenant:
            async with self.requests.db() as session:
                first = (await session.exec(select(Tenant.id).order_by(col(Tenant.id)))).first()
            if first is None:
                raise RuntimeError("no tenant yet")
            self.tenant = first
        return self.tenant

    def _spooled(self, files: tuple[reading.File, ...]) -> list[Incoming]:
        spooled = []
        for file in files:
            path = self.requests.spool / f"mail-{hashlib.sha256(file.data).hexdigest()[:16]}-{id(file):x}"
            path.write_bytes(file.data)
            spooled.append(Incoming(path, file.filename, file.content_type, len(file.data),
                                    hashlib.sha256(file.data).hexdigest()))
        return spooled

    # The mailbox --------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read the mailbox until cancelled; never raises otherwise."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server away, a refused sign-in: logged, tried again
                log.warning("Requests by e-mail: the mailbox could not be read (%s), trying again in %.0f s",
                            type(exc).__name__, self.poll_s)
            await asyncio.sleep(self.poll_s)

    async def _session(self) -> None:
        box = self.mailbox
        client: aioimaplib.IMAP4
        if box.tls:
            client = aioimaplib.IMAP4_SSL(box.host, box.port, timeout=TIMEOUT_S,
                                          ssl_context=self.tls_context or ssl.create_default_context())
        else:
            client = aioimaplib.IMAP4(box.host, box.port, timeout=TIMEOUT_S)
        await client.wait_hello_from_server()
        try:
            _ok(await client.login(box.user, box.password), "sign-in")
            _ok(await client.select(_quoted(box.mailbox)), "select")
            idle = client.has_capability("IDLE")
            while True:
                await self.read_unseen(client)
                if idle:
                    waiting = await client.idle_start(timeout=self.poll_s)
                    with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                        await client.wait_server_push(timeout=self.poll_s + TIMEOUT_S)
                    client.idle_done()
                    await asyncio.wait_for(waiting, TIMEOUT_S)
                else:
                    await asyncio.sleep(self.poll_s)
        finally:
            with contextlib.suppress(Exception):
                await client.logout()

    async def read_unseen(self, client: aioimaplib.IMAP4) -> int:
        """Handle every unseen e-mail of the selected mailbox, marking each seen once written; returns how many
        were marked."""
        found = _ok(await client.uid_search("UNSEEN", charset=None), "search")
        uids = [uid for uid in (found.lines[0] if found.lines else b"").split() if uid.isdigit()]
        marked = 0
        for uid in uids:
            fetched = _ok(await client.uid("fetch", uid.decode(), "(BODY.PEEK[])"), "fetch")
            raw = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), None)
            if raw is None:
                continue
            try:
                outcome = await self.handle(raw)
            except Exception:  # the database away: the e-mail stays unseen, for the next round
                log.exception("Requests by e-mail: an e-mail could not be written; it will be read again")
                continue
            _ok(await client.uid("store", uid.decode(), "+FLAGS", "(\\Seen)"), "store")
            self.handled += 1
            marked += 1
            log.info("Requests by e-mail: an e-mail read (%s)", outcome)
        return marked


def _ok(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise ConnectionError(f"IMAP {what} answered {response.result}")
    return response


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _with_refusals(text: str, refused: tuple[tuple[str, str], ...]) -> str:
    """The e-mail's text, followed by the files that were not kept and why (so that staff can ask for them)."""
    if not refused:
        return text
    lines = [f"- {name} : {why}" for name, why in refused]
    return (text + "\n\n" if text else "") + "Pièces jointes non conservées :\n" + "\n".join(lines)

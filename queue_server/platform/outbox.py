"""The outbox: every text message and e-mail of every module, written in SQL with the change that causes
it, sent once by a worker, retried with back-off when the provider fails.

Writing: ``enqueue(session, ...)`` adds a row to ``outbox`` (``db/tables.py`` ``OutboxMessage``) in the
caller's transaction and does not commit: the message exists if and only if the change that causes it
is committed. Its ``key`` names the message ("visit:{ticket}:turn-near"); a second ``enqueue`` with the
same key writes nothing (``INSERT … ON CONFLICT DO NOTHING``, on SQLite and PostgreSQL alike), so a
retried command or a redelivered event does not send the message twice. An e-mail may carry
``attachments`` (an appointment's ``.ics``), kept in the row (base64 in JSON): small files only, as
they are read with the row at each attempt. ``withdraw(session, ...)`` deletes messages not sent yet
(a reminder whose appointment was cancelled or moved), by key or key prefix, also without committing.

Sending: one ``OutboxWorker`` per server process, as many processes as wanted. A round claims up to
``batch`` due messages by setting their lease, ``claimed_until``, in one statement (on PostgreSQL the
candidates are locked with ``FOR UPDATE SKIP LOCKED``, so that workers never wait on one another; on
SQLite the statement runs under the database's single write lock); other workers skip a message while
its lease runs. Each message is then sent (``send_timeout_s`` at most) and marked sent in its own
transaction at once. A failure (``SmsError``, ``EmailError``, anything unexpected) schedules the next
attempt after an exponential back-off with jitter (``backoff_base_s`` doubled at each attempt, up to
``backoff_max_s``, between half and all of it); after ``max_attempts``, or at once when the server
refused for good (an unknown mailbox), the message is "failed" and logged. A worker that dies leaves
its messages claimed until their lease ends; then another worker (or itself, restarted) takes them.

Exactly once, and what remains: a message is marked sent right after the provider accepted it (the
SMTP server's answer to the data, the SMS provider's 2xx). A process killed before the provider
accepted it sends it again after the lease: one delivery. A process killed in the short window after
the provider accepted and before the mark is committed also sends it again after the lease: a
duplicate rather than a loss (the notifier's limit, the same for every sender that does not take an
idempotency key: neither SMTP nor our HTTP SMS providers do). A duplicate e-mail carries the same
Message-ID, so that mail systems and readers can recognise it; a duplicate SMS cannot be told apart. A
provider that accepts a message and never delivers it goes unnoticed. Times are the workers' clocks:
hosts sharing a database must keep them in step (NTP); a skew eats into the lease.

Personal data: addresses and numbers never reach the logs in clear (``mask``); ``purge`` blanks the
recipient, subject, body and attachments of messages written before a date and since sent or failed,
keeping the key (so that a late ``enqueue`` of the same message stays a no-op) and the status; purged
messages are not deleted yet.

Templates: ``MessageTemplates.render(tenant, name, lang, **values)`` gives (subject, body) from Jinja2
templates, one file per message and language (``templates/fr/check.txt``), French when the language has
none. A tenant's own templates, in a directory given to ``MessageTemplates`` (``{dir}/{tenant}/{lang}/
{name}.txt``), come first; no setting points at that directory yet.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import anyio
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.email import EXTRA_HEADERS, Attachment, EmailError, Mail, Mailer, make_mailer, mask_address
from queue_server.platform.sms import LogProvider, SmsError, SmsProvider, make_provider, mask_number
from queue_server.settings import load_settings

log = logging.getLogger(__name__)

Channel = Literal["sms", "email"]
CHANNELS: tuple[Channel, ...] = ("sms", "email")
PENDING, SENT, FAILED = "pending", "sent", "failed"
BATCH = 20  # messages claimed by one round
POLL_S = 1.0  # seconds between rounds when nothing is due (``wake`` cuts it short)
SEND_TIMEOUT_S = 60.0  # one message, whatever the provider's own timeouts
LEASE_S = 180.0  # a claim outlives any send, so that two workers never send one message at once
MAX_ATTEMPTS = 10
BACKOFF_BASE_S = 30.0  # 30 s, 1 min, 2 min... up to BACKOFF_MAX_S: about 4 hours over MAX_ATTEMPTS
BACKOFF_MAX_S = 3600.0
ERROR_CHARS = 500  # OutboxMessage.last_error
RETENTION_S = 2 * 86400  # what was sent keeps its recipient and text this long (as phone numbers: phones.KEEP_S)
PURGE_EVERY_S = 3600.0
RETRYABLE = (SQLAlchemyError, OSError, TimeoutError)  # the database is away: the round is tried again


def now_utc() -> datetime:
    return datetime.now(UTC)


def mask(channel: str, recipient: str) -> str:
    """``recipient`` as logs may show it: a number's last two digits, an address's first letter and domain."""
    return mask_number(recipient) if channel == "sms" else mask_address(recipient)


def message_ref(message: OutboxMessage) -> str:
    """The same for every attempt of ``message`` and unique to it: the left part of an e-mail's Message-ID."""
    return f"{hashlib.sha256(message.key.encode()).hexdigest()[:24]}.{message.id}"


def backoff_s(attempts: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Seconds before the next try after ``attempts`` failures: ``base_s`` doubled each time, capped at
    ``max_s``, then between half and all of it, so that messages that failed together spread out."""
    delay = min(max_s, base_s * 2.0 ** (attempts - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


# Writing -----------------------------------------------------------------------------------------------


def stored_attachments(attachments: Sequence[Attachment]) -> list[dict[str, str]] | None:
    """``attachments`` as ``OutboxMessage.attachments`` holds them (``None`` for none)."""
    return [{"filename": item.filename, "content_type": item.content_type,
             "data": base64.b64encode(item.data).decode("ascii")} for item in attachments] or None


def loaded_attachments(stored: list[dict[str, str]] | None) -> tuple[Attachment, ...]:
    """The attachments of a row, back from ``stored_attachments``."""
    return tuple(Attachment(item["filename"], item["content_type"], base64.b64decode(item["data"]))
                 for item in stored or ())


async def enqueue(session: AsyncSession, *, channel: Channel, to: str, body: str, key: str, subject: str = "",
                  tenant: str | None = None, at: datetime | None = None,
                  attachments: Sequence[Attachment] = (), headers: dict[str, str] | None = None) -> bool:
    """Add a message to send to ``to`` (E.164 for an SMS, an address for an e-mail) in the session's
    transaction, due at ``at`` (now by default), without committing: the caller commits it with the
    change that causes it. False when a message with the same ``key`` (200 characters at most) exists
    already, sent or not: nothing is written then. On PostgreSQL, a concurrent transaction writing the
    same key makes this one wait for it, then write nothing. ``attachments`` go with an e-mail only (an
    SMS with some is refused); they are stored in the row, so keep them small (an ``.ics``, not a PDF).
    ``headers`` (e-mails only) are added to the e-mail as given (threading: ``In-Reply-To``, ``References``;
    ``Auto-Submitted``); the mailer refuses those it sets itself (``email.EXTRA_HEADERS``)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if attachments and channel != "email":
        raise ValueError("only an e-mail carries attachments")
    if headers and (channel != "email" or not set(headers) <= EXTRA_HEADERS):
        raise ValueError("only an e-mail carries headers, and only " + ", ".join(sorted(EXTRA_HEADERS)))
    when = at or now_utc()
    row = {"key": key, "channel": channel, "tenant_id": tenant, "recipient": to, "subject": subject,
           "body": body, "attachments": stored_attachments(attachments), "status": PENDING, "attempts": 0,
           "headers": headers or None, "next_at": when, "last_error": "", "created_at": now_utc()}
    insert = sqlite_insert if (await session.connection()).dialect.name == "sqlite" else pg_insert
    result: Any = await session.execute(insert(OutboxMessage).values(row).on_conflict_do_nothing())
    return bool(result.rowcount)


async def withdraw(session: AsyncSession, keys: Iterable[str] = (), *, prefix: str = "") -> int:
    """Delete the messages not sent yet whose key is one of ``keys`` or starts with ``prefix`` (taken
    literally: ``%`` and ``_`` are no wildcards), in the session's transaction, without committing;
    returns how many. Sent and failed messages stay (their keys keep a late ``enqueue`` a no-op). A
    message a worker is sending at that very moment may still reach its recipient: it is gone from
    the table all the same."""
    keys = list(keys)
    if not keys and not prefix:
        return 0
    matches: list[ColumnElement[bool]] = [col(OutboxMessage.key).in_(keys)] if keys else []
    if prefix:
        matches.append(col(OutboxMessage.key).startswith(prefix, autoescape=True))
    result: Any = await session.execute(delete(OutboxMessage).where(
        col(OutboxMessage.status) == PENDING, or_(*matches)))
    return int(result.rowcount)


async def purge(session: AsyncSession, before: datetime) -> int:
    """Blank the recipient (kept masked), subject, body and attachments of the messages written before
    ``before`` and since sent or failed, and commit; returns how many were purged. Keys and statuses
    stay."""
    rows = (await session.exec(select(OutboxMessage).where(
        col(OutboxMessage.status).in_((SENT, FAILED)), col(OutboxMessage.body) != "",
        col(OutboxMessage.created_at) < before))).all()
    for row in rows:
        row.recipient = mask(row.channel, row.recipient)
        row.subject = row.body = ""
        row.attachments = None
        session.add(row)
    await session.commit()
    return len(rows)


# Templates ---------------------------------------------------------------------------------------------


class MessageTemplates:
    """Subjects and bodies from Jinja2 templates: ``{lang}/{name}.txt`` with a ``subject`` and a ``body``
    block (an SMS leaves its subject empty). Looked up, first found: the tenant's own in ``tenant_dir``
    (``{tenant}/{lang}/{name}.txt``), then the installation's there (``{lang}/{name}.txt``), then the
    package's; each in ``lang``, then in French. Rendered in a sandbox (tenants' templates are not
    trusted code) and strictly: a value the template names and the caller did not give is an error.
    Plain text: nothing is HTML-escaped."""

    def __init__(self, tenant_dir: Path | None = None) -> None:
        loaders: list[BaseLoader] = [FileSystemLoader(tenant_dir)] if tenant_dir is not None else []
        loaders.append(PackageLoader("queue_server.platform", "templates"))
        self.env = SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                                        autoescape=False, keep_trailing_newline=False)

    @staticmethod
    def _names(tenant: str | None, name: str, languages: Iterable[str]) -> list[str]:
        return [path for language in languages
                for path in ([f"{tenant}/{language}/{name}.txt"] if tenant else []) + [f"{language}/{name}.txt"]]

    def language(self, tenant: str | None, name: str, lang: str) -> str:
        """The language ``render`` writes message ``name`` in for ``lang``: ``lang`` when the tenant or
        the installation has the template in it, else French (for dates and numbers in the same
        language as the words around them)."""
        try:
            self.env.select_template(self._names(tenant, name, (lang,)))
        except TemplateNotFound:
            return "fr"
        return lang

    def render(self, tenant: str | None, name: str, lang: str, **values: object) -> tuple[str, str]:
        """(subject, body) of message ``name`` in ``lang`` for ``tenant``; both stripped of surrounding
        white space. Raises ``jinja2.TemplateNotFound`` when no language has it."""
        template = self.env.select_template(self._names(tenant, name, dict.fromkeys((lang, "fr"))))
        context = template.new_context(dict(values))
        parts = ["".join(template.blocks[block](context)).strip() if block in template.blocks else ""
                 for block in ("subject", "body")]
        return parts[0], parts[1]


# Sending -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: sent, or the error (already free of personal data) and whether to stop."""

    error: str = ""
    permanent: bool = False


class OutboxWorker:
    """Sends what the outbox holds, with the lease, back-off and limits the module's docstring states.

    ``sessions`` is a session factory; ``sms`` and ``mailer`` the senders (``make_provider`` or
    ``LogProvider``, ``make_mailer``). ``sent`` and ``failed`` count this worker's outcomes (tests,
    metrics). ``run`` loops until ``stop`` or cancellation, and purges every hour what was sent or
    failed more than ``retention_s`` ago; ``run_once`` is one round."""

    def __init__(self, sessions: Callable[[], AsyncSession], *, sms: SmsProvider, mailer: Mailer,
                 batch: int = BATCH, poll_s: float = POLL_S, lease_s: float = LEASE_S,
                 send_timeout_s: float = SEND_TIMEOUT_S, max_attempts: int = MAX_ATTEMPTS,
                 backoff_base_s: float = BACKOFF_BASE_S, backoff_max_s: float = BACKOFF_MAX_S,
                 retention_s: float = RETENTION_S, rng: random.Random | None = None) -> None:
        if lease_s <= send_timeout_s:
            raise ValueError("the lease must outlast a send: lease_s > send_timeout_s")
        self.sessions = sessions
        self.sms = sms
        self.mailer = mailer
        self.batch = batch
        self.poll_s = poll_s
        self.lease_s = lease_s
        self.send_timeout_s = send_timeout_s
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.retention_s = retention_s
        self.rng = rng or random.Random()
        self.sent = self.failed = 0
        self._wake = anyio.Event()
        self._stopping = anyio.Event()
        self._stopped = anyio.Event()
        self._purged_at = float("-inf")

    def wake(self) -> None:
        """Start the next round now (after a commit that enqueued a message, in this process)."""
        self._wake.set()

    async def stop(self, timeout_s: float) -> None:
        """Ask ``run`` to return after the message it is sending (the others it holds are released at
        once, for other processes); wait for it at most ``timeout_s``."""
        self._stopping.set()
        self._wake.set()
        with anyio.move_on_after(timeout_s):
            await self._stopped.wait()

    async def run(self) -> None:
        """Rounds until ``stop`` or cancellation; never raises otherwise (a failed round is logged and
        tried again ``poll_s`` later)."""
        try:
            while not self._stopping.is_set():
                claimed = 0
                try:
                    claimed = await self.run_once()
                    if time.monotonic() - self._purged_at > PURGE_EVERY_S:
                        async with self.sessions() as session:
                            await purge(session, now_utc() - timedelta(seconds=self.retention_s))
                        self._purged_at = time.monotonic()
                except RETRYABLE as exc:
                    log.warning("Outbox: database unreachable (%s), trying again in %.1f s", type(exc).__name__,
                                self.poll_s)
                except Exception:
                    log.exception("Outbox: unexpected error, trying again in %.1f s", self.poll_s)
                if claimed < self.batch and not self._stopping.is_set():
                    with anyio.move_on_after(self.poll_s):
                        await self._wake.wait()
                    self._wake = anyio.Event()
        finally:
            self._stopped.set()

    async def run_once(self) -> int:
        """Claim the messages due, send each; returns how many were claimed."""
        token, until, claimed = await self._claim()
        for message in claimed:
            if self._stopping.is_set() or now_utc() + timedelta(seconds=self.send_timeout_s) > until:
                await self._release(message, token)  # stopping, or the lease could end mid-send: for a next round
                continue
            outcome = await self._attempt(message)
            if outcome.error:
                await self._failed(message, token, outcome)
            else:
                await self._mark_sent(message)
        return len(claimed)

    async def _claim(self) -> tuple[str, datetime, list[OutboxMessage]]:
        token, now = uuid.uuid4().hex, now_utc()
        until = now + timedelta(seconds=self.lease_s)
        due = (select(OutboxMessage.id)
               .where(OutboxMessage.status == PENDING, col(OutboxMessage.next_at) <= now,
                      or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now))
               .order_by(col(OutboxMessage.next_at)).limit(self.batch)
               .with_for_update(skip_locked=True))  # SQLite: no such clause, its write lock serialises
        async with self.sessions() as session:
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(due))
                                  .values(claimed_until=until, claimed_by=token))
            await session.commit()
            claimed = (await session.exec(select(OutboxMessage).where(OutboxMessage.claimed_by == token)
                                          .order_by(col(OutboxMessage.next_at)))).all()
        return token, until, list(claimed)

    async def _attempt(self, message: OutboxMessage) -> Outcome:
        try:
            with anyio.fail_after(self.send_timeout_s):
                if message.channel == "sms":
                    await self.sms.send(message.recipient, message.body)
                elif message.channel == "email":
                    await self.mailer.send(Mail(message.recipient, message.subject, message.body,
                                                message_ref(message), loaded_attachments(message.attachments),
                                                tuple((message.headers or {}).items())))
                else:
                    return Outcome(f"unknown channel {message.channel[:20]!r}", permanent=True)
        except SmsError as exc:
            return Outcome(str(exc))
        except EmailError as exc:
            return Outcome(str(exc), permanent=exc.permanent)
        except TimeoutError:
            return Outcome(f"no answer within {self.send_timeout_s:.0f} s")
        except Exception as exc:  # one message must not stop the others: counted as an attempt
            log.exception("Outbox: message %d (%s) raised while being sent", message.id, message.channel)
            return Outcome(f"unexpected {type(exc).__name__}")
        return Outcome()

    async def _mark_sent(self, message: OutboxMessage) -> None:
        """Whoever claims it now, it was sent: marked so, even if this worker's lease ran out."""
        async with self.sessions() as session:
            await session.execute(update(OutboxMessage)
                                  .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == PENDING)
                                  .values(status=SENT, sent_at=now_utc(), attempts=message.attempts + 1,
                                          claimed_until=None, claimed_by=None, last_error=""))
            await session.commit()
        self.sent += 1
        log.info("Outbox: %s %d to %s sent", message.channel, message.id, mask(message.channel, message.recipient))

    async def _failed(self, message: OutboxMessage, token: str, outcome: Outcome) -> None:
        attempts = message.attempts + 1
        give_up = outcome.permanent or attempts >= self.max_attempts
        delay = backoff_s(attempts, self.backoff_base_s, self.backoff_max_s, self.rng)
        values: dict[str, Any] = {"attempts": attempts, "last_error": outcome.error[:ERROR_CHARS],
                                  "claimed_until": None, "claimed_by": None}
        if give_up:
            values["status"] = FAILED
        else:
            values["next_at"] = now_utc() + timedelta(seconds=delay)
        async with self.sessions() as session:
            await session.execute(update(OutboxMessage)
                                  .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.claimed_by) == token)
                                  .values(**values))
            await session.commit()
        target = mask(message.channel, message.recipient)
        if give_up:
            self.failed += 1
            log.warning("Outbox: %s %d to %s failed for good after %d attempt(s): %s", message.channel,
                        message.id, target, attempts, outcome.error)
        else:
            log.info("Outbox: %s %d to %s not sent (%s), attempt %d, next in %.0f s", message.channel,
                     message.id, target, outcome.error, attempts, delay)

    async def _release(self, message: OutboxMessage, token: str) -> None:
        async with self.sessions() as session:
            await session.execute(update(OutboxMessage)
                                  .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.claimed_by) == token)
                                  .values(claimed_until=None, claimed_by=None))
            await session.commit()


# A worker on its own: `python -m queue_server.platform.outbox` -----------------------------------------


async def serve(config: Path | None = None, lease_s: float = LEASE_S, send_timeout_s: float = SEND_TIMEOUT_S,
                poll_s: float = POLL_S, backoff_base_s: float = BACKOFF_BASE_S) -> None:
    """Run one worker with the settings of ``config`` and the environment (``QUEUE_DATABASE_URL``,
    ``QUEUE_EMAIL_URL``, ``QUEUE_SMS_*``...) until interrupted. The schema must be migrated already.
    Without an SMS provider, text messages are logged (number masked) and count as sent."""
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    worker = OutboxWorker(sessions(engine), sms=make_provider(settings.sms) or LogProvider(),
                          mailer=make_mailer(settings.email), lease_s=lease_s, send_timeout_s=send_timeout_s,
                          poll_s=poll_s, backoff_base_s=backoff_base_s)
    try:
        await worker.run()
    finally:
        await engine.dispose()


def main() -> None:
    import typer

    def command(config: Path | None = None, lease_s: float = LEASE_S, send_timeout_s: float = SEND_TIMEOUT_S,
                poll_s: float = POLL_S, backoff_base_s: float = BACKOFF_BASE_S) -> None:
        """Send what the outbox holds, until interrupted."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        anyio.run(serve, config, lease_s, send_timeout_s, poll_s, backoff_base_s)

    typer.run(command)


if __name__ == "__main__":
    main()

"""The outbox: messages written with the change that causes them, each delivered once to a real SMTP server
or HTTP SMS endpoint, retried with back-off, never lost nor doubled by a worker killed mid-send."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.email import Attachment, LogMailer, SmtpMailer, make_mailer
from queue_server.platform.outbox import (
    FAILED,
    PENDING,
    SENT,
    OutboxWorker,
    enqueue,
    message_ref,
    now_utc,
    purge,
    withdraw,
)
from queue_server.platform.sms import HttpProvider
from queue_server.settings import EmailSettings, load_settings
from tests.outbox.support import DATABASES, SmsEndpoint, SmtpSink, database_url, eventually

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
FROM = "Mairie de Test <accueil@ville.test>"
ANNE, PHONE = "anne.dupont@example.org", "+33612345678"


@pytest.fixture(params=DATABASES)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in database_url(request.param, tmp_path):
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(load_settings(database={"url": db_url}).database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def endpoint() -> AsyncIterator[SmsEndpoint]:
    server = SmsEndpoint()
    await server.start()
    yield server
    await server.close()


def make_worker(engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint, **options: Any) -> OutboxWorker:
    options = {"poll_s": 0.05, "backoff_base_s": 0.2, "lease_s": 10.0, "send_timeout_s": 5.0,
               "rng": random.Random(7)} | options
    return OutboxWorker(sessions(engine), sms=HttpProvider(endpoint.url, timeout_s=5.0),
                        mailer=SmtpMailer(f"smtp://127.0.0.1:{sink.port}", FROM, timeout_s=5.0), **options)


@asynccontextmanager
async def running(*workers: OutboxWorker) -> AsyncIterator[None]:
    """The workers run inside the block and are stopped as the server stops them (cancelling aiosqlite
    mid-call can leave a task waiting forever)."""
    async with anyio.create_task_group() as tasks:
        for worker in workers:
            tasks.start_soon(worker.run)
        try:
            yield
        finally:
            for worker in workers:
                await worker.stop(10.0)
            tasks.cancel_scope.cancel()


async def write(engine: AsyncEngine, **message: Any) -> bool:
    """Enqueue one message and commit, as a module does with its own change."""
    async with sessions(engine)() as session:
        written = await enqueue(session, **message)
        await session.commit()
        return written


async def rows(engine: AsyncEngine) -> list[OutboxMessage]:
    async with sessions(engine)() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())  # type: ignore[arg-type]


def status_is(engine: AsyncEngine, status: str, count: int = 1) -> Callable[[], Any]:
    async def probe() -> bool:
        return [row.status for row in await rows(engine)] == [status] * count

    return probe


async def test_an_email_reaches_a_real_smtp_server_with_its_headers(engine: AsyncEngine, sink: SmtpSink,
                                                                      endpoint: SmsEndpoint) -> None:
    """An enqueued e-mail arrives once with its From, To, Subject, a Message-ID of its own and its body."""
    await write(engine, channel="email", to=ANNE, subject="Votre rendez-vous à l'état civil",
                body="Bonjour,\nvotre rendez-vous est confirmé : mardi à 9 h 30.\n", key="booking:1:confirmed",
                tenant="demo")
    worker = make_worker(engine, sink, endpoint)
    async with running(worker):
        await eventually(status_is(engine, SENT))
    [row] = await rows(engine)
    [message] = sink.received
    assert message["From"] == FROM
    assert message["To"] == ANNE
    assert message["Subject"] == "Votre rendez-vous à l'état civil"
    assert message["Message-ID"] == f"<{message_ref(row)}@ville.test>"
    assert message.get_content().replace("\r\n", "\n") == "Bonjour,\nvotre rendez-vous est confirmé : mardi à 9 h 30.\n"
    assert sink.envelopes == [("accueil@ville.test", [ANNE])]
    assert (row.attempts, row.sent_at is not None, worker.sent) == (1, True, 1)


async def test_an_sms_reaches_a_real_http_endpoint(engine: AsyncEngine, sink: SmtpSink,
                                                   endpoint: SmsEndpoint) -> None:
    """An enqueued SMS is posted once to the provider's endpoint with its number and text."""
    await write(engine, channel="sms", to=PHONE, body="Ticket A012 : votre tour approche.", key="visit:t1:turn-near")
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
    assert endpoint.accepted == [{"to": PHONE, "text": "Ticket A012 : votre tour approche.", "sender": ""}]


async def test_a_message_is_written_only_with_the_change_that_causes_it(engine: AsyncEngine) -> None:
    """A message enqueued in a transaction that is rolled back does not exist."""
    async with sessions(engine)() as session:
        assert await enqueue(session, channel="sms", to=PHONE, body="x", key="visit:t1:turn-near")
        await session.rollback()
    assert await rows(engine) == []


async def test_the_same_key_enqueued_twice_gives_one_message(engine: AsyncEngine, sink: SmtpSink,
                                                             endpoint: SmsEndpoint) -> None:
    """A second enqueue with the key of a message written before writes nothing, and one SMS is sent."""
    assert await write(engine, channel="sms", to=PHONE, body="first", key="visit:t1:turn-near")
    assert not await write(engine, channel="sms", to=PHONE, body="second", key="visit:t1:turn-near")
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
        assert not await write(engine, channel="sms", to=PHONE, body="third", key="visit:t1:turn-near")
    assert [sms["text"] for sms in endpoint.accepted] == ["first"]
    assert len(await rows(engine)) == 1


async def test_two_transactions_writing_one_key_give_one_message(engine: AsyncEngine) -> None:
    """A transaction enqueuing a key another has written and not yet committed waits, then writes nothing."""
    results: list[bool] = []

    async def second() -> None:
        results.append(await write(engine, channel="sms", to=PHONE, body="second", key="visit:t1:turn-near"))

    async with sessions(engine)() as session:
        assert await enqueue(session, channel="sms", to=PHONE, body="first", key="visit:t1:turn-near")
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(second)
            await anyio.wait_all_tasks_blocked()  # the second writer waits on the database, not on us
            await session.commit()
    assert results == [False]
    assert [row.body for row in await rows(engine)] == ["first"]


async def test_a_failing_provider_is_retried_with_back_off_and_the_message_sent_once(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """An SMS refused twice (HTTP 500) is tried again after growing delays, then delivered once."""
    endpoint.statuses = [500, 500]
    await write(engine, channel="sms", to=PHONE, body="hello", key="visit:t1:turn-near")
    async with running(make_worker(engine, sink, endpoint, backoff_base_s=0.4)):
        await eventually(status_is(engine, SENT))
    [row] = await rows(engine)
    assert len(endpoint.accepted) == 1
    assert (row.attempts, row.last_error) == (3, "")
    first_gap, second_gap = endpoint.times[1] - endpoint.times[0], endpoint.times[2] - endpoint.times[1]
    assert first_gap >= 0.2 and second_gap >= 0.4  # at least half of 0.4 s, then of 0.8 s


async def test_an_email_the_server_keeps_refusing_fails_after_the_last_attempt(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint, caplog: pytest.LogCaptureFixture) -> None:
    """An e-mail refused with 451 at every attempt is marked failed after the last one and logged, masked."""
    sink.refuse = ["451 Try again later"] * 3
    await write(engine, channel="email", to=ANNE, subject="s", body="b", key="k")
    with caplog.at_level(logging.INFO, logger="queue_server.platform.outbox"):
        async with running(make_worker(engine, sink, endpoint, backoff_base_s=0.05, max_attempts=3)):
            await eventually(status_is(engine, FAILED))
    [row] = await rows(engine)
    assert (row.attempts, row.last_error, sink.received) == (3, "SMTP server answered 451", [])
    assert "failed for good after 3 attempt(s)" in caplog.text and "a***@example.org" in caplog.text
    assert ANNE not in caplog.text


async def test_a_mailbox_refused_for_good_is_not_tried_again(engine: AsyncEngine, sink: SmtpSink,
                                                            endpoint: SmsEndpoint) -> None:
    """A recipient the server refuses with 550 fails at the first attempt, and the next message still goes."""
    sink.refuse_rcpt = ["550 No such user"]
    await write(engine, channel="email", to="nobody@example.org", subject="s", body="b", key="k1")
    await write(engine, channel="email", to=ANNE, subject="s", body="b", key="k2")
    async def both_done() -> bool:
        return [row.status for row in await rows(engine)] == [FAILED, SENT]

    async with running(make_worker(engine, sink, endpoint)):
        await eventually(both_done)
    statuses = [(row.key, row.status, row.attempts) for row in await rows(engine)]
    assert statuses == [("k1", FAILED, 1), ("k2", SENT, 1)]
    assert len(sink.received) == 1
    assert "550" in (await rows(engine))[0].last_error


async def test_with_no_email_url_nothing_is_sent_and_the_log_masks_the_address(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint, caplog: pytest.LogCaptureFixture) -> None:
    """With an empty [email] url the e-mail goes to no server and the log shows its address masked."""
    mailer = make_mailer(EmailSettings())
    assert isinstance(mailer, LogMailer)
    await write(engine, channel="email", to=ANNE, subject="Votre rendez-vous", body="secret", key="k")
    worker = OutboxWorker(sessions(engine), sms=HttpProvider(endpoint.url), mailer=mailer, poll_s=0.05)
    with caplog.at_level(logging.INFO):
        async with running(worker):
            await eventually(status_is(engine, SENT))
    assert sink.attempts == 0 and len(mailer.sent) == 1
    assert "no [email] url" in caplog.text and "a***@example.org" in caplog.text
    assert ANNE not in caplog.text and "secret" not in caplog.text and "rendez-vous" not in caplog.text


async def test_two_workers_on_one_table_deliver_each_message_once(db_url: str, sink: SmtpSink,
                                                                  endpoint: SmsEndpoint) -> None:
    """Two workers, each with its own engine as two processes would have, share 40 messages without a duplicate."""
    url = load_settings(database={"url": db_url}).database_url
    first, second = make_engine(url), make_engine(url)
    try:
        await migrate(first)
        for n in range(20):
            await write(first, channel="email", to=f"p{n}@example.org", subject=f"m{n}", body="b", key=f"e{n}")
            await write(first, channel="sms", to=f"+336000000{n:02d}", body=f"s{n}", key=f"s{n}")
        workers = [make_worker(engine, sink, endpoint, batch=3) for engine in (first, second)]
        async with running(*workers):
            await eventually(status_is(first, SENT, 40), timeout_s=60)
        assert sorted(message["Subject"] for message in sink.received) == sorted(f"m{n}" for n in range(20))
        assert sorted(sms["text"] for sms in endpoint.accepted) == sorted(f"s{n}" for n in range(20))
        assert workers[0].sent + workers[1].sent == 40 and min(w.sent for w in workers) > 0
    finally:
        await first.dispose()
        await second.dispose()


class GatedSms:
    """An SMS provider that takes each message only once ``go`` is set (``entered`` tells one is waiting)."""

    def __init__(self) -> None:
        self.entered, self.go = anyio.Event(), anyio.Event()
        self.sent: list[str] = []

    async def send(self, to: str, text: str) -> None:
        self.entered.set()
        await self.go.wait()
        self.sent.append(text)


async def test_a_stopped_worker_finishes_its_message_and_hands_back_the_others(engine: AsyncEngine) -> None:
    """Stopping a worker lets the message in flight be sent and releases the rest for another worker at once."""
    for n in range(3):
        await write(engine, channel="sms", to=PHONE, body=f"s{n}", key=f"s{n}")
    gated = GatedSms()
    worker = OutboxWorker(sessions(engine), sms=gated, mailer=LogMailer(), poll_s=0.05)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker.run)
        await gated.entered.wait()
        tasks.start_soon(worker.stop, 10.0)
        await anyio.wait_all_tasks_blocked()
        gated.go.set()
    assert gated.sent == ["s0"]
    assert [(row.status, row.claimed_until) for row in await rows(engine)] == [
        (SENT, None), ("pending", None), ("pending", None)]
    other = OutboxWorker(sessions(engine), sms=gated, mailer=LogMailer(), poll_s=0.05)  # lease: 180 s by default
    async with running(other):
        await eventually(status_is(engine, SENT, 3))
    assert gated.sent == ["s0", "s1", "s2"]


async def test_purge_blanks_what_was_sent_and_keeps_the_key(engine: AsyncEngine, sink: SmtpSink,
                                                           endpoint: SmsEndpoint) -> None:
    """Purging blanks the subject and body of sent messages and masks their recipient; the key still dedupes."""
    await write(engine, channel="email", to=ANNE, subject="Votre rendez-vous", body="b", key="k")
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
    await write(engine, channel="sms", to=PHONE, body="pending", key="p")
    async with sessions(engine)() as session:
        assert await purge(session, now_utc() + timedelta(seconds=1)) == 1
    sent, pending = await rows(engine)
    assert (sent.recipient, sent.subject, sent.body, sent.status) == ("a***@example.org", "", "", SENT)
    assert (pending.recipient, pending.body) == (PHONE, "pending")
    assert not await write(engine, channel="email", to=ANNE, subject="again", body="b", key="k")


# Attachments and withdrawals ----------------------------------------------------------------------------

ICS = Attachment("rendez-vous.ics", "text/calendar; method=PUBLISH; charset=utf-8",
                 b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//FR\r\nX-LIEU:H\xc3\xb4tel de ville\r\n"
                 b"END:VCALENDAR\r\n")


async def test_an_email_carries_its_attachments_as_mime_parts(engine: AsyncEngine, sink: SmtpSink,
                                                              endpoint: SmsEndpoint) -> None:
    """An e-mail enqueued with an .ics arrives with its text and the file, its name, type and parameters intact."""
    await write(engine, channel="email", to=ANNE, subject="Rendez-vous", body="Bonjour,\n", key="a:1",
                attachments=[ICS])
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
    [message] = sink.received
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Bonjour,\n"
    [part] = message.iter_attachments()
    assert (part.get_content_type(), part.get_param("method"), part.get_param("charset")) == (
        "text/calendar", "PUBLISH", "utf-8")
    assert (part.get_filename(), part.get_payload(decode=True)) == ("rendez-vous.ics", ICS.data)


async def test_only_an_email_takes_attachments(engine: AsyncEngine) -> None:
    """An SMS enqueued with an attachment is refused before anything is written."""
    with pytest.raises(ValueError, match="attachments"):
        await write(engine, channel="sms", to=PHONE, body="x", key="a:1", attachments=[ICS])
    assert await rows(engine) == []


async def test_withdraw_deletes_pending_messages_by_key_or_prefix(engine: AsyncEngine, sink: SmtpSink,
                                                                  endpoint: SmsEndpoint) -> None:
    """Withdrawing removes the pending messages named, or whose key starts with the prefix taken literally
    (``_`` is no wildcard), and leaves sent ones and others alone."""
    await write(engine, channel="sms", to=PHONE, body="sent", key="r:a_b:reminder:0:sms")
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
    later = now_utc() + timedelta(days=1)
    for key in ("r:a_b:reminder:1:sms", "r:a_b:reminder:1:email", "r:aXb:reminder:0:sms", "r:c:reminder:0:sms",
                "r:d:reminder:0:sms"):
        await write(engine, channel="sms", to=PHONE, body="later", key=key, at=later)
    async with sessions(engine)() as session:
        assert await withdraw(session, prefix="r:a_b:") == 2
        assert await withdraw(session, ["r:c:reminder:0:sms", "r:unknown"]) == 1
        assert await withdraw(session) == 0
        await session.commit()
    assert [(row.key, row.status) for row in await rows(engine)] == [
        ("r:a_b:reminder:0:sms", SENT), ("r:aXb:reminder:0:sms", PENDING), ("r:d:reminder:0:sms", PENDING)]


async def test_purge_blanks_attachments(engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """Purging a sent e-mail removes its attachments with its text."""
    await write(engine, channel="email", to=ANNE, subject="Rendez-vous", body="b", key="k", attachments=[ICS])
    async with running(make_worker(engine, sink, endpoint)):
        await eventually(status_is(engine, SENT))
    assert (await rows(engine))[0].attachments is not None
    async with sessions(engine)() as session:
        assert await purge(session, now_utc() + timedelta(seconds=1)) == 1
    assert (await rows(engine))[0].attachments is None


# A worker killed mid-send -------------------------------------------------------------------------------


def start_worker_process(db_url: str, sink: SmtpSink, endpoint: SmsEndpoint) -> subprocess.Popen[bytes]:
    """``python -m queue_server.platform.outbox`` with a short lease, on the test's servers."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("QUEUE_")}
    env |= {"QUEUE_DATABASE_URL": db_url, "QUEUE_EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "QUEUE_EMAIL_FROM": FROM, "QUEUE_SMS_PROVIDER": "http", "QUEUE_SMS_URL": endpoint.url,
            "QUEUE_SMS_TIMEOUT_S": "5"}
    return subprocess.Popen([sys.executable, "-m", "queue_server.platform.outbox", "--lease-s", "6",
                             "--send-timeout-s", "5", "--poll-s", "0.1"], env=env, cwd=ROOT)


@pytest.mark.parametrize("channel", ["email", "sms"])
async def test_a_worker_killed_mid_send_and_restarted_delivers_each_message_once(
        channel: str, db_url: str, engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """A worker process killed while the server holds its message unanswered is restarted: the message
    arrives exactly once, and so do the others."""
    (sink if channel == "email" else endpoint).hold = True
    for n in range(3):
        await write(engine, channel="email", to=f"p{n}@example.org", subject=f"m{n}", body="b", key=f"e{n}")
        await write(engine, channel="sms", to=f"+3360000000{n}", body=f"s{n}", key=f"s{n}")
    process = start_worker_process(db_url, sink, endpoint)
    try:
        await eventually((sink if channel == "email" else endpoint).holding.is_set)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        await eventually(lambda: (sink if channel == "email" else endpoint).dropped == 1)
        process = start_worker_process(db_url, sink, endpoint)
        await eventually(status_is(engine, SENT, 6), timeout_s=60)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert sorted(message["Subject"] for message in sink.received) == ["m0", "m1", "m2"]
    assert sorted(sms["text"] for sms in endpoint.accepted) == ["s0", "s1", "s2"]


# Settings -----------------------------------------------------------------------------------------------


def test_email_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """QUEUE_EMAIL_URL and QUEUE_EMAIL_FROM configure an SMTP mailer: STARTTLS for smtp, TLS for smtps."""
    monkeypatch.setenv("QUEUE_EMAIL_URL", "smtps://agent%40ville.fr:p%3Ass@mail.ville.fr")
    monkeypatch.setenv("QUEUE_EMAIL_FROM", FROM)
    mailer = make_mailer(load_settings().email)
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.hostname, mailer.port, mailer.use_tls) == ("mail.ville.fr", 465, True)
    assert (mailer.username, mailer.password, mailer.sender) == ("agent@ville.fr", "p:ss", FROM)
    plain = make_mailer(load_settings(email={"url": "smtp://mail.ville.fr:587", "from": FROM}).email)
    assert isinstance(plain, SmtpMailer) and (plain.port, plain.use_tls) == (587, False)


@pytest.mark.parametrize("url, sender", [("http://user:hunter2@mail", FROM), ("smtp://user:hunter2@mail:x", FROM),
                                         ("smtp://user:hunter2@mail:25", "")])
def test_an_unusable_email_configuration_is_refused_without_its_password(url: str, sender: str) -> None:
    """A wrong scheme, port or missing From is refused at start, and the error does not repeat the password."""
    settings = load_settings(email={"url": url, "from": sender}).email
    with pytest.raises(ValueError) as refused:
        make_mailer(settings)
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(settings)


def test_the_documented_email_section_is_the_defaults() -> None:
    """config.example.toml's [email] section loads and equals the defaults (no e-mail sent)."""
    with open(ROOT / "config.example.toml", "rb") as f:
        documented = tomllib.load(f)["email"]
    assert EmailSettings(**documented) == EmailSettings()
    assert isinstance(make_mailer(load_settings(ROOT / "config.example.toml").email), LogMailer)

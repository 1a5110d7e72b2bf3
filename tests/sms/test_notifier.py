"""The notifier sends one "your turn is near" SMS per ticket with a phone number, across processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.email import LogMailer
from queue_server.platform.outbox import OutboxWorker
from queue_server.platform.sms import HttpProvider
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.state import Ticket
from queue_server.queue.eventstore import EventStore
from queue_server.queue.notifier import GROUP, Notifier, turn_near_key
from queue_server.queue.phones import PhoneBook
from queue_server.queue.service import QueueService, new_command_id, new_ticket_id
from queue_server.settings import load_settings
from queue_server.store.keys import SiteKeys
from tests.sms.support import ProviderEndpoint, eventually

pytestmark = pytest.mark.anyio
SITE = "s"
CONFIG = SiteConfig(
    id=SITE, name="Mairie de Test",
    services=(ServiceConfig("etat-civil", "État civil", "A", sms_ahead=2),
              ServiceConfig("urbanisme", "Urbanisme", "U", sms_ahead=None)),
    counters=(CounterConfig("1", "Guichet 1", ("etat-civil",)),),
)
P4, P5 = "+33600000004", "+33600000005"


@dataclass
class Process:
    """What one server process holds: its engines (QueueService), its notifier and its outbox worker."""

    queue: QueueService
    notifier: Notifier
    outbox: OutboxWorker

    async def execute(self, command: c.Command) -> Ticket | None:
        engine = await self.queue.engine(SITE)
        assert engine is not None
        return (await engine.execute(command)).ticket

    async def issue(self, phones: PhoneBook, service: str = "etat-civil", phone: str | None = None) -> Ticket:
        """Issue a ticket, then store its number, in that order, as the HTTP API does."""
        ticket = await self.execute(c.IssueTicket(command_id=new_command_id(), ticket_id=new_ticket_id(),
                                                  service=service))
        assert ticket is not None
        if phone is not None:
            await phones.put(SITE, ticket.id, phone)
        return ticket

    async def serve_next(self) -> Ticket | None:
        """Call the next ticket at counter 1, then serve it to the end (the counter is free again)."""
        ticket = await self.execute(c.CallNext(command_id=new_command_id(), counter="1"))
        if ticket is not None:
            await self.execute(c.Start(command_id=new_command_id(), ticket_id=ticket.id))
            await self.execute(c.Finish(command_id=new_command_id(), ticket_id=ticket.id))
        return ticket


async def load_config(site: str) -> SiteConfig | None:
    return CONFIG if site == SITE else None


async def just_the_site() -> list[str]:
    return [SITE]


@pytest.fixture
async def outbox_db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The outbox's SQL, shared by the processes of a test (a SQLite file)."""
    engine = make_engine(load_settings(database={"url": f"sqlite:///{tmp_path / 'outbox.sqlite3'}"}).database_url)
    await migrate(engine)
    yield sessions(engine)
    await engine.dispose()


@asynccontextmanager
async def processes(redis: Redis, prefix: str, url: str, db: async_sessionmaker[AsyncSession], count: int = 1,
                    sites: Callable[[], Awaitable[Iterable[str]]] = just_the_site,
                    **options: Any) -> AsyncIterator[list[Process]]:
    """``count`` processes sharing one Redis and one database, each with its own engines, a notifier and an
    outbox worker sending to ``url`` (retrying after 50 ms, not the production 30 s)."""
    store = EventStore(redis, prefix)
    phones = PhoneBook(redis, prefix)
    async with anyio.create_task_group() as tg:
        running = []
        for _ in range(count):
            queue = QueueService(store, store, load_config, tg)
            outbox = OutboxWorker(db, sms=HttpProvider(url, timeout_s=5.0), mailer=LogMailer(), poll_s=0.05,
                                  backoff_base_s=0.05, backoff_max_s=0.2)
            notifier = Notifier(queue, redis, prefix, phones, sites, sessions=db, wake=outbox.wake, block_ms=100,
                                sweep_s=0.2, **options)
            tg.start_soon(outbox.run)
            tg.start_soon(notifier.run)
            running.append(Process(queue, notifier, outbox))
        yield running
        for process in running:
            await process.notifier.stop(5.0)
            await process.outbox.stop(5.0)
        tg.cancel_scope.cancel()


def settled(redis: Redis, prefix: str) -> Callable[[], Awaitable[bool]]:
    """A probe: the notifier group has read every entry of the site's stream and acknowledged it."""
    stream = SiteKeys.of(prefix, SITE).stream

    async def probe() -> bool:
        groups = await redis.xinfo_groups(stream)
        group = next((g for g in groups if _text(g["name"]) == GROUP), None)
        last: Any = await redis.xrevrange(stream, count=1)
        return (group is not None and bool(last) and group["pending"] == 0
                and _text(group["last-delivered-id"]) == _text(last[0][0]))

    return probe


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sms(endpoint: ProviderEndpoint) -> list[dict[str, str]]:
    return [orjson.loads(r.body) for r in endpoint.requests]


@pytest.fixture
async def endpoint() -> AsyncIterator[ProviderEndpoint]:
    server = ProviderEndpoint()
    await server.start()
    yield server
    await server.close()


def received(endpoint: ProviderEndpoint, count: int) -> Callable[[], Awaitable[bool]]:
    """A probe: the provider has received ``count`` requests (or more)."""

    async def probe() -> bool:
        return len(endpoint.requests) >= count

    return probe


async def test_one_sms_when_the_ticket_reaches_its_threshold_across_processes_and_redeliveries(
        redis: Redis, key_prefix: str, endpoint: ProviderEndpoint, outbox_db: async_sessionmaker[AsyncSession]) -> None:
    """With N=2 and two processes, the 5th ticket gets exactly one SMS, when 2 people are ahead of it:
    not before, not again after more events and a redelivery of every entry; the 4th, cancelled
    before reaching 2 ahead, gets none."""
    phones = PhoneBook(redis, key_prefix)
    done = settled(redis, key_prefix)
    stream = SiteKeys.of(key_prefix, SITE).stream
    async with processes(redis, key_prefix, endpoint.url, outbox_db, count=2, claim_idle_ms=0) as (a, b):
        tickets = [await a.issue(phones, phone={3: P4, 4: P5}.get(n)) for n in range(5)]
        await eventually(done)
        assert sms(endpoint) == []  # 3 and 4 people ahead
        assert await a.execute(c.Cancel(command_id=new_command_id(), ticket_id=tickets[3].id))
        await eventually(done)
        assert sms(endpoint) == []  # the 5th now has 3 ahead

        first = await a.serve_next()
        assert first is not None and first.id == tickets[0].id  # the 5th: 2 ahead
        await eventually(received(endpoint, 1))
        await a.serve_next()  # 1 ahead: still waiting, still within N
        await eventually(done)
        # Every entry delivered again, to a consumer that dies before acknowledging; then claimed.
        await redis.xgroup_setid(stream, GROUP, "0")
        await redis.xreadgroup(GROUP, "dead-process", {stream: ">"}, count=1000)
        await b.notifier.claim_abandoned()
        for _ in range(2):  # 0 ahead, then called itself
            await a.serve_next()
        await eventually(done)
    [message] = sms(endpoint)
    assert message["to"] == P5 and "A005" in message["text"] and "2." in message["text"]
    assert a.notifier.sent + b.notifier.sent == 1


async def test_a_failed_send_is_retried_until_the_provider_takes_it(
        redis: Redis, key_prefix: str, endpoint: ProviderEndpoint, outbox_db: async_sessionmaker[AsyncSession]) -> None:
    """When the provider answers 500, the outbox sends the message again until it is taken, and once then."""
    endpoint.statuses = [500, 503]
    phones = PhoneBook(redis, key_prefix)
    async with processes(redis, key_prefix, endpoint.url, outbox_db) as [a]:
        ticket = await a.issue(phones, phone=P5)
        await eventually(received(endpoint, 3))
        await a.issue(phones)  # one more event, handled after the success
        await eventually(settled(redis, key_prefix))
        assert a.notifier.sent == 1
    assert [m["to"] for m in sms(endpoint)] == [P5] * 3
    async with outbox_db() as session:
        row = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == turn_near_key(ticket.id)))).one()
    assert (row.status, row.attempts) == ("sent", 3)


async def test_a_number_stored_after_its_ticket_became_eligible_is_found_by_the_sweep(
        redis: Redis, key_prefix: str, endpoint: ProviderEndpoint, outbox_db: async_sessionmaker[AsyncSession]) -> None:
    """A ticket already within N when its number arrives gets its SMS without any further event."""
    phones = PhoneBook(redis, key_prefix)
    async with processes(redis, key_prefix, endpoint.url, outbox_db) as [a]:
        ticket = await a.issue(phones)
        await eventually(settled(redis, key_prefix))
        await phones.put(SITE, ticket.id, P4)
        await eventually(received(endpoint, 1))
    assert [m["to"] for m in sms(endpoint)] == [P4]


async def test_a_service_without_sms_sends_nothing(redis: Redis, key_prefix: str, endpoint: ProviderEndpoint,
                                                  outbox_db: async_sessionmaker[AsyncSession]) -> None:
    """A waiting ticket with a phone number in a service whose sms_ahead is None gets no SMS."""
    phones = PhoneBook(redis, key_prefix)
    async with processes(redis, key_prefix, endpoint.url, outbox_db) as [a]:
        await a.issue(phones, service="urbanisme", phone=P4)
        await eventually(settled(redis, key_prefix))
        assert await a.notifier.check_site(SITE) == 0
    assert endpoint.requests == []


async def test_the_notifier_survives_errors_and_stops_when_asked(
        redis: Redis, key_prefix: str, endpoint: ProviderEndpoint, outbox_db: async_sessionmaker[AsyncSession]) -> None:
    """A failing dependency is retried (the SMS still goes), and stop() makes run() return."""
    calls = 0

    async def flaky_sites() -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database is down")
        return [SITE]

    phones = PhoneBook(redis, key_prefix)
    async with processes(redis, key_prefix, endpoint.url, outbox_db, sites=flaky_sites) as [a]:
        await a.issue(phones, phone=P4)
        await eventually(received(endpoint, 1))
        with anyio.fail_after(3):
            await a.notifier.stop(5.0)
        assert calls >= 2

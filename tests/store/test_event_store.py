"""The event store's contract, run against every Redis-protocol backend we have (the embedded
Valkey always; the machine's Redis when QUEUE_TEST_REDIS_URL is set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from redis.asyncio import Redis

from queue_server.queue.domain.events import CounterOpened, Event, TicketIssued
from queue_server.queue.eventstore import CATCH_UP, Appended, Behind, EventStore
from queue_server.store.keys import stream_id

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def issued(n: int) -> TicketIssued:
    return TicketIssued(at=T0 + timedelta(seconds=n), command_id=f"c{n}", ticket_id=f"t{n}",
                        service="etat-civil", seq=n, number=f"A{n:03d}")


@pytest.fixture
def store(redis: Redis, key_prefix: str) -> EventStore:
    return EventStore(redis, key_prefix)


async def append_ok(store: EventStore, site: str, expected: str, events: list[Event]) -> list[str]:
    reply = await store.append(site, expected, events)
    assert isinstance(reply, Appended), reply
    return reply.ids


async def test_append_to_a_new_stream_expects_zero(store: EventStore) -> None:
    """A new site's stream accepts an append that expects '0-0' and returns increasing ids."""
    ids = await append_ok(store, "s", "0-0", [issued(1), issued(2)])
    assert len(ids) == 2 and stream_id(ids[0]) < stream_id(ids[1])
    assert await store.head("s") == ids[1]


async def test_stale_expected_id_is_refused_with_the_missing_events(store: EventStore) -> None:
    """An append decided on an old id writes nothing and returns what the caller missed."""
    first = await append_ok(store, "s", "0-0", [issued(1)])
    second = await append_ok(store, "s", first[-1], [issued(2), issued(3)])
    reply = await store.append("s", first[-1], [issued(99)])
    assert isinstance(reply, Behind)
    assert reply.head == second[-1]
    assert [rid for rid, _ in reply.missing] == second
    assert [e for _, e in reply.missing] == [issued(2), issued(3)]
    assert len(await store.read("s")) == 3


async def test_retried_append_never_writes_twice(store: EventStore) -> None:
    """The same append sent again (a client retry after a lost reply) is refused, not duplicated."""
    await append_ok(store, "s", "0-0", [issued(1)])
    again = await store.append("s", "0-0", [issued(1)])
    assert isinstance(again, Behind)
    assert [e for _, e in again.missing] == [issued(1)]
    assert len(await store.read("s")) == 1


async def test_expected_id_ahead_of_the_stream_is_refused(store: EventStore) -> None:
    """A caller ahead of the stream (Redis lost data) is told so: behind, with nothing missing."""
    ids = await append_ok(store, "s", "0-0", [issued(1)])
    ms, seq = stream_id(ids[0])
    reply = await store.append("s", f"{ms + 1000}-0", [issued(2)])
    assert isinstance(reply, Behind) and reply.missing == [] and reply.head == ids[0]


async def test_read_returns_events_after_an_id_in_order(store: EventStore) -> None:
    """Reading after an id returns exactly the later events, decoded, oldest first."""
    ids = await append_ok(store, "s", "0-0", [issued(n) for n in range(1, 6)])
    records = await store.read("s", ids[1])
    assert [rid for rid, _ in records] == ids[2:]
    assert [e for _, e in records] == [issued(3), issued(4), issued(5)]


async def test_read_all_pages_through_long_streams(store: EventStore) -> None:
    """read_all returns every event even beyond one page."""
    last = "0-0"
    for start in range(0, CATCH_UP + 50, 200):
        last = (await append_ok(store, "s", last, [issued(n) for n in range(start, start + 200)]))[-1]
    records = await store.read_all("s")
    assert len(records) == len(range(0, CATCH_UP + 50, 200)) * 200
    assert records[-1][0] == last


async def blocked(redis: Redis, client_name: str) -> bool:
    """Whether the connection named ``client_name`` is blocked in a command now (CLIENT LIST flag b)."""
    return any(c.get("name") == client_name and "b" in c.get("flags", "") for c in await redis.client_list())


async def test_tail_waits_for_the_next_event(store: EventStore, redis: Redis, redis_url: str,
                                             key_prefix: str) -> None:
    """tail blocks until an event is appended after the given id, then returns it."""
    ids = await append_ok(store, "s", "0-0", [issued(1)])
    received: list[Event] = []
    name = f"{key_prefix}tail"  # its own connection, so that the test sees when it blocks
    tailer = Redis.from_url(redis_url, client_name=name)

    async def wait() -> None:
        received.extend(e for _, e in await EventStore(tailer, key_prefix).tail("s", ids[-1], block_ms=5000))

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            with anyio.fail_after(5):
                while not await blocked(redis, name):
                    await anyio.sleep(0.01)
            assert received == []
            await append_ok(store, "s", ids[-1], [CounterOpened(at=T0, counter="1")])
    finally:
        await tailer.aclose()
    assert received == [CounterOpened(at=T0, counter="1")]


async def test_tail_returns_nothing_after_its_timeout(store: EventStore) -> None:
    """tail on a quiet stream returns an empty list once its block time is over."""
    ids = await append_ok(store, "s", "0-0", [issued(1)])
    assert await store.tail("s", ids[-1], block_ms=50) == []


async def test_sites_are_separate_streams(store: EventStore) -> None:
    """Two sites never see each other's events nor conflict on ids."""
    await append_ok(store, "a", "0-0", [issued(1)])
    await append_ok(store, "b", "0-0", [issued(2)])
    assert [e for _, e in await store.read("a")] == [issued(1)]
    assert [e for _, e in await store.read("b")] == [issued(2)]


async def test_snapshot_is_only_replaced_by_a_newer_one(store: EventStore) -> None:
    """A snapshot at an older event id never overwrites a newer one."""
    assert await store.load_snapshot("s") is None
    assert await store.save_snapshot("s", "100-5", b"new")
    assert not await store.save_snapshot("s", "100-4", b"old")
    assert not await store.save_snapshot("s", "99-9", b"older")
    assert await store.load_snapshot("s") == ("100-5", b"new")
    assert await store.save_snapshot("s", "101-0", b"newer")
    assert await store.load_snapshot("s") == ("101-0", b"newer")


async def test_concurrent_appenders_lose_and_duplicate_nothing(store: EventStore) -> None:
    """Twenty writers racing with expected ids each land all their events exactly once."""

    async def writer(w: int) -> None:
        last = "0-0"
        for n in range(10):
            event = issued(w * 100 + n)
            while True:
                reply = await store.append("s", last, [event])
                if isinstance(reply, Appended):
                    last = reply.ids[-1]
                    break
                last = reply.head

    async with anyio.create_task_group() as tg:
        for w in range(20):
            tg.start_soon(writer, w)
    records = await store.read_all("s")
    seqs = [e.seq for _, e in records if isinstance(e, TicketIssued)]
    assert sorted(seqs) == sorted(w * 100 + n for w in range(20) for n in range(10))

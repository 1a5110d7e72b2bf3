"""The archiver copies every event into SQL history, and the stream is trimmed only behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from starlette.applications import Starlette

from queue_server.db.engine import make_engine, sessions
from queue_server.queue.archiver import GROUP, Archiver
from queue_server.queue.codec import encode_state
from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.eventstore import Appended, EventStore
from queue_server.queue.service import SiteEngine
from queue_server.queue.tables import EventRecord, TicketRecord
from queue_server.web.app import create_app
from tests.conftest import Stack

pytestmark = pytest.mark.anyio


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> None:
    """Wait until ``await check()`` is truthy (polling, never a fixed sleep)."""
    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.02)


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[Starlette]:
    settings = stack.settings.model_copy(update={
        "queue": stack.settings.queue.model_copy(update={"stream_retention_s": 0, "snapshot_interval_s": 0.1}),
    })
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def visit(http: httpx.AsyncClient, stack: Stack, n: int) -> list[str]:
    """Issue ``n`` tickets; call, start and finish each at counter 1. Returns their ids."""
    ids = []
    for _ in range(n):
        r = await http.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"}, headers=stack.auth("kiosk"))
        ids.append(r.json()["id"])
    for ticket_id in ids:
        assert (await http.post("/api/v1/sites/demo/counters/1/next", headers=stack.auth("agent"))).status_code == 200
        await http.post(f"/api/v1/sites/demo/tickets/{ticket_id}/start", headers=stack.auth("agent"))
        await http.post(f"/api/v1/sites/demo/tickets/{ticket_id}/finish", headers=stack.auth("agent"))
    return ids


async def test_every_event_reaches_sql_history(app: Starlette, stack: Stack) -> None:
    """Each event of the stream becomes one event_history row and each ticket one history row
    with its final status and times."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        ids = await visit(http, stack, 5)
    engine = make_engine(stack.settings.database_url)
    factory = sessions(engine)

    async def archived() -> bool:
        async with factory() as session:
            rows = (await session.execute(select(TicketRecord))).scalars().all()
            return len(rows) == 5 and all(r.status == "done" for r in rows)

    await eventually(archived)
    async with factory() as session:
        rows = {r.id: r for r in (await session.execute(select(TicketRecord))).scalars().all()}
        kinds = (await session.execute(select(EventRecord.type))).scalars().all()
    await engine.dispose()
    assert set(rows) == set(ids)
    first = rows[ids[0]]
    assert first.number == "A001" and first.counter == "1" and first.day
    assert first.issued_at <= first.called_at <= first.started_at <= first.finished_at  # type: ignore[operator]
    assert kinds.count("ticket.issued") == 5 and kinds.count("ticket.finished") == 5


async def test_stream_is_trimmed_only_behind_the_archiver_and_state_survives(app: Starlette, stack: Stack) -> None:
    """With no retention, archived events leave the stream, and a process started afterwards
    rebuilds the same state from the snapshot and what remains."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        await visit(http, stack, 3)
        r = await http.post("/api/v1/sites/demo/tickets", json={"service": "urbanisme"}, headers=stack.auth("kiosk"))
        waiting_id = r.json()["id"]
    engine_: SiteEngine = app.state.queue._engines["demo"]
    redis: Redis = app.state.redis
    stream = engine_.store.keys("demo").stream
    total = len(engine_.state.tickets)

    async def trimmed() -> bool:
        # trimmed, and everything read acknowledged (the archiver may hold a batch it has just read)
        groups = await redis.xinfo_groups(stream)
        return int(await redis.xlen(stream)) < 3 * 4 + 1 and all(g["pending"] == 0 for g in groups)

    await eventually(trimmed)
    fresh = SiteEngine(engine_.config, engine_.store, engine_.store, engine_.clock)
    await fresh.load()
    assert encode_state(fresh.state) == encode_state(engine_.state)
    assert len(fresh.state.tickets) == total and fresh.state.tickets[waiting_id].status == "waiting"


async def test_events_of_a_dead_archiver_are_claimed_and_written_once(stack: Stack) -> None:
    """Events read by an archiver that died before acknowledging are claimed (XAUTOCLAIM) by the
    next lease holder and archived once, even when delivered again."""
    redis = Redis.from_url(stack.settings.redis.url)
    store = EventStore(redis, stack.settings.redis.key_prefix)
    engine = make_engine(stack.settings.database_url)
    factory = sessions(engine)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    events = [TicketIssued(at=now, command_id=f"c{n}", ticket_id=f"t{n}", service="etat-civil", seq=n,
                           number=f"A{n:03d}") for n in range(1, 4)]
    reply = await store.append("demo", "0-0", events)
    assert isinstance(reply, Appended)
    stream = store.keys("demo").stream
    await redis.xgroup_create(stream, GROUP, id="0")
    await redis.xreadgroup(GROUP, "dead-process", {stream: ">"}, count=10)  # read, never acknowledged

    archiver = Archiver(redis, store, factory, retention_s=3600)
    assert await archiver._hold_lease()
    async with factory() as session:
        rows = (await session.execute(select(TicketRecord).order_by(TicketRecord.number))).scalars().all()
        assert [r.number for r in rows] == ["A001", "A002", "A003"]
    assert (await redis.xpending(stream, GROUP))["pending"] == 0
    # The same events delivered once more (at-least-once) change nothing.
    await archiver._archive("demo", stream, await store.read_all("demo"))
    async with factory() as session:
        count = (await session.execute(select(func.count()).select_from(EventRecord))).scalar_one()
    assert count == 3
    await engine.dispose()
    await redis.aclose()


async def test_the_history_keeps_no_link_to_a_person(stack: Stack) -> None:
    """A ticket staff issued for a known person (``party``) is archived like any other, without the party: the link
    lives on the person's timeline, which goes with them, and not in a history kept for years."""
    redis = Redis.from_url(stack.settings.redis.url)
    store = EventStore(redis, stack.settings.redis.key_prefix)
    engine = make_engine(stack.settings.database_url)
    factory = sessions(engine)
    issued = TicketIssued(at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC), command_id="c1", ticket_id="t1",
                          service="etat-civil", seq=1, number="A001", party=42)
    reply = await store.append("demo", "0-0", [issued])
    assert isinstance(reply, Appended)
    archiver = Archiver(redis, store, factory, retention_s=3600)
    await archiver.refresh_sites(force=True)
    await archiver._archive("demo", store.keys("demo").stream, await store.read_all("demo"))
    async with factory() as session:
        data = (await session.execute(select(EventRecord.data))).scalar_one()
        number = (await session.execute(select(TicketRecord.number))).scalar_one()
    await engine.dispose()
    await redis.aclose()
    assert number == "A001" and '"party"' not in data and '"ticket_id":"t1"' in data


async def test_the_streams_are_trimmed_only_behind_the_groups_it_keeps_for(stack: Stack) -> None:
    """With no retention, the archiver trims what it archived, but never what another reader of the streams named
    in ``keep_for`` (the CRM's group) has not read and acknowledged: nothing before that group exists on the
    stream, then up to its first entry unread or unacknowledged, then everything once it has read all."""
    redis = Redis.from_url(stack.settings.redis.url)
    store = EventStore(redis, stack.settings.redis.key_prefix)
    engine = make_engine(stack.settings.database_url)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    events = [TicketIssued(at=now, command_id=f"c{n}", ticket_id=f"t{n}", service="etat-civil", seq=n,
                           number=f"A{n:03d}") for n in range(1, 9)]
    reply = await store.append("demo", "0-0", events)
    assert isinstance(reply, Appended)
    await store.save_snapshot("demo", reply.ids[-1], b"{}")  # the snapshot's bound is not what is tested here
    stream = store.keys("demo").stream
    archiver = Archiver(redis, store, sessions(engine), retention_s=0, keep_for=("crm",))
    await archiver.refresh_sites(force=True)
    assert await archiver.step() == 8

    async def trimmed_to() -> int:
        await archiver._trim_all()
        return int(await redis.xlen(stream))

    assert await trimmed_to() == 8  # the CRM has not started on this stream: everything is still to read
    await redis.xgroup_create(stream, "crm", id="0")
    assert await trimmed_to() == 8
    read = [entry_id for entry_id, _ in (await redis.xreadgroup("crm", "crm-1", {stream: ">"}, count=5))[0][1]]
    assert await trimmed_to() == 8  # read, not acknowledged
    await redis.xack(stream, "crm", *read[:3])
    assert await trimmed_to() == 5  # up to its first unacknowledged entry
    await redis.xack(stream, "crm", *read[3:])
    assert await trimmed_to() == 3  # up to what it has not read
    rest = [entry_id for entry_id, _ in (await redis.xreadgroup("crm", "crm-1", {stream: ">"}))[0][1]]
    await redis.xack(stream, "crm", *rest)
    assert await trimmed_to() == 0
    await engine.dispose()
    await redis.aclose()


async def test_the_history_keeps_that_a_ticket_was_booked_but_not_the_appointment(stack: Stack) -> None:
    """An appointment ticket is archived with ``booked`` in the data of its ticket.issued, without the appointment's
    reference (a link to a person's booking, which goes with them); a walk-in's says ``booked: false``."""
    redis = Redis.from_url(stack.settings.redis.url)
    store = EventStore(redis, stack.settings.redis.key_prefix)
    engine = make_engine(stack.settings.database_url)
    factory = sessions(engine)
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    events = [TicketIssued(at=at, command_id="c1", ticket_id="t1", service="etat-civil", seq=1, number="A001",
                           appointment="K7M2QX"),
              TicketIssued(at=at, command_id="c2", ticket_id="t2", service="etat-civil", seq=2, number="A002")]
    reply = await store.append("demo", "0-0", events)
    assert isinstance(reply, Appended)
    archiver = Archiver(redis, store, factory, retention_s=3600)
    await archiver.refresh_sites(force=True)
    await archiver._archive("demo", store.keys("demo").stream, await store.read_all("demo"))
    async with factory() as session:
        rows = (await session.execute(select(EventRecord.ticket_id, EventRecord.data))).all()
    await engine.dispose()
    await redis.aclose()
    data = {ticket_id: orjson.loads(text) for ticket_id, text in rows}
    assert (data["t1"]["booked"], data["t2"]["booked"]) == (True, False)
    assert "appointment" not in data["t1"] and "K7M2QX" not in str(data)

"""A ticket staff issue for a known person is a visit on their timeline: the CRM follows every site's stream
through its consumer group "crm" and writes one entry per such ticket, brought up to date by its later events.
Real Redis (or Valkey) and real SQL, on both stacks; the entries are read in SQL (the CRM's API is not here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from queue_server.crm.visits import GROUP, VisitTimeline, source_of
from queue_server.db.engine import make_engine, sessions
from queue_server.queue.codec import parse_iso
from queue_server.queue.domain import events as ev
from queue_server.queue.eventstore import Appended, EventStore
from queue_server.store.worker import text
from queue_server.web.app import create_app
from tests.conftest import Stack
from tests.parties import LONG_AGO, add_party, add_sectors, entries, erase, keys_at_any_depth, party
from tests.system.servers import seed_site, server
from tests.web.support import eventually

pytestmark = pytest.mark.anyio
SITE = "/api/v1/sites/demo"
MORNING = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[Starlette]:
    application = create_app(stack.settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def post(http: httpx.AsyncClient, stack: Stack, path: str, role: str = "agent", **body: Any) -> dict[str, Any]:
    response = await http.post(SITE + path, json=body or None, headers=stack.auth(role))
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def the_entry(stack: Stack, summary: str, **expected: Any) -> Any:
    """The tenant's one timeline entry, once its summary is ``summary`` and its fields ``expected``."""
    found: list[Any] = []

    async def written() -> bool:
        found[:] = await entries(stack.settings.database_url)
        return len(found) == 1 and found[0].summary == summary and all(
            getattr(found[0], k) == v for k, v in expected.items())

    await eventually(written)
    return found[0]


async def all_read(redis: Redis, stream: str) -> bool:
    """Whether the CRM's group has read and acknowledged every entry of ``stream``."""
    last = await redis.xrevrange(stream, count=1)
    groups = {text(g["name"]): g for g in await redis.xinfo_groups(stream)}
    group = groups.get(GROUP)
    return bool(last) and group is not None and text(group["last-delivered-id"]) == text(last[0][0]) \
        and int(group["pending"]) == 0


async def event_at(redis: Redis, stack: Stack, kind: type[ev.Event], ticket_id: str) -> datetime:
    """When the stream says ``kind`` happened to ``ticket_id``."""
    store = EventStore(redis, stack.settings.redis.key_prefix)
    return next(e.at for _, e in await store.read_all("demo")
                if isinstance(e, kind) and getattr(e, "ticket_id", None) == ticket_id)


# Through the server -----------------------------------------------------------------------------------------


async def test_a_known_persons_visit_is_on_their_timeline(app: Starlette, http: httpx.AsyncClient,
                                                          stack: Stack) -> None:
    """An agent issues a ticket for Léa Martin; it is called, started and finished at counter 1: her timeline holds
    one visit of état civil (its sector), the number, the wait from issue to call, the time served, the counter and
    the agent, and her record counts its retention from the end of the visit. A kiosk's ticket served meanwhile
    writes nothing."""
    lea = await add_party(stack.settings.database_url)
    await add_sectors(stack.settings.database_url, "demo", {"etat-civil": "civil"})
    ticket = await post(http, stack, "/tickets", service="etat-civil", party=lea)
    anonymous = await post(http, stack, "/tickets", "kiosk", service="etat-civil")
    called = await post(http, stack, "/counters/1/next")
    assert called["id"] == ticket["id"]
    await post(http, stack, f"/tickets/{ticket['id']}/start")
    await post(http, stack, f"/tickets/{ticket['id']}/finish")
    await post(http, stack, "/counters/1/next")
    await post(http, stack, f"/tickets/{anonymous['id']}/start")
    await post(http, stack, f"/tickets/{anonymous['id']}/finish")
    entry = await the_entry(stack, "served")
    issued_at, called_at = parse_iso(ticket["issued_at"]), parse_iso(called["called_at"])
    finished_at = await event_at(app.state.redis, stack, ev.TicketFinished, ticket["id"])
    started_at = await event_at(app.state.redis, stack, ev.TicketStarted, ticket["id"])
    assert (entry.party_id, entry.kind, entry.site_id, entry.service, entry.sector, entry.at, entry.author) == (
        lea, "visit", "demo", "etat-civil", "civil", issued_at, "")
    assert entry.source == source_of("demo", ticket["id"]) == f"ticket:demo:{ticket['id']}"
    detail = entry.detail
    assert (detail["ticket"], detail["status"], detail["counter"], detail["agent_name"]) == ("A001", "done", "1",
                                                                                             "agent")
    assert detail["wait_s"] == round((called_at - issued_at).total_seconds())
    assert detail["served_s"] == round((finished_at - started_at).total_seconds())
    assert parse_iso(detail["issued_at"]) == issued_at and parse_iso(detail["called_at"]) == called_at
    record = await party(stack.settings.database_url, lea)
    assert record is not None and record.dealt_with_at == finished_at
    stream = app.state.queue._engines["demo"].store.keys("demo").stream
    await eventually(lambda: all_read(app.state.redis, stream))
    assert len(await entries(stack.settings.database_url)) == 1  # the kiosk's ticket: nothing
    # Streams are trimmed behind the CRM and booking (tests/system/test_archiver).
    assert app.state.archiver.keep_for == (GROUP, "booking")


async def test_a_kiosk_ticket_makes_no_entry(app: Starlette, http: httpx.AsyncClient, stack: Stack) -> None:
    """Anonymous tickets, served or not, leave every timeline as it was, once the CRM has read all they did."""
    await add_party(stack.settings.database_url)
    for _ in range(3):
        await post(http, stack, "/tickets", "kiosk", service="passeports")
    called = await post(http, stack, "/counters/2/next")
    await post(http, stack, f"/tickets/{called['id']}/no-show")
    stream = app.state.queue._engines["demo"].store.keys("demo").stream
    await eventually(lambda: all_read(app.state.redis, stream))
    assert await entries(stack.settings.database_url) == []


async def test_a_transfer_moves_the_visit_to_the_other_sector(http: httpx.AsyncClient, stack: Stack) -> None:
    """A visit transferred from état civil to urbanisme waits again there, in urbanisme's sector; served there, it
    is urbanisme's visit, by whoever served it."""
    lea = await add_party(stack.settings.database_url)
    await add_sectors(stack.settings.database_url, "demo", {"etat-civil": "civil", "urbanisme": "urba"})
    ticket = await post(http, stack, "/tickets", "admin", service="etat-civil", party=lea)
    await post(http, stack, "/counters/1/next")
    await the_entry(stack, "called", sector="civil")
    await post(http, stack, f"/tickets/{ticket['id']}/transfer", service="urbanisme")
    entry = await the_entry(stack, "waiting", sector="urba", service="urbanisme")
    assert entry.detail["transfers"] == 1 and entry.detail["counter"] is None and entry.detail["wait_s"] is None
    await post(http, stack, f"/tickets/{ticket['id']}/call", "supervisor", counter="3")
    await post(http, stack, f"/tickets/{ticket['id']}/start", "supervisor")
    await post(http, stack, f"/tickets/{ticket['id']}/finish", "supervisor")
    entry = await the_entry(stack, "served", sector="urba", service="urbanisme")
    assert (entry.detail["counter"], entry.detail["agent_name"]) == ("3", "supervisor")


async def test_a_no_show_put_back_and_served_later(http: httpx.AsyncClient, stack: Stack) -> None:
    """A no-show is the visit's outcome until the person comes back: requeued, waiting again; then served."""
    lea = await add_party(stack.settings.database_url)
    ticket = await post(http, stack, "/tickets", service="etat-civil", party=lea)
    await post(http, stack, "/counters/1/next")
    await post(http, stack, f"/tickets/{ticket['id']}/no-show")
    entry = await the_entry(stack, "no_show", sector=None)
    assert entry.detail["served_s"] is None
    await post(http, stack, f"/tickets/{ticket['id']}/requeue")
    await the_entry(stack, "waiting")
    await post(http, stack, "/counters/2/next")
    await post(http, stack, f"/tickets/{ticket['id']}/start")
    await post(http, stack, f"/tickets/{ticket['id']}/finish")
    entry = await the_entry(stack, "served")
    assert entry.detail["counter"] == "2" and entry.detail["served_s"] is not None


# The worker on its own: redeliveries, erasures, several processes ----------------------------------------------


class Site:
    """The demo site's stream, written event by event, and the CRM's workers reading it."""

    def __init__(self, stack: Stack, redis: Redis) -> None:
        self.stack, self.redis = stack, redis
        self.store = EventStore(redis, stack.settings.redis.key_prefix)
        self.stream = self.store.keys("demo").stream
        self.last = "0-0"
        self.engine = make_engine(stack.settings.database_url)
        self.sessions = sessions(self.engine)

    async def append(self, *events: ev.Event) -> list[str]:
        reply = await self.store.append("demo", self.last, events)
        assert isinstance(reply, Appended)
        self.last = reply.ids[-1]
        return reply.ids

    def worker(self) -> VisitTimeline:
        return VisitTimeline(self.redis, self.stack.settings.redis.key_prefix, self.sessions, block_ms=50)


@pytest.fixture
async def site(stack: Stack) -> AsyncIterator[Site]:
    redis = Redis.from_url(stack.settings.redis.url)
    hall = Site(stack, redis)
    yield hall
    await hall.engine.dispose()
    await redis.aclose()


def visit(ticket: str, party: int | None, at: datetime = MORNING) -> list[ev.Event]:
    """A ticket's whole visit: issued, called at counter 2 by Anne 5 minutes later, started, finished 7 minutes
    after the call."""
    return [ev.TicketIssued(at=at, command_id=f"{ticket}-1", ticket_id=ticket, service="etat-civil", seq=1,
                            number="A001", party=party),
            ev.TicketCalled(at=at + timedelta(minutes=5), command_id=f"{ticket}-2", ticket_id=ticket, counter="2",
                            agent="user:3", agent_name="Anne"),
            ev.TicketStarted(at=at + timedelta(minutes=6), command_id=f"{ticket}-3", ticket_id=ticket),
            ev.TicketFinished(at=at + timedelta(minutes=12), command_id=f"{ticket}-4", ticket_id=ticket)]


async def test_events_read_twice_write_one_entry(site: Site, stack: Stack) -> None:
    """Events a dead process read and never acknowledged are claimed by the next lease holder and written; the same
    events delivered once more (at least once) change nothing: one entry, as it was."""
    lea = await add_party(stack.settings.database_url, created_at=MORNING - timedelta(days=30))
    await site.append(*visit("t1", lea))
    await site.redis.xgroup_create(site.stream, GROUP, id="0")
    await site.redis.xreadgroup(GROUP, "dead-process", {site.stream: ">"}, count=10)  # read, never acknowledged
    worker = site.worker()
    await worker.tick()
    [entry] = await entries(stack.settings.database_url)
    assert (entry.summary, entry.detail["wait_s"], entry.detail["served_s"], entry.detail["agent_name"]) == (
        "served", 300, 360, "Anne")
    assert (await site.redis.xpending(site.stream, GROUP))["pending"] == 0
    again = await site.redis.xrange(site.stream)
    assert await worker.record(site.stream, again) == 4
    assert await worker.record(site.stream, again[1:2]) == 1  # the call alone, late: the visit stays served
    [same] = await entries(stack.settings.database_url)
    assert (same.id, same.summary, same.detail) == (entry.id, entry.summary, entry.detail)
    record = await party(stack.settings.database_url, lea)
    assert record is not None and record.dealt_with_at == MORNING + timedelta(minutes=12)


async def test_one_process_writes_at_a_time_and_the_next_finishes_its_work(site: Site, stack: Stack) -> None:
    """Two processes' workers: the one holding the lease writes, the other does not; when the first dies holding
    events it read, the second takes the lease over and writes them. Each event is written once."""
    lea = await add_party(stack.settings.database_url, created_at=MORNING - timedelta(days=30))
    first, second = site.worker(), site.worker()
    events = visit("t1", lea)
    await site.append(*events[:2])
    await first.tick()
    assert await second.hold_lease(second.lease_key, 15_000) is None
    await site.append(*events[2:])
    await site.redis.xreadgroup(GROUP, first.consumer, {site.stream: ">"}, count=10)  # read, then the process died
    await site.redis.delete(first.lease_key)  # ... and its lease ran out
    await second.tick()
    [entry] = await entries(stack.settings.database_url)
    assert entry.summary == "served" and (first.recorded, second.recorded) == (2, 2)
    assert (await site.redis.xpending(site.stream, GROUP))["pending"] == 0


async def test_an_erased_party_is_never_brought_back(site: Site, stack: Stack) -> None:
    """A party erased while their ticket is still moving: its later events find no entry and write none; a ticket
    issued for a party that no longer exists, or whose number a party created since has taken, writes nothing."""
    lea = await add_party(stack.settings.database_url, created_at=MORNING - timedelta(days=30))
    worker = site.worker()
    events = visit("t1", lea)
    await site.append(*events[:2])
    await worker.tick()
    assert [e.summary for e in await entries(stack.settings.database_url)] == ["called"]
    await erase(stack.settings.database_url, [lea])
    await site.append(*events[2:])
    await worker.tick()
    assert await entries(stack.settings.database_url) == []
    newcomer = await add_party(stack.settings.database_url, created_at=MORNING + timedelta(hours=1))
    await site.append(*visit("t2", lea + 1000, MORNING + timedelta(hours=2)))
    await site.append(*visit("t3", newcomer, MORNING))  # issued before this party existed: not theirs
    await worker.tick()
    assert await entries(stack.settings.database_url) == []
    record = await party(stack.settings.database_url, newcomer)
    assert record is not None and record.dealt_with_at == LONG_AGO


# A real server, real WebSocket clients --------------------------------------------------------------------------


async def receive(ws: ClientConnection) -> dict[str, Any]:
    with anyio.fail_after(5):
        return dict(orjson.loads(await ws.recv()))


async def test_screens_never_learn_whose_visit_it_is(tmp_path: Path) -> None:
    """Against a real server: the hall display's live feed, its GET /state and the ticket's own feed never hold the
    party of a ticket an agent issued for a known person, through its whole visit; the agent's feed does, and the
    visit reaches the person's timeline."""
    database = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    tokens = await seed_site(database, "hall", 2, ("etat-civil",), ("kiosk", "display", "agent"))
    lea = await add_party(database, "hall")
    with server(tmp_path) as running:
        ws = running.url.replace("http://", "ws://")
        auth = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        async with httpx.AsyncClient(base_url=running.url + "/api/v1/sites/hall", timeout=10) as http, \
                connect(ws + "/ws/sites/hall", additional_headers=auth["display"]) as display, \
                connect(ws + "/ws/sites/hall", additional_headers=auth["agent"]) as agent:
            shown = [await receive(display)]
            staff = [await receive(agent)]
            issued = await http.post("/tickets", json={"service": "etat-civil", "party": lea}, headers=auth["agent"])
            assert issued.status_code == 201 and issued.json()["party"] == lea
            ticket_id = issued.json()["id"]
            async with connect(ws + f"/ws/tickets/{ticket_id}") as phone:
                followed = [await receive(phone)]
                for path in ("/counters/1/next", f"/tickets/{ticket_id}/start", f"/tickets/{ticket_id}/finish"):
                    assert (await http.post(path, headers=auth["agent"])).status_code == 200
                while (message := await receive(display))["type"] != "ticket.finished":
                    shown.append(message)
                shown.append(message)
                while (message := await receive(agent))["type"] != "ticket.finished":
                    staff.append(message)
                while (ticket := (await receive(phone))["data"]["ticket"])["status"] != "done":
                    followed.append(ticket)
            state = (await http.get("/state", headers=auth["display"])).json()
            kiosk_state = (await http.get("/state", headers=auth["kiosk"])).json()
    assert [m["type"] for m in shown if m["type"] != "day.started"] == [
        "snapshot", "ticket.issued", "counter.opened", "ticket.called", "ticket.started", "ticket.finished"]
    for public in (*shown, *followed, state, kiosk_state):
        assert "party" not in keys_at_any_depth(public), public
    assert next(m for m in staff if m["type"] == "ticket.issued")["data"]["ticket"]["party"] == lea
    assert next(m for m in staff if m["type"] == "ticket.called")["data"]["ticket"]["party"] == lea
    found: list[Any] = []

    async def on_the_timeline() -> bool:
        found[:] = await entries(database, "hall")
        return [e.summary for e in found] == ["served"]

    await eventually(on_the_timeline)
    assert found[0].party_id == lea and found[0].detail["agent_name"].startswith("token ")  # a token without a name

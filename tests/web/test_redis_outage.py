"""While Redis cannot be reached the API answers 503 with Retry-After, never 500, and it recovers
by itself when Redis comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from queue_server.queue.domain.events import TicketIssued
from queue_server.queue.eventstore import EventStore
from queue_server.settings import load_settings
from queue_server.store.embedded import EmbeddedValkey
from queue_server.web.app import create_app
from tests.conftest import seed
from tests.web.support import assert_problem, eventually

pytestmark = pytest.mark.anyio

ISSUE = "/api/v1/sites/demo/tickets"


@dataclass
class Outage:
    """A server over its own Valkey, which the test stops and starts again."""

    valkey: EmbeddedValkey
    client: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def issue(self) -> httpx.Response:
        return await self.client.post(ISSUE, json={"service": "etat-civil"}, headers=self.auth("kiosk"))


@pytest.fixture
async def outage(tmp_path: Path) -> AsyncIterator[Outage]:
    # Started from the test's (main) thread: Valkey must not die with a short-lived worker thread.
    valkey = EmbeddedValkey(tmp_path / "valkey")
    url = valkey.start()
    try:
        settings = load_settings(
            server={"data_dir": tmp_path},
            redis={"url": url, "key_prefix": "outage:", "check_persistence": True},
            database={"url": f"sqlite:///{tmp_path / 'guichet.sqlite3'}"},
            queue={"retry_after_s": 3},
        )
        tokens = await seed(settings)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield Outage(valkey, client, tokens)
    finally:
        valkey.stop()


def _assert_unavailable(response: httpx.Response) -> None:
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "3"


async def test_issue_is_503_while_redis_is_down(outage: Outage) -> None:
    """Issuing while Redis is unreachable is 503 problem+json with Retry-After."""
    assert (await outage.issue()).status_code == 201
    outage.valkey.stop()
    _assert_unavailable(await outage.issue())


async def test_next_is_503_while_redis_is_down(outage: Outage) -> None:
    """Calling while Redis is unreachable is 503 problem+json with Retry-After."""
    assert (await outage.issue()).status_code == 201
    outage.valkey.stop()
    response = await outage.client.post("/api/v1/sites/demo/counters/1/next", headers=outage.auth("agent"))
    _assert_unavailable(response)


async def test_readyz_is_503_while_redis_is_down(outage: Outage) -> None:
    """The readiness probe says which store is missing."""
    outage.valkey.stop()
    response = await outage.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] != "ok"


async def test_api_recovers_by_itself_when_redis_returns(outage: Outage) -> None:
    """Once Redis is back, issuing works again without a restart, the first ticket is still there,
    and the refused attempts took no number."""
    first = await outage.issue()
    assert first.status_code == 201
    outage.valkey.stop()
    for _ in range(3):
        _assert_unavailable(await outage.issue())
    outage.valkey.start()  # same data dir: the AOF brings the stream back

    async def issued() -> bool:
        response = await outage.issue()
        assert response.status_code in (201, 503), response.text
        return response.status_code == 201

    await eventually(issued)
    state = await outage.client.get("/api/v1/sites/demo/state", headers=outage.auth("display"))
    assert state.json()["services"][0]["waiting"] == 2
    again = await outage.client.get(f"{ISSUE}/{first.json()['id']}")
    assert again.status_code == 200
    assert again.json()["number"] == "A001"
    response = await outage.issue()
    assert response.json()["number"] == "A003"
    assert (await outage.client.get("/readyz")).status_code == 200


async def test_the_stream_keeps_what_was_acknowledged(outage: Outage) -> None:
    """After the restart, Redis itself still holds the ticket issued before the outage."""
    first = (await outage.issue()).json()
    outage.valkey.stop()
    url = outage.valkey.start()
    redis = Redis.from_url(url)
    try:
        events = await EventStore(redis, "outage:").read_all("demo")
    finally:
        await redis.aclose()
    assert [e.ticket_id for _, e in events if isinstance(e, TicketIssued)] == [first["id"]]


async def test_a_site_added_during_the_outage_is_503(outage: Outage, tmp_path: Path) -> None:
    """A site whose state cannot be loaded (created after start, first used while Redis is down)
    answers 503, for reads as for writes; sites loaded at start keep answering reads."""
    from queue_server.db.engine import make_engine, sessions
    from queue_server.db.tables import Site
    from queue_server.platform.tokens import create_token
    from queue_server.queue.tables import Counter, Service

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'guichet.sqlite3'}")
    async with sessions(engine)() as session:
        session.add(Site(id="annexe", tenant_id="demo", name="Annexe"))
        await session.flush()
        session.add(Service(site_id="annexe", id="etat-civil", name="État civil", prefix="A"))
        session.add(Counter(site_id="annexe", id="1", name="1", services=["etat-civil"]))
        await session.commit()
        _, token = await create_token(session, "annexe", "kiosk")
    await engine.dispose()
    outage.valkey.stop()
    headers = {"Authorization": f"Bearer {token}"}
    _assert_unavailable(await outage.client.get("/api/v1/sites/annexe/state", headers=headers))
    _assert_unavailable(await outage.client.post("/api/v1/sites/annexe/tickets", json={"service": "etat-civil"},
                                                 headers=headers))
    still = await outage.client.get("/api/v1/sites/demo/state", headers=outage.auth("display"))
    assert still.status_code == 200 and still.json()["site"] == "demo"

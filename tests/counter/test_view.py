"""The counter client's view against a real server: a board given the state at start, then only the live
feed's events, says after each action what ``GET /state`` says (zulip's rule: old state + new events ==
fresh state), and never needs to fetch it again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import anyio
import httpx
import pytest

from counter_client.board import Board, event_key
from queue_server.client import LiveFeedClient
from queue_server.queue.protocol import SnapshotView
from tests.counter.sites import TIMEOUT_S, Site

pytestmark = pytest.mark.anyio


class Follower:
    """A board at counter 1, fed by the live feed from the state read at start, as the client does."""

    def __init__(self, site: Site, http: httpx.AsyncClient) -> None:
        self.site, self.http = site, http
        self.board = Board(site.id, "1")
        self.feed: LiveFeedClient | None = None

    async def state(self) -> SnapshotView:
        answer = await self.http.get(f"/api/v1/sites/{self.site.id}/state")
        assert answer.status_code == 200, answer.text
        return cast(SnapshotView, answer.json())

    async def start(self) -> LiveFeedClient:
        self.board.take_snapshot(await self.state())
        assert self.board.snapshot is not None
        self.feed = LiveFeedClient(self.site.server.url, self.site.id, self.site.tokens["agent"], self.board.take_event,
                                   since=self.board.snapshot["last_event_id"])
        return self.feed

    async def agrees(self) -> None:
        """Waits for the feed to reach the server's state, then compares the board's view with it."""
        fresh = await self.state()
        with anyio.fail_after(TIMEOUT_S):
            while event_key(self.board.latest_event) < event_key(fresh["last_event_id"]):
                await anyio.sleep(0.01)
        assert self.board.snapshot == fresh  # estimates and positions too: the server's, folded
        assert not self.board.incomplete


@pytest.fixture
async def http(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=site.server.url, headers=site.auth(), timeout=TIMEOUT_S) as client:
        yield client


async def test_the_view_built_from_events_is_the_state(site: Site, http: httpx.AsyncClient) -> None:
    """Issues (one priority), calls at two counters, recall, start, finish, no-show, requeue, a transfer
    to the front with a note, a call out of turn, a cancellation, counters paused, closed and opened,
    a pause with its reason ended by a call, a display message and a printer's report: after each, the board
    fed by events equals GET /state."""
    follower = Follower(site, http)
    feed = await follower.start()
    base = f"/api/v1/sites/{site.id}"
    kiosk = site.auth("kiosk")

    async def issue(service: str, priority: bool = False) -> dict[str, Any]:
        answer = await http.post(f"{base}/tickets", json={"service": service, "priority": priority}, headers=kiosk)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def post(path: str, body: dict[str, Any] | None = None) -> Any:
        answer = await http.post(base + path, json=body)
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.content else None

    async def put(path: str, body: dict[str, Any], role: str) -> None:
        answer = await http.put(base + path, json=body, headers=site.auth(role))
        assert answer.status_code == 200, answer.text

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(feed.run)
        a1, a2, b1 = await issue("etat-civil"), await issue("etat-civil"), await issue("passeports")
        steps: list[Callable[[], Awaitable[Any]]] = [
            lambda: issue("etat-civil", priority=True),
            lambda: issue("urbanisme"),
            lambda: post("/counters/1/next", {"services": ["etat-civil"]}),  # the priority ticket, A003
            lambda: post("/counters/2/next", {"services": ["etat-civil"]}),  # A001
            lambda: post(f"/tickets/{a1['id']}/recall"),
            lambda: post(f"/tickets/{a1['id']}/start"),
            lambda: post(f"/tickets/{a1['id']}/finish"),
            lambda: post("/counters/2/next", {"services": ["etat-civil"]}),  # A002
            lambda: post(f"/tickets/{a2['id']}/no-show"),
            lambda: post(f"/tickets/{a2['id']}/requeue"),
            lambda: post(f"/tickets/{a2['id']}/call", {"counter": "2"}),
            lambda: post(f"/tickets/{a2['id']}/transfer", {"service": "passeports", "to_front": True,
                                                           "note": "missing photo"}),
            lambda: post(f"/tickets/{b1['id']}/cancel"),
            lambda: post("/counters/2/pause"),
            lambda: post("/counters/2/close"),
            lambda: post("/counters/2/open"),
            lambda: post("/counters/2/pause", {"reason": "meeting"}),
            lambda: post("/counters/2/next"),  # A002, first in passeports now; the call ends the pause and its reason
            lambda: put("/display/message", {"text": "Closing at noon"}, "supervisor"),
            lambda: put("/kiosks/self/printer", {"status": "paper_low"}, "kiosk"),
        ]
        await follower.agrees()
        for step in steps:
            await step()
            await follower.agrees()
        tasks.cancel_scope.cancel()
    assert feed.connections == 1

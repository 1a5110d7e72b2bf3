"""What the HTTP contract tests share: the demo site's API as a desk, and the shapes of API.md."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import httpx
from redis.asyncio import Redis

from tests.conftest import Stack

PROBLEM = "application/problem+json"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
STATUSES = {"waiting", "called", "serving", "done", "no_show", "cancelled"}
TICKET_FIELDS = {"id", "number", "service", "status", "priority", "position", "estimated_wait_s",
                 "counter", "issued_at", "called_at"}


async def eventually(probe: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
    """Waits until ``probe()`` is true, polling it; fails after ``timeout_s``."""
    with anyio.fail_after(timeout_s):
        while not await probe():
            await anyio.sleep(0.05)


@dataclass
class Clock:
    """The server's clock, set by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def assert_problem(response: httpx.Response, status: int, case: object = None) -> dict[str, Any]:
    """Checks that ``response`` is an RFC 9457 problem with ``status``; returns its body.

    ``case`` names the input in the failure message, for tests that try several."""
    assert response.status_code == status, (case, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), (case, response.headers)
    body = response.json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], body
    return body


def assert_ticket(ticket: dict[str, Any]) -> None:
    """Checks the Ticket shape of API.md: every field, with its type."""
    assert ticket.keys() >= TICKET_FIELDS, ticket
    assert isinstance(ticket["id"], str) and len(ticket["id"]) >= 16
    assert re.fullmatch(r"[A-Z]+\d{3,}", ticket["number"]), ticket["number"]
    assert isinstance(ticket["service"], str)
    assert ticket["status"] in STATUSES
    assert isinstance(ticket["priority"], bool)
    for key in ("position", "estimated_wait_s"):
        assert ticket[key] is None or (isinstance(ticket[key], int) and not isinstance(ticket[key], bool))
    assert ticket["counter"] is None or isinstance(ticket["counter"], str)
    assert ISO_UTC.match(ticket["issued_at"]), ticket["issued_at"]
    assert ticket["called_at"] is None or ISO_UTC.match(ticket["called_at"]), ticket["called_at"]


@dataclass
class Desk:
    """The demo site's API: issue tickets, call them, act on them (``role`` picks the token)."""

    client: httpx.AsyncClient
    stack: Stack
    site: str = "demo"

    @property
    def base(self) -> str:
        return f"/api/v1/sites/{self.site}"

    async def issue(self, service: str = "etat-civil", role: str = "kiosk", **body: Any) -> dict[str, Any]:
        """A new ticket (asserting the 201)."""
        response = await self.client.post(f"{self.base}/tickets", json={"service": service, **body},
                                          headers=self.stack.auth(role))
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def call_next(self, counter: str = "1", role: str = "agent", **kwargs: Any) -> httpx.Response:
        return await self.client.post(f"{self.base}/counters/{counter}/next", headers=self.stack.auth(role),
                                      **kwargs)

    async def called(self, counter: str = "1", services: list[str] | None = None) -> dict[str, Any]:
        """The ticket ``counter`` calls next, from ``services`` or all it serves (asserting the 200)."""
        response = await self.call_next(counter, json={"services": services} if services else None)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(self, ticket_id: str, action: str, role: str = "agent", **kwargs: Any) -> httpx.Response:
        """POST a ticket action: recall, start, finish, no-show, cancel, requeue, transfer, call."""
        return await self.client.post(f"{self.base}/tickets/{ticket_id}/{action}",
                                      headers=self.stack.auth(role), **kwargs)

    async def counter(self, counter: str, action: str, role: str = "agent") -> httpx.Response:
        """POST a counter action: open, pause, close."""
        return await self.client.post(f"{self.base}/counters/{counter}/{action}", headers=self.stack.auth(role))

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket as anyone holding its id sees it (no token)."""
        response = await self.client.get(f"{self.base}/tickets/{ticket_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def state(self, role: str = "display") -> dict[str, Any]:
        response = await self.client.get(f"{self.base}/state", headers=self.stack.auth(role))
        assert response.status_code == 200, response.text
        return dict(response.json())


async def visit_entries(stack: Stack, kind: str) -> dict[str, str]:
    """What the server keeps beside the log about visits (``kind``: ``phones`` or ``notes``), by ticket
    id, read straight from Redis (store/phones.py)."""
    redis = Redis.from_url(stack.settings.redis.url, decode_responses=True)
    try:
        keys = await redis.keys(f"{stack.settings.redis.key_prefix}*:{kind}:*")
        return {k: v for key in keys for k, v in (await redis.hgetall(key)).items()}
    finally:
        await redis.aclose()

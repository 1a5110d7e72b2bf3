"""A first end-to-end check over the ASGI app."""

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.anyio


async def test_issue_then_call_next(client: httpx.AsyncClient, stack: Stack) -> None:
    """A kiosk's ticket is the one counter 1 calls next."""
    issued = await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                               headers=stack.auth("kiosk"))
    assert issued.status_code == 201, issued.text
    assert issued.json()["number"] == "A001"
    called = await client.post("/api/v1/sites/demo/counters/1/next", headers=stack.auth("agent"))
    assert called.status_code == 200
    assert called.json()["id"] == issued.json()["id"]
    assert called.json()["status"] == "called"

"""PUT /api/v1/sites/{site}/display/message: supervisors set what the hall displays scroll, live."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_a_supervisor_sets_the_message_and_the_snapshot_has_it(client: httpx.AsyncClient, stack: Stack,
                                                                     desk: Desk) -> None:
    """The message set by a supervisor is in the site's state for every screen; "" takes it off."""
    answer = await client.put("/api/v1/sites/demo/display/message", json={"text": "Fermeture à 16 h aujourd'hui"},
                              headers=stack.auth("supervisor"))
    assert answer.status_code == 200 and answer.json() == {"text": "Fermeture à 16 h aujourd'hui"}
    assert (await desk.state("display"))["message"] == "Fermeture à 16 h aujourd'hui"
    cleared = await client.put("/api/v1/sites/demo/display/message", json={"text": ""},
                               headers=stack.auth("admin"))
    assert cleared.json() == {"text": ""}
    assert (await desk.state("display"))["message"] == ""


async def test_agents_and_screens_may_not_set_the_message(client: httpx.AsyncClient, stack: Stack) -> None:
    """Only supervisors and admins write on the displays."""
    for role in ("agent", "display", "kiosk"):
        answer = await client.put("/api/v1/sites/demo/display/message", json={"text": "Hello"},
                                  headers=stack.auth(role))
        assert_problem(answer, 403, role)


async def test_a_message_too_long_is_refused_plainly(client: httpx.AsyncClient, stack: Stack) -> None:
    """Beyond 280 characters: 422, and the message does not change."""
    answer = await client.put("/api/v1/sites/demo/display/message", json={"text": "x" * 281},
                              headers=stack.auth("supervisor"))
    assert "280" in assert_problem(answer, 422)["detail"]
    assert_problem(await client.put("/api/v1/sites/demo/display/message", json={"message": "hi"},
                                    headers=stack.auth("supervisor")), 422)

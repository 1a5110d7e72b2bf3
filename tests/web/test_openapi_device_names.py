"""A device's name in a pairing body is taken exactly when its schema in /openapi.json says so, on every storage
backend (PostgreSQL's text holds no NUL: a name the schema takes must not be a 500 there)."""

from __future__ import annotations

import httpx
import jsonschema_rs
import pytest

from tests.conftest import Stack
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio

# Five names to take at most: /api/v1/pair takes 10 codes a minute from one address.
NAMES = ["", "Entrée, hall B", "🎫 borne 2", "é" * 200, "bidi\u202e\u00a0ok", "é" * 201, "nul\x00byte", "tab\there",
         "line\nbreak", "del\x7f", "c1\x85"]


async def test_a_device_name_is_taken_when_its_schema_says_so(client: httpx.AsyncClient, stack: Stack) -> None:
    """Each name the PairingBody schema takes gives a pairing code whose device gets that name (201, 201); each
    other is a 422."""
    document = (await client.get("/openapi.json")).json()
    schema = jsonschema_rs.validator_for(document["components"]["schemas"]["PairingBody"])
    taken = 0
    for name in NAMES:
        body = {"role": "display", "name": name}
        answer = await client.post("/api/v1/sites/demo/pairings", json=body, headers=stack.auth("admin"))
        if not schema.is_valid(body):
            assert_problem(answer, 422, name)
            continue
        assert answer.status_code == 201, (name, answer.text)
        paired = await client.post("/api/v1/pair", json={"code": answer.json()["code"]})
        assert paired.status_code == 201, (name, paired.text)
        devices = await client.get("/api/v1/sites/demo/devices", headers=stack.auth("admin"))
        [device] = [d for d in devices.json() if d["id"] == paired.json()["token_id"]]
        assert device["name"] == name
        taken += 1
    assert 0 < taken < len(NAMES)

"""Schemathesis against the app's own ``/openapi.json``: every operation, positive and negative inputs.

The app runs in the test's event loop with its lifespan (like the ``client`` fixture); Hypothesis runs
in a worker thread and sends each case back to the loop, over ``httpx.ASGITransport``. Cases are steered
towards the demo site (its id, its tickets, counters and services) and carry a token of a varied role,
so that most get past routing and authentication instead of all being 404s.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from queue_server.web.openapi import openapi_document
from tests.conftest import Stack

pytestmark = pytest.mark.anyio

EXAMPLES = 100  # per operation and per generation mode (positive, then negative)
BASE_URL = "http://testserver"
SERVICES = ("etat-civil", "passeports", "urbanisme")
COUNTERS = ("1", "2", "3", "4")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Mostly roles that may do everything; sometimes one that is refused (403), none or a bad one (401).
ROLES = ("admin", "admin", "agent", "agent", "supervisor", "kiosk", "display", None, "not-a-token")
OPERATIONS = [result.ok().label for result in schemathesis.openapi.from_dict(openapi_document()).get_all_operations()]


@dataclass
class Fuzzed:
    """The running app, the schema it serves, and real ids of the demo site for cases to aim at."""

    http: httpx.AsyncClient
    stack: Stack
    schema: Any
    tickets: list[str]

    def operation(self, label: str) -> APIOperation:
        for result in self.schema.get_all_operations():
            if result.ok().label == label:
                return result.ok()  # type: ignore[no-any-return]
        raise LookupError(f"{label} is not in /openapi.json")


@pytest.fixture
async def fuzzed(stack: Stack) -> AsyncIterator[Fuzzed]:
    """The app with its lifespan, its schema loaded from ``/openapi.json``, and tickets in every state."""
    from queue_server.web.app import create_app

    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            served = await http.get("/openapi.json")
            assert served.status_code == 200, served.text
            schema = schemathesis.openapi.from_dict(served.json())
            tickets = []
            for n in range(12):
                issued = await http.post("/api/v1/sites/demo/tickets", json={"service": SERVICES[n % 3]},
                                         headers=stack.auth("admin"))
                assert issued.status_code == 201, issued.text
                tickets.append(issued.json()["id"])
            for counter, actions in (("1", ()), ("2", ("start",)), ("3", ("start", "finish")), ("4", ("no-show",))):
                called = await http.post(f"/api/v1/sites/demo/counters/{counter}/next", headers=stack.auth("agent"))
                assert called.status_code == 200, called.text
                for action in actions:
                    done = await http.post(f"/api/v1/sites/demo/tickets/{called.json()['id']}/{action}",
                                           headers=stack.auth("agent"))
                    assert done.status_code == 200, done.text
            yield Fuzzed(http, stack, schema, tickets)


def _aimed(case: Case, draw: st.DrawFn, tickets: list[str]) -> Case:
    """``case`` with, often, the demo site and real tickets, counters and services in place of random ones."""
    params = case.path_parameters
    if params:
        if "site" in params and draw(st.integers(0, 3)):
            params["site"] = "demo"
        if "ticket_id" in params and draw(st.integers(0, 3)):
            params["ticket_id"] = draw(st.sampled_from(tickets))
        if "counter" in params and draw(st.integers(0, 3)):
            params["counter"] = draw(st.sampled_from(COUNTERS))
    body = case.body
    if isinstance(body, dict) and draw(st.booleans()):
        if isinstance(body.get("service"), str):
            body["service"] = draw(st.sampled_from(SERVICES))
        if isinstance(body.get("counter"), str):
            body["counter"] = draw(st.sampled_from(COUNTERS))
        if isinstance(body.get("services"), list):
            body["services"] = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3))
    return case


def _request(case: Case, stack: Stack, role: str | None) -> dict[str, Any]:
    """The keyword arguments of ``httpx.AsyncClient.request`` for ``case`` (schemathesis gives requests')."""
    auth = {} if role is None else {"Authorization": f"Bearer {stack.tokens.get(role, role)}"}
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=auth)
    headers = {k: v.encode("latin-1") if isinstance(v, str) else v for k, v in dict(kwargs["headers"]).items()}
    request: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"], "headers": headers,
                               "params": kwargs.get("params") or None}
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data.encode() if isinstance(data, str) else data
    assert not kwargs.get("cookies") and not kwargs.get("files"), kwargs
    return request


def _fuzz(fuzzed: Fuzzed, operation: APIOperation, mode: GenerationMode) -> int:
    """Runs ``EXAMPLES`` cases of ``operation`` in ``mode`` (in a worker thread); returns how many were sent."""
    sent = 0

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[Case, str | None]:
        case = _aimed(draw(operation.as_strategy(mode)), draw, fuzzed.tickets)
        return case, draw(st.sampled_from(ROLES))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(drawn=cases())
    def run(drawn: tuple[Case, str | None]) -> None:
        nonlocal sent
        case, role = drawn
        request = _request(case, fuzzed.stack, role)
        response = anyio.from_thread.run(lambda: fuzzed.http.request(**request))
        sent += 1
        case.validate_response(response, checks=CHECKS, headers=request["headers"])

    run()
    return sent


@pytest.mark.parametrize("label", OPERATIONS)
async def test_operation_conforms_to_its_schema(fuzzed: Fuzzed, label: str) -> None:
    """Hundreds of generated requests to the operation never get a 5xx nor an answer its schema does not document."""
    operation = fuzzed.operation(label)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        sent = await anyio.to_thread.run_sync(_fuzz, fuzzed, operation, mode)
        assert sent >= EXAMPLES, (label, mode, sent)


async def test_every_endpoint_is_fuzzed(fuzzed: Fuzzed) -> None:
    """The served /openapi.json describes exactly the operations this module fuzzes."""
    served = [result.ok().label for result in fuzzed.schema.get_all_operations()]
    assert sorted(served) == sorted(OPERATIONS)
    assert len(served) >= 17

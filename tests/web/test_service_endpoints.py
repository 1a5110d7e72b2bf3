"""/healthz, /readyz and /openapi.json, and answers that match the OpenAPI document's schemas."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

# The queue's commands run in the store's Lua scripts, the same on Valkey and on Redis, and read the configuration SQL
# holds: one stack is enough here (the SQL paths run on both stacks in test_config_api, test_reports, tests/crm...).
pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

JSON_ENDPOINTS = {
    "/api/v1/sites/{site}/tickets": {"post"},
    "/api/v1/sites/{site}/tickets/{ticket_id}": {"get"},
    "/api/v1/sites/{site}/counters/{counter}/next": {"post"},
    **{f"/api/v1/sites/{{site}}/tickets/{{ticket_id}}/{action}": {"post"}
       for action in ("recall", "start", "finish", "no-show", "cancel", "requeue", "transfer", "call")},
    **{f"/api/v1/sites/{{site}}/counters/{{counter}}/{action}": {"post"} for action in ("open", "pause", "close")},
    "/api/v1/sites/{site}/state": {"get"},
    "/healthz": {"get"},
    "/readyz": {"get"},
}


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _check(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """Validates ``response`` against the schema the document declares for its path and status."""
    declared = document["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, (path, response.status_code)
    media = response.headers["content-type"].split(";")[0]
    schema = declared[str(response.status_code)]["content"][media]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not errors, errors


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    """The liveness probe answers 200 {"status": "ok"}."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_redis_and_database_answer(client: httpx.AsyncClient) -> None:
    """The readiness probe answers 200 once both stores answer."""
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text


async def test_openapi_is_3_1(client: httpx.AsyncClient) -> None:
    """The document declares OpenAPI 3.1 and a bearer security scheme."""
    document = await _document(client)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_openapi_lists_every_json_endpoint(client: httpx.AsyncClient) -> None:
    """Every endpoint of API.md (and the extra ones) is described with its methods."""
    paths = (await _document(client))["paths"]
    for path, methods in JSON_ENDPOINTS.items():
        assert path in paths, path
        assert methods <= paths[path].keys(), path


async def test_openapi_schemas_are_complete(client: httpx.AsyncClient) -> None:
    """Every ``$ref`` points to a schema of the document, and each schema is valid JSON Schema."""
    document = await _document(client)
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    assert {"Ticket", "Snapshot", "Problem"} <= schemas.keys()


async def test_openapi_describes_the_bodies(client: httpx.AsyncClient) -> None:
    """Issue, next, transfer and call declare their request bodies."""
    paths = (await _document(client))["paths"]
    for path in ("/api/v1/sites/{site}/tickets", "/api/v1/sites/{site}/counters/{counter}/next",
                 "/api/v1/sites/{site}/tickets/{ticket_id}/transfer", "/api/v1/sites/{site}/tickets/{ticket_id}/call"):
        assert "application/json" in paths[path]["post"]["requestBody"]["content"], path


async def test_real_answers_match_the_document(client: httpx.AsyncClient, desk: Desk) -> None:
    """Tickets, the snapshot, counters and problems as served validate against their declared schemas."""
    document = await _document(client)
    ticket_path = "/api/v1/sites/{site}/tickets/{ticket_id}"
    response = await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                                 headers=desk.stack.auth("kiosk"))
    _check(document, "/api/v1/sites/{site}/tickets", "post", response)
    _check(document, ticket_path, "get", await client.get(f"/api/v1/sites/demo/tickets/{response.json()['id']}"))
    called = await desk.call_next()
    _check(document, "/api/v1/sites/{site}/counters/{counter}/next", "post", called)
    _check(document, ticket_path + "/recall", "post", await desk.act(called.json()["id"], "recall"))
    _check(document, "/api/v1/sites/{site}/counters/{counter}/pause", "post", await desk.counter("1", "pause"))
    _check(document, "/api/v1/sites/{site}/state", "get", await client.get(
        "/api/v1/sites/demo/state", headers=desk.stack.auth("display")))
    _check(document, ticket_path + "/finish", "post", await desk.act(called.json()["id"], "finish"))
    _check(document, "/api/v1/sites/{site}/tickets", "post", await client.post(
        "/api/v1/sites/demo/tickets", json={"service": "piscine"}, headers=desk.stack.auth("kiosk")))
    _check(document, "/api/v1/sites/{site}/tickets", "post", await client.post(
        "/api/v1/sites/demo/tickets", json={}, headers=desk.stack.auth("kiosk")))


async def test_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    """A path that names no endpoint is a problem too."""
    assert_problem(await client.get("/api/v1/nothing-here"), 404)


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient, desk: Desk) -> None:
    """A known path with the wrong method is 405, with Allow."""
    response = await client.delete("/api/v1/sites/demo/state", headers=desk.stack.auth("admin"))
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_every_api_route_of_the_app_is_documented(client: httpx.AsyncClient, stack: Stack) -> None:
    """No JSON endpoint escapes the document: each /api/ route of the app, with each method, is in it."""
    from starlette.routing import Route

    from queue_server.web.app import create_app

    paths = (await _document(client))["paths"]
    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):  # the modules' routes are made there
        routes = [r for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/")]
    assert len(routes) > 20
    for route in routes:
        path = re.sub(r":[a-z_]+}", "}", route.path)  # {appointment:appointment_id}: a convertor the path keeps
        assert path in paths, path
        assert {m.lower() for m in route.methods or ()} - {"head"} <= paths[path].keys(), path

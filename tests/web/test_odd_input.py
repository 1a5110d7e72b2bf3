"""Bad input of every kind is a 4xx problem, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Stack
from tests.web.support import PROBLEM, Desk, assert_problem

pytestmark = pytest.mark.anyio

LONG = "x" * 1000
ODD = [LONG, "démo", "🎫-A001", "tab\there", "nul\x00byte", "%00", "..", "a/b", "a\\b", " ", "'; DROP TABLE sites; --",
       "\u202eevil", "\ud7ff", "\ufeff"]


def _segment(value: str) -> str:
    """``value`` as one encoded path segment (slashes included)."""
    return quote(value, safe="")


def _requests(site: str, ticket: str, counter: str) -> list[tuple[str, str, dict[str, object] | None]]:
    base = f"/api/v1/sites/{site}"
    out: list[tuple[str, str, dict[str, object] | None]] = [
        ("POST", f"{base}/tickets", {"service": "etat-civil"}),
        ("GET", f"{base}/tickets/{ticket}", None),
        ("POST", f"{base}/counters/{counter}/next", None),
        ("POST", f"{base}/counters/{counter}/open", None),
        ("POST", f"{base}/tickets/{ticket}/transfer", {"service": "passeports"}),
        ("POST", f"{base}/tickets/{ticket}/call", {"counter": "1"}),
        ("GET", f"{base}/state", None),
    ]
    out += [("POST", f"{base}/tickets/{ticket}/{a}", None) for a in ("recall", "start", "finish", "no-show", "cancel")]
    return out


def _assert_refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.request.url, response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.request.url


async def _send(client: httpx.AsyncClient, stack: Stack, method: str, url: str,
                body: dict[str, object] | None) -> httpx.Response:
    return await client.request(method, url, json=body, headers=stack.auth("admin"))


async def test_odd_site_ids_are_refused(client: httpx.AsyncClient, stack: Stack) -> None:
    """Long, unicode, control or slash-laden site ids are refused on every endpoint, never 500."""
    for value in ODD:
        for method, url, body in _requests(_segment(value), "Zm9vYmFyYmF6cXV4cXV1eA", "1"):
            _assert_refused(await _send(client, stack, method, url, body))


async def test_odd_ticket_ids_are_refused(client: httpx.AsyncClient, stack: Stack) -> None:
    """Long, unicode, control or slash-laden ticket ids are refused on every endpoint, never 500."""
    for value in ODD:
        for method, url, body in _requests("demo", _segment(value), "1"):
            if "/tickets/" in url:
                _assert_refused(await _send(client, stack, method, url, body))


async def test_odd_counter_ids_are_refused(client: httpx.AsyncClient, stack: Stack) -> None:
    """Long, unicode, control or slash-laden counter ids are refused on every endpoint, never 500."""
    for value in ODD:
        for method, url, body in _requests("demo", "Zm9vYmFyYmF6cXV4cXV1eA", _segment(value)):
            if "/counters/" in url:
                _assert_refused(await _send(client, stack, method, url, body))


async def test_long_path_parameters_are_404(client: httpx.AsyncClient, stack: Stack, desk: Desk) -> None:
    """A 1,000-character site, ticket or counter is simply not found."""
    issued = await desk.issue()
    for url in (f"/api/v1/sites/{LONG}/state", f"/api/v1/sites/demo/tickets/{LONG}",
                f"/api/v1/sites/demo/tickets/{issued['id']}{LONG}"):
        assert_problem(await client.get(url, headers=stack.auth("admin")), 404)
    assert_problem(await desk.call_next(LONG), 404)
    assert_problem(await desk.act(LONG, "cancel"), 404)


async def test_an_encoded_slash_does_not_reach_another_endpoint(client: httpx.AsyncClient, desk: Desk) -> None:
    """``{id}%2Fcancel`` on GET is no ticket, and cancels nothing."""
    issued = await desk.issue()
    response = await client.get(f"/api/v1/sites/demo/tickets/{issued['id']}%2Fcancel")
    _assert_refused(response)
    assert (await desk.ticket(issued["id"]))["status"] == "waiting"


async def test_empty_body_where_one_is_needed_is_400(desk: Desk) -> None:
    """Endpoints that need a body answer 400 to an empty or blank one."""
    issued = await desk.issue()
    for path in ("tickets", f"tickets/{issued['id']}/transfer", f"tickets/{issued['id']}/call"):
        for content in (b"", b" \r\n\t"):
            response = await desk.client.post(f"/api/v1/sites/demo/{path}", content=content,
                                              headers=desk.stack.auth("agent"))
            assert_problem(response, 400, (path, content))


HUGE = [
    b'{"service": "' + b"x" * 2_000_000 + b'"}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"service": "etat-civil", "pad": "' + b"\x00" * 200_000 + b'"}',
    b" " * 3_000_000,
    b'{"service": "etat-civil"}' + b" " * 100_000,
]


async def test_huge_bodies_are_refused(client: httpx.AsyncClient, stack: Stack) -> None:
    """Huge strings, deep nesting or megabytes of padding are refused with a 4xx problem, and issue nothing."""
    for content in HUGE:
        response = await client.post("/api/v1/sites/demo/tickets", content=content,
                                     headers={**stack.auth("kiosk"), "Content-Type": "application/json"})
        _assert_refused(response)
    state = await client.get("/api/v1/sites/demo/state", headers=stack.auth("display"))
    assert all(s["waiting"] == 0 for s in state.json()["services"])


async def test_huge_body_is_413(client: httpx.AsyncClient, stack: Stack) -> None:
    """A body far beyond any real request is 413 Content Too Large."""
    response = await client.post("/api/v1/sites/demo/tickets", content=b"{" + b" " * 2_000_000 + b"}",
                                 headers={**stack.auth("kiosk"), "Content-Type": "application/json"})
    assert_problem(response, 413)


ODD_FIELDS: list[dict[str, object]] = [
    {"service": "etat-civil\x00"},
    {"service": "é" * 1_000},
    {"service": "etat-civil", "lang": "fr\nen"},
    {"service": {"$gt": ""}},
    {"service": None},
    {"service": "etat-civil", "priority": 10**30},
    {"service": "etat-civil", "priority": None},
]


async def test_odd_field_values_are_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """Control characters, long strings, objects, huge numbers and nulls in fields are invalid."""
    for body in ODD_FIELDS:
        response = await client.post("/api/v1/sites/demo/tickets", json=body, headers=stack.auth("kiosk"))
        assert_problem(response, 422, str(body)[:60])


async def test_json_oddities_are_400_or_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """NaN, duplicate keys, lone surrogates and a BOM are refused as 400 or 422."""
    for content in (b"NaN", b'{"service": NaN}', b'{"service": "a", "service": 1}', b'{"service": "\\ud800"}',
                    b"\xef\xbb\xbf{}"):
        response = await client.post("/api/v1/sites/demo/tickets", content=content,
                                     headers={**stack.auth("kiosk"), "Content-Type": "application/json"})
        assert response.status_code in (400, 422), (content, response.text)
        _assert_refused(response)


async def test_bad_idempotency_keys_are_422(client: httpx.AsyncClient, stack: Stack) -> None:
    """A key that is too long (300 characters), empty or has control characters is invalid."""
    for key in ("k" * 300, "", "tab\tkey", "bell\x07"):
        response = await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                                     headers=[(b"Authorization", stack.auth("kiosk")["Authorization"].encode()),
                                              (b"Idempotency-Key", key.encode())])
        assert_problem(response, 422, key[:20])


async def test_odd_authorization_headers_are_401(client: httpx.AsyncClient) -> None:
    """Undecodable or odd credentials are 401."""
    for value in (b"Bearer \xff\xfe", b"Bearer " + "é".encode(), b"Bearer a\tb", b"\x00", b"Bearer  gq_x "):
        response = await client.get("/api/v1/sites/demo/state", headers=[(b"Authorization", value)])
        assert_problem(response, 401, value)

"""Every path of /openapi.json answers a method it does not document with 405, whose ``Allow`` lists exactly the
methods the document gives the path (HEAD with GET, as HTTP wants)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.checks import allow_header_conformance
from schemathesis.core.failures import FailureGroup

from tests.web.support import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Path parameters: any plausible value does, the router decides on the path's shape alone.
VALUES = {"site": "demo", "ticket_id": "AAAAAAAAAAAAAAAAAAAAAA", "counter": "1", "device": "1",
          "service": "etat-civil", "tenant": "demo", "party": "1", "duplicate": "1", "sector": "social",
          "motif": "passeport", "appointment": "AAAAAAAAAAAAAAAAAAAAAA", "check": "AAAAAAAAAAAAAAAAAAAAAA",
          "entry": "1", "request": "AAAAAAAAAAAAAAAAAAAAAA", "category": "voirie", "template": "1",
          "call": "AAAAAAAAAAAAAAAAAAAAAA", "callback": "1",
          "sheet": "AAAAAAAAAAAAAAAA", "version": "1", "token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "campaign": "A"}


def _documented(item: dict[str, Any]) -> set[str]:
    methods = {m.upper() for m in item if m.upper() in METHODS}
    return methods | ({"HEAD"} if "GET" in methods else set())


async def test_a_405_lists_every_method_of_its_path(client: httpx.AsyncClient) -> None:
    """For each path of the document and each method it lacks: 405, a problem, ``Allow`` the documented methods."""
    document = (await client.get("/openapi.json")).json()
    probed = 0
    for path, item in document["paths"].items():
        url = re.sub(r"\{(\w+)\}", lambda m: VALUES[m.group(1)], path)
        allowed = _documented(item)
        for method in sorted(set(METHODS) - allowed):
            answer = await client.request(method, url)
            assert answer.status_code == 405, (method, path, answer.text)
            if method != "HEAD":  # no body to a HEAD
                assert_problem(answer, 405, (method, path))
            assert {m.strip() for m in answer.headers["allow"].split(",")} == allowed, (method, path)
            probed += 1
    assert probed > 5 * len(document["paths"])


async def test_schemathesis_finds_allow_conformant_on_every_path(client: httpx.AsyncClient) -> None:
    """Schemathesis's own check (allow_header_conformance, on OPTIONS, which no path takes) agrees: ``Allow``
    names every documented method of the path and no other."""
    schema = schemathesis.openapi.from_dict((await client.get("/openapi.json")).json())
    checked = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in checked:
            continue
        params = {name: VALUES[name] for name in re.findall(r"\{(\w+)\}", operation.path)}
        answer = await client.options(operation.path.format(**params))
        assert answer.status_code == 405, (operation.path, answer.text)
        try:
            operation.Case(path_parameters=params).validate_response(answer, checks=[allow_header_conformance])
        except FailureGroup as found:  # an exception group: said plainly, not through the app's task group
            pytest.fail(f"{operation.path}: {found}", pytrace=False)
        checked.add(operation.path)
    assert len(checked) == len(schema.raw_schema["paths"])

"""``GET /a/{id}/qr.svg`` over HTTP: the QR code of an appointment's code, for its confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from xml.etree import ElementTree

import httpx
import pytest

from queue_server.booking.web.qr import code_svg
from tests.booking.test_api import ANNE, PASSEPORT, SITE, Clock
from tests.conftest import Stack

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    app = create_app(stack.settings, clock=Clock())
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        answer = await client.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield client


async def test_an_appointment_has_the_qr_code_of_its_code_and_an_unknown_id_has_none(http: httpx.AsyncClient) -> None:
    """A known id gives an SVG image, never stored by caches, of the QR code of the appointment's code alone; an
    unknown id is a 404."""
    booked = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": "2027-01-11T09:10:00Z",
                                                           "person": ANNE})
    assert booked.status_code == 201, booked.text
    answer = await http.get(f"/a/{booked.json()['id']}/qr.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.headers["cache-control"] == "no-store"
    assert ElementTree.fromstring(answer.content).tag == "{http://www.w3.org/2000/svg}svg"
    assert answer.content == code_svg(booked.json()["code"])  # the code, not a URL
    missing = await http.get("/a/no-such-appointment/qr.svg")
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("unknown-appointment")

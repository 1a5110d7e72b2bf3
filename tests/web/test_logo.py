"""The site's logo (GET /sites/{site}/logo, the snapshot's ``logo``) and what the snapshot tells of
each service for the kiosk's buttons and printed tickets."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from PIL import Image

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.sites import set_logo
from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

pytestmark = pytest.mark.anyio
CACHE_FOR_GOOD = "public, max-age=31536000, immutable"


def png() -> bytes:
    """A small PNG made here, as an operator's logo file would be."""
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (0, 70, 160)).save(out, "PNG")
    return out.getvalue()


async def give_logo(stack: Stack, data: bytes) -> str:
    """Make ``data`` the demo site's logo in SQL, as ``queue-server site logo`` does; its version."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            version = await set_logo(session, "demo", data, "image/png")
            await session.commit()
            return version
    finally:
        await engine.dispose()


@asynccontextmanager
async def new_app(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A server process started after the change (each process keeps the configuration it loaded)."""
    from queue_server.web.app import create_app

    app = create_app(stack.settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://testserver") as http:
        yield http


async def test_a_site_without_a_logo_names_none_and_serves_none(desk: Desk, client: httpx.AsyncClient) -> None:
    """Without a logo, the snapshot's ``logo`` is null and the logo's address is a 404 problem."""
    assert (await desk.state())["logo"] is None
    assert_problem(await client.get("/sites/demo/logo"), 404)


async def test_a_new_logo_is_named_by_a_new_servers_snapshot_and_served_for_good(stack: Stack) -> None:
    """After ``set_logo``, a server started afterwards names the logo by its version in the snapshot,
    and serves those bytes as image/png, cacheable for good at that versioned address."""
    data = png()
    version = await give_logo(stack, data)
    async with new_app(stack) as http:
        snapshot = (await http.get("/api/v1/sites/demo/state", headers=stack.auth("kiosk"))).json()
        assert snapshot["logo"] == f"/sites/demo/logo?v={version}"
        served = await http.get(snapshot["logo"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == CACHE_FOR_GOOD


async def test_a_logo_asked_without_its_version_is_revalidated(stack: Stack) -> None:
    """Without ``?v=``, or with another version than the logo's, the logo is served but not kept."""
    await give_logo(stack, png())
    async with new_app(stack) as http:
        for address in ("/sites/demo/logo", "/sites/demo/logo?v=000000000000"):
            served = await http.get(address)
            assert served.status_code == 200 and served.headers["cache-control"] == "no-cache", address


async def test_an_unknown_site_has_no_logo(client: httpx.AsyncClient) -> None:
    """A site that does not exist, or an id no site could have, is a 404 problem."""
    for site in ("nowhere", "x" * 65):
        assert_problem(await client.get(f"/sites/{site}/logo"), 404, site)


async def test_the_snapshot_tells_what_the_kiosk_shows_and_tickets_print(desk: Desk) -> None:
    """Each service of the snapshot carries its description, icon and ticket message (the demo's
    passports service asks for the old document and a photo)."""
    services = {s["id"]: s for s in (await desk.state())["services"]}
    assert services["passeports"]["description"] == "Dépôt et retrait des titres"
    assert services["passeports"]["icon"] == "passport"
    assert services["passeports"]["ticket_message"] == "Munissez-vous de votre ancien titre et d'une photo d'identité."
    assert services["etat-civil"]["ticket_message"] == ""

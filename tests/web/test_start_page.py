"""The start page tells a newcomer what exists and how to try it."""

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_start_page_lists_the_demo_site_its_services_and_how_to_call(client: httpx.AsyncClient) -> None:
    """The start page names the demo site, its services and counters, and shows a curl to issue a ticket."""
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "demo" in html and "etat-civil" in html and "passeports" in html and "urbanisme" in html
    assert "/api/v1/sites/demo/tickets" in html and "/ws/sites/" in html
    assert '<html lang="en">' in html


async def test_the_start_page_links_every_page(client: httpx.AsyncClient) -> None:
    """A newcomer finds every page from the start page, the device pages with the demo tokens."""
    html = (await client.get("/")).text
    for page in ('href="/counter"', 'href="/supervisor"', 'href="/admin"', "/kiosk?token=", "/display?token="):
        assert page in html, page

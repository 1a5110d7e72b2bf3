"""The hall display's idle screen on the server: what ``GET /display/screen/{site}`` tells a display, which files
may be shown (judged by their content), and how the images are served."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import httpx
import pytest
from PIL import Image

from queue_server.db.engine import make_engine, sessions
from queue_server.queue.display_screen import MAX_IMAGE_BYTES, BadImage, check_image
from queue_server.queue.domain.config import Calendar, Closure, SiteConfig
from queue_server.queue.tables import DisplayImage
from queue_server.queue.web.display import today_hours
from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio


def picture(kind: str, size: tuple[int, int] = (160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 40)).save(out, kind)
    return out.getvalue()


async def test_a_display_learns_the_sites_language_and_todays_hours(client: httpx.AsyncClient, stack: Stack,
                                                                     neighbours: Neighbours) -> None:
    """The demo site speaks French first (English once an administrator puts it first) and is open all day; the
    screen needs a token of the site."""
    answer = await client.get("/display/screen/demo", headers=stack.auth("display"))
    assert answer.status_code == 200, answer.text
    screen = answer.json()
    assert screen["lang"] == "fr"
    assert screen["today"]["closed"] is None and screen["today"]["spans"] == [["00:00", "24:00"]]
    assert screen["message"] == "" and screen["images"] == []
    assert_problem(await client.get("/display/screen/demo"), 401)
    assert (await client.get("/display/screen/demo", headers=neighbours.auth("ailleurs", "kiosk"))).status_code == 404
    changed = await client.put("/api/v1/sites/demo", json={"languages": ["en", "fr"]}, headers=stack.auth("admin"))
    assert changed.status_code == 200, changed.text
    assert (await client.get("/display/screen/demo", headers=stack.auth("display"))).json()["lang"] == "en"


def test_todays_hours_are_the_sites_on_its_wall_clock_and_a_closure_says_why() -> None:
    """A Monday at 23:30 UTC is Tuesday in Paris: Tuesday's two ranges; on a closure day, its reason and no range."""
    week = {1: ((510, 720), (810, 1440))}  # Tuesday: 08:30-12:00, 13:30-24:00
    config = SiteConfig(id="s", name="Mairie", tenant="t", timezone="Europe/Paris",
                        calendar=Calendar(weekly=week, closures=(Closure(date(2026, 12, 15), date(2026, 12, 15),
                                                                         "Inventaire"),)))
    assert today_hours(config, datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) == {
        "day": "2026-12-08", "closed": None, "spans": [["08:30", "12:00"], ["13:30", "24:00"]]}
    assert today_hours(config, datetime(2026, 12, 15, 9, 0, tzinfo=UTC)) == {
        "day": "2026-12-15", "closed": "Inventaire", "spans": []}


def test_only_png_and_jpeg_images_within_the_limits_are_taken_by_their_content() -> None:
    """A PNG and a JPEG pass; a GIF, a text named like an image and a file over the cap are refused, each
    saying why."""
    assert check_image(picture("PNG")) == "image/png"
    assert check_image(picture("JPEG")) == "image/jpeg"
    for data, reason in ((picture("GIF"), "wrong-type"), (b"<svg>not a picture</svg>", "not-an-image"),
                         (b"\x89PNG" + bytes(MAX_IMAGE_BYTES), "too-heavy"),
                         (picture("PNG", (5000, 10)), "too-large")):
        with pytest.raises(BadImage) as refused:
            check_image(data)
        assert refused.value.reason == reason


async def test_an_image_is_served_to_anyone_for_good_and_an_unknown_one_is_a_404(client: httpx.AsyncClient,
                                                                                  stack: Stack) -> None:
    """The slideshow's images are public (the hall shows them) and never change under their address."""
    data = picture("PNG")
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add(DisplayImage(site_id="demo", id="0123456789abcdef", content_type="image/png", data=data))
            await session.commit()
    finally:
        await engine.dispose()
    answer = await client.get("/display/images/demo/0123456789abcdef")
    assert answer.status_code == 200 and answer.content == data
    assert answer.headers["content-type"] == "image/png"
    assert "immutable" in answer.headers["cache-control"]
    assert (await client.get("/display/screen/demo", headers=stack.auth("display"))).json()["images"] == [
        "/display/images/demo/0123456789abcdef"]
    assert_problem(await client.get("/display/images/demo/fedcba9876543210"), 404)
    assert_problem(await client.get("/display/images/demo/..%2F..%2Fetc"), 404)

"""Browser tests: Debian's chromium driven by Playwright (sync API: these tests run no event loop of
their own) against a real `queue-server serve` process with the demo site.

Chromium comes from Debian's package (`apt-get install chromium`; .ci/run installs it); Playwright
never downloads a browser here. Without chromium these tests fail, they are not skipped: the kiosk
is not tested without them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.repo import create_token
from queue_server.db.seed import seed_demo
from queue_server.settings import load_settings
from tests.system.servers import ServerProcess, free_port, server

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/lib/chromium/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required"]
ROLES = ("kiosk", "display", "agent", "supervisor", "admin")


@dataclass
class Hall:
    """A running server with the demo site, its tokens, and how to restart it on the same port."""

    data_dir: Path
    port: int
    tokens: dict[str, str]
    process: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def api(self, method: str, path: str, role: str = "agent", **kwargs: object) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=self.auth(role), timeout=10, **kwargs)  # type: ignore[arg-type]


async def _seed(data_dir: Path) -> dict[str, str]:
    settings = load_settings(server={"data_dir": data_dir})
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with sessions(engine)() as session:
            await seed_demo(session)
            return {role: (await create_token(session, "demo", role, f"test {role}"))[1] for role in ROLES}
    finally:
        await engine.dispose()


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    """A fresh demo server per test (each test's queue starts empty, at A001)."""
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        tokens = pool.submit(asyncio.run, _seed(tmp_path)).result()
    hall = Hall(tmp_path, free_port(), tokens)
    with server(tmp_path, port=hall.port, env={"QUEUE_KIOSK_IDLE_S": "4"}) as process:
        hall.process = process
        yield hall


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Per test, not per session: Playwright's sync API keeps an event loop running in this thread
    while it lives, and the async tests that run next in the same process need the thread's loop free."""
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        found = shutil.which("chromium")
        raise RuntimeError(f"Debian's chromium is missing ({CHROMIUM}; `apt-get install chromium`); found: {found}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) on a kiosk-sized screen; script errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []

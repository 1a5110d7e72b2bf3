"""Browser tests: Debian's chromium driven by Playwright (sync API: these tests run no event loop of
their own) against a real `queue-server serve` process with the demo site.

Chromium comes from Debian's package (`apt-get install chromium`; `make test` installs it); Playwright
never downloads a browser here. Without chromium these tests fail, they are not skipped: the kiosk
is not tested without them.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import Site, Tenant
from queue_server.platform.sites import set_logo
from queue_server.platform.tokens import create_token
from queue_server.platform.users import add_user
from queue_server.queue.seed import DEMO_SERVICES
from queue_server.queue.tables import Counter, Service
from queue_server.settings import load_settings
from tests.system.servers import ServerProcess, free_port, server

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/lib/chromium/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required"]
ROLES = ("kiosk", "display", "agent", "supervisor", "admin")
PEOPLE = {"agent": "Léa Martin", "supervisor": "Paul Dubois", "admin": "Inès Kaci"}  # role -> name
PASSWORD = "correct horse battery"


@dataclass
class Hall:
    """A copy of the demo site (its own id, queue, tokens) on a running server."""

    data_dir: Path
    port: int
    tokens: dict[str, str]
    process: ServerProcess | None = None
    site: str = "demo"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def login(self, role: str) -> str:
        """The login of this hall's person with ``role`` (agent, supervisor, admin; password ``PASSWORD``),
        whose name is ``PEOPLE[role]``."""
        return f"{role}@{self.site}"

    def sign_in(self, page: Page, role: str, next_path: str) -> None:
        """Sign ``page`` in as this hall's ``role`` person, through the login form, landing on ``next_path``."""
        page.goto(f"{self.url}/login?next={next_path}")
        page.fill("#login", self.login(role))
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(re.escape(f"{self.url}{next_path}") + r"(#.*)?$"))  # a page may mark its tab

    def api(self, method: str, path: str, role: str = "agent", **kwargs: object) -> httpx.Response:
        """``path`` under this hall's site (``/tickets``), or a whole ``/api/...`` path."""
        url = self.url + (path if path.startswith("/api/") else f"/api/v1/sites/{self.site}{path}")
        return httpx.request(method, url, headers=self.auth(role), timeout=10, **kwargs)  # type: ignore[arg-type]


async def _seed(data_dir: Path, site: str, alert_wait_s: dict[str, int] | None = None,
                annexe: bool = False) -> dict[str, str]:
    """A site like the demo one (same name, services, counters, languages) under ``site``, with a
    tenant of its own, and a token per role. ``alert_wait_s``: service id -> the wait after which
    supervisors are alerted (else the default). ``annexe``: the tenant also has the site
    ``{site}-annexe`` ("Mairie annexe": État civil, Guichet 1), which the supervisor supervises too."""
    alerts = alert_wait_s or {}
    settings = load_settings(server={"data_dir": data_dir})
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with sessions(engine)() as session:
            session.add(Tenant(id=site, name="Mairie de Démoville"))
            await session.flush()
            session.add(Site(id=site, tenant_id=site, name="Mairie de Démoville", languages=["fr", "en"]))
            await session.flush()
            for position, (sid, name, prefix, weight, description, icon) in enumerate(DEMO_SERVICES):
                extra = {"alert_wait_s": alerts[sid]} if sid in alerts else {}
                session.add(Service(site_id=site, id=sid, name=name, prefix=prefix, weight=weight,
                                    position=position, description=description, icon=icon, **extra))
            for n in range(1, 5):
                session.add(Counter(site_id=site, id=str(n), name=f"Guichet {n}",
                                    services=[s[0] for s in DEMO_SERVICES], position=n))
            if annexe:
                session.add(Site(id=f"{site}-annexe", tenant_id=site, name="Mairie annexe", languages=["fr", "en"]))
                await session.flush()
                session.add(Service(site_id=f"{site}-annexe", id="etat-civil", name="État civil", prefix="A"))
                session.add(Counter(site_id=f"{site}-annexe", id="1", name="Guichet 1", services=["etat-civil"]))
            await session.commit()
            await set_logo(session, site, _logo(), "image/png")
            for role, name in PEOPLE.items():
                roles: list[tuple[str | None, str]] = [(site, role)]
                if annexe and role == "supervisor":
                    roles.append((f"{site}-annexe", role))
                await add_user(session, site, f"{role}@{site}", PASSWORD, name, roles)
            await session.commit()
            return {role: (await create_token(session, site, role, f"test {role}"))[1] for role in ROLES}
    finally:
        await engine.dispose()


def _logo() -> bytes:
    """A small town-hall emblem drawn with Pillow: a blue square with a white band."""
    image = Image.new("RGB", (120, 80), "#00357a")
    ImageDraw.Draw(image).rectangle((10, 30, 110, 50), fill="#ffffff")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed(data_dir: Path, site: str, alert_wait_s: dict[str, int] | None = None,
         annexe: bool = False) -> dict[str, str]:
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may own this thread's event loop
        return pool.submit(asyncio.run, _seed(data_dir, site, alert_wait_s, annexe)).result()


SERVER_ENV = {"QUEUE_KIOSK_IDLE_S": "4", "QUEUE_SPEECH_ENABLED": "true"}


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the browser tests of this process, each test on a site of its own (starting a
    server costs seconds; session-wide because pytest-xdist interleaves modules on each process)."""
    data_dir = tmp_path_factory.mktemp("hall")
    seed(data_dir, "warm-up")  # migrations done before the server starts
    with server(data_dir, env=SERVER_ENV) as process:
        yield process


@pytest.fixture
def hall(shared_server: ServerProcess) -> Hall:
    """A fresh copy of the demo site on the shared server: its queue starts empty, at A001."""
    site = f"hall-{uuid.uuid4().hex[:8]}"
    data_dir = shared_server.log.parent
    return Hall(data_dir, shared_server.port, seed(data_dir, site), shared_server, site)


@pytest.fixture
def make_hall(shared_server: ServerProcess) -> Callable[..., Hall]:
    """Makes a fresh copy of the demo site on the shared server, with the options of ``seed`` set in the
    database before the server first loads the site."""
    def make(alert_wait_s: dict[str, int] | None = None, annexe: bool = False) -> Hall:
        site = f"hall-{uuid.uuid4().hex[:8]}"
        data_dir = shared_server.log.parent
        return Hall(data_dir, shared_server.port, seed(data_dir, site, alert_wait_s, annexe), shared_server, site)

    return make


@pytest.fixture
def own_hall(tmp_path: Path) -> Iterator[Hall]:
    """The demo site on a server of the test's own, for tests that stop and restart it."""
    hall = Hall(tmp_path, free_port(), seed(tmp_path, "demo"))
    with server(tmp_path, port=hall.port, env=SERVER_ENV) as process:
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

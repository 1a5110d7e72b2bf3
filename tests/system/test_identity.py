"""People's sessions against real server processes: limits shared by processes, the live feed in a browser."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.tokens import create_token
from queue_server.platform.users import add_user
from queue_server.queue.protocol import CLOSE_REVOKED
from queue_server.settings import load_settings
from queue_server.store.embedded import EmbeddedValkey
from tests.system.servers import QUEUE_SERVER, ServerProcess, seed_site, server

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    tokens: dict[str, str]  # a display's and an admin's token at ``live``
    env: dict[str, str]  # what the servers were started with (Redis, database)
    anne: str = "anne"  # the login of this test's agent at ``live``


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[str]:
    embedded = EmbeddedValkey(tmp_path / "valkey")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@dataclass
class Servers:
    a: ServerProcess
    b: ServerProcess
    admin: str  # an admin's token at ``live``
    env: dict[str, str]
    people: int = 0


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Two server processes on one Redis and one database, shared by the module's tests: the site ``live`` and the
    tenant's administrator ``root``."""
    folder = tmp_path_factory.mktemp("pair")
    database = f"sqlite:///{folder / 'shared.sqlite3'}"

    async def seeded() -> dict[str, str]:
        tokens = await seed_site(database, "live", 1, ("etat-civil",), ("admin",))
        engine = make_engine(load_settings(database={"url": database}).database_url)
        async with sessions(engine)() as session:
            await add_user(session, "live", "root", PASSWORD, "Root", [(None, "admin")])
        await engine.dispose()
        return tokens

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: the test runner's may be in this thread
        tokens = pool.submit(asyncio.run, seeded()).result()
    embedded = EmbeddedValkey(folder / "valkey")
    try:
        env = {"QUEUE_REDIS_URL": embedded.start(), "QUEUE_DATABASE_URL": database,
               "QUEUE_SERVER_TRUSTED_ORIGINS": '["https://www.ville.example"]'}
        with ExitStack() as stack:
            for name in ("a", "b"):
                (folder / name).mkdir()
            a, b = (stack.enter_context(server(folder / name, env, name=name)) for name in ("a", "b"))
            yield Servers(a, b, tokens["admin"], env)
    finally:
        embedded.stop()


@pytest.fixture
async def pair(servers: Servers) -> AsyncIterator[Pair]:
    """The module's two processes, and this test's own agent (``anne``, ``anne2``… at ``live``) and display token,
    so that what a test locks, disables or revokes is its own; the sign-in attempts counted per address start
    again (twenty a minute from one address: the module's tests together would reach it)."""
    servers.people += 1
    anne = "anne" if servers.people == 1 else f"anne{servers.people}"
    engine = make_engine(load_settings(database={"url": servers.env["QUEUE_DATABASE_URL"]}).database_url)
    try:
        async with sessions(engine)() as session:
            await add_user(session, "live", anne, PASSWORD, "Anne", [("live", "agent")])
            display = (await create_token(session, "live", "display", f"display of {anne}"))[1]
    finally:
        await engine.dispose()
    redis = Redis.from_url(servers.env["QUEUE_REDIS_URL"])
    try:
        async for key in redis.scan_iter(match="*login-ip:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()
    yield Pair(servers.a, servers.b, {"display": display, "admin": servers.admin}, servers.env, anne)


async def sign_in(http: httpx.AsyncClient, password: str = PASSWORD, login: str = "anne") -> httpx.Response:
    """Anne (or ``login``) signs in through the login form, as a browser does (the form's token first)."""
    page = await http.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return await http.post("/login", data={"login": login, "password": password, "csrf": token.group(1)})


async def attempt(url: str, password: str, login: str = "anne") -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as http:
        return await sign_in(http, password, login)


async def test_the_login_lockout_holds_across_processes(pair: Pair) -> None:
    """Failures counted on process A and on process B add up: the fifth locks the login on both."""
    for i in range(5):
        assert (await attempt((pair.a if i % 2 else pair.b).url, "wrong password!", pair.anne)).status_code == 401
    for process in (pair.a, pair.b):
        locked = await attempt(process.url, PASSWORD, pair.anne)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


async def test_a_session_opened_on_one_process_works_on_the_other(pair: Pair) -> None:
    """Sessions live in Redis: signed in through A, the agent calls through B."""
    async with httpx.AsyncClient(base_url=pair.a.url) as http:
        await sign_in(http, login=pair.anne)
        cookie = http.cookies["guichet_session"]
    async with httpx.AsyncClient(base_url=pair.b.url, cookies={"guichet_session": cookie}) as http:
        me = await http.get("/api/v1/me")
        assert me.status_code == 200
        answer = await http.post("/api/v1/sites/live/counters/1/next",
                                 headers={"X-CSRF-Token": me.json()["csrf_token"]})
        assert answer.status_code == 204  # nobody waits: but the session was accepted


async def test_a_browser_session_opens_the_live_feed_only_from_a_trusted_page(pair: Pair) -> None:
    """With the session cookie, the live feed opens from the server's own pages or a trusted origin,
    and is refused from any other page (cross-site WebSocket hijacking) or without an Origin."""
    async with httpx.AsyncClient(base_url=pair.a.url) as http:
        await sign_in(http, login=pair.anne)
        cookie = {"Cookie": f"guichet_session={http.cookies['guichet_session']}"}
    ws = pair.a.url.replace("http://", "ws://") + "/ws/sites/live"
    for origin in (pair.a.url, "https://www.ville.example"):
        async with connect(ws, additional_headers=cookie, origin=origin) as feed:  # type: ignore[arg-type]
            snapshot = orjson.loads(await feed.recv())
            assert snapshot["type"] == "snapshot" and snapshot["site"] == "live"
    with pytest.raises(InvalidStatus) as foreign:
        async with connect(ws, additional_headers=cookie, origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert foreign.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as bare:
        async with connect(ws, additional_headers=cookie):
            pass
    assert bare.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as anonymous:
        async with connect(ws, origin=pair.a.url):  # type: ignore[arg-type]
            pass
    assert anonymous.value.response.status_code == 401


async def test_signing_out_closes_the_open_live_feed(pair: Pair) -> None:
    """A page's live feed opened with a session is closed (4001) within seconds of signing out."""
    async with httpx.AsyncClient(base_url=pair.a.url) as http:
        await sign_in(http, login=pair.anne)
        cookie = {"Cookie": f"guichet_session={http.cookies['guichet_session']}"}
        csrf = (await http.get("/api/v1/me")).json()["csrf_token"]
        ws = pair.a.url.replace("http://", "ws://") + "/ws/sites/live"
        async with connect(ws, additional_headers=cookie, origin=pair.a.url) as feed:  # type: ignore[arg-type]
            await feed.recv()
            assert (await http.post("/logout", headers={"X-CSRF-Token": csrf})).status_code == 303
            with anyio.fail_after(10), pytest.raises(ConnectionClosed) as closed:
                while True:
                    await feed.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_REVOKED


async def test_a_kiosks_ticket_limit_holds_across_processes(tmp_path: Path, valkey: str) -> None:
    """With 5 tickets a minute per kiosk, tickets taken through A and through B add up: the sixth is
    refused with 429 on either process."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    tokens = await seed_site(database, "live", 1, ("etat-civil",))
    env = {"QUEUE_REDIS_URL": valkey, "QUEUE_DATABASE_URL": database, "QUEUE_LIMITS_KIOSK_TICKETS_PER_MINUTE": "5"}
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    with ExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            urls.append(stack.enter_context(server(tmp_path / name, env, name=name)).url)
        async with httpx.AsyncClient() as http:
            statuses = [(await http.post(f"{urls[i % 2]}/api/v1/sites/live/tickets", json={"service": "etat-civil"},
                                         headers=kiosk)).status_code for i in range(7)]
    assert statuses == [201] * 5 + [429, 429]


async def test_the_collectivitys_declared_websites_may_open_the_live_feed(tmp_path: Path, valkey: str) -> None:
    """`queue-server tenant origins` declares the city's websites: a page of one of them opens the
    live feed with a person's session; any other site's page is still refused."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    await seed_site(database, "live", 1, ("etat-civil",))
    engine = make_engine(load_settings(database={"url": database}).database_url)
    async with sessions(engine)() as session:
        await add_user(session, "live", "anne", PASSWORD, "Anne", [("live", "agent")])
    await engine.dispose()
    env = {"QUEUE_REDIS_URL": valkey, "QUEUE_DATABASE_URL": database}
    declared = subprocess.run([QUEUE_SERVER, "tenant", "origins", "live", "https://www.ville-live.fr/"],
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert declared.returncode == 0, declared.stderr
    refused = subprocess.run([QUEUE_SERVER, "tenant", "origins", "live", "www.ville-live.fr"],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "is not an origin" in refused.stderr
    with server(tmp_path, env) as running:
        async with httpx.AsyncClient(base_url=running.url) as http:
            await sign_in(http)
            cookie = {"Cookie": f"guichet_session={http.cookies['guichet_session']}"}
        ws = running.url.replace("http://", "ws://") + "/ws/sites/live"
        async with connect(ws, additional_headers=cookie, origin="https://www.ville-live.fr") as feed:  # type: ignore[arg-type]
            assert orjson.loads(await feed.recv())["type"] == "snapshot"
        with pytest.raises(InvalidStatus) as foreign:
            async with connect(ws, additional_headers=cookie, origin="https://www.ville-voisine.fr"):  # type: ignore[arg-type]
                pass
        assert foreign.value.response.status_code == 403


async def closed_within(feed: ClientConnection, seconds: float) -> int:
    """The close code of ``feed``, which must close within ``seconds`` (what it sends meanwhile is read)."""
    with anyio.fail_after(seconds), pytest.raises(ConnectionClosed) as closed:
        while True:
            await feed.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def anne_on_b(pair: Pair, http: httpx.AsyncClient) -> ClientConnection:
    """Anne's page on process B, its live feed open with her session."""
    await sign_in(http, login=pair.anne)
    cookie = {"Cookie": f"guichet_session={http.cookies['guichet_session']}"}
    feed = await connect(pair.b.url.replace("http://", "ws://") + "/ws/sites/live", additional_headers=cookie,
                         origin=pair.b.url)  # type: ignore[arg-type]
    await feed.recv()
    return feed


@pytest.mark.parametrize("change", ["password", "disable"])
async def test_a_new_password_or_a_disabled_account_closes_the_feed_on_another_process_within_a_second(
        pair: Pair, change: str) -> None:
    """An administrator on process A sets Anne a new password (or disables her account): Anne's live feed on
    process B is closed with 4001 within a second of the answer, and her session opens nothing more."""
    async with httpx.AsyncClient(base_url=pair.b.url) as anne, httpx.AsyncClient(base_url=pair.a.url) as root:
        feed = await anne_on_b(pair, anne)
        assert (await sign_in(root, login="root")).status_code == 303
        page = await root.get("/admin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"csrf": csrf.group(1), "login": pair.anne}
        if change == "password":
            form["password"] = "another horse battery"
        done = await root.post(f"/admin/people/{change}", data=form)
        assert done.status_code == 303 and "done=" in done.headers["location"], done.headers
        assert await closed_within(feed, 1.0) == CLOSE_REVOKED
        assert (await anne.get("/api/v1/me")).status_code == 401


async def test_a_revoked_token_closes_its_feed_on_another_process_within_a_second(pair: Pair) -> None:
    """A display's token revoked through the API of process A: its live feed on process B is closed with 4001
    within a second, and the token opens nothing more there."""
    ws = pair.b.url.replace("http://", "ws://") + "/ws/sites/live"
    display = {"Authorization": f"Bearer {pair.tokens['display']}"}
    async with connect(ws, additional_headers=display) as feed:
        await feed.recv()
        async with httpx.AsyncClient(base_url=pair.a.url, headers={
                "Authorization": f"Bearer {pair.tokens['admin']}"}) as admin:
            me = (await httpx.AsyncClient(base_url=pair.a.url).get("/api/v1/me", headers=display)).json()
            revoked = await admin.post(f"/api/v1/sites/live/devices/{me['token_id']}/revoke")
            assert revoked.status_code == 200, revoked.text
        assert await closed_within(feed, 1.0) == CLOSE_REVOKED
    async with httpx.AsyncClient(base_url=pair.b.url) as http:
        assert (await http.get("/api/v1/me", headers=display)).status_code == 401


async def test_an_account_disabled_from_the_cli_closes_the_feed_within_a_second(pair: Pair) -> None:
    """``queue-server user disable`` on the servers' Redis and database: Anne's feed closes within a second."""
    async with httpx.AsyncClient(base_url=pair.b.url) as anne:
        feed = await anne_on_b(pair, anne)
        done = await anyio.run_process([QUEUE_SERVER, "user", "disable", pair.anne], env={**os.environ, **pair.env},
                                       check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert await closed_within(feed, 1.0) == CLOSE_REVOKED

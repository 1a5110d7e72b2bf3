"""Shared fixtures: real servers only. The embedded Valkey and SQLite always; the machine's Redis
(``QUEUE_TEST_REDIS_URL``) and PostgreSQL (``QUEUE_TEST_DATABASE_URL``) too when they are given.
Every test gets its own key prefix (never a FLUSHALL on a shared server) and its own database."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from redis.asyncio import Redis

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.platform.tokens import create_token
from queue_server.queue.seed import seed_demo
from queue_server.settings import Settings, load_settings
from queue_server.store.embedded import EmbeddedValkey

EXTERNAL_REDIS = os.environ.get("QUEUE_TEST_REDIS_URL", "")
EXTERNAL_DB = os.environ.get("QUEUE_TEST_DATABASE_URL", "")
REDIS_BACKENDS = ["valkey"] + (["redis"] if EXTERNAL_REDIS else [])
STACKS = ["valkey+sqlite"] + (["redis+postgresql"] if EXTERNAL_REDIS and EXTERNAL_DB else [])
ROLES = ("kiosk", "display", "agent", "supervisor", "admin")
NO_LIMITS = {"kiosk_tickets_per_minute": 0, "kiosk_tickets_per_address_per_minute": 0,
             "public_reads_per_address_per_minute": 0}

# Property tests check what holds, not how long one example takes: on a 2-core machine running the suite in four
# processes, hypothesis's 200 ms deadline per example failed pure tests at random.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def valkey_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded Valkey for the session (tests keep apart by key prefix)."""
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey"))
    yield server.start()
    server.stop()


@pytest.fixture(params=REDIS_BACKENDS)
def redis_url(request: pytest.FixtureRequest, valkey_url: str) -> str:
    return valkey_url if request.param == "valkey" else EXTERNAL_REDIS


@pytest.fixture
def key_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


async def _drop_prefix(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def redis(redis_url: str, key_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()
    await _drop_prefix(redis_url, key_prefix)


async def fresh_postgres_database(template: str | None = None) -> str:
    """A new PostgreSQL database on the test server, empty or a copy of ``template`` (dropped by
    ``drop_postgres_database``)."""
    import asyncpg

    name = f"guichet_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(EXTERNAL_DB)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return EXTERNAL_DB.rsplit("/", 1)[0] + "/" + name


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(EXTERNAL_DB)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Stack:
    """What a server needs: settings (Redis, database, prefix) and the tokens of the demo site."""

    settings: Settings
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def seed(settings: Settings) -> dict[str, str]:
    """Migrate, seed the demo tenant and create one token per role."""
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with sessions(engine)() as session:
            await seed_demo(session)
            return {role: (await create_token(session, "demo", role, role))[1] for role in ROLES}
    finally:
        await engine.dispose()


# Databases migrated and seeded with the demo tenant, made once per test process and copied for each test: a
# copy is a file copy (SQLite) or a CREATE DATABASE ... TEMPLATE (PostgreSQL), where running the migrations again
# for each of hundreds of tests cost minutes of `make test`. Kind -> the SQLite file or the PostgreSQL URL.
_TEMPLATES: dict[str, str] = {}


async def _template(kind: str, directory: Path) -> str:
    if kind not in _TEMPLATES:
        url = (f"sqlite:///{directory / 'template.sqlite3'}" if kind == "sqlite"
               else await fresh_postgres_database())
        engine = make_engine(load_settings(database={"url": url}).database_url)
        try:
            await migrate(engine)
            async with sessions(engine)() as session:
                await seed_demo(session)
        finally:
            await engine.dispose()  # the last connection gone, SQLite writes its WAL back into the file
        _TEMPLATES[kind] = str(directory / "template.sqlite3") if kind == "sqlite" else url
    return _TEMPLATES[kind]


async def _copy_of_template(kind: str, directory: Path, target: Path) -> str:
    """A database of its own for one test, as ``seed`` leaves it but for the tokens: its URL."""
    template = await _template(kind, directory)
    if kind == "sqlite":
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    return await fresh_postgres_database(template=template.rsplit("/", 1)[1])


async def _tokens(settings: Settings) -> dict[str, str]:
    engine = make_engine(settings.database_url)
    try:
        async with sessions(engine)() as session:
            return {role: (await create_token(session, "demo", role, role))[1] for role in ROLES}
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("templates")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "postgresql" in _TEMPLATES:
        asyncio.run(drop_postgres_database(_TEMPLATES.pop("postgresql")))


@pytest.fixture(params=STACKS)
async def stack(request: pytest.FixtureRequest, valkey_url: str, key_prefix: str,
                tmp_path: Path, template_dir: Path) -> AsyncIterator[Stack]:
    if request.param == "valkey+sqlite":
        redis_url, check = valkey_url, True
        db_url = await _copy_of_template("sqlite", template_dir, tmp_path / "guichet.sqlite3")
    else:
        redis_url, check = EXTERNAL_REDIS, False
        db_url = await _copy_of_template("postgresql", template_dir, tmp_path)
    settings = load_settings(
        server={"data_dir": tmp_path},
        redis={"url": redis_url, "key_prefix": key_prefix, "check_persistence": check},
        database={"url": db_url},
        limits=NO_LIMITS,  # the contract suite issues many tickets a minute; tests/web/test_limits.py turns them on
        speech={"enabled": False},  # a speech worker per app would cost every test a second; tests/display speak
    )
    yield Stack(settings, await _tokens(settings))
    await _drop_prefix(redis_url, key_prefix)
    if db_url.startswith("postgresql"):
        await drop_postgres_database(db_url)


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a fully started app (lifespan run) over ASGI."""
    from queue_server.web.app import create_app

    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "one_stack: the behaviour does not depend on the storage backends, "
                                       "so the test runs on the embedded stack only (keeps `make test` short)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``one_stack`` keep only their embedded-stack variant."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_other = callspec is not None and callspec.params.get("stack", STACKS[0]) != STACKS[0]
        (drop if on_other and item.get_closest_marker("one_stack") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

"""While PostgreSQL cannot be reached the API answers 503 with Retry-After, never 500.

The outage is a real one for the server: its connections go through a small TCP proxy that the test
cuts, so the shared PostgreSQL server itself is never touched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.abc import SocketAttribute, SocketStream, TaskGroup, TaskStatus
from anyio.streams.stapled import MultiListener

from queue_server.settings import load_settings
from queue_server.web.app import create_app
from tests.conftest import EXTERNAL_DB, Stack, drop_postgres_database, fresh_postgres_database, seed
from tests.web.support import assert_problem

pytestmark = [pytest.mark.anyio,
              pytest.mark.skipif(not EXTERNAL_DB, reason="needs QUEUE_TEST_DATABASE_URL (PostgreSQL)")]


class TcpProxy:
    """Forwards local connections to ``host:port`` until ``cut()`` drops them all and refuses more."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.local_port = 0
        self._scope = anyio.CancelScope()

    async def run(self, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        with self._scope:
            listener: MultiListener[SocketStream] = await anyio.create_tcp_listener(local_host="127.0.0.1")
            async with listener:
                self.local_port = listener.listeners[0].extra(SocketAttribute.local_port)
                task_status.started()
                await listener.serve(self._forward)

    def cut(self) -> None:
        self._scope.cancel()

    async def _forward(self, client: SocketStream) -> None:
        upstream = await anyio.connect_tcp(self.host, self.port)
        async with client, upstream, anyio.create_task_group() as tg:
            tg.start_soon(self._pump, client, upstream, tg)
            tg.start_soon(self._pump, upstream, client, tg)

    @staticmethod
    async def _pump(source: SocketStream, sink: SocketStream, tg: TaskGroup) -> None:
        try:
            async for chunk in source:
                await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        tg.cancel_scope.cancel()


@pytest.fixture
async def proxied(valkey_url: str, key_prefix: str, tmp_path: Path) -> AsyncIterator[tuple[Stack, TcpProxy]]:
    """A demo stack whose server reaches PostgreSQL only through a proxy the test can cut."""
    direct = await fresh_postgres_database()
    host_port, name = direct.split("@", 1)[1].rsplit("/", 1)
    host, port = host_port.rsplit(":", 1)
    proxy = TcpProxy(host, int(port))
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(proxy.run)
            user = direct.split("//", 1)[1].split("@", 1)[0]
            settings = load_settings(
                server={"data_dir": tmp_path},
                redis={"url": valkey_url, "key_prefix": key_prefix},
                database={"url": f"postgresql://{user}@127.0.0.1:{proxy.local_port}/{name}"},
            )
            yield Stack(settings, await seed(settings)), proxy
            tg.cancel_scope.cancel()
    finally:
        await drop_postgres_database(direct)


async def test_requests_that_need_the_database_are_503_while_it_is_down(
        proxied: tuple[Stack, TcpProxy]) -> None:
    """A token not yet checked cannot be checked: 503 with Retry-After, and /readyz says not ready."""
    stack, proxy = proxied
    app = create_app(stack.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            ok = await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"},
                                   headers=stack.auth("kiosk"))
            assert ok.status_code == 201, ok.text
            proxy.cut()
            response = await client.get("/api/v1/sites/demo/state", headers=stack.auth("supervisor"))
            assert_problem(response, 503)
            assert response.headers["retry-after"]
            assert (await client.get("/readyz")).status_code == 503

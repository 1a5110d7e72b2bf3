"""One real server per test module (its access log on), and a site of its own per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.counter.sites import ACCESS_LOG, Site
from tests.system.servers import ServerProcess, server


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with server(tmp_path_factory.mktemp("counter-server"), env=ACCESS_LOG) as process:
        yield process


@pytest.fixture
def site(running: ServerProcess) -> Site:
    return Site.create(running, running.log.parent)

"""``queue-server config export SITE FILE`` and ``config import FILE``: a site's configuration (settings,
hours, services, counters) as a TOML file that a collectivity keeps under version control.

The import goes through the same path as ``/admin`` and the API (``queue/configuration.py``): decided by
the site's queue (refused while it would remove a service with waiting tickets or an open counter),
audited, and applied at once by the running servers. With the embedded Valkey and no server running,
the command starts it for the time of the import."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from queue_server.cli.common import ConfigOpt, DataOpt, app, fail, settings_from, with_sessions

T = TypeVar("T")
config_app = typer.Typer(help="A site's configuration as a TOML file (export, import).", no_args_is_help=True)
app.add_typer(config_app, name="config")


def _without_nulls(value: Any) -> Any:
    """TOML has no null: a key whose value is null is left out (and read back as null)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@config_app.command("export")
def export(
    site: Annotated[str, typer.Argument(help="The site id.")],
    file: Annotated[Path, typer.Argument(help="The TOML file to write (- for the standard output).")],
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Write the site's configuration to FILE."""
    import tomli_w

    from queue_server.platform.errors import PlatformError
    from queue_server.queue.configuration import document_of
    from queue_server.queue.sites import SiteConfigs

    settings = settings_from(config, data_dir=data_dir)

    async def work(factory: Any) -> Any:
        return await SiteConfigs(factory).get(site)

    try:
        found = asyncio.run(with_sessions(settings, work))
    except PlatformError as exc:
        fail(exc.message)
    if found is None:
        fail(f"no site {site!r}")
    document = _without_nulls(document_of(found))
    document["site"].pop("logo", None)  # the logo is a file of its own: `queue-server site logo`
    document.pop("motifs", None)
    text = f"# Configuration of {found.name} ({site}): `queue-server config import` reads it back.\n"
    text += tomli_w.dumps(document)
    if str(file) == "-":
        typer.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"{site}: configuration written to {file}")


@config_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A TOML file written by `config export` (site.id names the site).")],
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Make a site's configuration the one FILE holds (the site, and its collectivity, are created if
    missing); the running servers apply it at once."""
    if not file.is_file():
        fail(f"no file at {file}")
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        fail(f"{file} is not a valid TOML file: {exc}")
    site_part = document.get("site")
    if not isinstance(site_part, dict) or not isinstance(site_part.get("id"), str):
        fail(f"{file} names no site: it needs [site] with id = \"…\"")
    site, tenant = site_part["id"], str(site_part.get("tenant") or site_part["id"])
    settings = settings_from(config, data_dir=data_dir)

    async def work(configuration: Any) -> bool:
        from queue_server.db.tables import Tenant
        from queue_server.queue.configuration import document_of
        from queue_server.queue.sites import SiteConfigs

        async with configuration.db() as session:
            if await session.get(Tenant, tenant) is None:
                session.add(Tenant(id=tenant, name=str(document["site"].get("name") or tenant)))
                await session.commit()
        configs = SiteConfigs(configuration.db)
        before = await configs.get(site)
        await configuration.replace(site, document, tenant=tenant, by="cli")
        after = await configs.get(site)
        return before is None or after is None or document_of(before) != document_of(after)

    changed = with_configuration(settings, work)
    typer.echo(f"{site}: configuration imported from {file}{'' if changed else ' (it was the same)'}")


def with_configuration(settings: Any, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(configuration)`` with a ``Configuration`` (``queue/configuration.py``) whose changes are decided by
    the sites' queues and appended to their streams in the servers' Redis (the configured one, or the data
    dir's embedded Valkey: a running server's, or one started here for the time of the work), so that running
    servers apply them at once. A refusal ends the command with its one line."""
    embedded, url = _redis(settings)
    try:
        return asyncio.run(_configure(settings, url, work))
    finally:
        if embedded is not None:
            embedded.stop()


def _redis(settings: Any) -> tuple[Any, str]:
    """The Redis the servers use: the configured one, or the data dir's embedded Valkey (a running server's,
    or one started here for the import, returned so that it is stopped after)."""
    from urllib.parse import unquote

    from queue_server.store.embedded import EmbeddedValkey

    if settings.redis.url:
        return None, str(settings.redis.url)
    embedded = EmbeddedValkey(settings.server.data_dir)
    if Path(unquote(embedded.url.removeprefix("unix://"))).exists():
        return None, embedded.url  # a server runs on this data dir: its Valkey, left running
    return embedded, embedded.start()


async def _configure(settings: Any, url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    import anyio

    from queue_server.platform.errors import PlatformError
    from queue_server.queue.configuration import Configuration
    from queue_server.queue.domain.errors import DomainError
    from queue_server.queue.eventstore import EventStore
    from queue_server.queue.service import QueueService
    from queue_server.queue.sites import SiteConfigs
    from queue_server.store.client import make_redis

    async def run(factory: Any) -> T:
        redis = make_redis(url)
        store = EventStore(redis, settings.redis.key_prefix)
        done: list[T] = []
        refused: PlatformError | DomainError | None = None
        try:
            async with anyio.create_task_group() as tg:  # the sites' engines run in it for the time of the work
                queue = QueueService(store, store, SiteConfigs(factory).get, tg)
                try:
                    done.append(await work(Configuration(factory, queue)))
                except (PlatformError, DomainError) as exc:
                    refused = exc
                finally:
                    tg.cancel_scope.cancel()
        finally:
            await redis.aclose()
        if refused is not None:
            raise refused
        return done[0]

    try:
        return cast(T, await with_sessions(settings, run))
    except PlatformError as exc:
        fail(exc.message)
    except DomainError as exc:
        fail(f"refused: {exc.message}")

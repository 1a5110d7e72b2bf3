"""What every ``queue-server`` command shares: the command tree, options, settings, the database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from queue_server.settings import Settings, load_settings

app = typer.Typer(help="Guichet queue server.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
token_app = typer.Typer(help="Bearer tokens for devices and integrations.", no_args_is_help=True)
db_app = typer.Typer(help="The SQL database.", no_args_is_help=True)
tenant_app = typer.Typer(help="Collectivities (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in at /login.", no_args_is_help=True)
site_app = typer.Typer(help="Sites (a town hall, an annex).", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(tenant_app, name="tenant")
app.add_typer(site_app, name="site")
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML file (see config.example.toml).")]
HostOpt = Annotated[str | None, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port to listen on.")]
DataOpt = Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded Valkey and SQLite live.")]

log = logging.getLogger("queue_server")


def fail(message: str) -> NoReturn:
    typer.echo(f"queue-server: {message}", err=True)
    raise typer.Exit(2)


def settings_from(config: Path | None, host: str | None = None, port: int | None = None,
                  data_dir: Path | None = None) -> Settings:
    server: dict[str, Any] = {}
    if host is not None:
        server["host"] = host
    if port is not None:
        server["port"] = port
    if data_dir is not None:
        server["data_dir"] = data_dir
    if config is not None and not config.is_file():
        fail(f"no configuration file at {config}")
    try:
        return load_settings(config, **({"server": server} if server else {}))
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        fail("invalid configuration:\n" + "\n".join(lines))
        raise  # unreachable


async def with_sessions(settings: Settings, work: Any) -> Any:
    """Migrate, then ``work(factory)`` with the database's session factory (what services are made with)."""
    from queue_server.db.engine import make_engine, migrate, sessions

    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        return await work(sessions(engine))
    finally:
        await engine.dispose()


async def with_session(settings: Settings, work: Any) -> Any:
    """Migrate, then ``work(session)`` in one session."""

    async def in_one_session(factory: Any) -> Any:
        async with factory() as session:
            return await work(session)

    return await with_sessions(settings, in_one_session)

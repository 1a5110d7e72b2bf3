"""``queue-server db``: the SQL schema."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from queue_server.cli.common import ConfigOpt, DataOpt, db_app, settings_from, with_session


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, data_dir: DataOpt = None) -> None:
    """Apply the schema migrations (the server also does it at start)."""
    settings = settings_from(config, data_dir=data_dir)

    async def noop(session: Any) -> None:
        return None

    asyncio.run(with_session(settings, noop))
    typer.echo("database schema is up to date")

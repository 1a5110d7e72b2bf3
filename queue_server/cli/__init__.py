"""``queue-server``: serve, demo, token, user, tenant, site, db.

The only place that reads settings and sets up logging. One module per concern: common (the command tree,
options, settings), serve (uvicorn, the embedded Valkey), valkey (checks of an external Redis), logs,
demo (seeding), people (tokens and users), sites (tenants and sites), database.
"""

from __future__ import annotations

import sys

# Importing the commands' modules registers them on the command tree.
from queue_server.cli import config, database, demo, people, serve, sites  # noqa: F401
from queue_server.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

"""The migrations build exactly the schema the models describe (no column added to one and not the other)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import queue_server.db.tables  # noqa: F401 - registers the tables in SQLModel.metadata
from queue_server.db.engine import make_engine, migrate

pytestmark = pytest.mark.anyio


async def test_the_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    """Alembic's comparison of a freshly migrated database with the models finds no difference."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync),
                                                                     SQLModel.metadata))
    finally:
        await engine.dispose()
    assert diff == []

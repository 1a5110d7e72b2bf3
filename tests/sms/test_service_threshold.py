"""Each service's SMS threshold (sms_ahead) is stored in SQL, migrated, seeded and read into its config."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.queue.domain.config import ServiceConfig
from queue_server.queue.seed import seed_demo
from queue_server.queue.sites import site_config
from queue_server.queue.tables import Service

pytestmark = pytest.mark.anyio


def test_a_service_sends_when_three_people_or_fewer_are_ahead_by_default() -> None:
    """ServiceConfig.sms_ahead defaults to 3."""
    assert ServiceConfig("etat-civil", "État civil", "A").sms_ahead == 3


async def test_services_existing_before_the_migration_get_three(tmp_path: Path) -> None:
    """A service created before migration 0006 reads sms_ahead 3 afterwards; one set to 0 reads 0."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")

    def upgrade(connection: object, revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(files("queue_server.db").joinpath("migrations")))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0005")
        await conn.execute(text("INSERT INTO tenants (id, name, website_origins) VALUES ('t', 'T', '[]')"))
        await conn.execute(text("INSERT INTO sites (id, tenant_id, name, timezone, region, ordering, languages) "
                                "VALUES ('old', 't', 'Old', 'Europe/Paris', 'FR', 'weighted_wait', '[\"fr\"]')"))
        await conn.execute(text("INSERT INTO services (site_id, id, name, prefix, weight, default_duration_s, "
                                "position) VALUES ('old', 'etat-civil', 'État civil', 'A', 1.0, 300, 0)"))
    await migrate(engine)
    async with sessions(engine)() as session:
        session.add(Service(site_id="old", id="urbanisme", name="Urbanisme", prefix="U", sms_ahead=0, position=1))
        await session.commit()
        config = await site_config(session, "old")
    await engine.dispose()
    assert config is not None
    assert [(s.id, s.sms_ahead) for s in config.services] == [("etat-civil", 3), ("urbanisme", 0)]


async def test_the_demo_site_seeds_with_the_default_threshold(tmp_path: Path) -> None:
    """seed_demo still works, and its services send when three people or fewer are ahead."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    await migrate(engine)
    async with sessions(engine)() as session:
        assert await seed_demo(session)
        config = await site_config(session, "demo")
    await engine.dispose()
    assert config is not None and {s.sms_ahead for s in config.services} == {3}

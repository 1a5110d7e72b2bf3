"""Parties of the citizen record and their timelines, written and read straight in SQL: what the tests of a
visit's link need, without the CRM's own service (its people, its API)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from queue_server.crm.tables import Entry, Party, SectorService
from queue_server.db.engine import make_engine, sessions
from queue_server.settings import load_settings

LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def add_party(database_url: str, tenant: str = "demo", *, first_name: str = "Léa", last_name: str = "Martin",
                    created_at: datetime | None = None) -> int:
    """A person of ``tenant``'s record, created a day ago (or at ``created_at``) and last dealt with long ago."""
    created = created_at or datetime.now(UTC) - timedelta(days=1)
    engine = _engine(database_url)
    try:
        async with sessions(engine)() as session:
            party = Party(tenant_id=tenant, kind="person", first_name=first_name, last_name=last_name,
                          created_at=created, updated_at=created, dealt_with_at=min(created, LONG_AGO))
            session.add(party)
            await session.commit()
            assert party.id is not None
            return party.id
    finally:
        await engine.dispose()


async def add_sectors(database_url: str, site: str, sectors: dict[str, str], tenant: str = "demo") -> None:
    """Put each service of ``site`` (key) in a sector (value)."""
    engine = _engine(database_url)
    try:
        async with sessions(engine)() as session:
            for service, sector in sectors.items():
                session.add(SectorService(site_id=site, service_id=service, tenant_id=tenant, sector_id=sector))
            await session.commit()
    finally:
        await engine.dispose()


async def entries(database_url: str, tenant: str = "demo") -> list[Entry]:
    """Every timeline entry of ``tenant``, oldest first."""
    engine = _engine(database_url)
    try:
        async with sessions(engine)() as session:
            found = await session.execute(select(Entry).where(Entry.tenant_id == tenant).order_by(Entry.id))
            return list(found.scalars().all())
    finally:
        await engine.dispose()


async def party(database_url: str, party_id: int) -> Party | None:
    engine = _engine(database_url)
    try:
        async with sessions(engine)() as session:
            return await session.get(Party, party_id)
    finally:
        await engine.dispose()


async def erase(database_url: str, party_ids: Sequence[int]) -> None:
    """What an erasure does to the timeline: the parties and their entries are gone."""
    engine = _engine(database_url)
    try:
        async with sessions(engine)() as session:
            for party_id in party_ids:
                for entry in (await session.execute(select(Entry).where(Entry.party_id == party_id))).scalars():
                    await session.delete(entry)
                await session.flush()
                found = await session.get(Party, party_id)
                if found is not None:
                    await session.delete(found)
            await session.commit()
    finally:
        await engine.dispose()


def _engine(database_url: str) -> AsyncEngine:
    """An engine for ``database_url``: an async one (``Settings.database_url``), or one as a server is given it
    (``sqlite:///…``)."""
    if "+" not in database_url.split("://", 1)[0]:
        database_url = load_settings(database={"url": database_url}).database_url
    return make_engine(database_url)


def keys_at_any_depth(value: Any) -> set[str]:
    """Every key of every object in ``value`` (a JSON document)."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_at_any_depth(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_at_any_depth(v) for v in value))
    return set()

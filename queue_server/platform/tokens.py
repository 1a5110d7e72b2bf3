"""Bearer tokens of devices and integrations: made for one role at one site, shown once, stored as a
SHA-256 only, looked up on each request (``web/auth.py`` caches the answer), revoked for good.

``Tokens`` is what the authenticator asks, each call in a session of its own; the functions take a
session (pairing, the command line, tests)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken, Site
from queue_server.platform.sites import UnknownSite

ROLES = ("kiosk", "display", "agent", "supervisor", "admin")
TOKEN_PREFIX = "gq_"


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: one site, one role."""

    token_id: int
    tenant_id: str
    site_id: str
    role: str
    name: str
    revoked: bool = False  # only ``find_token`` sets it, so that a revoked device can be told so


class Tokens:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def find(self, token: str) -> Principal | None:
        """The principal a token stands for (``revoked`` set if it was revoked); ``None`` if unknown."""
        async with self.db() as session:
            return await find_token(session, token)

    async def revoked_among(self, token_ids: set[int]) -> set[int]:
        """Which of ``token_ids`` are revoked or no longer exist."""
        async with self.db() as session:
            return await revoked_among(session, token_ids)


async def create_token(session: AsyncSession, site_id: str, role: str, name: str = "") -> tuple[int, str]:
    """A new bearer token for ``role`` at ``site_id``: ``(id, token)``; the token is shown once."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    site = await session.get(Site, site_id)
    if site is None:
        raise UnknownSite(site_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=hash_token(token), tenant_id=site.tenant_id, site_id=site_id, role=role, name=name,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.commit()
    assert row.id is not None
    return row.id, token


async def find_token(session: AsyncSession, token: str) -> Principal | None:
    """The principal a token stands for (``revoked`` set if it was revoked); ``None`` if unknown."""
    row = (await session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))  # type: ignore[arg-type]
    )).scalar_one_or_none()
    if row is None:
        return None
    assert row.id is not None
    return Principal(row.id, row.tenant_id, row.site_id, row.role, row.name, row.revoked_at is not None)


async def revoked_among(session: AsyncSession, token_ids: set[int]) -> set[int]:
    """Which of ``token_ids`` are revoked or no longer exist."""
    ids = sorted(token_ids)
    live: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = await session.execute(
            select(ApiToken).where(ApiToken.id.in_(chunk), ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        )
        live.update(row.id for row in rows.scalars() if row.id is not None)
    return set(ids) - live


async def revoke_token(session: AsyncSession, token_id: int) -> bool:
    row = await session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = datetime.now(UTC)
    await session.commit()
    return True


async def list_tokens(session: AsyncSession, site_id: str | None = None) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)  # type: ignore[arg-type]
    if site_id is not None:
        query = query.where(ApiToken.site_id == site_id)  # type: ignore[arg-type]
    return (await session.execute(query)).scalars().all()


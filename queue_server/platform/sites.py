"""Sites as every module sees them: which exist, and each one's logo, which its screens show and its
kiosks print. What the queue reads of a site (services, counters, opening hours) is its own
(``queue/sites.py``).

``Sites`` is the service: each call in a session of its own, a logo's change audited. The functions
below it take a session, for work that holds one already (the archiver, the command line, tests)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, SiteLogo
from queue_server.platform.audit import record


class UnknownSite(LookupError):
    pass


class Sites:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def ids(self) -> list[str]:
        """The id of every site, in order."""
        async with self.db() as session:
            return await site_ids(session)

    async def logo(self, site: str) -> tuple[str, bytes, str] | None:
        """The site's logo as ``(content_type, data, version)``, or ``None`` if it has none (or there is
        no such site)."""
        async with self.db() as session:
            return await logo_of(session, site)

    async def set_logo(self, site: str, data: bytes, content_type: str, *, by: str, address: str = "") -> str:
        """Make ``data`` (already checked to be a PNG or JPEG of ``content_type``) the site's logo, audited;
        returns its version. Raises ``UnknownSite``."""
        async with self.db() as session:
            tenant = await _tenant_of(session, site)
            version = await set_logo(session, site, data, content_type)
            await record(session, "site.logo", by, tenant=tenant, site=site, address=address,
                         detail=f"{content_type} {len(data)} bytes, version {version}")
        return version

    async def remove_logo(self, site: str, *, by: str, address: str = "") -> bool:
        """Remove the site's logo, audited; whether it had one (nothing is audited if not). Raises
        ``UnknownSite``."""
        async with self.db() as session:
            tenant = await _tenant_of(session, site)
            if not await remove_logo(session, site):
                return False
            await record(session, "site.logo", by, tenant=tenant, site=site, address=address, detail="removed")
        return True


async def _tenant_of(session: AsyncSession, site_id: str) -> str:
    row = await session.get(Site, site_id)
    if row is None:
        raise UnknownSite(site_id)
    return row.tenant_id


def logo_version(data: bytes) -> str:
    """The version a logo's URLs carry: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


async def site_ids(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Site.id).order_by(Site.id))).scalars().all())  # type: ignore[call-overload]


async def set_logo(session: AsyncSession, site_id: str, data: bytes, content_type: str) -> str:
    """Make ``data`` (already checked to be a PNG or JPEG of ``content_type``) the site's logo, in place
    of any other; returns its version. Raises ``UnknownSite``. Does not commit."""
    if await session.get(Site, site_id) is None:
        raise UnknownSite(site_id)
    version = logo_version(data)
    row = await session.get(SiteLogo, site_id)
    if row is None:
        session.add(SiteLogo(site_id=site_id, content_type=content_type, data=data, version=version))
    else:
        row.content_type, row.data, row.version = content_type, data, version
    await session.flush()
    return version


async def remove_logo(session: AsyncSession, site_id: str) -> bool:
    """Remove the site's logo; whether it had one. Does not commit."""
    row = await session.get(SiteLogo, site_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def logo_of(session: AsyncSession, site_id: str) -> tuple[str, bytes, str] | None:
    """The site's logo as ``(content_type, data, version)``, or ``None`` if it has none."""
    row = await session.get(SiteLogo, site_id)
    return None if row is None else (row.content_type, row.data, row.version)

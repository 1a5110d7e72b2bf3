"""A site's configuration as the queue's rules see it (``domain/config.py``), read from SQL: ``site_config``
in a session the caller holds, ``SiteConfigs`` in a session of its own."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Closure as Closure_
from queue_server.db.tables import Site, SiteLogo, Tenant
from queue_server.platform.calendar import public_holidays
from queue_server.platform.sites import site_ids
from queue_server.queue.domain.config import (
    COLOURS,
    ICONS,
    Calendar,
    Closure,
    CounterConfig,
    OpeningHours,
    ServiceConfig,
    SiteConfig,
)
from queue_server.queue.tables import Counter, Service


class SiteConfigs:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def get(self, site: str) -> SiteConfig | None:
        """The site's configuration, or ``None`` if there is no such site."""
        async with self.db() as session:
            return await site_config(session, site)

    async def every(self) -> list[SiteConfig]:
        """The configuration of every site, by site id."""
        async with self.db() as session:
            configs = [await site_config(session, site) for site in await site_ids(session)]
        return [config for config in configs if config is not None]


async def site_config(session: AsyncSession, site_id: str) -> SiteConfig | None:
    """The site's configuration as the rules see it, or ``None`` if there is no such site."""
    site = await session.get(Site, site_id)
    if site is None:
        return None
    tenant = await session.get(Tenant, site.tenant_id)
    services = (await session.execute(
        select(Service).where(Service.site_id == site_id).order_by(Service.position, Service.id)  # type: ignore[arg-type]
    )).scalars().all()
    counters = (await session.execute(
        select(Counter).where(Counter.site_id == site_id).order_by(Counter.position, Counter.id)  # type: ignore[arg-type]
    )).scalars().all()
    closures = (await session.execute(
        select(Closure_).where(Closure_.site_id == site_id).order_by(Closure_.first)  # type: ignore[arg-type]
    )).scalars().all()
    logo_version = (await session.execute(  # the version alone: never the blob
        select(SiteLogo.version).where(SiteLogo.site_id == site_id)  # type: ignore[call-overload]
    )).scalar_one_or_none()
    return SiteConfig(
        id=site.id,
        name=site.name,
        tenant=site.tenant_id,
        timezone=site.timezone,
        region=site.region,
        website_origins=tuple(tenant.website_origins) if tenant else (),
        ordering=site.ordering,
        languages=tuple(site.languages) or ("fr",),
        logo_version=logo_version,
        services=tuple(
            ServiceConfig(
                id=s.id, name=s.name, prefix=s.prefix, weight=s.weight, daily_cap=s.daily_cap,
                hours=_minutes(s.hours),
                default_duration_s=s.default_duration_s,
                sms_ahead=s.sms_ahead,
                alert_wait_s=s.alert_wait_s,
                description=s.description,
                icon=s.icon if s.icon in ICONS else "default",
                ticket_message=s.ticket_message,
                priority=s.priority,
                outcomes=tuple(s.outcomes or ()),
            )
            for s in services
        ),
        counters=tuple(CounterConfig(id=c.id, name=c.name, services=tuple(c.services)) for c in counters),
        address=site.address,
        colours=(site.colours[0], site.colours[1]) if len(site.colours) == 2 else COLOURS,
        kiosk_languages=tuple(site.kiosk_languages) or ("fr",),
        kiosk_idle_s=site.kiosk_idle_s,
        calendar=Calendar(
            weekly=_minutes(site.hours),
            closures=tuple(Closure(c.first, c.last, c.reason) for c in closures),
            holiday_region=site.holiday_region,
            holidays=public_holidays(site.holiday_region, holiday_years()),
        ),
    )


def holiday_years() -> range:
    """The years whose public holidays a configuration holds: last year to two years ahead (a process
    running across a new year reads them again at its next start or configuration change)."""
    year = datetime.now(UTC).year
    return range(year - 1, year + 3)


def _minutes(hours: dict[str, list[list[int]]] | None) -> OpeningHours | None:
    if hours is None:
        return None
    return {int(day): tuple((int(a), int(b)) for a, b in spans) for day, spans in hours.items()}

"""Whether a site lets citizens take a ticket from home (the ticket widget on the city's website): a setting of
the site in SQL (``sites.remote_tickets``, off by default), changed by its administrators and audited; and the
websites of its tenant that may frame the widget (``tenants.website_origins``, ``queue-server tenant origins``).

The rules of the queue never read them (a remote ticket is a ticket like any other); only the widget's endpoints
do, through a short cache per process: a change reaches every process within ``CACHE_S`` seconds, without the
configuration's event (the site's configuration, which the rules fold, does not carry the setting, and takes the
origins only when a site is loaded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, Tenant
from queue_server.platform.audit import note

CACHE_S = 2.0  # how long a process believes what it read


@dataclass(frozen=True, slots=True)
class Embedding:
    """What the widget of one site needs beyond the queue: whether it takes tickets from home, and the websites
    (``scheme://host[:port]``, without a final slash) that may frame it."""

    remote_tickets: bool
    origins: tuple[str, ...]


class RemoteTickets:
    """Reads (cached) and changes (audited) the setting of each site."""

    def __init__(self, db: async_sessionmaker[AsyncSession], clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.clock = clock
        self._read: dict[str, tuple[float, Embedding]] = {}  # site -> (when read, what was read)

    async def embedding(self, site: str) -> Embedding:
        """The site's setting and its tenant's websites (an unknown site: neither), as read at most ``CACHE_S`` ago."""
        now = self.clock()
        held = self._read.get(site)
        if held is not None and now - held[0] < CACHE_S:
            return held[1]
        async with self.db() as session:
            row = await session.get(Site, site)
            tenant = await session.get(Tenant, row.tenant_id) if row is not None else None
        found = Embedding(bool(row is not None and row.remote_tickets),
                          tuple(o.rstrip("/") for o in (tenant.website_origins if tenant is not None else [])))
        if len(self._read) > 10_000:  # unknown ids asked in bulk must not grow this forever
            self._read.clear()
        self._read[site] = (now, found)
        return found

    async def allowed(self, site: str) -> bool:
        """Whether ``site`` takes remote tickets (an unknown site does not), as read at most ``CACHE_S`` ago."""
        return (await self.embedding(site)).remote_tickets

    async def set(self, site: str, allowed: bool, *, by: str, address: str = "") -> bool:
        """Allow or forbid remote tickets at ``site`` (which must exist); whether it changed. Audited as
        ``config.remote_tickets``."""
        async with self.db() as session:
            row = await session.get(Site, site)
            if row is None:
                raise LookupError(site)
            if row.remote_tickets == allowed:
                return False
            row.remote_tickets = allowed
            session.add(row)
            note(session, "config.remote_tickets", by, tenant=row.tenant_id, site=site, target=site, address=address,
                 detail='{"remote_tickets": %s}' % ("true" if allowed else "false"))
            await session.commit()
        self._read.pop(site, None)
        return True

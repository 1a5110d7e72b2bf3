"""The audit log: append, and read back for a tenant's administrators.

Reading goes through one query, whatever the form (the ``/admin/audit`` page, ``GET /api/v1/audit``, its
CSV): the administrator's scope (their tenant; a site administrator only the entries of their sites),
then the filters (a period of local days on each entry's site's clock, a site, who acted, what they
did). The page reads it a page at a time, newest first, keyed on the entries' ids so that a page stays
the same while new entries arrive; the exports read the latest entries at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken, AuditEntry, Site, User

CSV_COLUMNS = ("at", "tenant_id", "site_id", "actor", "action", "target", "address", "detail")
PARIS = ZoneInfo("Europe/Paris")
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)  # the days a period may name, as far as entries go

# Every action the code base writes (``record``/``note`` callers), in the order the page offers them.
ACTIONS = (
    "login", "login.failed", "login.locked", "logout",
    "pairing.created", "device.paired", "token.created", "token.revoked",
    "user.created", "user.password", "user.disabled", "user.enabled", "user.roles",
    "config.site", "config.hours", "config.service", "config.service.delete", "config.counter",
    "config.counter.delete", "config.import", "site.logo", "tenant.origins",
    "note.read", "config.motif", "appointment.booked", "appointment.moved", "appointment.cancelled",
    "appointment.agenda", "booking.purged", "config.remote_tickets", "display.message", "display.image",
    "display.image-removed", "config.request-category", "request.created", "request.message", "request.status",
    "request.read", "request.file", "request.category", "request.acknowledged", "request.printed",
    "config.phone-reasons", "phone.call", "phone.call.read", "phone.calls.read", "phone.callback", "phone.purged",
    "kb.sheet.created", "kb.sheet.changed", "kb.partners", "kb.note", "kb.note.removed",
)
# Actions whose target is a person's login.
PERSON_TARGETS = frozenset({"login.failed", "login.locked", "user.created", "user.password", "user.disabled",
                            "user.enabled", "user.roles"})


def note(session: AsyncSession, action: str, actor: str, *, tenant: str | None, site: str | None = None,
         target: str = "", address: str = "", detail: str = "") -> None:
    """Add an entry to ``session``; it is written with the session's next commit."""
    session.add(AuditEntry(at=datetime.now(UTC), tenant_id=tenant, site_id=site, actor=actor[:200],
                           action=action, target=target[:200], address=address[:64], detail=detail[:4000]))


async def record(session: AsyncSession, action: str, actor: str, **fields: str | None) -> None:
    """``note`` and commit at once (for actions that change nothing else in SQL)."""
    note(session, action, actor, **fields)  # type: ignore[arg-type]
    await session.commit()


@dataclass(frozen=True, slots=True)
class Filters:
    """What an administrator narrows the log to; ``None``: anything. Days are local days, both included,
    each entry on its site's clock."""

    site: str | None = None
    actor: str | None = None  # as the log names them: "user:anne", "token:12", "cli", "anonymous"
    action: str | None = None
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True, slots=True)
class Clocks:
    """The time zone of each site of a tenant, and the one of its entries of no site (the zone its sites
    share, else Europe/Paris)."""

    zones: Mapping[str, ZoneInfo] = field(default_factory=dict)
    default: ZoneInfo = PARIS

    def of(self, site: str | None) -> ZoneInfo:
        return self.zones.get(site, self.default) if site else self.default


@dataclass(frozen=True, slots=True)
class Names:
    """Who the entries of a page name: people by login, devices and other tokens by id (role, name)."""

    people: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page:
    """Entries newest first; ``older``: read older ones before this id; ``newer``: newer ones after this id
    (``None``: there are none)."""

    rows: Sequence[AuditEntry]
    older: int | None
    newer: int | None
    clocks: Clocks
    names: Names


def token_id(name: str) -> int | None:
    """``12`` for ``"token:12"``, as the log names a token (actor or target)."""
    kind, _, raw = name.partition(":")
    return int(raw) if kind == "token" and raw.isascii() and raw.isdecimal() and len(raw) < 12 else None


class AuditLog:
    """The audit log as administrators read it, each call in a session of its own."""

    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def page(self, tenant: str, sites: frozenset[str] | None, filters: Filters, *, before: int | None = None,
                   after: int | None = None, size: int = 50) -> Page:
        """``size`` entries of the scope (``sites`` None: every entry of ``tenant``, those of no site too)
        matching ``filters``, newest first: the newest, or those just older than ``before``, or just newer
        than ``after``, with the ids to go further each way, and the sites' clocks and the names."""
        async with self.db() as session:
            clocks = await clocks_of(session, tenant)
            where = _where(tenant, sites, filters, clocks)
            ids = col(AuditEntry.id)
            if after is not None:
                query = select(AuditEntry).where(where, ids > after).order_by(ids.asc())
            else:
                query = select(AuditEntry).where(where, *(() if before is None else (ids < before,)))
                query = query.order_by(ids.desc())
            rows = list((await session.execute(query.limit(size + 1))).scalars())
            more = len(rows) > size
            rows = rows[:size]
            if after is not None:
                rows.reverse()
            first, last = (rows[0].id, rows[-1].id) if rows else (None, None)
            if after is not None:
                newer = first if more else None
                edge = last if last is not None else after + 1
                older = edge if await _any(session, and_(where, ids < edge)) else None
            else:
                older = last if more else None
                newer = None
                if before is not None:
                    edge = first if first is not None else before - 1
                    newer = edge if await _any(session, and_(where, ids > edge)) else None
            names = await names_of(session, tenant, rows)
        return Page(rows, older, newer, clocks, names)

    async def latest(self, tenant: str, sites: frozenset[str] | None, filters: Filters,
                     limit: int = 1000) -> tuple[Sequence[AuditEntry], Clocks]:
        """The latest ``limit`` entries of the scope matching ``filters``, newest first (the exports)."""
        async with self.db() as session:
            clocks = await clocks_of(session, tenant)
            return await entries(session, tenant, sites, limit, filters, clocks), clocks


async def entries(session: AsyncSession, tenant: str, sites: frozenset[str] | None = None, limit: int = 1000,
                  filters: Filters = Filters(), clocks: Clocks | None = None) -> Sequence[AuditEntry]:
    """The latest ``limit`` entries of ``tenant`` (only those of ``sites`` when given) matching ``filters``,
    newest first."""
    if clocks is None:
        clocks = await clocks_of(session, tenant)
    query = select(AuditEntry).where(_where(tenant, sites, filters, clocks))
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def clocks_of(session: AsyncSession, tenant: str) -> Clocks:
    rows = (await session.execute(select(col(Site.id), col(Site.timezone)).where(col(Site.tenant_id) == tenant))).all()
    zones = {site: _zone(name) for site, name in rows}
    shared = set(zones.values())
    return Clocks(zones, shared.pop() if len(shared) == 1 else PARIS)


async def names_of(session: AsyncSession, tenant: str, rows: Sequence[AuditEntry]) -> Names:
    """The names of the people and tokens ``rows`` name, of ``tenant`` only."""
    logins = {r.actor.removeprefix("user:") for r in rows if r.actor.startswith("user:")}
    logins |= {r.target for r in rows if r.action in PERSON_TARGETS and r.target}
    tokens = {n for r in rows for n in (token_id(r.actor), token_id(r.target)) if n is not None}
    people: dict[str, str] = {}
    devices: dict[int, tuple[str, str]] = {}
    if logins:
        found = await session.execute(select(col(User.login), col(User.name)).where(
            col(User.tenant_id) == tenant, col(User.login).in_(sorted(logins))))
        people = {login: name for login, name in found.all()}
    if tokens:
        listed = await session.execute(select(col(ApiToken.id), col(ApiToken.role), col(ApiToken.name)).where(
            col(ApiToken.tenant_id) == tenant, col(ApiToken.id).in_(sorted(tokens))))
        devices = {number: (role, name) for number, role, name in listed.all() if number is not None}
    return Names(people, devices)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return PARIS


def _where(tenant: str, sites: Collection[str] | None, filters: Filters, clocks: Clocks) -> ColumnElement[bool]:
    """The one filter of the log: the scope, then ``filters``."""
    at, site = col(AuditEntry.at), col(AuditEntry.site_id)
    conditions: list[ColumnElement[bool]] = [col(AuditEntry.tenant_id) == tenant]
    if sites is not None:
        conditions.append(site.in_(sorted(sites)))
    if filters.site is not None:
        conditions.append(site == filters.site)
    if filters.actor is not None:
        conditions.append(col(AuditEntry.actor) == filters.actor)
    if filters.action is not None:
        conditions.append(col(AuditEntry.action) == filters.action)
    if filters.first_day is not None or filters.last_day is not None:
        # Days beyond what any entry holds are brought within (no instant overflows on any clock).
        first = min(max(filters.first_day, EARLIEST), LATEST) if filters.first_day is not None else None
        last = min(max(filters.last_day, EARLIEST), LATEST) if filters.last_day is not None else None

        def period(zone: ZoneInfo) -> ColumnElement[bool]:
            bounds: list[ColumnElement[bool]] = []
            if first is not None:
                bounds.append(at >= datetime.combine(first, time(), zone).astimezone(UTC))
            if last is not None:
                bounds.append(at < datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC))
            return and_(*bounds)

        # Each site's days on its own clock: the sites of another zone than the default's one by one
        # (grouped by zone), and everything else (entries of no site too) on the default clock.
        by_zone: dict[ZoneInfo, list[str]] = {}
        for name, zone in clocks.zones.items():
            if zone != clocks.default:
                by_zone.setdefault(zone, []).append(name)
        elsewhere = sorted(name for names in by_zone.values() for name in names)
        parts = [and_(site.in_(sorted(names)), period(zone)) for zone, names in by_zone.items()]
        default_clock = or_(site.is_(None), site.not_in(elsewhere)) if elsewhere else None
        parts.append(period(clocks.default) if default_clock is None else and_(default_clock, period(clocks.default)))
        conditions.append(or_(*parts))
    return and_(*conditions)


async def _any(session: AsyncSession, where: ColumnElement[bool]) -> bool:
    return bool((await session.execute(select(exists().where(where)))).scalar())


def as_csv(rows: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = [getattr(row, column) for column in CSV_COLUMNS]
        values[0] = row.at.isoformat()
        # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it as text.
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else (v or "")
                         for v in values])
    return out.getvalue()

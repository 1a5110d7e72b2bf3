"""The knowledge base, as every entry point uses it (the JSON API, the staff's pages, the FAQ, the agent page's
panel): sheets written and read, their versions and differences, the search, partners and local notes.

Nothing half saved: writing a sheet is one transaction that writes the sheet, its new version, its words in the
search (under the kind that says who finds it) and the audit entry. A change first bumps the sheet's version number
(an UPDATE: the row's lock on PostgreSQL, the database's write lock on SQLite), so that two editors saving at once
make two versions one after the other, never one lost.

Who may write is the web layer's (``web/api.py``: supervisors and administrators of the collectivity); who may read
what is ``domain/sheets.py``'s, applied here to every read, search and list: a sheet a reader may not read is
answered as one that does not exist. This module takes who acts (``Who``) for the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, update
from sqlalchemy import select as columns
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, SiteLogo, Tenant
from queue_server.kb import indexing
from queue_server.kb.domain import diff as differences
from queue_server.kb.domain.equivalences import equivalents
from queue_server.kb.domain.errors import Refused
from queue_server.kb.domain.sheets import (
    PUBLIC_READER,
    Audience,
    Facts,
    Reader,
    Status,
    due_for_review,
    may_read,
    mutual,
    scopes,
)
from queue_server.kb.errors import refusal_of, unknown_sheet, unknown_tenant, unknown_version
from queue_server.kb.tables import LocalNote, PartnerRow, SheetRow, SheetVersion
from queue_server.platform import textsearch
from queue_server.platform.audit import note

Clock = Callable[[], datetime]
SEARCH_HITS = 20  # a search lists this many sheets at most, best first (an agent reads the first few)
LISTED = 500  # a collectivity's list of sheets, at most
MAX_PARTNERS = 50


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A sheet's id: 96 random bits, URL-safe (a public sheet's address; nobody guesses another's)."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class Who:
    """Who acts, as the audit log names them ("user:anne"), and their address."""

    actor: str
    address: str = ""


@dataclass(frozen=True, slots=True)
class SheetIn:
    """A sheet as an editor writes it."""

    title: str
    body: str
    audience: Audience
    status: Status
    shared: bool = False
    review_by: date | None = None
    owner_service: str | None = None
    services: tuple[str, ...] = ()
    motifs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet as a reader reads it: whose it is (``tenant_name``), and the reader's collectivity's local note on
    it (a partner's sheet only)."""

    row: SheetRow
    tenant_name: str
    note: LocalNote | None = None
    mine: bool = True  # the reader's collectivity's own sheet


@dataclass(frozen=True, slots=True)
class Found:
    """A sheet found: what a list of results shows of it, whose it is, and the excerpt with the words found marked.
    ``partial``: found with some of the query's words only."""

    id: str
    tenant: str
    tenant_name: str
    title: str
    status: Status
    audience: Audience
    shared: bool
    excerpt: tuple[textsearch.Span, ...]
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Difference:
    """What changed from version ``old`` to version ``new``: the title's pieces and the body's."""

    old: SheetVersion
    new: SheetVersion
    title: tuple[differences.Piece, ...]
    body: tuple[differences.Piece, ...]


@dataclass(frozen=True, slots=True)
class Partners:
    """Whom a collectivity named, and which of them named it back (its sheets are shared with those only)."""

    named: list[str] = field(default_factory=list)
    mutual: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Collectivity:
    """What the public pages show of a collectivity: its name, the websites that may frame them, and its first
    site's colours and logo (a URL of this server, or None)."""

    tenant: str
    name: str
    origins: tuple[str, ...]
    colours: tuple[str, str]
    logo: str | None


def facts(row: SheetRow) -> Facts:
    return Facts(row.tenant_id, row.status, row.audience, row.shared)  # type: ignore[arg-type]


class KnowledgeBase:
    """One per process, made in the lifespan."""

    def __init__(self, db: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    # Collectivities and readers ---------------------------------------------------------------------------

    async def tenant_name(self, tenant: str) -> str:
        """The collectivity's name; 404 ``unknown-tenant`` when there is none of that id."""
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
        if row is None:
            raise unknown_tenant()
        return row.name

    async def collectivity(self, tenant: str) -> Collectivity | None:
        """``tenant`` as its public pages show it (its first site by id lends its colours and logo); None when there
        is no such collectivity."""
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
            if row is None:
                return None
            site = (await session.exec(select(Site).where(col(Site.tenant_id) == tenant).order_by(
                col(Site.id)))).first()
            version = None
            if site is not None:
                version = (await session.exec(select(SiteLogo.version).where(
                    col(SiteLogo.site_id) == site.id))).first()
        colours = (site.colours[0], site.colours[1]) if site is not None and len(site.colours) >= 2 else ("", "")
        logo = f"/sites/{site.id}/logo?v={version}" if site is not None and version else None
        return Collectivity(tenant, row.name, tuple(o.rstrip("/") for o in row.website_origins), colours, logo)

    async def tenant_names(self, tenants: Sequence[str]) -> dict[str, str]:
        """The names of those of ``tenants`` that exist."""
        async with self.db() as session:
            return dict((await session.exec(select(Tenant.id, Tenant.name).where(
                col(Tenant.id).in_(list(tenants))))).all())

    async def reader(self, tenant: str | None, *, editor: bool = False) -> Reader:
        """The reader of staff of ``tenant`` (``editor``: a supervisor or an administrator), with its partners
        both ways; ``None``: anyone."""
        if tenant is None:
            return PUBLIC_READER
        async with self.db() as session:
            return Reader(tenant, editor, await self._mutual(session, tenant))

    @staticmethod
    async def _mutual(session: AsyncSession, tenant: str) -> frozenset[str]:
        rows = (await session.exec(select(PartnerRow.tenant_id, PartnerRow.partner_id).where(
            (col(PartnerRow.tenant_id) == tenant) | (col(PartnerRow.partner_id) == tenant)))).all()
        named: dict[str, list[str]] = {}
        for who, whom in rows:
            named.setdefault(who, []).append(whom)
        return mutual(tenant, named)

    async def today(self, tenant: str) -> date:
        """Today on the collectivity's clock (its first site's time zone; Paris without a site)."""
        async with self.db() as session:
            zone_name = (await session.exec(select(Site.timezone).where(col(Site.tenant_id) == tenant).order_by(
                col(Site.id)))).first()
        try:
            zone = ZoneInfo(zone_name or "Europe/Paris")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Europe/Paris")
        return self.clock().astimezone(zone).date()

    # Writing ----------------------------------------------------------------------------------------------

    async def create(self, tenant: str, new: SheetIn, who: Who) -> SheetRow:
        """A new sheet of ``tenant`` (version 1), indexed and audited in one transaction."""
        now = self.clock()
        async with self.db() as session:
            if await session.get(Tenant, tenant) is None:
                raise unknown_tenant()
            row = SheetRow(id=new_id(), tenant_id=tenant, created_at=now, created_by=who.actor, updated_at=now,
                           updated_by=who.actor, version=1, **_fields(new))
            session.add(row)
            await session.flush()
            session.add(_version(row))
            note(session, "kb.sheet.created", who.actor, tenant=tenant, target=f"sheet:{row.id}",
                 address=who.address, detail=row.title)
            await indexing.reindex(session, row)
            await session.commit()
            await session.refresh(row)
        return row

    async def update(self, tenant: str, sheet_id: str, new: SheetIn, who: Who) -> SheetRow:
        """``new`` as the sheet's next version (the earlier ones kept), re-indexed and audited in one transaction;
        404 for a sheet that is not ``tenant``'s."""
        now = self.clock()
        async with self.db() as session:
            bumped = await session.execute(update(SheetRow).where(
                col(SheetRow.id) == sheet_id, col(SheetRow.tenant_id) == tenant).values(
                version=col(SheetRow.version) + 1))
            if bumped.rowcount == 0:  # type: ignore[attr-defined]
                raise unknown_sheet()
            row = await session.get(SheetRow, sheet_id)
            assert row is not None
            previous_kind = indexing.kind_of(row)
            for name, value in _fields(new).items():
                setattr(row, name, value)
            row.updated_at, row.updated_by = now, who.actor
            session.add(row)
            session.add(_version(row))
            note(session, "kb.sheet.changed", who.actor, tenant=tenant, target=f"sheet:{row.id}",
                 address=who.address, detail=f"version {row.version}: {row.title}")
            await indexing.reindex(session, row, previous_kind)
            await session.commit()
            await session.refresh(row)
        return row

    # Reading ----------------------------------------------------------------------------------------------

    async def read(self, reader: Reader, tenant: str, sheet_id: str) -> Sheet:
        """The sheet ``sheet_id`` as ``reader`` reads it, asked through collectivity ``tenant`` (its owner, or the
        reader's own collectivity for a partner's sheet); 404 for a sheet it may not read."""
        async with self.db() as session:
            row = await session.get(SheetRow, sheet_id)
            if row is None or tenant not in (row.tenant_id, reader.tenant) or not may_read(
                    reader, facts(row), through=tenant):
                raise unknown_sheet()
            owner = await session.get(Tenant, row.tenant_id)
            local = None
            if reader.tenant is not None and row.tenant_id != reader.tenant:
                local = (await session.exec(select(LocalNote).where(
                    col(LocalNote.sheet_id) == row.id, col(LocalNote.tenant_id) == reader.tenant))).first()
        return Sheet(row, owner.name if owner is not None else row.tenant_id, local, row.tenant_id == reader.tenant)

    async def listed(self, reader: Reader, tenant: str, *, recent: bool = False,
                     limit: int = LISTED) -> list[SheetRow]:
        """``tenant``'s own sheets ``reader`` may read (anyone: the published public ones; its staff: the published
        ones; its editors: every one), by title or, ``recent``, the last changed first; ``limit`` at most."""
        statement = select(SheetRow).where(col(SheetRow.tenant_id) == tenant)
        if reader.tenant != tenant:
            statement = statement.where(col(SheetRow.status) == "published", col(SheetRow.audience) == "public")
        elif not reader.editor:
            statement = statement.where(col(SheetRow.status) == "published")
        order = (col(SheetRow.updated_at).desc(),) if recent else (col(SheetRow.title),)
        async with self.db() as session:
            rows = (await session.exec(statement.order_by(*order, col(SheetRow.id)).limit(limit))).all()
        return [row for row in rows if may_read(reader, facts(row), through=tenant)]

    async def to_review(self, tenant: str) -> list[SheetRow]:
        """``tenant``'s sheets whose review date has come (archived ones aside), the most overdue first."""
        today = await self.today(tenant)
        async with self.db() as session:
            rows = (await session.exec(select(SheetRow).where(
                col(SheetRow.tenant_id) == tenant, col(SheetRow.review_by).is_not(None),
                col(SheetRow.review_by) <= today).order_by(col(SheetRow.review_by), col(SheetRow.title)))).all()
        return [row for row in rows if due_for_review(row.review_by, row.status, today)]  # type: ignore[arg-type]

    async def _own(self, reader: Reader, tenant: str, sheet_id: str) -> SheetRow:
        """A sheet of the reader's own collectivity that it may read (its history is read there only)."""
        sheet = await self.read(reader, tenant, sheet_id)
        if not sheet.mine:
            raise unknown_sheet()
        return sheet.row

    async def versions(self, reader: Reader, tenant: str, sheet_id: str) -> list[SheetVersion]:
        """Every version of a sheet of the reader's collectivity, newest first."""
        row = await self._own(reader, tenant, sheet_id)
        async with self.db() as session:
            return list((await session.exec(select(SheetVersion).where(
                col(SheetVersion.sheet_id) == row.id).order_by(col(SheetVersion.number).desc()))).all())

    async def version(self, reader: Reader, tenant: str, sheet_id: str, number: int,
                      field_name: str = "version") -> SheetVersion:
        """Version ``number`` of a sheet of the reader's collectivity; 404 ``unknown-version`` naming
        ``field_name`` when it has none of that number."""
        row = await self._own(reader, tenant, sheet_id)
        async with self.db() as session:
            found = (await session.exec(select(SheetVersion).where(
                col(SheetVersion.sheet_id) == row.id, col(SheetVersion.number) == number))).first()
        if found is None:
            raise unknown_version(field_name)
        return found

    async def difference(self, reader: Reader, tenant: str, sheet_id: str, old: int, new: int) -> Difference:
        """What changed from version ``old`` to version ``new`` (either may be the later one)."""
        before = await self.version(reader, tenant, sheet_id, old, "from")
        after = await self.version(reader, tenant, sheet_id, new, "to")
        return Difference(before, after, differences.diff(before.title, after.title),
                          differences.diff(before.body, after.body))

    # Searching --------------------------------------------------------------------------------------------

    async def search(self, reader: Reader, tenant: str, text: str, *, limit: int = SEARCH_HITS,
                     typing: bool = True) -> list[Found]:
        """The sheets ``reader`` may find through collectivity ``tenant`` whose words hold ``text``'s (French stems,
        accents folded, words of one meaning: ``domain/equivalences.py``), best first; when none holds every word,
        those holding the most, marked partial."""
        found = []
        async with self.db() as session:
            hits = await textsearch.search_in(session, [textsearch.Scope(t, kinds) for t, kinds in scopes(
                reader, tenant)], text, limit=limit, typing=typing, equivalents=equivalents)
            if not hits:
                return []
            # What the results show of each sheet, and whose it is: columns, not whole rows (no bodies read again).
            rows = {row[0]: tuple(row) for row in (await session.execute(columns(
                col(SheetRow.id), col(SheetRow.tenant_id), col(Tenant.name), col(SheetRow.title),
                col(SheetRow.status), col(SheetRow.audience), col(SheetRow.shared)).join(
                Tenant, col(Tenant.id) == col(SheetRow.tenant_id)).where(
                col(SheetRow.id).in_([hit.doc_id for hit in hits])))).all()}
        for hit in hits:
            row = rows.get(hit.doc_id)
            # The index and the sheet are written in one transaction; the check costs nothing and keeps the rule
            # in one place.
            if row is not None and may_read(reader, Facts(row[1], row[4], row[5], row[6]), through=tenant):
                sheet_id, owner, name, title, status, audience, shared = row
                found.append(Found(sheet_id, owner, name, title, status, audience, shared, hit.excerpt, hit.partial))
        return found

    # Partners and local notes -----------------------------------------------------------------------------

    async def partners(self, tenant: str) -> Partners:
        """Whom ``tenant`` named, and which of them named it back."""
        async with self.db() as session:
            named = sorted((await session.exec(select(PartnerRow.partner_id).where(
                col(PartnerRow.tenant_id) == tenant))).all())
            both = await self._mutual(session, tenant)
        return Partners(named, sorted(both))

    async def set_partners(self, tenant: str, partners: Sequence[str], who: Who) -> Partners:
        """``tenant`` names exactly ``partners`` (replacing whom it named before), audited; 422 ``self-partner``
        naming the field of the collectivity itself."""
        for n, partner in enumerate(partners):
            if partner == tenant:
                raise refusal_of(Refused("self-partner", f"tenants[{n}]", "a collectivity is no partner of itself"))
        wanted = list(dict.fromkeys(partners))
        now = self.clock()
        async with self.db() as session:
            if await session.get(Tenant, tenant) is None:
                raise unknown_tenant()
            await session.execute(delete(PartnerRow).where(col(PartnerRow.tenant_id) == tenant))
            for partner in wanted:
                session.add(PartnerRow(tenant_id=tenant, partner_id=partner, at=now, named_by=who.actor))
            note(session, "kb.partners", who.actor, tenant=tenant, address=who.address,
                 detail=", ".join(wanted) or "none")
            await session.commit()
        return await self.partners(tenant)

    async def put_note(self, reader: Reader, sheet_id: str, body: str, who: Who) -> LocalNote:
        """The reader's collectivity's note on a partner's sheet it reads, written or replaced, audited; 404 for a
        sheet it may not read, 422 ``own-sheet`` for one of its own."""
        assert reader.tenant is not None
        sheet = await self.read(reader, reader.tenant, sheet_id)
        if sheet.mine:
            raise refusal_of(Refused("own-sheet", "sheet", "a collectivity changes its own sheets, it adds no note"))
        now = self.clock()
        async with self.db() as session:
            found = (await session.exec(select(LocalNote).where(
                col(LocalNote.sheet_id) == sheet_id, col(LocalNote.tenant_id) == reader.tenant))).first()
            row = found or LocalNote(sheet_id=sheet_id, tenant_id=reader.tenant, body=body, updated_at=now,
                                     updated_by=who.actor)
            row.body, row.updated_at, row.updated_by = body, now, who.actor
            session.add(row)
            note(session, "kb.note", who.actor, tenant=reader.tenant, target=f"sheet:{sheet_id}",
                 address=who.address)
            await session.commit()
            await session.refresh(row)
        return row

    async def remove_note(self, reader: Reader, sheet_id: str, who: Who) -> None:
        """The reader's collectivity's note on a partner's sheet removed (nothing when there was none), audited."""
        assert reader.tenant is not None
        await self.read(reader, reader.tenant, sheet_id)
        async with self.db() as session:
            removed = await session.execute(delete(LocalNote).where(
                col(LocalNote.sheet_id) == sheet_id, col(LocalNote.tenant_id) == reader.tenant))
            if removed.rowcount:  # type: ignore[attr-defined]
                note(session, "kb.note.removed", who.actor, tenant=reader.tenant, target=f"sheet:{sheet_id}",
                     address=who.address)
            await session.commit()


def _fields(new: SheetIn) -> dict[str, Any]:
    return {"title": new.title, "body": new.body, "audience": new.audience, "status": new.status,
            "shared": new.shared, "review_by": new.review_by, "owner_service": new.owner_service,
            "services": list(new.services), "motifs": list(new.motifs), "categories": list(new.categories)}


def _version(row: SheetRow) -> SheetVersion:
    return SheetVersion(sheet_id=row.id, number=row.version, title=row.title, body=row.body, audience=row.audience,
                        status=row.status, shared=row.shared, owner_service=row.owner_service,
                        review_by=row.review_by, services=list(row.services), motifs=list(row.motifs),
                        categories=list(row.categories), at=row.updated_at, author=row.updated_by)

"""The audit log: append, and read back for a tenant's administrators (JSON or CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import AuditEntry

CSV_COLUMNS = ("at", "tenant_id", "site_id", "actor", "action", "target", "address", "detail")


def note(session: AsyncSession, action: str, actor: str, *, tenant: str | None, site: str | None = None,
         target: str = "", address: str = "", detail: str = "") -> None:
    """Add an entry to ``session``; it is written with the session's next commit."""
    session.add(AuditEntry(at=datetime.now(UTC), tenant_id=tenant, site_id=site, actor=actor[:200],
                           action=action, target=target[:200], address=address[:64], detail=detail[:4000]))


async def record(session: AsyncSession, action: str, actor: str, **fields: str | None) -> None:
    """``note`` and commit at once (for actions that change nothing else in SQL)."""
    note(session, action, actor, **fields)  # type: ignore[arg-type]
    await session.commit()


async def entries(session: AsyncSession, tenant: str, sites: frozenset[str] | None = None,
                  limit: int = 1000) -> Sequence[AuditEntry]:
    """The latest ``limit`` entries of ``tenant`` (only those of ``sites`` when given), newest first."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant)  # type: ignore[arg-type]
    if sites is not None:
        query = query.where(AuditEntry.site_id.in_(sorted(sites)))  # type: ignore[union-attr]
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)  # type: ignore[attr-defined,union-attr]
    return (await session.execute(query)).scalars().all()


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

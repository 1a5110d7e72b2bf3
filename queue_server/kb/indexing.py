"""The sheets in the shared full-text search (``platform/textsearch.py``), kept current in the transaction that
writes them: each sheet under the one kind that says who may find it (``domain/sheets.py`` ``index_kind``), moved to
another when its status, audience or sharing changes.

A sheet's document: its title (found first), then the words its Markdown shows (``rendering.plain``: no marks,
no link targets) and the name of the service that keeps it. Excerpts are cut from those words."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.kb import rendering
from queue_server.kb.domain.sheets import index_kind
from queue_server.kb.tables import SheetRow
from queue_server.platform import textsearch


def kind_of(row: SheetRow) -> str:
    return index_kind(row.status, row.audience, row.shared)  # type: ignore[arg-type]


def document(row: SheetRow) -> textsearch.Document:
    """``row``'s document, under its kind."""
    body = rendering.plain(row.body)
    if row.owner_service:
        body = f"{body}\n\n{row.owner_service}" if body else row.owner_service
    return textsearch.Document(kind_of(row), row.tenant_id, row.id, row.title, body)


async def reindex(session: AsyncSession, row: SheetRow, previous_kind: str | None = None) -> None:
    """Index ``row`` as it now stands, in the caller's transaction; ``previous_kind``: the kind it was indexed
    under before (removed first when it differs)."""
    kind = kind_of(row)
    if previous_kind is not None and previous_kind != kind:
        await textsearch.remove(session, row.tenant_id, previous_kind, row.id)
    await textsearch.index(session, document(row))

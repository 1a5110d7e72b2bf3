"""The requests in the shared full-text search (``platform/textsearch.py``), kept current in the transaction that
changes them: a request is indexed when it is filed, again when a message is added (the citizen's, staff's reply,
an internal note) and when it changes category.

A request's document: its title is its reference and subject (found first); its body its messages, oldest first
(internal notes too: only staff search), then its sender (name, organisation, e-mail) and its category's name.
Excerpts are cut from the messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform import textsearch
from queue_server.requests.tables import CategoryRow, RequestMessage, RequestRow

KIND = "request"


def request_document(tenant: str, request_id: str, reference: str, subject: str, messages: Iterable[str],
                     sender: Iterable[str | None], category: str) -> textsearch.Document:
    """A request's document, from its values (the migration that indexes the requests filed before uses it)."""
    tail = " ".join(part for part in (*sender, category) if part)
    return textsearch.Document(KIND, tenant, request_id, f"{reference} {subject}",
                               "\n\n".join([*messages, tail]))


async def reindex(session: AsyncSession, row: RequestRow) -> None:
    """Index ``row`` as it stands in ``session`` (its messages flushed), in the caller's transaction."""
    messages = (await session.exec(select(RequestMessage.body).where(
        col(RequestMessage.request_id) == row.id).order_by(col(RequestMessage.id)))).all()
    category = (await session.exec(select(CategoryRow.name).where(
        col(CategoryRow.tenant_id) == row.tenant_id, col(CategoryRow.category) == row.category))).first()
    await textsearch.index(session, request_document(
        row.tenant_id, row.id, row.reference, row.subject, messages,
        (row.first_name, row.last_name, row.organisation, row.email), category or row.category))


@dataclass(frozen=True, slots=True)
class Match:
    request_id: str
    excerpt: tuple[textsearch.Span, ...]


async def matching(session: AsyncSession, tenant: str, text: str, *, ids: Sequence[str] | None = None,
                   limit: int = 200) -> list[Match]:
    """The tenant's requests whose words include those of ``text`` (among ``ids`` when given), best first."""
    hits = await textsearch.search(session, tenant, text, kind=KIND, ids=ids, limit=limit)
    return [Match(hit.doc_id, hit.excerpt) for hit in hits]

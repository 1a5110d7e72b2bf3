"""What a request is read with besides its own rows (``service.py`` ``Found``): the service in charge (its
category's), and the requests it is linked to by handling (``handling.py``): the request it was merged into,
the duplicates merged into it (with their messages and files, which stay theirs: see ``handling.py``), and the
copy made by a transmission to another tenant of this installation, either way.

Loaded for many requests at once (a list of 200 takes a handful of queries, whatever its length). A link to a
request that is no longer there reads as none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.requests.tables import CategoryRow, RequestAttachment, RequestMessage, RequestRow

MAX_DEPTH = 20  # duplicates of duplicates gathered at most this deep (a request merged since took its own)


@dataclass(frozen=True, slots=True)
class Ref:
    """Another request, as a link names it: its tenant, id and reference."""

    tenant: str
    id: str
    reference: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A request merged into the one read, with its messages and attachments."""

    row: RequestRow
    messages: list[RequestMessage] = field(default_factory=list)
    attachments: list[RequestAttachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Links:
    service: str = ""
    merged_into: Ref | None = None
    merged: tuple[Duplicate, ...] = ()
    transmission: Ref | None = None  # the copy made in another tenant
    transmitted_from: Ref | None = None  # the request this one is the copy of


def _ref(row: RequestRow | None) -> Ref | None:
    return None if row is None else Ref(row.tenant_id, row.id, row.reference)


async def links_of(session: AsyncSession, rows: Sequence[RequestRow]) -> dict[str, Links]:
    """Each request's ``Links``, by id."""
    if not rows:
        return {}
    tenants = {row.tenant_id for row in rows}
    services = {(c.tenant_id, c.category): c.service_name for c in (await session.exec(select(CategoryRow).where(
        col(CategoryRow.tenant_id).in_(tenants)))).all()}
    named = {target for row in rows
             for target in (row.merged_into, row.transmitted_tenant_request, row.transmitted_from) if target}
    others = {other.id: other for other in (await session.exec(select(RequestRow).where(
        col(RequestRow.id).in_(named)))).all()} if named else {}
    merged = await _duplicates(session, [row.id for row in rows])
    return {row.id: Links(
        service=services.get((row.tenant_id, row.category), ""),
        merged_into=_ref(others.get(row.merged_into or "")),
        merged=tuple(merged.get(row.id, ())),
        transmission=_ref(others.get(row.transmitted_tenant_request or "")),
        transmitted_from=_ref(others.get(row.transmitted_from or "")),
    ) for row in rows}


async def _duplicates(session: AsyncSession, ids: list[str]) -> dict[str, list[Duplicate]]:
    """The duplicates merged into each of ``ids``, and theirs (a request that had taken duplicates and was then
    merged itself), oldest first, with their messages and attachments."""
    children: dict[str, list[RequestRow]] = {}
    seen, frontier = set(ids), list(ids)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        rows = (await session.exec(select(RequestRow).where(col(RequestRow.merged_into).in_(frontier)))).all()
        frontier = []
        for row in rows:
            children.setdefault(row.merged_into or "", []).append(row)
            if row.id not in seen:
                seen.add(row.id)
                frontier.append(row.id)
    if not children:
        return {}
    everyone = [row.id for rows in children.values() for row in rows]
    messages = (await session.exec(select(RequestMessage).where(col(RequestMessage.request_id).in_(everyone))
                                   .order_by(col(RequestMessage.id)))).all()
    files = (await session.exec(select(RequestAttachment).where(col(RequestAttachment.request_id).in_(everyone))
                                .order_by(col(RequestAttachment.id)))).all()
    out: dict[str, list[Duplicate]] = {}
    for root in ids:
        under: dict[str, RequestRow] = {}
        stack = [root]
        while stack:
            for row in children.get(stack.pop(), ()):
                if row.id not in under and row.id != root:
                    under[row.id] = row
                    stack.append(row.id)
        if under:
            out[root] = [Duplicate(row, [m for m in messages if m.request_id == row.id],
                                   [f for f in files if f.request_id == row.id])
                         for row in sorted(under.values(), key=lambda r: (r.received_at, r.reference))]
    return out

"""Who reads which sheet, and where a sheet is searched.

A sheet has a status (``draft`` → ``review`` → ``published`` → ``archived``, any change allowed: the editors decide),
an audience (``agents`` only, or ``public``: the FAQ) and a ``shared`` flag (its partners' agents may read it).

    reader                       reads of tenant T's sheets
    ──────────────────────────   ─────────────────────────────────────────────────────────
    anyone (no credentials)      published and public
    staff of T                   published (either audience)
    supervisor or admin of T     every one, whatever its status
    staff of a partner P of T    published and shared (either audience), read only

Partners are partners both ways: T names P and P names T (``mutual``); a tenant that named another that did not
name it back reads nothing of it, and is read by nothing of it. What a reader may not read does not exist for them
(the web layer answers 404, never 403).

The search index keeps each sheet under one *kind* that says who may find it (``index_kind``); a reader's search is
the list of (tenant, kinds) it may look in (``scopes``), so that what is not theirs is never read, not even
filtered out afterwards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

Status = Literal["draft", "review", "published", "archived"]
Audience = Literal["agents", "public"]
STATUSES: tuple[Status, ...] = ("draft", "review", "published", "archived")
AUDIENCES: tuple[Audience, ...] = ("agents", "public")

# The index's kinds (platform/textsearch.py ``kind``, 32 characters at most).
PUBLIC = "kb.public"
PUBLIC_SHARED = "kb.public.shared"
AGENTS = "kb.agents"
AGENTS_SHARED = "kb.agents.shared"
UNPUBLISHED = "kb.unpublished"
KINDS = (PUBLIC, PUBLIC_SHARED, AGENTS, AGENTS_SHARED, UNPUBLISHED)
PUBLISHED_KINDS = (PUBLIC, PUBLIC_SHARED, AGENTS, AGENTS_SHARED)
SHARED_KINDS = (PUBLIC_SHARED, AGENTS_SHARED)
PUBLIC_KINDS = (PUBLIC, PUBLIC_SHARED)


@dataclass(frozen=True, slots=True)
class Facts:
    """What decides who reads a sheet: whose it is, its status, audience and ``shared`` flag."""

    tenant: str
    status: Status
    audience: Audience
    shared: bool


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: ``tenant`` None for anyone (no credentials, or credentials of no staff); ``editor`` for a
    supervisor or an administrator of ``tenant``; ``partners`` the tenants ``tenant`` is a partner of, both ways."""

    tenant: str | None = None
    editor: bool = False
    partners: frozenset[str] = frozenset()


PUBLIC_READER = Reader()


def index_kind(status: Status, audience: Audience, shared: bool) -> str:
    """The kind a sheet is indexed under: who may find it."""
    if status != "published":
        return UNPUBLISHED
    if audience == "public":
        return PUBLIC_SHARED if shared else PUBLIC
    return AGENTS_SHARED if shared else AGENTS


def may_read(reader: Reader, sheet: Facts, *, through: str) -> bool:
    """Whether ``reader`` reads ``sheet`` asked through collectivity ``through`` (whose FAQ, or whose staff's
    pages): a published public sheet is anyone's through its own collectivity."""
    published = sheet.status == "published"
    if published and sheet.audience == "public" and sheet.tenant == through:
        return True
    if reader.tenant is None:
        return False
    if sheet.tenant == reader.tenant:
        return published or reader.editor
    return published and sheet.shared and sheet.tenant in reader.partners


def scopes(reader: Reader, tenant: str) -> list[tuple[str, tuple[str, ...]]]:
    """Where ``reader`` searches when asking collectivity ``tenant``: (tenant, kinds) pairs. Anyone: its published
    public sheets; its staff: its published sheets (every one for editors) and the shared published sheets of
    its partners."""
    if reader.tenant != tenant:
        return [(tenant, PUBLIC_KINDS)]
    own = KINDS if reader.editor else PUBLISHED_KINDS
    return [(tenant, own), *((partner, SHARED_KINDS) for partner in sorted(reader.partners))]


def mutual(tenant: str, named: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The partners of ``tenant`` both ways, from who named whom (tenant -> the tenants it named)."""
    mine = set(named.get(tenant, ()))
    return frozenset(other for other in mine if other != tenant and tenant in set(named.get(other, ())))


def due_for_review(review_by: date | None, status: Status, today: date) -> bool:
    """Whether a sheet is to be reviewed now: its review date has come (that day included), and it is not
    archived (an archived sheet is read by nobody but its editors)."""
    return review_by is not None and review_by <= today and status != "archived"

"""The knowledge base's SQL tables (SQLModel): sheets as they stand, every version of each (the first included), the
partners each collectivity named, and the local notes a collectivity writes on top of a partner's sheet. They refer
to the shared tables by name only (``"tenants.id"``); ``queue_server/schema.py`` puts every module's tables together.
Migrations: ``db/migrations`` (``0024``).

A sheet's words are in the shared full-text search too (``platform/textsearch.py``), under the kind that says who
may find it (``domain/sheets.py``), written in the transaction that writes the sheet."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


def _text() -> Any:
    return Column(Text, nullable=False)


def _ids() -> Any:
    return Column(JSON, nullable=False)


class SheetRow(SQLModel, table=True):
    """A sheet as it stands (its latest version, ``version``). ``id`` is random (a public sheet's address).
    ``services``, ``motifs`` and ``categories`` name the queue's services, booking's motifs and the requests'
    categories it is about, by id (free lists: a link to something removed since is shown as its id)."""

    __tablename__ = "kb_sheets"
    __table_args__ = (Index("ix_kb_sheets_tenant_status", "tenant_id", "status"),
                      Index("ix_kb_sheets_tenant_review", "tenant_id", "review_by"))
    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=_text())  # Markdown
    audience: str = Field(max_length=16)  # agents, public
    status: str = Field(max_length=16)  # draft, review, published, archived
    shared: bool = False  # read by the agents of partner collectivities too
    owner_service: str | None = Field(default=None, max_length=200)  # who keeps it up to date (a name)
    review_by: date | None = None
    services: list[str] = Field(default_factory=list, sa_column=_ids())
    motifs: list[str] = Field(default_factory=list, sa_column=_ids())
    categories: list[str] = Field(default_factory=list, sa_column=_ids())
    version: int = 1
    created_at: datetime = Field(sa_column=_utc())
    created_by: str = Field(max_length=200)  # the audit log's actor ("user:anne")
    updated_at: datetime = Field(sa_column=_utc())
    updated_by: str = Field(max_length=200)


class SheetVersion(SQLModel, table=True):
    """One version of a sheet, as it was written (version 1 at creation, one more for each change), with its
    author and time: the history and the differences read these."""

    __tablename__ = "kb_versions"
    __table_args__ = (UniqueConstraint("sheet_id", "number", name="uq_kb_versions_sheet_number"),)
    id: int | None = Field(default=None, primary_key=True)
    sheet_id: str = Field(foreign_key="kb_sheets.id", max_length=32)
    number: int
    title: str = Field(max_length=200)
    body: str = Field(sa_column=_text())
    audience: str = Field(max_length=16)
    status: str = Field(max_length=16)
    shared: bool = False
    owner_service: str | None = Field(default=None, max_length=200)
    review_by: date | None = None
    services: list[str] = Field(default_factory=list, sa_column=_ids())
    motifs: list[str] = Field(default_factory=list, sa_column=_ids())
    categories: list[str] = Field(default_factory=list, sa_column=_ids())
    at: datetime = Field(sa_column=_utc())
    author: str = Field(max_length=200)


class PartnerRow(SQLModel, table=True):
    """``tenant_id`` named ``partner_id`` a partner: its shared sheets are read there once the partner named it
    too. ``partner_id`` is as the administrator wrote it (no foreign key: naming a collectivity that does not exist,
    or not yet, shares nothing)."""

    __tablename__ = "kb_partners"
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=64)
    partner_id: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(sa_column=_utc())
    named_by: str = Field(max_length=200)


class LocalNote(SQLModel, table=True):
    """What collectivity ``tenant_id`` adds on top of a partner's sheet, for its own agents (shown above the sheet;
    the partner never reads it)."""

    __tablename__ = "kb_notes"
    __table_args__ = (UniqueConstraint("sheet_id", "tenant_id", name="uq_kb_notes_sheet_tenant"),)
    id: int | None = Field(default=None, primary_key=True)
    sheet_id: str = Field(foreign_key="kb_sheets.id", max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    body: str = Field(sa_column=_text())
    updated_at: datetime = Field(sa_column=_utc())
    updated_by: str = Field(max_length=200)

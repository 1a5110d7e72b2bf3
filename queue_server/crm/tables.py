"""The CRM's SQL tables (SQLModel): parties, their contact points and relations, the words they are
found by, their timelines, the collectivity's sectors, proposed duplicates and purge reports. They refer
to the shared tables by name only (``"tenants.id"``); ``queue_server/schema.py`` puts every module's
tables together. Migrations: ``db/migrations``.

Nothing here is keyed by a national identifier: a party's id is this record's own number, meaningless
outside it (no identifier shared between services or systems)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime, nullable_utc

# Words are compared byte for byte, so that a B-tree index answers "starts with" on PostgreSQL too (its
# default collation orders by language rules, which a prefix range cannot use).
WORD = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


class Party(SQLModel, table=True):
    """A person, an association or a company the town hall dealt with."""

    __tablename__ = "crm_parties"
    __table_args__ = (
        # Retention (dealt with before...) and search (the most recent first, id breaking ties).
        Index("ix_crm_parties_tenant_dealt", "tenant_id", "dealt_with_at", "id"),
        Index("ix_crm_parties_tenant_siret", "tenant_id", "siret"),
        Index("ix_crm_parties_tenant_siren", "tenant_id", "siren"),
        Index("ix_crm_parties_tenant_rna", "tenant_id", "rna"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    kind: str = Field(max_length=16)  # "person", "association", "company"
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    birth_date: date | None = None
    language: str = Field(default="fr", max_length=12)
    name: str = Field(default="", max_length=200)  # an association's or a company's
    rna: str | None = Field(default=None, max_length=10)  # W + 9 digits
    siren: str | None = Field(default=None, max_length=9)
    siret: str | None = Field(default=None, max_length=14)
    activity: str = Field(default="", max_length=200)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    dealt_with_at: datetime = Field(sa_column=_utc())  # the last interaction: retention counts from it


class ContactPoint(SQLModel, table=True):
    """A phone number (E.164), an e-mail address or a postal address of a party, with the consents given
    for it. ``key`` is what search compares: the E.164 number, the address in lower case, the folded
    postal address."""

    __tablename__ = "crm_contacts"
    __table_args__ = (Index("ix_crm_contacts_tenant_key", "tenant_id", "kind", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    party_id: int = Field(foreign_key="crm_parties.id", index=True)
    kind: str = Field(max_length=16)  # "phone", "email", "address"
    value: str = Field(max_length=300)
    key: str = Field(max_length=300)
    label: str = Field(default="", max_length=50)
    consent_sms: bool = False
    consent_email: bool = False
    consent_surveys: bool = False


class Relation(SQLModel, table=True):
    """A person's role in an association or a company (presides, manages...)."""

    __tablename__ = "crm_relations"
    __table_args__ = (UniqueConstraint("party_id", "other_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    party_id: int = Field(foreign_key="crm_parties.id", index=True)  # the person
    other_id: int = Field(foreign_key="crm_parties.id", index=True)  # the association or company
    role: str = Field(max_length=32)


class Word(SQLModel, table=True):
    """A folded word of a party's names (its postings: search finds parties by their words). Read and
    written by ``crm/search.py`` only. The primary key finds a word's parties (and those of a prefix);
    ``ix_crm_words_party_word`` a party's words, from the index alone (does this party have a word
    among these?)."""

    __tablename__ = "crm_words"
    __table_args__ = (Index("ix_crm_words_party_word", "party_id", "word"),)
    tenant_id: str = Field(primary_key=True, max_length=64)
    word: str = Field(sa_column=Column(WORD, primary_key=True))
    party_id: int = Field(primary_key=True, foreign_key="crm_parties.id")


class WordKey(SQLModel, table=True):
    """A typo key of a word in use in the tenant (``crm.domain.text.typo_keys``): a typed word's keys
    find the words one typo away. Forgotten with the last party that used the word. Read and written by
    ``crm/search.py`` only."""

    __tablename__ = "crm_word_keys"
    tenant_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(sa_column=Column(WORD, primary_key=True))
    word: str = Field(sa_column=Column(WORD, primary_key=True))


class Entry(SQLModel, table=True):
    """One interaction on a party's timeline: a visit, a note, an appointment, a request, a call, a
    survey. ``source`` names what made it (``ticket:SITE:ID``), so that an event read twice writes it
    once. ``sector`` is that of its service (None: general)."""

    __tablename__ = "crm_entries"
    __table_args__ = (UniqueConstraint("tenant_id", "source"), Index("ix_crm_entries_party_at", "party_id", "at"))
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    party_id: int = Field(foreign_key="crm_parties.id")
    at: datetime = Field(sa_column=_utc())
    kind: str = Field(max_length=16)
    sector: str | None = Field(default=None, max_length=64)
    site_id: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=64)
    summary: str = Field(default="", max_length=2000)  # a note's text; a visit's outcome
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    source: str | None = Field(default=None, max_length=200)
    author: str = Field(default="", max_length=200)  # "user:anne" for a note; "" for what events wrote


class Sector(SQLModel, table=True):
    """A group of the collectivity's services whose entries its members read whole (état civil,
    urbanisme, action sociale...). A sealed sector's entries are hidden from everyone else."""

    __tablename__ = "crm_sectors"
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    sealed: bool = False


class SectorService(SQLModel, table=True):
    """The sector a service belongs to (at most one)."""

    __tablename__ = "crm_sector_services"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    service_id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    sector_id: str = Field(max_length=64)


class SectorMember(SQLModel, table=True):
    """A person of the staff who belongs to a sector."""

    __tablename__ = "crm_sector_members"
    tenant_id: str = Field(primary_key=True, max_length=64)
    sector_id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", primary_key=True)


class Duplicate(SQLModel, table=True):
    """Two parties that are likely one, waiting for a supervisor to merge them or to say they are not."""

    __tablename__ = "crm_duplicates"
    __table_args__ = (UniqueConstraint("party_id", "other_id"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64, index=True)
    party_id: int = Field(foreign_key="crm_parties.id")
    other_id: int = Field(foreign_key="crm_parties.id")
    reason: str = Field(max_length=32)
    found_at: datetime = Field(sa_column=_utc())


class Purge(SQLModel, table=True):
    """A deletion report: what the retention job (or an erasure) removed, without a name: the parties'
    numbers, kinds and last dealings, for the data protection officer."""

    __tablename__ = "crm_purges"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_column=_utc())
    actor: str = Field(max_length=200)
    reason: str = Field(max_length=32)  # "retention", "erasure"
    parties: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    until: datetime | None = Field(default=None, sa_column=nullable_utc())  # retention: dealt with before this

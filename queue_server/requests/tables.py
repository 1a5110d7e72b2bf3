"""The requests' SQL tables (SQLModel): categories (with their service in charge and legal mentions), requests,
their messages, their attachments' metadata (the files are under the data directory), and the counter each
tenant's references of a year are drawn from. They refer to the shared tables by name only (``"tenants.id"``);
``queue_server/schema.py`` puts every module's tables together. Migrations: ``db/migrations``.

References without gaps: a request takes the next number of ``requests_counters`` (one row per tenant and year)
in its own transaction; the row's update locks it until the commit (PostgreSQL), the database's single write lock
does the same on SQLite, and a rolled-back request gives its number back. ``uq_requests_tenant_reference`` holds
whatever the code above it does."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime, nullable_utc


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


class CategoryRow(SQLModel, table=True):
    """A category citizens choose (``etat-civil``, ``voirie``...), routed to its service, with the mentions its
    acknowledgements state (``domain/acknowledgement.py``)."""

    __tablename__ = "requests_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "category", name="uq_requests_categories_tenant_category"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    category: str = Field(max_length=64)
    name: str = Field(max_length=120)
    position: int = 0
    public: bool = True  # offered to citizens; staff may file a request in any
    # Whose calendar counts the due dates and dates the receipt (its time zone, its public holidays); null: the
    # tenant's first site.
    site_id: str | None = Field(default=None, foreign_key="sites.id", max_length=64)
    service_name: str = Field(max_length=200)
    service_address: str = Field(default="", max_length=300)
    service_email: str = Field(default="", max_length=320)
    service_phone: str = Field(default="", max_length=32)
    implicit: str = Field(default="none", max_length=16)  # none, acceptance, rejection
    delay_months: int = 0
    delay_days: int = 0
    appeal: str = Field(default="", max_length=2000)
    answer_days: int = 10  # business days to answer in (the due date)
    # One e-mail at creation that is both the receipt and the acknowledgement (L112-11); false: a registration
    # receipt at once, the acknowledgement of receipt later (an agent's click, else within 7 days: ``service.py``).
    acknowledge_at_once: bool = True


class RequestCounter(SQLModel, table=True):
    """The last reference number given to a tenant's requests of a year."""

    __tablename__ = "requests_counters"
    tenant_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    last: int = 0


class RequestRow(SQLModel, table=True):
    """A request. ``id`` is the holder's key (the tracking link); ``reference`` is what people quote. The
    sender's name and contact are personal data."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference", name="uq_requests_tenant_reference"),
        Index("ix_requests_tenant_status", "tenant_id", "status"),
        Index("ix_requests_tenant_category", "tenant_id", "category"),
        Index("ix_requests_tenant_party", "tenant_id", "party"),
        Index("ix_requests_tenant_assignee", "tenant_id", "assignee"),
        Index("ix_requests_merged_into", "merged_into"),
    )
    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    reference: str = Field(max_length=24)
    category: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    status: str = Field(default="received", max_length=16)
    channel: str = Field(default="web", max_length=16)
    received_at: datetime = Field(sa_column=_utc())
    received_on: date  # the local day of receipt, on the category's site's clock (what the acknowledgement says)
    due_on: date
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)  # E.164
    address: str | None = Field(default=None, max_length=300)
    organisation: str | None = Field(default=None, max_length=200)
    siren: str | None = Field(default=None, max_length=9)
    rna: str | None = Field(default=None, max_length=10)
    lang: str = Field(default="fr", max_length=12)
    created_by: str = Field(default="citizen", max_length=200)  # "citizen" or the staff member's actor
    updated_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    # The citizen record's party staff linked the request to (``parties.py``), by its number there; null: none.
    party: int | None = None
    # When its acknowledgement of receipt was written to the outbox, or printed for a sender without e-mail; null:
    # still to send.
    acknowledged_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    # Handling (``handling.py``). The links name requests by id without a foreign key: erasing one never waits
    # for the others, and a link to a request gone reads as none.
    assignee: str | None = Field(default=None, max_length=200)  # the login of the staff member in charge
    transmitted_to: str | None = Field(default=None, max_length=200)  # the administration it went to (L114-2)
    transmitted_tenant_request: str | None = Field(default=None, max_length=32)  # its copy, there, if ours
    transmitted_from: str | None = Field(default=None, max_length=32)  # the request it is the copy of
    merged_into: str | None = Field(default=None, max_length=32)  # the request kept, for a duplicate


class RequestMessage(SQLModel, table=True):
    """A message on a request: the citizen's (their request's text, their answers) or staff's (a reply the
    citizen reads, or an internal note: ``internal``)."""

    __tablename__ = "requests_messages"
    __table_args__ = (Index("ix_requests_messages_request", "request_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id", max_length=32)
    at: datetime = Field(sa_column=_utc())
    author: str = Field(max_length=16)  # citizen, staff
    body: str = Field(sa_column=Column(Text, nullable=False))
    internal: bool = False
    actor: str = Field(default="", max_length=200)


class RequestAttachment(SQLModel, table=True):
    """A file sent with a request: its shown name, its type as read from its content, its size, and where it is
    under the data directory (``path``, relative to ``{data_dir}/requests``)."""

    __tablename__ = "requests_attachments"
    __table_args__ = (Index("ix_requests_attachments_request", "request_id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id", max_length=32)
    message_id: int | None = Field(default=None, foreign_key="requests_messages.id")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=300)
    at: datetime = Field(sa_column=_utc())


class RequestTemplate(SQLModel, table=True):
    """A reply template of a tenant's (``handling.py``): its title, its text with ``{placeholders}``
    (``domain/handling.py``), its place in the list and the language of the replies it starts. A tenant with none
    is offered the built-in ones (``web/staff.py`` ``reply_templates``)."""

    __tablename__ = "requests_templates"
    __table_args__ = (Index("ix_requests_templates_tenant", "tenant_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    title: str = Field(max_length=120)
    body: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0
    lang: str = Field(default="fr", max_length=12)
    updated_at: datetime = Field(sa_column=_utc())


class RequestMail(SQLModel, table=True):
    """An e-mail of the citizen's that became a request or a message on one (``intake/``), by its Message-ID
    (or, without one, ``sha256:`` and the digest of its bytes): an e-mail read twice (a crash before the mailbox
    marked it seen) is recognised and written once; the replies' ``In-Reply-To`` and ``References`` name them."""

    __tablename__ = "requests_mail"
    __table_args__ = (UniqueConstraint("tenant_id", "message_id", name="uq_requests_mail_tenant_message"),
                      Index("ix_requests_mail_request", "request_id"))
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    message_id: str = Field(max_length=998)
    request_id: str = Field(foreign_key="requests.id", max_length=32)
    at: datetime = Field(sa_column=_utc())


class RequestPurge(SQLModel, table=True):
    """A deletion report of the requests' retention (``retention.py``): when, closed before when, how many
    requests went and their references, never a name (for the data protection officer)."""

    __tablename__ = "requests_purges"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64, index=True)
    at: datetime = Field(sa_column=_utc())
    before: datetime = Field(sa_column=_utc())  # the requests closed before this went
    requests: int
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

"""The shared SQL tables (SQLModel): what is relational and long-lived and every module uses (tenants,
sites, tokens, people, the audit log, the outbox). A module's own tables are in its room
(``queue/tables.py``); ``queue_server/schema.py`` names them all. Migrations: ``db/migrations``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, TypeDecorator, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite forgets the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def nullable_utc() -> Column[Any]:
    """A column of aware UTC datetimes that may be null (a new one for each table: columns are not shared)."""
    return Column(UTCDateTime(), nullable=True)


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # The collectivity's websites ("https://www.ville.fr"): their pages may embed ours and open the
    # live feed with a person's session.
    website_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False,
                                                                                server_default="[]"))


class Site(SQLModel, table=True):
    __tablename__ = "sites"
    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    # ISO 3166 region that reads local phone numbers ("FR"; "RE", "GP", "MQ", "GF", "YT" overseas).
    region: str = Field(default="FR", max_length=2, sa_column_kwargs={"server_default": "FR"})
    ordering: str = Field(default="weighted_wait", max_length=32)
    # Languages the hall display announces calls in, in order ("fr", "en").
    languages: list[str] = Field(default_factory=lambda: ["fr"], sa_column=Column(JSON, nullable=False))
    address: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    colours: list[str] = Field(default_factory=lambda: ["#000091", "#e1000f"],  # main, accent: "#RRGGBB"
                               sa_column=Column(JSON, nullable=False, server_default='["#000091", "#e1000f"]'))
    # {"0": [[510, 720], [810, 1020]], ...}: weekday (0 = Monday) -> minutes [start, end); null: always open.
    hours: dict[str, list[list[int]]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Whose public holidays close the site: "FR", "FR-57", "FR-974"... (platform/calendar.py); null: none.
    holiday_region: str | None = Field(default=None, max_length=16)
    kiosk_languages: list[str] = Field(default_factory=lambda: ["fr", "en", "es", "ar"], sa_column=Column(
        JSON, nullable=False, server_default='["fr", "en", "es", "ar"]'))
    kiosk_idle_s: int | None = None  # seconds a ticket stays on the kiosk's screen; null: the server's setting
    # Citizens may take a ticket from home, in the ticket widget of the city's website (queue/remote.py); off unless
    # an administrator allows it.
    remote_tickets: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Closure(SQLModel, table=True):
    """Days a site is closed, both included ("Inventaire", "Pont de l'Ascension")."""

    __tablename__ = "closures"
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="sites.id", index=True, max_length=64)
    first: date
    last: date
    reason: str = Field(default="", max_length=200)



class SiteLogo(SQLModel, table=True):
    """The site's logo, shown by its screens and printed on its tickets (PNG or JPEG, 512 KiB at most).

    ``version`` is the first 12 hex digits of the data's SHA-256: URLs carry it, so that browsers
    and kiosks may keep a logo for good and still see a new one at once."""

    __tablename__ = "site_logos"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    content_type: str = Field(max_length=64)  # "image/png" or "image/jpeg"
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: str = Field(max_length=12)



class ApiToken(SQLModel, table=True):
    """A bearer token for a device or an integration. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    site_id: str = Field(foreign_key="sites.id", index=True, max_length=64)
    role: str = Field(max_length=16)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=nullable_utc())




class User(SQLModel, table=True):
    """A person who logs in: an agent, a supervisor or an administrator of one tenant.

    ``session_epoch`` grows whenever the password changes or the account is disabled: sessions opened
    before carry the old value and stop working on every process within the lookup cache's delay."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=64)
    login: str = Field(unique=True, max_length=200)  # an e-mail address or a short name, lower case
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)  # argon2id, with its parameters
    disabled: bool = False
    session_epoch: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserRole(SQLModel, table=True):
    """What a user may do where: ``role`` at ``site_id``; an ``admin`` row without a site covers every
    site of the user's tenant."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    site_id: str | None = Field(default=None, foreign_key="sites.id", max_length=64)
    role: str = Field(max_length=16)


class AuditEntry(SQLModel, table=True):
    """Who did what, when, from where: sign-ins, tokens, devices, accounts, reads of personal data.
    Written in the same transaction as the change it records where there is one; never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    tenant_id: str | None = Field(default=None, max_length=64)  # None: a failed sign-in of an unknown login
    site_id: str | None = Field(default=None, max_length=64)
    actor: str = Field(max_length=200)  # "user:anne", "token:12", "cli", "anonymous"
    action: str = Field(max_length=64)  # "login", "login.failed", "token.revoked", ...
    target: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=4000)


class OutboxMessage(SQLModel, table=True):
    """A text message or an e-mail to send (``platform/outbox.py``): written in the transaction of the
    change that causes it, sent once by a worker, retried with back-off.

    ``key`` names the message ("visit:{ticket}:turn-near"): a second message with the same key is not
    written. ``status``: "pending" (due at ``next_at``; a worker holds it until ``claimed_until``),
    "sent" or "failed" (given up after too many attempts). ``attachments`` (e-mails only) is a list of
    ``{"filename", "content_type", "data"}``, ``data`` in base64, or null. ``recipient``, ``subject``,
    ``body`` and ``attachments`` are personal data: ``purge`` blanks them once the message is old enough."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_at", "status", "next_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    channel: str = Field(max_length=8)  # "sms" or "email"
    tenant_id: str | None = Field(default=None, max_length=64)
    recipient: str = Field(max_length=320)  # E.164 for an SMS, an address for an e-mail
    subject: str = Field(default="", max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # E-mails only: extra headers ({"In-Reply-To": ..., "Auto-Submitted": ...}), or null.
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=nullable_utc())
    claimed_by: str | None = Field(default=None, max_length=32)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=nullable_utc())

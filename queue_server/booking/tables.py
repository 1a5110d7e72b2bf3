"""Booking's SQL tables (SQLModel): motifs, appointments, the places they hold, the waiting list, purge
reports. They refer to the shared tables by name only (``"sites.id"``); ``queue_server/schema.py`` puts every
module's tables together. Migrations: ``db/migrations``.

No double booking, across any number of server processes: an appointment holds its desk for every
``GRANULE_MIN``-minute granule of its span (buffers included), one ``booking_holds`` row each, under a unique
constraint on (site, motif, desk, granule). Two bookings that would share a desk at any moment cannot both
commit: the database refuses the second, on SQLite and PostgreSQL alike (see ``service.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime, nullable_utc


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


class MotifRow(SQLModel, table=True):
    """A motif of a site (``domain/motifs.py`` ``Motif`` is the value the rules see)."""

    __tablename__ = "booking_motifs"
    __table_args__ = (UniqueConstraint("site_id", "motif", name="uq_booking_motifs_site_motif"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="sites.id", max_length=64)
    motif: str = Field(max_length=64)
    service: str = Field(max_length=64)
    name: str = Field(max_length=120)
    position: int = 0
    duration_min: int
    capacity: int = 1
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    step_min: int | None = None
    min_notice_min: int = 120
    horizon_days: int = 90
    public: bool = True
    cancel_cutoff_min: int = 0
    arrive_before_min: int = 30
    arrive_after_min: int = 15
    max_upcoming: int = 2
    description: str = Field(default="", max_length=500)
    instructions: str = Field(default="", max_length=2000)
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # {"0": [[510, 720]], ...} as a site's hours; null: the site's.
    hours: dict[str, list[list[int]]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    duration_rule: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    ants: str | None = Field(default=None, max_length=16)
    holidays: str | None = Field(default=None, max_length=16)  # a region whose public holidays close it too


class Appointment(SQLModel, table=True):
    """A booked appointment. ``id`` is the holder's key (links); ``code`` is typed at the kiosk. The person's
    name and contact are personal data: erased with the party, purged with the appointment."""

    __tablename__ = "booking_appointments"
    __table_args__ = (
        UniqueConstraint("site_id", "code", name="uq_booking_appointments_site_code"),
        UniqueConstraint("site_id", "idempotency_key", name="uq_booking_appointments_site_key"),
        Index("ix_booking_appointments_site_start", "site_id", "start"),
        Index("ix_booking_appointments_tenant_party", "tenant_id", "party"),
        Index("ix_booking_appointments_ticket", "site_id", "ticket_id"),
    )
    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    site_id: str = Field(foreign_key="sites.id", max_length=64)
    code: str = Field(max_length=8)
    motif: str = Field(max_length=64)
    service: str = Field(max_length=64)
    start: datetime = Field(sa_column=_utc())
    end: datetime = Field(sa_column=_utc())
    day: date  # the start's day on the site's clock (the day's agenda, "not today" at the kiosk)
    desk: int = 1
    status: str = Field(default="booked", max_length=16)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)  # E.164
    party: int | None = None  # the citizen record's party (crm_parties.id), when known
    lang: str = Field(default="fr", max_length=12)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=255)
    visit: str | None = Field(default=None, max_length=32)  # appointments booked together share it (one SMS)
    ticket_id: str | None = Field(default=None, max_length=64)
    sequence: int = 0  # +1 at each move (the .ics SEQUENCE)
    reason: str = Field(default="", max_length=300)  # why it was cancelled or moved, by staff
    booked_by: str = Field(default="", max_length=200)  # "citizen" or the staff member's actor
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    checked_in_at: datetime | None = Field(default=None, sa_column=nullable_utc())


class Hold(SQLModel, table=True):
    """One granule of a desk taken by an appointment (see the module's docstring)."""

    __tablename__ = "booking_holds"
    __table_args__ = (
        UniqueConstraint("site_id", "motif", "desk", "at", name="uq_booking_holds_place"),
        Index("ix_booking_holds_appointment", "appointment_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=64)
    motif: str = Field(max_length=64)
    desk: int
    at: datetime = Field(sa_column=_utc())
    appointment_id: str = Field(foreign_key="booking_appointments.id", max_length=32)


class WaitingEntry(SQLModel, table=True):
    """Someone who wants an earlier slot for a motif (by ``before``): told once when one frees up."""

    __tablename__ = "booking_waitlist"
    __table_args__ = (Index("ix_booking_waitlist_site_motif", "site_id", "motif"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    site_id: str = Field(foreign_key="sites.id", max_length=64)
    motif: str = Field(max_length=64)
    before: date
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    party: int | None = None
    lang: str = Field(default="fr", max_length=12)
    appointment_id: str | None = Field(default=None, max_length=32)  # the appointment they would move
    created_at: datetime = Field(sa_column=_utc())
    told_at: datetime | None = Field(default=None, sa_column=nullable_utc())


class BookingPurge(SQLModel, table=True):
    """A deletion report: how many appointments of a tenant dated before ``before`` were purged, and when."""

    __tablename__ = "booking_purges"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    at: datetime = Field(sa_column=_utc())
    before: date
    appointments: int = 0
    waiting: int = 0

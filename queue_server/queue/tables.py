"""The queue's SQL tables (SQLModel): each site's services and counters, and the history the archiver
keeps of tickets and events. They refer to the shared tables (``db/tables.py``) by name only
(``"sites.id"``); ``queue_server/schema.py`` puts every module's tables together. Migrations:
``db/migrations``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime, nullable_utc


class Service(SQLModel, table=True):
    __tablename__ = "services"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=4)
    weight: float = 1.0
    daily_cap: int | None = None
    # {"0": [[510, 720], [810, 1020]], ...}: weekday (0 = Monday) -> minutes [start, end); null: always.
    hours: dict[str, list[list[int]]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    default_duration_s: int = 300
    # One SMS to a visitor with a phone number when this many people or fewer are ahead; 0: none. Not
    # nullable: the ORM writes a None as "use the default", which would turn "none" into 3.
    sms_ahead: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # Supervisors are alerted when someone has waited longer than this (seconds).
    alert_wait_s: int = Field(default=1200, sa_column_kwargs={"server_default": "1200"})
    # What the kiosk shows under the name, and its pictogram (domain/config.py ICONS).
    description: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    icon: str = Field(default="default", max_length=32, sa_column_kwargs={"server_default": "default"})
    # Printed at the bottom of this service's tickets ("Munissez-vous de votre pièce d'identité").
    ticket_message: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    position: int = 0
    # The kiosk offers priority tickets (pregnancy, disability…) for this service.
    priority: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # What its visits may end with, as the agent says when finishing one ("Dossier complet"); null or []: none.
    outcomes: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

class Counter(SQLModel, table=True):
    __tablename__ = "counters"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0

class TicketRecord(SQLModel, table=True):
    """A ticket as the archiver last saw it: history for reports and for tickets of past days."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_site_day", "site_id", "day"),)
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=64)
    day: str = Field(max_length=10)
    number: str = Field(max_length=16)
    service: str = Field(max_length=64)
    status: str = Field(max_length=16)
    priority: bool = False
    lang: str = Field(default="fr", max_length=8)
    counter: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=64)  # who called it last: "user:ID", "token:ID"
    agent_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    recalls: int = 0
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    called_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    started_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    finished_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    outcome: str | None = Field(default=None, max_length=60)  # how the visit ended, as its agent said (None: not said)
    last_event_id: str = Field(max_length=32)

class EventRecord(SQLModel, table=True):
    """Every event of every site's stream, written by the archiver before the stream is trimmed."""

    __tablename__ = "event_history"
    __table_args__ = (UniqueConstraint("site_id", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=64)
    event_id: str = Field(max_length=32)
    type: str = Field(max_length=32)
    ticket_id: str | None = Field(default=None, index=True, max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The event's fields as JSON text (written with orjson: the JSON column type's stdlib encoder
    # was the archiver's largest cost).
    data: str = Field(sa_column=Column(Text, nullable=False))


class DisplayScreen(SQLModel, table=True):
    """What a site's hall displays show while no call is on, besides the queue (``queue/display_screen.py``):
    an administrator's message ("" none). Its images are ``DisplayImage`` rows."""

    __tablename__ = "display_screens"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    message: str = Field(default="", max_length=300)


class DisplayImage(SQLModel, table=True):
    """One image of the slideshow a site's hall displays show while no call is on (PNG or JPEG, checked by
    content). ``id`` is the first 16 hex digits of the data's SHA-256: the URL that serves it never changes
    meaning, so that displays may keep it for good."""

    __tablename__ = "display_images"
    site_id: str = Field(foreign_key="sites.id", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=16)
    position: int = 0
    content_type: str = Field(max_length=32)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

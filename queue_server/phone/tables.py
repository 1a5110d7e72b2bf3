"""The phone desk's SQL tables (SQLModel): the reasons each collectivity offers, the calls, the callbacks they
promise, and the deletion reports of their retention. They refer to the shared tables by name only
(``"tenants.id"``); ``queue_server/schema.py`` puts every module's tables together. Migrations: ``db/migrations``.

A call names its caller by the citizen record's party number (``party``; none: anonymous) and keeps the name the
record gave then (``caller``), so that the desk's lists need not ask the record for each; both are personal data,
with the call's note and the number a callback is to (``CallbackRow.phone``): erased with the party
(``privacy.py``) and purged with the call (``retention.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime, nullable_utc


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


class ReasonRow(SQLModel, table=True):
    """A reason people call for, in a collectivity's list (``position``: its place). A collectivity without any
    row has the default list (``domain/reasons.py``)."""

    __tablename__ = "phone_reasons"
    __table_args__ = (UniqueConstraint("tenant_id", "reason", name="uq_phone_reasons_tenant_reason"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    reason: str = Field(max_length=64)
    name: str = Field(max_length=120)
    position: int = 0


class CallRow(SQLModel, table=True):
    """A call taken at the desk. ``id`` is opaque (it is in the citizen record's links); the reason's and the
    service's names are kept as they were, so that a call reads the same after the list changed."""

    __tablename__ = "phone_calls"
    __table_args__ = (
        Index("ix_phone_calls_tenant_started", "tenant_id", "started_at"),
        Index("ix_phone_calls_tenant_party", "tenant_id", "party"),
    )
    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    party: int | None = None  # the citizen record's party; None: anonymous
    caller: str = Field(default="", max_length=200)  # the party's name when the call was logged
    reason: str = Field(max_length=64)
    reason_name: str = Field(max_length=120)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sheets: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=16)  # domain/calls.py OUTCOMES
    service: str | None = Field(default=None, max_length=64)  # transferred to this service
    service_name: str = Field(default="", max_length=200)
    started_at: datetime = Field(sa_column=_utc())
    ended_at: datetime = Field(sa_column=_utc())
    duration_s: int
    agent: str = Field(max_length=200)  # who took it, as the audit log names them ("user:lea")
    agent_name: str = Field(default="", max_length=200)


class CallbackRow(SQLModel, table=True):
    """A callback a call promised: to ``phone`` by ``due_at``, assigned to an agent (their login) or to a service
    (its id), or both (an agent of that service); done once, with its outcome (``domain/callbacks.py``)."""

    __tablename__ = "phone_callbacks"
    __table_args__ = (
        Index("ix_phone_callbacks_tenant_status_due", "tenant_id", "status", "due_at"),
        Index("ix_phone_callbacks_call", "call_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    call_id: str = Field(foreign_key="phone_calls.id", max_length=32)
    due_at: datetime = Field(sa_column=_utc())
    phone: str = Field(default="", max_length=32)  # E.164
    agent: str | None = Field(default=None, max_length=200)  # a user's login
    service: str | None = Field(default=None, max_length=64)
    service_name: str = Field(default="", max_length=200)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="todo", max_length=8)  # todo, done
    created_at: datetime = Field(sa_column=_utc())
    done_at: datetime | None = Field(default=None, sa_column=nullable_utc())
    done_by: str = Field(default="", max_length=200)
    outcome: str | None = Field(default=None, max_length=16)  # domain/callbacks.py DONE_OUTCOMES
    outcome_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class PhonePurge(SQLModel, table=True):
    """A deletion report of the calls' retention (``retention.py``): when, ended before when, how many calls and
    callbacks went, never a name (for the data protection officer)."""

    __tablename__ = "phone_purges"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64, index=True)
    at: datetime = Field(sa_column=_utc())
    before: datetime = Field(sa_column=_utc())
    calls: int
    callbacks: int

"""The surveys' SQL tables (SQLModel). They refer to the shared tables by name only (``"tenants.id"``);
``queue_server/schema.py`` puts every module's tables together. Migrations: ``db/migrations`` (0026).

No table holds a contact. An invitation keeps a keyed hash of it (``contact_hash``: HMAC-SHA-256 under the
collectivity's secret, ``SurveySecret``) for the rule "one invitation per contact in ``min_days_between`` days",
blanked once that period is over; a refusal ("no more surveys") keeps the same hash and nothing else. An answer keeps
the service, the site, the kind of contact, the day, the score, the comment (masked) and the campaign's answers; it
names no invitation, so that no answer leads back to a contact, and an invitation keeps only that it was answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.db.tables import UTCDateTime


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


class SurveySecret(SQLModel, table=True):
    """The key of a collectivity's contact hashes (64 hex digits), made once at its first invitation. Losing it
    forgets the refusals and the 30-day rule, nothing else."""

    __tablename__ = "survey_secrets"
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=64)
    secret: str = Field(max_length=64)


class SurveyInvitation(SQLModel, table=True):
    """An invitation: its link's token, what it is about (site, service, kind of contact), when it goes and until
    when it answers. ``source`` names the contact it follows ("visit:{ticket id}"): one invitation each."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        Index("ix_survey_invitations_tenant_hash_due", "tenant_id", "contact_hash", "due_at"),
        Index("ix_survey_invitations_site_due", "site_id", "due_at"),
    )
    token: str = Field(primary_key=True, max_length=43)
    source: str = Field(unique=True, max_length=120)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    site_id: str = Field(max_length=64)
    service: str = Field(max_length=64)
    service_name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=16)  # domain/invitations.py KINDS
    channel: str = Field(max_length=8)  # sms, email
    lang: str = Field(default="fr", max_length=8)
    contact_hash: str = Field(default="", max_length=64)  # "" once min_days_between is over
    campaign_id: str | None = Field(default=None, max_length=32)
    due_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
    answered: bool = False


class SurveyRefusal(SQLModel, table=True):
    """A contact who asked for no more surveys, as its keyed hash."""

    __tablename__ = "survey_refusals"
    __table_args__ = (UniqueConstraint("tenant_id", "contact_hash", name="uq_survey_refusals_tenant_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    contact_hash: str = Field(max_length=64)


class SurveyAnswer(SQLModel, table=True):
    """An answer: never who gave it nor which invitation asked (``kind`` "kiosk": an anonymous one at the kiosk)."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_site_day", "site_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    site_id: str = Field(max_length=64)
    service: str = Field(max_length=64)
    service_name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=16)
    day: date  # the site's local day of the answer
    score: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    campaign_id: str | None = Field(default=None, max_length=32)
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SurveyCampaign(SQLModel, table=True):
    """A campaign of questions of the collectivity's own (``domain/campaigns.py``)."""

    __tablename__ = "survey_campaigns"
    __table_args__ = (Index("ix_survey_campaigns_tenant_first", "tenant_id", "first"),)
    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    name: str = Field(max_length=200)
    first: date
    last: date
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class SurveyPurge(SQLModel, table=True):
    """A deletion report of the surveys' retention (``retention.py``): when, before which day, how many answers and
    invitations went."""

    __tablename__ = "survey_purges"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64, index=True)
    at: datetime = Field(sa_column=_utc())
    before: datetime = Field(sa_column=_utc())
    answers: int
    invitations: int

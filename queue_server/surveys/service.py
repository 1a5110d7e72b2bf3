"""The surveys, as every entry point uses them: inviting after a contact, reading and answering a survey, refusing
surveys, the results, the campaigns.

Inviting (``invite``): the contact's keyed hash is checked against the refusals and the last invitation of the
collectivity (``domain/invitations.py``), then the invitation and its message are written in one transaction
through the platform's outbox (``enqueue(..., at=due)``, key ``survey:{kind}:{id}``: a redelivered event invites
nobody twice); the outbox sends it when due. The contact itself is written only into the outbox's row, which the
outbox purges two days after sending (``platform/outbox.py``), never into a survey table.

What the surveys ask of the other modules comes as callables the lifespan hands over (they import none):
``SiteLookup`` (a site's collectivity, name, clock and services' names), and, from the queue's archiver, the end of
each visit with its phone (``visit_ended``); appointments done and requests closed come from those modules' streams
(``streams.py``). Two invitations of one contact at the very same moment on two processes
may both go (the 30-day rule is read, not locked): a rare second message, never a lost one."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site
from queue_server.platform.audit import note
from queue_server.platform.outbox import MessageTemplates, enqueue
from queue_server.settings import SurveysSettings
from queue_server.surveys.domain import campaigns as campaign_rules
from queue_server.surveys.domain import invitations as rules
from queue_server.surveys.domain.campaigns import Campaign, CampaignAnswer, Question
from queue_server.surveys.domain.errors import Refused
from queue_server.surveys.domain.masking import masked
from queue_server.surveys.domain.results import Answer, check_score
from queue_server.surveys.errors import refusal_of, unknown_campaign, unknown_site, unknown_survey
from queue_server.surveys.tables import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyInvitation,
    SurveyRefusal,
    SurveySecret,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Channel = Literal["sms", "email"]


def utc_now() -> datetime:
    return datetime.now(UTC)


# A kiosk's one-touch answers are about the visit as a whole: filed under no service, named so on the results (in
# the collectivity's language, French, as the services' own names are).
KIOSK_SERVICE = ""
KIOSK_SERVICE_NAME = "Avis donnés à la borne"
TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_CHARS = 32


def new_token() -> str:
    """A survey's token: 32 letters and digits (190 random bits). No "-" nor "_", which a phone's link detection
    may leave out of a link when it ends one."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_CHARS))


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What the surveys need of a site: its collectivity, name, clock and its services' names by id."""

    id: str
    tenant: str
    name: str
    zone: tzinfo
    services: Mapping[str, str] = field(default_factory=dict)


SiteLookup = Callable[[str], Awaitable[SiteFacts | None]]


async def no_sites(site: str) -> SiteFacts | None:
    return None


@dataclass(frozen=True, slots=True)
class Survey:
    """A survey as its page and the API show it."""

    invitation: SurveyInvitation
    site: SiteFacts
    questions: tuple[Question, ...] = ()


def contact_key(channel: str, contact: str) -> str:
    """The contact as hashed: an E.164 number as it is, an address in lower case without white space."""
    return f"{channel}:{contact.strip().lower() if channel == 'email' else contact.strip()}"


def campaign_of(row: SurveyCampaign) -> Campaign:
    return Campaign(row.id, row.name, row.first, row.last, tuple(row.services),
                    tuple(Question(q["id"], q["kind"], q["label"], tuple(q.get("choices", ()))) for q in row.questions))


class Surveys:
    """One per process, made in the lifespan."""

    def __init__(self, db: async_sessionmaker[AsyncSession], settings: SurveysSettings, *,
                 sites: SiteLookup = no_sites, templates: MessageTemplates | None = None, public_url: str = "",
                 wake: Callable[[], None] = lambda: None, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.sites = sites
        self.templates = templates or MessageTemplates()
        self.public_url = public_url.rstrip("/")
        self.wake = wake
        self.clock = clock
        self.quiet = rules.quiet_hours(settings.quiet_hours)
        self._secrets: dict[str, bytes] = {}

    # Inviting ----------------------------------------------------------------------------------------------

    async def _secret(self, session: AsyncSession, tenant: str) -> bytes:
        if tenant not in self._secrets:
            row = await session.get(SurveySecret, tenant)
            if row is None:
                insert = sqlite_insert if (await session.connection()).dialect.name == "sqlite" else pg_insert
                await session.execute(insert(SurveySecret).values(tenant_id=tenant, secret=secrets.token_hex(32))
                                      .on_conflict_do_nothing())
                row = await session.get(SurveySecret, tenant, populate_existing=True)
                assert row is not None
            self._secrets[tenant] = bytes.fromhex(row.secret)
        return self._secrets[tenant]

    async def contact_hash(self, session: AsyncSession, tenant: str, channel: str, contact: str) -> str:
        return hmac.new(await self._secret(session, tenant), contact_key(channel, contact).encode(),
                        hashlib.sha256).hexdigest()

    async def visit_ended(self, site: str, ticket_id: str, service: str, phone: str, outcome: str,
                          ended_at: datetime, lang: str = "fr") -> bool:
        """The queue's archiver tells of a visit that ended, with the phone left at the kiosk, before it deletes the
        number: a visit served (``outcome`` "done") is invited, a no-show or a cancelled one is not."""
        if outcome != "done":
            return False
        return await self.invite(source=f"visit:{ticket_id}", kind="visit", site=site, service=service,
                                 channel="sms", contact=phone, ended_at=ended_at, lang=lang)

    async def invite(self, *, source: str, kind: str, site: str, service: str, channel: Channel, contact: str,
                     ended_at: datetime, lang: str = "fr", service_name: str | None = None) -> bool:
        """Write the invitation that follows the contact ``source`` ("visit:{ticket}"), due after the delay and
        outside the quiet hours of the site's clock (``service_name``: the service's name when the site has no such
        service, a request's category); False when surveys are off, the site unknown, the contact
        refused surveys or was invited within ``min_days_between`` days, or ``source`` was invited already."""
        if not self.settings.enabled or kind not in rules.KINDS:
            return False
        facts = await self.sites(site)
        if facts is None:
            return False
        due = rules.due_at(ended_at, self.settings.delay_s, self.quiet, facts.zone)
        async with self.db() as session:
            if (await session.exec(select(SurveyInvitation.token).where(
                    col(SurveyInvitation.source) == source))).first() is not None:
                return False
            digest = await self.contact_hash(session, facts.tenant, channel, contact)
            refused = (await session.exec(select(SurveyRefusal.id).where(
                col(SurveyRefusal.tenant_id) == facts.tenant, col(SurveyRefusal.contact_hash) == digest))).first()
            last = (await session.exec(select(func.max(SurveyInvitation.due_at)).where(
                col(SurveyInvitation.tenant_id) == facts.tenant, col(SurveyInvitation.contact_hash) == digest))).one()
            if not rules.may_invite(last, refused is not None, due, self.settings.min_days_between):
                await session.commit()  # the secret, when this was the collectivity's first contact
                return False
            campaign = campaign_rules.active(await self._campaigns(session, facts.tenant),
                                             due.astimezone(facts.zone).date(), service)
            token = new_token()
            invitation = SurveyInvitation(
                token=token, source=source, tenant_id=facts.tenant, site_id=site, service=service,
                service_name=service_name or facts.services.get(service, service), kind=kind, channel=channel,
                lang=lang,
                contact_hash=digest, campaign_id=campaign.id if campaign else None, due_at=due,
                expires_at=rules.expires_at(due))
            session.add(invitation)
            template = "survey_invitation_sms" if channel == "sms" else "survey_invitation"
            subject, body = self.templates.render(
                facts.tenant, template, lang, site=facts.name, service=invitation.service_name, kind=kind,
                link=f"{self.public_url}/s/{token}", stop=f"{self.public_url}/s/{token}/stop")
            written = await enqueue(session, channel=channel, to=contact, body=body, subject=subject,
                                    key=f"survey:{source}", tenant=facts.tenant, at=due)
            if not written:  # the outbox had this survey's message already (an earlier, rolled back attempt)
                await session.rollback()
                return False
            await session.commit()
        self.wake()
        return True

    async def token_of(self, source: str) -> str | None:
        """The token of the invitation that followed ``source`` (tools and tests: no endpoint tells it)."""
        async with self.db() as session:
            return (await session.exec(select(SurveyInvitation.token).where(
                col(SurveyInvitation.source) == source))).first()

    # Answering ---------------------------------------------------------------------------------------------

    async def survey(self, token: str, *, answering: bool = True) -> Survey:
        """The survey of ``token``: 404 unknown, 410 once expired, 409 once answered (``answering`` False: an
        answered survey is returned, for its page to say so)."""
        async with self.db() as session:
            invitation = await session.get(SurveyInvitation, token)
            if invitation is None:
                raise unknown_survey()
            questions: tuple[Question, ...] = ()
            if invitation.campaign_id is not None:
                row = await session.get(SurveyCampaign, invitation.campaign_id)
                questions = campaign_of(row).questions if row is not None else ()
        if rules.expired(invitation.expires_at, self.clock()):
            raise refusal_of(Refused("expired", "token", "this survey's link is more than 14 days old"))
        if invitation.answered and answering:
            raise refusal_of(Refused("already-answered", "token", "this survey was answered already"))
        facts = await self.sites(invitation.site_id)
        if facts is None:
            raise unknown_survey()
        return Survey(invitation, facts, questions)

    async def answer(self, token: str, score: int, comment: str = "", answers: Mapping[str, str] | None = None
                     ) -> SurveyAnswer:
        """Record the answer to ``token``'s survey once (409 after; 410 once expired; 422 naming the field). The
        comment is stored with its phone numbers and e-mail addresses masked; the answer names no invitation."""
        found = await self.survey(token)
        try:
            check_score(score)
            kept = campaign_rules.checked_answers(found.questions, answers or {})
        except Refused as refused:
            raise refusal_of(refused) from None
        invitation = found.invitation
        async with self.db() as session:
            # The invitation is marked answered only if it was not: two answers at once, one wins.
            marked: Any = await session.execute(update(SurveyInvitation).where(
                col(SurveyInvitation.token) == token, col(SurveyInvitation.answered).is_(False)).values(answered=True))
            if not marked.rowcount:
                raise refusal_of(Refused("already-answered", "token", "this survey was answered already"))
            row = SurveyAnswer(tenant_id=invitation.tenant_id, site_id=invitation.site_id, service=invitation.service,
                               service_name=invitation.service_name, kind=invitation.kind,
                               day=self.clock().astimezone(found.site.zone).date(), score=score,
                               comment=masked(comment.strip()), campaign_id=invitation.campaign_id, answers=kept)
            session.add(row)
            await session.commit()
            await session.refresh(row)
        return row

    async def kiosk_answer(self, site: str, score: int) -> SurveyAnswer:
        """An anonymous answer given with one touch at ``site``'s kiosk: a score for the site as a whole (no
        service, no comment, no invitation), filed as kind ``kiosk`` under ``KIOSK_SERVICE``; 422 naming ``score``
        outside 1..5, 404 for an unknown site."""
        facts = await self.sites(site)
        if facts is None:
            raise unknown_site()
        try:
            check_score(score)
        except Refused as refused:
            raise refusal_of(refused) from None
        async with self.db() as session:
            row = SurveyAnswer(tenant_id=facts.tenant, site_id=site, service=KIOSK_SERVICE,
                               service_name=KIOSK_SERVICE_NAME, kind="kiosk",
                               day=self.clock().astimezone(facts.zone).date(), score=score)
            session.add(row)
            await session.commit()
            await session.refresh(row)
        return row

    async def refuse(self, token: str) -> None:
        """The holder of ``token`` wants no more surveys: their contact's hash joins the refusals (for good). Works
        on an answered or expired survey too, as long as its hash is kept."""
        async with self.db() as session:
            invitation = await session.get(SurveyInvitation, token)
            if invitation is None:
                raise unknown_survey()
            if invitation.contact_hash:
                insert = sqlite_insert if (await session.connection()).dialect.name == "sqlite" else pg_insert
                await session.execute(insert(SurveyRefusal).values(
                    tenant_id=invitation.tenant_id, contact_hash=invitation.contact_hash).on_conflict_do_nothing())
            await session.commit()

    async def first_site(self, tenant: str) -> str | None:
        """The collectivity's first site by id (where its requests' surveys are filed), or None."""
        found = await self.site_ids(tenant)
        return found[0] if found else None

    async def site_ids(self, tenant: str) -> list[str]:
        """The collectivity's sites, by id."""
        async with self.db() as session:
            return list((await session.exec(select(Site.id).where(col(Site.tenant_id) == tenant)
                                            .order_by(col(Site.id)))).all())

    # Results -----------------------------------------------------------------------------------------------

    async def answers(self, site: str, first: date, last: date, kind: str | None = None) -> list[Answer]:
        """The site's answers of the local days ``first`` to ``last`` (of one kind of contact, or all)."""
        query = select(SurveyAnswer).where(col(SurveyAnswer.site_id) == site, col(SurveyAnswer.day) >= first,
                                           col(SurveyAnswer.day) <= last)
        if kind:
            query = query.where(col(SurveyAnswer.kind) == kind)
        async with self.db() as session:
            rows = (await session.exec(query.order_by(col(SurveyAnswer.day), col(SurveyAnswer.id)))).all()
        return [Answer(r.service, r.day, r.score, r.comment, invited=r.kind != "kiosk") for r in rows]

    async def names(self, site: str, first: date, last: date) -> dict[str, str]:
        """The services' names as the answers and invitations of the period kept them (a service renamed or gone
        since still has one)."""
        async with self.db() as session:
            rows = (await session.exec(select(SurveyAnswer.service, SurveyAnswer.service_name).where(
                col(SurveyAnswer.site_id) == site, col(SurveyAnswer.day) >= first,
                col(SurveyAnswer.day) <= last).distinct())).all()
        return {service: name for service, name in rows}

    async def invitations(self, site: str, start: datetime, end: datetime, kind: str | None = None
                          ) -> dict[str, int]:
        """The invitations due (sent) from ``start`` to before ``end``, and by now, per service."""
        query = select(SurveyInvitation.service, func.count()).where(
            col(SurveyInvitation.site_id) == site, col(SurveyInvitation.due_at) >= start,
            col(SurveyInvitation.due_at) < end, col(SurveyInvitation.due_at) <= self.clock())
        if kind:
            query = query.where(col(SurveyInvitation.kind) == kind)
        async with self.db() as session:
            rows = (await session.exec(query.group_by(col(SurveyInvitation.service)))).all()
        return {service: int(count) for service, count in rows}

    async def campaign_answers(self, site: str, first: date, last: date, kind: str | None = None
                               ) -> list[CampaignAnswer]:
        """The campaigns' part of the site's answers of the local days ``first`` to ``last`` (of one kind of
        contact, or all): those that carried a campaign's questions."""
        query = select(SurveyAnswer).where(
            col(SurveyAnswer.site_id) == site, col(SurveyAnswer.day) >= first, col(SurveyAnswer.day) <= last,
            col(SurveyAnswer.campaign_id).is_not(None))
        if kind:
            query = query.where(col(SurveyAnswer.kind) == kind)
        async with self.db() as session:
            rows = (await session.exec(query.order_by(col(SurveyAnswer.day), col(SurveyAnswer.id)))).all()
        return [CampaignAnswer(str(r.campaign_id), r.day, dict(r.answers or {})) for r in rows]

    # Campaigns ---------------------------------------------------------------------------------------------

    async def _campaigns(self, session: AsyncSession, tenant: str) -> list[Campaign]:
        rows = (await session.exec(select(SurveyCampaign).where(col(SurveyCampaign.tenant_id) == tenant)
                                   .order_by(col(SurveyCampaign.first).desc(), col(SurveyCampaign.id)))).all()
        return [campaign_of(row) for row in rows]

    async def campaigns(self, tenant: str) -> list[Campaign]:
        async with self.db() as session:
            return await self._campaigns(session, tenant)

    async def create_campaign(self, tenant: str, name: str, first: date, last: date, services: Sequence[str],
                              questions: Sequence[Question], actor: str) -> Campaign:
        """A new campaign (422 ``invalid-campaign`` naming the field). Audited (``surveys.campaign``)."""
        try:
            campaign_rules.check_campaign(first, last, questions)
        except Refused as refused:
            raise refusal_of(refused) from None
        row = SurveyCampaign(id=secrets.token_urlsafe(12), tenant_id=tenant, name=name, first=first, last=last,
                             services=list(services), created_at=self.clock(),
                             questions=[{"id": q.id, "kind": q.kind, "label": q.label, "choices": list(q.choices)}
                                        for q in questions])
        async with self.db() as session:
            session.add(row)
            note(session, "surveys.campaign", actor, tenant=tenant, target=row.id,
                 detail=f"{name}: {first.isoformat()} – {last.isoformat()}")
            await session.commit()
        return campaign_of(row)

    async def delete_campaign(self, tenant: str, campaign: str, actor: str) -> None:
        """Delete a campaign (404 when the collectivity has none of that id); the answers given keep theirs."""
        async with self.db() as session:
            row = await session.get(SurveyCampaign, campaign)
            if row is None or row.tenant_id != tenant:
                raise unknown_campaign()
            await session.delete(row)
            note(session, "surveys.campaign-deleted", actor, tenant=tenant, target=campaign, detail=row.name)
            await session.commit()

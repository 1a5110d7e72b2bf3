"""What a request's sender is told by e-mail, written to the outbox with the change that causes it (never
committed here): the acknowledgement of receipt (at creation; or, for a category that acknowledges in two steps,
a registration receipt at creation and the acknowledgement later), and each public reply of staff.

The acknowledgement states what CRPA R112-11-1 and R112-11-2 ask (``domain/acknowledgement.py`` ``Facts``):
the reference, the date of receipt, the service in charge with its postal or e-mail address and phone, for a
category that can lead to one the implicit decision (acceptance or rejection) and its date if the file is
complete, the appeal routes and deadlines or the right to an attestation; and the tracking link ``/r/{id}``.
A reply carries the reference in its subject, so that the citizen's answer finds its request.

The registration receipt (accusé d'enregistrement) states the reference, the date and time of receipt (the date
alone for a letter, whose hour nobody knows), the day the acknowledgement will follow by, and the tracking link.

Texts: the outbox's templates (``MessageTemplates``, a tenant's own first), ``request_acknowledged.txt``,
``request_registered.txt`` and ``request_reply.txt``, in the request's language or French. Keys:
``request:{id}:acknowledged:email``, ``request:{id}:registered:email`` and
``request:{id}:message:{message id}:email``: a retried command writes nothing twice."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import OutboxMessage
from queue_server.platform.outbox import MessageTemplates, enqueue, message_ref
from queue_server.requests.domain.acknowledgement import Facts
from queue_server.requests.domain.receipt import acknowledge_by
from queue_server.requests.tables import RequestMail, RequestMessage, RequestRow

THREAD_KEEP = 10  # Message-IDs a References header names at most: the first and the latest ones


def tracking_url(base_url: str, request_id: str) -> str:
    return f"{base_url.rstrip('/')}/r/{request_id}"


def acknowledgement_key(request_id: str) -> str:
    return f"request:{request_id}:acknowledged:email"


def registration_key(request_id: str) -> str:
    return f"request:{request_id}:registered:email"


def reply_key(request_id: str, message_id: int) -> str:
    return f"request:{request_id}:message:{message_id}:email"


def key_prefix(request_id: str) -> str:
    """What the outbox keys of every e-mail about the request start with."""
    return f"request:{request_id}:"


async def thread_headers(session: AsyncSession, row: RequestRow, domain: str) -> dict[str, str]:
    """``In-Reply-To`` and ``References`` of the next e-mail about ``row``, so that mail readers show the
    exchange as one conversation: the citizen's e-mails (``RequestMail``) and ours written before (their
    Message-IDs, ``<ref@domain>`` as the mailer makes them; none without ``domain``), oldest first; it answers
    the latest. Empty when there is nothing to answer (a web request's first e-mail)."""
    dated: list[tuple[object, int, str]] = []
    for mail in (await session.exec(select(RequestMail).where(col(RequestMail.request_id) == row.id))).all():
        dated.append((mail.at, 0, mail.message_id))
    if domain:
        sent = (await session.exec(select(OutboxMessage).where(
            col(OutboxMessage.key).startswith(key_prefix(row.id), autoescape=True),
            col(OutboxMessage.channel) == "email"))).all()
        dated.extend((item.created_at, 1, f"<{message_ref(item)}@{domain}>") for item in sent)
    if not dated:
        return {}
    ids = [message_id for _at, _kind, message_id in sorted(dated, key=lambda item: (item[0], item[1]))]
    shown = ids if len(ids) <= THREAD_KEEP else ids[:1] + ids[-(THREAD_KEEP - 1):]
    return {"In-Reply-To": ids[-1], "References": " ".join(shown)}


def compose_acknowledgement(templates: MessageTemplates, row: RequestRow, facts: Facts, *, tenant_name: str,
                            category: str, tracking: str) -> tuple[str, str]:
    """(subject, body) of the acknowledgement of ``row``, in its language or French."""
    lang = templates.language(row.tenant_id, "request_acknowledged", row.lang)
    return templates.render(
        row.tenant_id, "request_acknowledged", lang, tenant_name=tenant_name, reference=row.reference,
        subject=row.subject, category=category, received_on=facts.received_on, service=asdict(facts.service),
        implicit=facts.implicit, implicit_on=facts.implicit_on, appeal=facts.appeal, attestation=facts.attestation,
        tracking_url=tracking, format_date=partial(format_date, locale=lang))


async def acknowledge(session: AsyncSession, templates: MessageTemplates, row: RequestRow, facts: Facts, *,
                      tenant_name: str, category: str, tracking: str, headers: dict[str, str] | None = None) -> bool:
    """Write the acknowledgement of ``row`` to its sender's e-mail address (none: nothing written; False), with
    ``headers`` (threading, ``Auto-Submitted``) when given."""
    if not row.email:
        return False
    subject, body = compose_acknowledgement(templates, row, facts, tenant_name=tenant_name, category=category,
                                            tracking=tracking)
    return await enqueue(session, channel="email", to=row.email, subject=subject, body=body, tenant=row.tenant_id,
                         key=acknowledgement_key(row.id), headers=headers)


async def reply(session: AsyncSession, templates: MessageTemplates, row: RequestRow, message: RequestMessage, *,
                tenant_name: str, tracking: str, headers: dict[str, str] | None = None) -> bool:
    """Write staff's public ``message`` to the sender's e-mail address (none: nothing written; False), with
    ``headers`` (threading) when given."""
    if not row.email or message.id is None:
        return False
    lang = templates.language(row.tenant_id, "request_reply", row.lang)
    subject, body = templates.render(row.tenant_id, "request_reply", lang, tenant_name=tenant_name,
                                     reference=row.reference, subject=row.subject, body=message.body,
                                     tracking_url=tracking)
    return await enqueue(session, channel="email", to=row.email, subject=subject, body=body, tenant=row.tenant_id,
                         key=reply_key(row.id, message.id), headers=headers)


def compose_registration(templates: MessageTemplates, row: RequestRow, *, tenant_name: str, category: str,
                         tracking: str, zone: ZoneInfo) -> tuple[str, str]:
    """(subject, body) of the registration receipt of ``row``, in its language or French; the time of receipt on
    ``zone``'s clock, left out for a letter (received with the day's mail, at no time anyone noted)."""
    lang = templates.language(row.tenant_id, "request_registered", row.lang)
    local: datetime = row.received_at.astimezone(zone)
    received_time = "" if row.channel == "postal" else format_time(local, "HH:mm", locale=lang)
    return templates.render(
        row.tenant_id, "request_registered", lang, tenant_name=tenant_name, reference=row.reference,
        subject=row.subject, category=category, received_on=row.received_on, received_time=received_time,
        acknowledge_by=acknowledge_by(row.received_on), tracking_url=tracking,
        format_date=partial(format_date, locale=lang))


async def register(session: AsyncSession, templates: MessageTemplates, row: RequestRow, *, tenant_name: str,
                   category: str, tracking: str, zone: ZoneInfo, headers: dict[str, str] | None = None) -> bool:
    """Write the registration receipt of ``row`` to its sender's e-mail address (none: nothing written; False),
    with ``headers`` (``Auto-Submitted``) when given."""
    if not row.email:
        return False
    subject, body = compose_registration(templates, row, tenant_name=tenant_name, category=category,
                                         tracking=tracking, zone=zone)
    return await enqueue(session, channel="email", to=row.email, subject=subject, body=body, tenant=row.tenant_id,
                         key=registration_key(row.id), headers=headers)

"""The waiting list: people who want an earlier slot for a motif (before a date), told when one frees up.

Anyone may join it (rate-limited like booking), staff for the person in front of them (also someone they booked
a later appointment for: ``appointment`` names it, so that the message can say "cancel the old one"). When a place
is freed (a cancellation, a move), up to ``TOLD_AT_ONCE`` people waiting for that motif whose date is not passed
are told at once by SMS and e-mail through the outbox, first come first told, each once; the first to book it has
it (the slot engine and its constraint decide, as for anyone). An entry is kept until told, withdrawn or purged
with the appointments (``[booking] retention_days``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.booking.errors import Refusal
from queue_server.booking.tables import WaitingEntry
from queue_server.db.tables import Tenant
from queue_server.platform.outbox import MessageTemplates, enqueue
from queue_server.queue.domain.config import SiteConfig

TOLD_AT_ONCE = 3
MAX_WAITING_PER_CONTACT = 3  # entries one phone or e-mail may hold per motif


@dataclass(frozen=True, slots=True)
class Waiting:
    motif: str
    before: date
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    party: int | None = None
    lang: str = "fr"
    appointment: str | None = None


class WaitingList:
    def __init__(self, db: async_sessionmaker[AsyncSession], templates: MessageTemplates) -> None:
        self.db = db
        self.templates = templates

    async def add(self, config: SiteConfig, waiting: Waiting, now: datetime) -> WaitingEntry:
        """Put someone on the list (422 without a contact or for a date passed; 409 beyond
        ``MAX_WAITING_PER_CONTACT`` entries of one contact for the motif)."""
        if waiting.email is None and waiting.phone is None:
            raise Refusal(422, "Give a phone number or an e-mail address to be told.", "contact-needed", "person")
        if waiting.before < config.local(now).date():
            raise Refusal(422, "This date is passed.", "invalid-date", "before")
        async with self.db() as session:
            same = (await session.exec(select(WaitingEntry).where(
                col(WaitingEntry.site_id) == config.id, col(WaitingEntry.motif) == waiting.motif,
                col(WaitingEntry.told_at).is_(None)))).all()
            mine = [e for e in same if (waiting.phone and e.phone == waiting.phone)
                    or (waiting.email and e.email == waiting.email)]
            if len(mine) >= MAX_WAITING_PER_CONTACT:
                raise Refusal(409, "This contact is already on the waiting list for this motif.", "already-waiting",
                              "person")
            entry = WaitingEntry(tenant_id=config.tenant, site_id=config.id, motif=waiting.motif,
                                 before=waiting.before, first_name=waiting.first_name, last_name=waiting.last_name,
                                 email=waiting.email, phone=waiting.phone, party=waiting.party, lang=waiting.lang,
                                 appointment_id=waiting.appointment, created_at=now)
            session.add(entry)
            await session.commit()
            await session.refresh(entry)
        return entry

    async def entries(self, site: str, motif: str | None = None) -> list[WaitingEntry]:
        """Who waits (not told yet), first come first."""
        async with self.db() as session:
            query = select(WaitingEntry).where(col(WaitingEntry.site_id) == site, col(WaitingEntry.told_at).is_(None))
            if motif is not None:
                query = query.where(col(WaitingEntry.motif) == motif)
            return list((await session.exec(query.order_by(col(WaitingEntry.created_at), col(WaitingEntry.id)))).all())

    async def remove(self, site: str, entry_id: int) -> None:
        async with self.db() as session:
            entry = await session.get(WaitingEntry, entry_id)
            if entry is None or entry.site_id != site:
                raise Refusal(404, "No such entry on the waiting list.", "unknown-entry")
            await session.delete(entry)
            await session.commit()

    async def freed(self, config: SiteConfig, motif: str, motif_name: str, start: datetime, base_url: str,
                    now: datetime) -> int:
        """A place of ``motif`` at ``start`` is free again: tell the first people waiting for a date on or after
        its day; how many were told."""
        day = config.local(start).date()
        if start <= now:
            return 0
        async with self.db() as session:
            waiting = (await session.exec(select(WaitingEntry).where(
                col(WaitingEntry.site_id) == config.id, col(WaitingEntry.motif) == motif,
                col(WaitingEntry.told_at).is_(None), col(WaitingEntry.before) >= day).order_by(
                col(WaitingEntry.created_at), col(WaitingEntry.id)).limit(TOLD_AT_ONCE))).all()
            if not waiting:
                return 0
            tenant = await session.get(Tenant, config.tenant)
            values: dict[str, Any] = {
                "tenant_name": tenant.name if tenant is not None else config.tenant, "motif": motif_name,
                "site_name": config.name, "start": start.astimezone(ZoneInfo(config.timezone)),
                "book_url": f"{base_url.rstrip('/')}/book?site={config.id}&motif={motif}"}
            for entry in waiting:
                await self._tell(session, config, entry, values, start)
                entry.told_at = now
                session.add(entry)
            await session.commit()
        return len(waiting)

    async def _tell(self, session: AsyncSession, config: SiteConfig, entry: WaitingEntry, values: dict[str, Any],
                    start: datetime) -> None:
        key = f"waitlist:{entry.id}:{start.isoformat()}"
        for channel, to, name in (("sms", entry.phone, "waitlist_slot_sms"), ("email", entry.email, "waitlist_slot")):
            if to is None:
                continue
            lang = self.templates.language(config.tenant, name, entry.lang)
            dates: Callable[..., str] = partial(format_date, locale=lang)
            times: Callable[..., str] = partial(format_time, locale=lang)
            subject, body = self.templates.render(config.tenant, name, lang, **values, format_date=dates,
                                                  format_time=times)
            await enqueue(session, channel=channel, to=to, body=body, subject=subject,  # type: ignore[arg-type]
                          key=f"{key}:{channel}", tenant=config.tenant)

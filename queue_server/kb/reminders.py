"""Reminders of the sheets to review: when a sheet's review date comes (on its collectivity's clock), the person who
last changed it gets one e-mail naming the sheet, the day it was due and the link to its page, through the outbox
(``platform/outbox.py``), in the collectivity's language (French). The list of sheets to review on
``/connaissances`` stays the place where supervisors see them all.

- Who: the sheet's last editor, else its author, when their sign-in name is an e-mail address (``users.login``: an
  e-mail address or a short name) and their account is not disabled. A sheet written through an API token, or by a
  person without an address, has the list only.
- Once per review date: the outbox's key ``kb:review:{sheet}:{date}`` takes one message whoever writes it; a new
  review date set by the editor is a new reminder when it comes. An archived sheet is never due
  (``domain/sheets.py`` ``due_for_review``).
- The job runs every ``every_s`` (an hour) on one process at a time: the holder of a Redis key set for the period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import User
from queue_server.i18n import DEFAULT, translations
from queue_server.kb.domain.sheets import due_for_review
from queue_server.kb.service import KnowledgeBase
from queue_server.kb.tables import SheetRow
from queue_server.platform.outbox import enqueue
from queue_server.platform.periodic import every_minute

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
EVERY_S = 3600


def _now() -> datetime:
    return datetime.now(UTC)


def _login(actor: str) -> str | None:
    """The sign-in name of an audit actor ("user:anne@ville.fr"), or None (a token)."""
    return actor.removeprefix("user:") if actor.startswith("user:") else None


def reminder(title: str, due: date, link: str, lang: str = DEFAULT) -> tuple[str, str]:
    """(subject, body) of a sheet's reminder, in ``lang``."""
    _ = translations(lang).gettext
    subject = _("Sheet to review: {title}").format(title=title)
    body = "\n\n".join((
        _("Hello,"),
        _("The sheet “{title}” of the knowledge base was to be reviewed on {day}. Read it again, correct it if "
          "need be, and give it its next review date:").format(title=title, day=format_date(due, "long",
                                                                                          locale=lang)),
        link,
        _("You are told because you changed this sheet last."),
    ))
    return subject, body + "\n"


class ReviewReminders:
    def __init__(self, kb: KnowledgeBase, db: async_sessionmaker[AsyncSession], redis: Redis, prefix: str,
                 public_url: str, *, every_s: int = EVERY_S, clock: Clock = _now) -> None:
        self.kb, self.db, self.redis, self.every_s = kb, db, redis, every_s
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.key = f"{prefix}kb:reminders"

    async def run_once(self) -> int | None:
        """Remind now if no process did within the period; how many reminders were written, or ``None`` if another
        process ran it."""
        if not await self.redis.set(self.key, "1", nx=True, ex=self.every_s):
            return None
        return await self.remind()

    async def run(self) -> None:
        """``run_once`` at start and then every minute (a no-op until the period is over); a failure that may pass
        (Redis, SQL) is logged and tried again at the next round."""
        await every_minute(self.run_once, "kb reminders")

    async def remind(self) -> int:
        """One e-mail for each sheet whose review date has come and whose last editor (else author) has an address;
        returns how many were written now (a reminder written before is not written again)."""
        # The latest day any collectivity may be on (UTC+14): each sheet is then checked against its own's today.
        latest = (self.clock() + timedelta(hours=14)).date()
        async with self.db() as session:
            rows = (await session.exec(select(SheetRow).where(
                col(SheetRow.review_by).is_not(None), col(SheetRow.review_by) <= latest,
                col(SheetRow.status) != "archived").order_by(col(SheetRow.tenant_id), col(SheetRow.id)))).all()
            if not rows:
                return 0
            logins = {login for row in rows for login in (_login(row.updated_by), _login(row.created_by)) if login}
            addresses = {login for login, disabled in (await session.exec(select(User.login, User.disabled).where(
                col(User.login).in_(logins)))).all() if not disabled and "@" in login}
            todays: dict[str, date] = {}
            written = 0
            for row in rows:
                if row.tenant_id not in todays:
                    todays[row.tenant_id] = await self.kb.today(row.tenant_id)
                due = row.review_by
                if due is None or not due_for_review(due, row.status, todays[row.tenant_id]):  # type: ignore[arg-type]
                    continue
                to = next((login for login in (_login(row.updated_by), _login(row.created_by))
                           if login in addresses), None)
                if to is None:
                    continue
                subject, body = reminder(row.title, due, f"{self.public_url}/connaissances/{row.id}")
                if await enqueue(session, channel="email", to=to, subject=subject, body=body, tenant=row.tenant_id,
                                 key=f"kb:review:{row.id}:{due.isoformat()}"):
                    written += 1
            await session.commit()
        if written:
            log.info("kb reminders: %s sheets to review told to their editors", written)
        return written

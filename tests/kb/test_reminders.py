"""Reminders of the sheets to review, on both stacks: when a sheet's review date comes, its last editor (a person
signing in with an e-mail address) gets one e-mail through the outbox naming the sheet, the day and its link; once
per review date, whatever the number of rounds or processes; a new date is a new reminder when it comes; nothing for
an archived sheet, a sheet written through a token, a disabled account or a date still to come."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col, select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage, User
from queue_server.kb.reminders import ReviewReminders
from queue_server.kb.service import KnowledgeBase
from queue_server.kb.tables import SheetRow
from tests.conftest import Stack
from tests.kb.support import NOW, Kb, running
from tests.web.support import Clock

pytestmark = pytest.mark.anyio
CLAIRE = "claire.martin@demoville.fr"


@pytest.fixture
async def kb(stack: Stack) -> AsyncIterator[Kb]:
    async for running_kb in running(stack):
        yield running_kb


async def test_a_sheet_due_for_review_is_told_once_to_its_last_editor(kb: Kb, stack: Stack) -> None:
    """Claire last changed "Perte du passeport", due today, and "Recensement", due next week; Paul (disabled) the
    "Cantine" sheet, due; an archived sheet is due too; a sheet written through a token has no editor to tell. One
    e-mail goes, to Claire, in French, for the passport's sheet; a second round writes nothing more; next week, the
    census's; a new review date for the passport's, once come, is told again."""
    passport = await kb.write(title="Perte du passeport", review_by="2026-03-16")
    census = await kb.write(title="Recensement", review_by="2026-03-23")
    canteen = await kb.write(title="Cantine", review_by="2026-03-01")
    archived = await kb.write(title="Ancienne fiche", review_by="2026-03-01", status="archived")
    await kb.write(title="Écrite par un jeton", review_by="2026-03-01")
    engine = make_engine(stack.settings.database_url)
    redis = Redis.from_url(stack.settings.redis.url)
    try:
        db = sessions(engine)
        async with db() as session:
            for login, disabled in ((CLAIRE, False), ("paul.durand@demoville.fr", True)):
                session.add(User(tenant_id="demo", login=login, name=login, password_hash="x", disabled=disabled,
                                 created_at=NOW))
            for sheet, login in ((passport, CLAIRE), (census, CLAIRE), (archived, CLAIRE),
                                 (canteen, "paul.durand@demoville.fr")):
                await session.execute(update(SheetRow).where(col(SheetRow.id) == sheet["id"]).values(
                    updated_by=f"user:{login}"))
            await session.commit()
        clock = Clock(NOW)
        reminders = ReviewReminders(KnowledgeBase(db, clock=clock), db, redis, stack.settings.redis.key_prefix,
                                    "https://guichet.demoville.fr/", every_s=3600, clock=clock)

        async def sent() -> list[OutboxMessage]:
            async with db() as session:
                return list((await session.exec(select(OutboxMessage).where(
                    col(OutboxMessage.key).startswith("kb:review:")).order_by(col(OutboxMessage.id)))).all())

        await redis.delete(reminders.key)  # the app's own job took its round at start, before any sheet was due
        assert await reminders.run_once() == 1
        [message] = await sent()
        assert (message.channel, message.recipient, message.tenant_id) == ("email", CLAIRE, "demo")
        assert message.subject == "Fiche à relire : Perte du passeport"
        assert "« Perte du passeport »" in message.body and "16 mars 2026" in message.body
        assert f"https://guichet.demoville.fr/connaissances/{passport['id']}" in message.body
        assert await reminders.run_once() is None  # another round within the hour: another process's turn
        assert await reminders.remind() == 0  # ... and told once, however many rounds

        clock.now = NOW + timedelta(days=7)
        assert await reminders.remind() == 1
        assert [m.body.count("Recensement") for m in await sent()][-1] == 1
        await kb.write(sheet=passport["id"], title="Perte du passeport", review_by="2026-09-16")
        async with db() as session:
            await session.execute(update(SheetRow).where(col(SheetRow.id) == passport["id"]).values(
                updated_by=f"user:{CLAIRE}"))
            await session.commit()
        assert await reminders.remind() == 0  # September has not come
        clock.now = datetime(2026, 9, 16, 6, 0, tzinfo=UTC)  # 8:00 in Paris
        assert await reminders.remind() == 1
        assert [m.key for m in await sent()] == [f"kb:review:{passport['id']}:2026-03-16",
                                                 f"kb:review:{census['id']}:2026-03-23",
                                                 f"kb:review:{passport['id']}:2026-09-16"]
    finally:
        await redis.aclose()
        await engine.dispose()

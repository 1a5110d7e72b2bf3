"""What the requests' tests share: the demo's categories put in a stack's database, and its outbox read back."""

from __future__ import annotations

from sqlmodel import col, select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.outbox import MessageTemplates
from queue_server.requests.seed import seed_categories
from queue_server.requests.service import Requests
from queue_server.settings import Settings


async def put_categories(settings: Settings) -> None:
    """The demo collectivity's four categories (``requests/seed.py``), as ``queue-server demo`` puts them."""
    engine = make_engine(settings.database_url)
    try:
        assert await seed_categories(Requests(sessions(engine), MessageTemplates(),
                                              settings.server.data_dir / "requests"))
    finally:
        await engine.dispose()


async def outbox(settings: Settings) -> list[OutboxMessage]:
    """Every message the requests wrote to the outbox, oldest first (a satisfaction survey's invitation after a
    request is closed is the surveys' business, written a moment later by their worker: tests/surveys)."""
    engine = make_engine(settings.database_url)
    try:
        async with sessions(engine)() as session:
            return list((await session.exec(select(OutboxMessage).where(
                col(OutboxMessage.key).not_like("survey:%")).order_by(col(OutboxMessage.id)))).all())
    finally:
        await engine.dispose()

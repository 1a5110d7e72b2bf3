"""Fixtures of the surveys' tests: the whole app with its lifespan, an HTTP SMS endpoint and an SMTP server (aiosmtpd)
started by the test as the providers, the surveys' delay at 0 and no quiet hours, and a server clock the test
moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from queue_server.db.engine import make_engine, sessions
from queue_server.schema import metadata
from tests.conftest import Stack
from tests.outbox.support import SmsEndpoint, SmtpSink
from tests.web.support import Clock, Desk

SURVEYS = {"delay_s": 0, "quiet_hours": []}


@dataclass
class Town:
    """The app, its clock, the queue's desk (the demo site's tokens) and the SMS provider's endpoint."""

    app: Starlette
    http: httpx.AsyncClient
    desk: Desk
    stack: Stack
    clock: Clock
    sms: SmsEndpoint
    mail: SmtpSink

    async def serve(self, phone: str | None = None, service: str = "etat-civil", end: str = "finish"
                    ) -> dict[str, Any]:
        """A visit from the kiosk (with ``phone`` left for the SMS) to its end at counter 1 (``end``: finish,
        no-show or cancel)."""
        ticket = await self.desk.issue(service, **({"phone": phone} if phone else {}))
        called = await self.desk.called()
        assert called["id"] == ticket["id"], called
        if end == "finish":
            assert (await self.desk.act(ticket["id"], "start")).status_code == 200
        answer = await self.desk.act(ticket["id"], end)
        assert answer.status_code == 200, answer.text
        return ticket

    async def texts_holding(self, needle: str) -> set[str]:
        """The tables in which some text holds ``needle`` (every column of every row, as text)."""
        engine = make_engine(self.stack.settings.database_url)
        found = set()
        try:
            async with sessions(engine)() as session:
                for table in metadata.sorted_tables:
                    rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
                    if any(needle in str(value) for row in rows for value in row):
                        found.add(table.name)
        finally:
            await engine.dispose()
        return found


@pytest.fixture
async def town(stack: Stack) -> AsyncIterator[Town]:
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    sms, mail = SmsEndpoint(), SmtpSink()
    await sms.start()
    mail_url = await mail.start()
    try:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "sms": {"provider": "http", "url": sms.url},
                                    "email": {"url": mail_url, "from": "mairie@demoville.fr"}, "surveys": SURVEYS})
        clock = Clock(datetime.now(UTC))
        app = create_app(settings, clock=clock)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            yield Town(app, http, Desk(http, stack), Stack(settings, stack.tokens), clock, sms, mail)
    finally:
        await sms.close()
        await mail.close()

"""Appointment tickets on the staff pages in chromium: the agent's waiting list and counter, and the supervisor's
waiting table, put a badge ("RDV") by the number of a booked citizen's ticket, titled with the appointment's code.

The ticket is issued as the booking module's check-in issues it: through the queue's service (here a process of
the test's own on the server's Redis and database), with the appointment's reference.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import anyio
from playwright.sync_api import Browser, expect

from queue_server.db.engine import make_engine, sessions
from queue_server.queue.domain import commands as c
from queue_server.queue.eventstore import EventStore
from queue_server.queue.service import QueueService, new_command_id, new_ticket_id
from queue_server.queue.sites import SiteConfigs
from queue_server.queue.web.staff import booked_strings
from queue_server.settings import load_settings
from queue_server.store.client import make_redis
from queue_server.store.embedded import EmbeddedValkey
from tests.browser.conftest import Hall
from tests.browser.test_counter_page import issue, start_at_counter

CODE = "K7M2QX"


async def _check_in(hall: Hall, code: str, service: str) -> str:
    settings = load_settings(server={"data_dir": hall.data_dir})
    redis = make_redis(EmbeddedValkey(hall.data_dir).url)  # the running server's Valkey
    db = make_engine(settings.database_url)
    try:
        async with anyio.create_task_group() as tg:
            queue = QueueService(EventStore(redis, settings.redis.key_prefix),
                                 EventStore(redis, settings.redis.key_prefix), SiteConfigs(sessions(db)).get, tg)
            engine = await queue.engine(hall.site)
            assert engine is not None
            result = await engine.execute(c.IssueTicket(
                command_id=new_command_id(), ticket_id=new_ticket_id(), service=service, priority=False, lang="fr",
                idempotency_key=f"appointment:{code}", issued_by=None, party=None, appointment=code))
            tg.cancel_scope.cancel()
        assert result.ticket is not None
        return result.ticket.number
    finally:
        await redis.aclose()
        await db.dispose()


def check_in(hall: Hall, code: str = CODE, service: str = "etat-civil") -> str:
    """The number of the ticket of appointment ``code``, checked in now."""
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, _check_in(hall, code, service)).result()


def test_the_agent_and_the_supervisor_see_the_badge_of_an_appointment_ticket(browser: Browser, hall: Hall) -> None:
    """A booked citizen checks in after a walk-in: the agent's list shows their ticket first with the badge and the
    walk-in without; called, it keeps the badge at the counter; the supervisor's waiting table has it too."""
    short, title = booked_strings("fr")["booked_short"], booked_strings("fr")["booked_title"]
    agent = browser.new_page(locale="fr-FR")
    supervisor = browser.new_page(locale="fr-FR")
    walk_in = issue(hall)
    start_at_counter(agent, hall)
    booked = check_in(hall)
    rows = agent.locator("#queues li")
    expect(rows.first.locator(".number")).to_have_text(booked, timeout=2_000)
    badge = rows.first.locator("abbr.booked")
    expect(badge).to_have_text(short)
    expect(badge).to_have_attribute("title", title.replace("{ref}", CODE))
    expect(rows.nth(1).locator(".number")).to_have_text(walk_in["number"])
    expect(rows.nth(1).locator("abbr.booked")).to_have_count(0)
    hall.sign_in(supervisor, "supervisor", "/supervisor")
    expect(supervisor.locator(f"#waiting tr:has-text('{booked}') abbr.booked")).to_have_text(short)
    agent.keyboard.press("s")  # "suivant"
    expect(agent.locator("#current .number")).to_contain_text(booked, timeout=1_000)
    expect(agent.locator("#current .number abbr.booked")).to_have_text(short)
    for page in (agent, supervisor):
        page.context.close()

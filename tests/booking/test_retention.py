"""Booking's retention (docs/rgpd.md): ``[booking] retention_days`` after its day an appointment is purged, with
the places it held, and a deletion report says how many; a more recent one stays. The reports are read by
supervisors and administrators (``GET /api/v1/tenants/{tenant}/booking/purges``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col
from starlette.applications import Starlette

from queue_server.booking.tables import Hold
from queue_server.db.engine import make_engine, sessions
from tests.conftest import Stack

pytestmark = pytest.mark.anyio
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
PURGES = "/api/v1/tenants/demo/booking/purges"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
             "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS, "public_holidays": "FR"}
ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "phone": "06 12 34 56 78"}


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    from queue_server.web.app import create_app

    application = create_app(stack.settings, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=application)
    async with (application.router.lifespan_context(application),
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as http):
        answer = await http.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield application, http


async def book(http: httpx.AsyncClient, start: str) -> dict[str, Any]:
    answer = await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start, "person": ANNE})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def holds_of(stack: Stack, appointment: str) -> int:
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            return int((await session.execute(select(func.count()).select_from(Hold).where(
                col(Hold.appointment_id) == appointment))).scalar_one())
    finally:
        await engine.dispose()


async def test_an_appointment_past_the_retention_is_purged_with_a_report_and_a_recent_one_stays(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """Run 731 days after the first appointment's day (730 kept): it is gone with its holds, the second (a
    month later) stays, and one report says one appointment dated before the cut-off was purged."""
    application, http = app
    old = await book(http, "2027-01-12T09:10:00Z")
    recent = await book(http, "2027-02-12T09:10:00Z")
    assert await holds_of(stack, old["id"]) > 0
    later = datetime(2027, 1, 12, 12, 0, tzinfo=UTC) + timedelta(days=731)
    reports = await application.state.booking_retention.purge(later)
    assert reports == [{"tenant": "demo", "before": "2027-01-13", "appointments": 1, "waiting": 0}]
    assert (await http.get(f"{SITE}/appointments/{old['id']}")).status_code == 404
    assert await holds_of(stack, old["id"]) == 0
    assert (await http.get(f"{SITE}/appointments/{recent['id']}")).json()["status"] == "booked"
    [report] = (await http.get(PURGES, headers=stack.auth("supervisor"))).json()["items"]
    assert (report["before"], report["appointments"], report["waiting"]) == ("2027-01-13", 1, 0)
    assert report["at"].startswith(later.date().isoformat())


async def test_the_deletion_reports_are_for_supervisors_and_administrators(
        app: tuple[Starlette, httpx.AsyncClient], stack: Stack) -> None:
    """An agent is refused (403), another collectivity is unknown (404), an administrator reads them."""
    _application, http = app
    assert (await http.get(PURGES, headers=stack.auth("agent"))).status_code == 403
    assert (await http.get("/api/v1/tenants/autre/booking/purges", headers=stack.auth("admin"))).status_code == 404
    answer = await http.get(PURGES, headers=stack.auth("admin"))
    assert answer.status_code == 200 and answer.json() == {"items": []}

"""The last places of a slot asked by 30 citizens at once through two server processes: exactly as many bookings
as places, every other asker a 409 ``slot-taken``; on SQLite and, when the machine has one, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
import anyio.lowlevel
import httpx
import pytest

from tests.conftest import EXTERNAL_DB, drop_postgres_database, fresh_postgres_database
from tests.system.servers import seed_site, server

pytestmark = pytest.mark.anyio
CLIENTS, PLACES = 30, 3
DATABASES = ["sqlite"] + (["postgresql"] if EXTERNAL_DB else [])


def next_weekday_ten() -> datetime:
    """10:00 in Paris on the next weekday at least two days ahead (well past any notice)."""
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


@pytest.mark.parametrize("database", DATABASES)
async def test_thirty_citizens_on_two_processes_share_three_places_without_double_booking(
        tmp_path: Path, valkey_url: str, key_prefix: str, database: str) -> None:
    """30 bookings of one slot with 3 places at once, half through each process: 3 are 201, 27 are 409
    slot-taken, and the slot is no longer listed."""
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}" if database == "sqlite" else await fresh_postgres_database()
    try:
        tokens = await seed_site(db_url, "mairie", 2, ("passeports",), ("admin", "agent"))
        env = {"QUEUE_REDIS_URL": valkey_url, "QUEUE_REDIS_KEY_PREFIX": key_prefix,
               "QUEUE_REDIS_CHECK_PERSISTENCE": "false", "QUEUE_DATABASE_URL": db_url,
               "QUEUE_BOOKING_BOOKINGS_PER_ADDRESS_PER_HOUR": "1000"}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        start = next_weekday_ten()
        with server(tmp_path / "a", env, name="a") as a, server(tmp_path / "b", env, name="b") as b:
            async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
                motif = await http.put("/api/v1/sites/mairie/motifs/passeport", json={
                    "service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": PLACES,
                    "public": True, "min_notice_h": 1, "horizon_days": 30},
                    headers={"Authorization": f"Bearer {tokens['admin']}"})
                assert motif.status_code == 201, motif.text
            answers: list[httpx.Response] = []
            ready = anyio.Event()

            async def citizen(n: int) -> None:
                async with httpx.AsyncClient(base_url=(a.url, b.url)[n % 2], timeout=60) as http:
                    await ready.wait()
                    answers.append(await http.post("/api/v1/sites/mairie/appointments", json={
                        "motif": "passeport", "start": start.isoformat(),
                        "person": {"first_name": f"Personne {n}", "last_name": "Test",
                                   "email": f"p{n}@example.fr"}}))

            async with anyio.create_task_group() as tasks:
                for n in range(CLIENTS):
                    tasks.start_soon(citizen, n)
                await anyio.lowlevel.checkpoint()
                ready.set()
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [201] * PLACES + [409] * (CLIENTS - PLACES), [r.text for r in answers if
                                                                             r.status_code not in (201, 409)]
            assert all(r.json()["type"].endswith("slot-taken") for r in answers if r.status_code == 409)
            async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
                day = start.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
                listed = await http.get("/api/v1/sites/mairie/slots", params={"motif": "passeport", "from": day,
                                                                              "to": day})
                assert start.isoformat().replace("+00:00", "Z") not in [s["start"] for s in listed.json()["slots"]]
                agenda = await http.get("/api/v1/sites/mairie/appointments", params={"date": day},
                                        headers={"Authorization": f"Bearer {tokens['agent']}"})
                booked = [x for x in agenda.json()["items"] if x["status"] == "booked"]
                assert len(booked) == PLACES
    finally:
        if database == "postgresql":
            await drop_postgres_database(db_url)

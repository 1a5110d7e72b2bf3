"""Reports against a scripted day: 200 tickets whose waits and service times are known exactly.

The script (10 March 2026, Paris, UTC+1): ticket ``i`` is issued at 08:00 + 150 s × i local time, at
``passeports`` when ``i`` is a multiple of 3 and ``etat-civil`` otherwise, by counter 1 (even ``i``) or 2
(odd ``i``) and agent ``user:(i mod 3 + 1)`` (the first changed her name at ticket 100); it waits
60 + (37 i mod 900) s; it is cancelled before being called when i mod 20 = 7, a no-show when i mod 20 = 13,
cancelled at the counter when i mod 20 = 17, otherwise served 30 s after its call for 120 + (53 i mod 600) s.
Expected figures come from plain arithmetic over the script, here.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.tokens import create_token
from queue_server.platform.users import add_user
from queue_server.queue.tables import TicketRecord
from tests.conftest import Stack
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio

DAY = "2026-03-10"
PARIS_OFFSET = timedelta(hours=1)  # CET: summer time starts on 29 March
OPENING = datetime(2026, 3, 10, 8, tzinfo=UTC) - PARIS_OFFSET  # 08:00 in Paris


@dataclass(frozen=True)
class Scripted:
    i: int
    service: str
    counter: str | None
    agent: str | None
    status: str
    local_hour: int
    wait_s: int | None
    service_s: int | None


def script() -> list[Scripted]:
    tickets = []
    for i in range(200):
        kind = i % 20
        status = {7: "cancelled", 13: "no_show", 17: "cancelled"}.get(kind, "done")
        called = kind != 7
        tickets.append(Scripted(
            i=i, service="passeports" if i % 3 == 0 else "etat-civil",
            counter=("1" if i % 2 == 0 else "2") if called else None, status=status,
            agent=f"user:{i % 3 + 1}" if called else None,
            local_hour=8 + (i * 150) // 3600,
            wait_s=60 + (37 * i) % 900 if called else None,
            service_s=120 + (53 * i) % 600 if status == "done" else None,
        ))
    return tickets


def record(t: Scripted, day: str = DAY, site: str = "demo", shift: timedelta = timedelta()) -> TicketRecord:
    issued = OPENING + shift + timedelta(seconds=150 * t.i)
    called = issued + timedelta(seconds=t.wait_s) if t.wait_s is not None else None
    started = called + timedelta(seconds=30) if called is not None and t.service_s is not None else None
    finished = started + timedelta(seconds=t.service_s) if started is not None and t.service_s else None
    return TicketRecord(id=f"{site}-{day}-{t.i:03d}", site_id=site, day=day, number=f"A{t.i:03d}",
                        service=t.service, status=t.status, counter=t.counter, agent=t.agent,
                        agent_name=agent_name(t), issued_at=issued, called_at=called,
                        started_at=started, finished_at=finished, last_event_id=f"1-{t.i}")


def agent_name(t: Scripted) -> str:
    """Agents' names as they were at each call: agent 1 married at noon, between tickets 99 and 100."""
    if t.agent is None:
        return ""
    names = {"user:1": "Léa Martin" if t.i < 100 else "Léa Roux", "user:2": "Paul Dubois", "user:3": "Inès Kaci"}
    return names.get(t.agent, "")


async def archive(stack: Stack, rows: list[TicketRecord]) -> None:
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add_all(rows)
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def scripted_day(stack: Stack) -> list[Scripted]:
    """The 200 tickets of the day in ticket_history, plus 5 of the day before, 5 of the next week and 5
    of another site on the same day, which a report of the day must leave out."""
    tickets = script()
    await archive(stack, [record(t) for t in tickets]
                  + [record(t, "2026-03-09", shift=-timedelta(days=1)) for t in tickets[:5]]
                  + [record(t, "2026-03-16", shift=timedelta(days=6)) for t in tickets[:5]]
                  + [record(t, site="ailleurs") for t in tickets[:5]])
    return tickets


def expected(tickets: list[Scripted]) -> dict[str, Any]:
    """The figures of one group, computed the plain way."""
    def figures(values: list[int]) -> dict[str, Any]:
        if not values:
            return {"count": 0, "mean": None, "median": None, "p90": None}
        ordered = sorted(values)
        return {"count": len(values), "mean": pytest.approx(sum(values) / len(values), abs=0.05),
                "median": pytest.approx(statistics.median(values), abs=0.05),
                "p90": ordered[math.ceil(0.9 * len(values)) - 1]}

    return {"issued": len(tickets), "served": sum(t.status == "done" for t in tickets),
            "no_show": sum(t.status == "no_show" for t in tickets),
            "cancelled": sum(t.status == "cancelled" for t in tickets),
            "wait_s": figures([t.wait_s for t in tickets if t.wait_s is not None]),
            "service_s": figures([t.service_s for t in tickets if t.service_s is not None])}


async def report(client: httpx.AsyncClient, stack: Stack, suffix: str = "", **params: str) -> httpx.Response:
    return await client.get(f"/api/v1/sites/demo/reports{suffix}", params=params, headers=stack.auth("supervisor"))


def groups_of(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {g["key"]: {k: v for k, v in g.items() if k not in ("key", "label")} for g in body["groups"]}


async def test_by_service_matches_the_script(client: httpx.AsyncClient, stack: Stack,
                                             scripted_day: list[Scripted]) -> None:
    """Per service: issued, served, no-shows, cancelled, and waits and service times to the second."""
    response = await report(client, stack, period="day", date=DAY, by="service")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["site"], body["from"], body["to"], body["by"]) == ("demo", DAY, DAY, "service")
    want = {s: expected([t for t in scripted_day if t.service == s]) for s in ("etat-civil", "passeports")}
    assert groups_of(body) == want
    assert sum(g["issued"] for g in body["groups"]) == 200


async def test_by_counter_matches_the_script(client: httpx.AsyncClient, stack: Stack,
                                             scripted_day: list[Scripted]) -> None:
    """Per counter, with the tickets cancelled before any call under a null key, last."""
    body = (await report(client, stack, date=DAY, by="counter")).json()
    want = {c: expected([t for t in scripted_day if t.counter == c]) for c in ("1", "2", None)}
    assert groups_of(body) == want
    assert [g["key"] for g in body["groups"]] == ["1", "2", None]
    assert want[None]["issued"] == 10 and want[None]["wait_s"]["count"] == 0


async def test_by_agent_matches_the_script_under_their_latest_name(client: httpx.AsyncClient, stack: Stack,
                                                                  scripted_day: list[Scripted]) -> None:
    """Per agent who called: the same figures, labelled with each agent's name at their latest call;
    tickets never called under a null key."""
    body = (await report(client, stack, date=DAY, by="agent")).json()
    agents = ("user:1", "user:2", "user:3", None)
    assert groups_of(body) == {a: expected([t for t in scripted_day if t.agent == a]) for a in agents}
    assert [(g["key"], g["label"]) for g in body["groups"]] == [
        ("user:1", "Léa Roux"), ("user:2", "Paul Dubois"), ("user:3", "Inès Kaci"), (None, None)]


async def test_services_and_counters_are_labelled_with_their_names(client: httpx.AsyncClient, stack: Stack,
                                                                   scripted_day: list[Scripted]) -> None:
    """A report by service or counter names each group as the site calls it."""
    services = (await report(client, stack, date=DAY, by="service")).json()
    assert [(g["key"], g["label"]) for g in services["groups"]] == [("etat-civil", "État civil"),
                                                                    ("passeports", "Passeports et cartes d'identité")]
    counters = (await report(client, stack, date=DAY, by="counter")).json()
    assert [g["label"] for g in counters["groups"]] == ["Guichet 1", "Guichet 2", None]


async def test_by_hour_uses_the_sites_local_hours(client: httpx.AsyncClient, stack: Stack,
                                                  scripted_day: list[Scripted]) -> None:
    """Per local hour of issue: 08 to 16 in Paris, though the times are stored in UTC."""
    body = (await report(client, stack, date=DAY, by="hour")).json()
    hours = sorted({t.local_hour for t in scripted_day})
    assert hours == list(range(8, 17))
    want = {f"{h:02d}": expected([t for t in scripted_day if t.local_hour == h]) for h in hours}
    assert groups_of(body) == want


async def test_a_week_gathers_its_days_and_no_other(client: httpx.AsyncClient, stack: Stack,
                                                    scripted_day: list[Scripted]) -> None:
    """The week of Sunday 15 March runs from Monday 9 to Sunday 15: two days of tickets, not the 16th."""
    body = (await report(client, stack, period="week", date="2026-03-15", by="day")).json()
    assert (body["from"], body["to"]) == ("2026-03-09", "2026-03-15")
    assert groups_of(body) == {"2026-03-09": expected(scripted_day[:5]), DAY: expected(scripted_day)}
    month = (await report(client, stack, period="month", date=DAY, by="all")).json()
    assert (month["from"], month["to"]) == ("2026-03-01", "2026-03-31")
    assert [(g["key"], g["issued"]) for g in month["groups"]] == [("all", 210)]


async def test_a_day_without_tickets_has_no_groups(client: httpx.AsyncClient, stack: Stack,
                                                   scripted_day: list[Scripted]) -> None:
    """A quiet day is an empty list, not an error."""
    body = (await report(client, stack, date="2026-03-11")).json()
    assert body["groups"] == []


async def test_the_csv_has_one_row_per_group(client: httpx.AsyncClient, stack: Stack,
                                             scripted_day: list[Scripted]) -> None:
    """The CSV carries the JSON's figures in flat columns, as an attachment with a telling name."""
    response = await report(client, stack, ".csv", period="day", date=DAY, by="counter")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="report-demo-2026-03-10-2026-03-10-counter.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == ["1", "2", ""]
    for row, c in zip(rows, ("1", "2", None), strict=True):
        want = expected([t for t in scripted_day if t.counter == c])
        assert int(row["issued"]) == want["issued"] and int(row["served"]) == want["served"]
        assert int(row["no_show"]) == want["no_show"] and int(row["cancelled"]) == want["cancelled"]
        for prefix, figures in (("wait", want["wait_s"]), ("service", want["service_s"])):
            assert int(row[f"{prefix}_count"]) == figures["count"]
            for name in ("mean", "median", "p90"):
                cell = row[f"{prefix}_{name}_s"]
                assert (cell == "") if figures[name] is None else (float(cell) == figures[name]), (prefix, name)


async def test_a_french_spreadsheet_opens_as_it_is(client: httpx.AsyncClient, stack: Stack,
                                                   scripted_day: list[Scripted]) -> None:
    """With lang=fr: a byte order mark, ';' between cells, French column names, the label first, decimal
    commas; an unknown lang is a 422."""
    response = await report(client, stack, ".csv", period="day", date=DAY, by="counter", lang="fr")
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Groupe", "Clé", "Tickets émis", "Reçus"]
    first = rows[1]
    want = expected([t for t in scripted_day if t.counter == "1"])
    assert first[1] == "1" and int(first[2]) == want["issued"]
    assert "." not in first[7] and float(first[7].replace(",", ".")) == want["wait_s"]["mean"]  # a decimal comma
    refused = await report(client, stack, ".csv", period="day", date=DAY, lang="de")
    assert refused.status_code == 422 and "lang" in refused.json()["detail"]


async def two_demo_agents(stack: Stack) -> tuple[str, str]:
    """The demo's two "demo agent"s: the person "Demo agent" (who signs in) and the shared counter
    terminal's token "demo agent"; their agent keys (``user:ID``, ``token:ID``)."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            person = await add_user(session, "demo", "demo-agent-2", "correct horse battery", "Demo agent",
                                    [("demo", "agent")])
            token, _secret = await create_token(session, "demo", "agent", "demo agent")
            await session.commit()
            return f"user:{person.id}", f"token:{token}"
    finally:
        await engine.dispose()


def called_by(i: int, agent: str, name: str) -> TicketRecord:
    """Ticket ``i`` of the scripted day, called by ``agent`` while their name was ``name``, then served."""
    row = record(Scripted(i=i, service="etat-civil", counter="1", agent=agent, status="done", local_hour=8,
                          wait_s=100 + i, service_s=200))
    row.agent_name = name
    return row


async def test_agents_are_grouped_by_who_they_are_under_their_current_name(client: httpx.AsyncClient,
                                                                           stack: Stack) -> None:
    """By agent, one line per person or terminal whatever names they had: the person "Demo agent", once
    recorded as "demo agent", is one line under today's name; the terminal named "demo agent" is another,
    said to be a shared terminal in the spreadsheet."""
    person, terminal = await two_demo_agents(stack)
    await archive(stack, [called_by(0, person, "demo agent"), called_by(1, person, "Demo Agent"),
                          called_by(2, person, "Demo agent"), called_by(3, terminal, "demo agent"),
                          called_by(4, terminal, "demo agent")])
    body = (await report(client, stack, date=DAY, by="agent")).json()
    assert sorted((g["key"], g["label"], g["issued"]) for g in body["groups"]) == sorted(
        [(person, "Demo agent", 3), (terminal, "demo agent", 2)])
    response = await report(client, stack, ".csv", date=DAY, by="agent", lang="fr")
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff")), delimiter=";"))
    assert sorted((r[0], r[2]) for r in rows[1:]) == [("Demo agent", "3"), ("demo agent (terminal partagé)", "2")]


async def test_a_french_spreadsheet_names_hours_and_days_in_french(client: httpx.AsyncClient, stack: Stack,
                                                                    scripted_day: list[Scripted]) -> None:
    """With lang=fr, hours read "8 h", days 10/03/2026 (the site's local days), each row carries the
    period's first and last day, and durations keep a decimal comma; in English, commas and ISO days."""
    by_hour = await report(client, stack, ".csv", period="day", date=DAY, by="hour", lang="fr")
    assert by_hour.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(by_hour.text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Groupe" and rows[0][-2:] == ["Du", "Au"]
    assert [r[0] for r in rows[1:]] == [f"{h} h" for h in range(8, 17)]
    assert all(r[-2:] == ["10/03/2026", "10/03/2026"] for r in rows[1:])
    assert all(";" not in cell and "." not in cell for r in rows[1:] for cell in r[2:])
    week = await report(client, stack, ".csv", period="week", date="2026-03-15", by="day", lang="fr")
    days = list(csv.reader(io.StringIO(week.text.removeprefix("\ufeff")), delimiter=";"))
    assert [(r[0], r[-2], r[-1]) for r in days[1:]] == [("09/03/2026", "09/03/2026", "15/03/2026"),
                                                         ("10/03/2026", "09/03/2026", "15/03/2026")]
    english = await report(client, stack, ".csv", period="week", date="2026-03-15", by="day", lang="en")
    rows_en = list(csv.reader(io.StringIO(english.text.removeprefix("\ufeff"))))
    assert rows_en[0][:3] == ["Group", "Key", "Tickets issued"] and rows_en[0][-2:] == ["From", "To"]
    assert [r[0] for r in rows_en[1:]] == ["2026-03-09", "2026-03-10"]


async def test_the_answer_matches_the_document(client: httpx.AsyncClient, stack: Stack,
                                               scripted_day: list[Scripted]) -> None:
    """The report validates against the Report schema of /openapi.json."""
    document = (await client.get("/openapi.json")).json()
    declared = document["paths"]["/api/v1/sites/{site}/reports"]["get"]["responses"]["200"]
    schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    for by in ("service", "counter", "agent", "hour", "day", "all"):
        body = (await report(client, stack, date=DAY, by=by)).json()
        assert not list(validator.iter_errors(body)), by


async def test_an_agent_may_not_read_reports(client: httpx.AsyncClient, stack: Stack) -> None:
    """Reports are for supervisors and admins: an agent gets 403, in JSON and CSV."""
    for suffix in ("", ".csv"):
        response = await client.get(f"/api/v1/sites/demo/reports{suffix}", params={"date": DAY},
                                    headers=stack.auth("agent"))
        assert_problem(response, 403)
    admin = await client.get("/api/v1/sites/demo/reports", params={"date": DAY}, headers=stack.auth("admin"))
    assert admin.status_code == 200


@pytest.mark.parametrize("params", [
    {"period": "year", "date": DAY}, {"date": "2026-02-30"}, {"date": "10/03/2026"}, {"date": "２０２６-03-10"},
    {}, {"date": DAY, "by": "weekday"}, {"date": "+2026-03-10"},
    {"period": "month", "date": "9999-12-31"},
], ids=str)
async def test_bad_parameters_are_422(client: httpx.AsyncClient, stack: Stack, params: dict[str, str]) -> None:
    """An unknown period or grouping, or a date that is not a YYYY-MM-DD calendar day, is a 422 problem."""
    for suffix in ("", ".csv"):
        assert_problem(await report(client, stack, suffix, **params), 422, params)

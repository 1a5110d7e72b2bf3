"""The requests' figures for supervisors over HTTP, on every storage stack, the server's clock moved by the test so
that every time is exact (March 2026, Paris, UTC+1): ``GET …/requests/stats`` by category, service and channel,
its French spreadsheet, who may read them, the refusals naming ``from``, ``to`` or ``by``, and the page
``/demandes/bilan``; ``summarise``'s rules on rows made by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server.requests.stats import PeriodRow, summarise
from tests.conftest import Stack
from tests.requests.support import put_categories
from tests.requests.test_api import LETTER
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

BASE = "/api/v1/tenants/demo"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def http(stack: Stack, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    app = create_app(stack.settings, clock=clock)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        yield client


async def at(clock: Clock, when: datetime, http: httpx.AsyncClient, method: str, path: str, stack: Stack,
             **body: Any) -> Any:
    clock.now = when
    answer = await http.request(method, BASE + path, json=body, headers=stack.auth("agent"))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def march(http: httpx.AsyncClient, clock: Clock, stack: Stack) -> None:
    """C (voirie) received 20 February, closed 4 March after 12 days; A (voirie, online) received Monday 2 March,
    an internal note after 30 minutes, its first reply after 2 hours, closed after 4 days; B (urbanisme, a letter)
    received Tuesday 3 March, replied after 48 h 30 min, still open, due 31 March; today is Tuesday 7 April."""
    day = lambda d, h=9, m=0: datetime(2026, 3, d, h, m, tzinfo=UTC)  # noqa: E731
    c = await at(clock, datetime(2026, 2, 20, 9, 0, tzinfo=UTC), http, "POST", "/requests", stack, **LETTER)
    a = await at(clock, day(2), http, "POST", "/requests", stack, **LETTER)
    await at(clock, day(2, 9, 30), http, "POST", f"/requests/{a['id']}/messages", stack, body="Note", internal=True)
    await at(clock, day(2, 11), http, "POST", f"/requests/{a['id']}/messages", stack, body="Réponse")
    b = await at(clock, day(3), http, "POST", "/requests", stack,
                 **{**LETTER, "category": "urbanisme", "channel": "postal",
                    "person": {**LETTER["person"], "address": "1 rue Haute, Démoville"}})  # type: ignore[dict-item]
    await at(clock, day(4), http, "POST", f"/requests/{c['id']}/status", stack, status="closed")
    await at(clock, day(5, 9, 30), http, "POST", f"/requests/{b['id']}/messages", stack, body="Réponse")
    await at(clock, day(6), http, "POST", f"/requests/{a['id']}/status", stack, status="closed")
    clock.now = datetime(2026, 4, 7, 8, 0, tzinfo=UTC)


def figures(received: int, closed: int, open_: int, overdue: int, hours: float | None,
            days: float | None) -> dict[str, Any]:
    return {"received": received, "closed": closed, "open": open_, "overdue": overdue, "first_answer_hours": hours,
            "closure_days": days}


@pytest.mark.anyio
async def test_the_months_figures_by_category(http: httpx.AsyncClient, clock: Clock, stack: Stack) -> None:
    """Received, closed (C too, received in February), still open, overdue today, the medians; every day of the
    month with its received and closed."""
    await march(http, clock, stack)
    answer = await http.get(f"{BASE}/requests/stats", params=MARCH, headers=stack.auth("supervisor"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["from"], report["to"], report["by"]) == ("2026-03-01", "2026-03-31", "category")
    assert report["groups"] == [
        {"key": "urbanisme", "label": "Urbanisme (permis, déclarations de travaux)", **figures(1, 0, 1, 1, 48.5, None)},
        {"key": "voirie", "label": "Voirie et propreté (trottoirs, éclairage, dépôts)",
         **figures(1, 2, 0, 0, 2.0, 8.0)},
    ]
    assert report["total"] == figures(2, 2, 1, 1, 25.2, 8.0)
    assert len(report["days"]) == 31
    busy = {d["day"]: (d["received"], d["closed"]) for d in report["days"] if d["received"] or d["closed"]}
    assert busy == {"2026-03-02": (1, 0), "2026-03-03": (1, 0), "2026-03-04": (0, 1), "2026-03-06": (0, 1)}


@pytest.mark.anyio
async def test_by_service_and_by_channel(http: httpx.AsyncClient, clock: Clock, stack: Stack) -> None:
    """Grouped by the categories' services, or by how the requests came."""
    await march(http, clock, stack)
    by_service = (await http.get(f"{BASE}/requests/stats", params={**MARCH, "by": "service"},
                                 headers=stack.auth("admin"))).json()
    assert [(g["key"], g["received"], g["closed"]) for g in by_service["groups"]] == [
        ("Service urbanisme", 1, 0), ("Services techniques — voirie", 1, 2)]
    by_channel = (await http.get(f"{BASE}/requests/stats", params={**MARCH, "by": "channel"},
                                 headers=stack.auth("supervisor"))).json()
    assert [(g["key"], g["received"], g["closed"]) for g in by_channel["groups"]] == [("postal", 1, 0), ("web", 1, 2)]


@pytest.mark.anyio
async def test_a_period_of_days_only_counts_those_days(http: httpx.AsyncClient, clock: Clock, stack: Stack) -> None:
    """From 3 to 4 March: B received, C closed; A (received the 2nd, closed the 6th) not counted."""
    await march(http, clock, stack)
    report = (await http.get(f"{BASE}/requests/stats", params={"from": "2026-03-03", "to": "2026-03-04"},
                             headers=stack.auth("supervisor"))).json()
    assert report["total"] == figures(1, 1, 1, 1, 48.5, 12.0)
    assert [d["day"] for d in report["days"]] == ["2026-03-03", "2026-03-04"]


@pytest.mark.anyio
async def test_the_spreadsheet_is_french(http: httpx.AsyncClient, clock: Clock, stack: Stack) -> None:
    """A byte order mark, ``;`` between cells, French column names, decimal commas, the total last."""
    await march(http, clock, stack)
    answer = await http.get(f"{BASE}/requests/stats.csv", params=MARCH, headers=stack.auth("supervisor"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="demandes-2026-03-01-2026-03-31.csv"' in answer.headers["content-disposition"]
    assert answer.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(answer.text[1:]), delimiter=";"))
    assert len(rows[0]) == 9
    assert rows[1][:7] == ["Urbanisme (permis, déclarations de travaux)", "1", "0", "1", "1", "48,5", ""]
    assert rows[-1] == ["Total", "2", "2", "1", "1", "25,2", "8", "01/03/2026", "31/03/2026"]


@pytest.mark.anyio
async def test_only_supervisors_and_administrators_read_the_figures(http: httpx.AsyncClient, stack: Stack) -> None:
    """An agent's or a kiosk's token: 403; none: 401."""
    for role in ("agent", "kiosk"):
        answer = await http.get(f"{BASE}/requests/stats", headers=stack.auth(role))
        assert answer.status_code == 403, role
    assert (await http.get(f"{BASE}/requests/stats.csv")).status_code == 401
    assert (await http.get("/api/v1/tenants/agglo/requests/stats", headers=stack.auth("admin"))).status_code == 404


@pytest.mark.anyio
@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13-01"}, "from"), ({"from": "1/3/2026"}, "from"), ({"to": "yesterday"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-09"}, "to"), ({"from": "2025-01-01", "to": "2026-03-01"}, "to"),
    ({"by": "agent"}, "by")])
async def test_bad_values_are_refused_naming_the_field(http: httpx.AsyncClient, stack: Stack,
                                                        params: dict[str, str], field: str) -> None:
    """A day that is none, a period backwards or over a year, an unknown grouping: 422 naming the field."""
    for path in ("/requests/stats", "/requests/stats.csv"):
        answer = await http.get(BASE + path, params=params, headers=stack.auth("supervisor"))
        assert answer.status_code == 422, (path, params)
        assert answer.json()["errors"][0]["field"] == field


@pytest.mark.anyio
@pytest.mark.one_stack
async def test_the_page_shows_this_months_figures(http: httpx.AsyncClient, clock: Clock, stack: Stack,
                                                  people: People) -> None:  # noqa: F811
    """A supervisor's page: March's table and total, the chart, the spreadsheet's link; this week and this month
    (April) have none; a period backwards is said; an agent's: 403; the requests' list links to it for supervisors
    only."""
    await march(http, clock, stack)
    await sign_in(http)  # anne, an agent
    assert (await http.get("/demandes/bilan")).status_code == 403
    assert "/demandes/bilan" not in (await http.get("/demandes")).text
    await people.add("sophie", [("demo", "supervisor")])
    await sign_in(http, login="sophie")
    assert 'href="/demandes/bilan"' in (await http.get("/demandes")).text
    page = await http.get("/demandes/bilan", params={"period": "custom", **MARCH})
    assert page.status_code == 200
    text = page.text
    assert "Voirie et propreté" in text and "48,5" in text and "25,2" in text
    assert '<svg class="chart"' in text and 'role="img"' in text
    assert "/api/v1/tenants/demo/requests/stats.csv?from=2026-03-01&amp;to=2026-03-31&amp;by=category" in text
    week = await http.get("/demandes/bilan", params={"period": "week", "by": "channel"})
    assert 'value="2026-04-06"' in week.text and 'value="2026-04-07"' in week.text and 'class="none"' in week.text
    month = await http.get("/demandes/bilan")
    assert 'value="2026-04-01"' in month.text and 'class="none"' in month.text
    bad = await http.get("/demandes/bilan", params={"period": "custom", "from": "2026-03-10", "to": "2026-03-01"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text and 'aria-invalid="true"' in bad.text


# summarise, on rows made by hand ------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


def row(received: datetime, category: str = "voirie", status: str = "received", closed: datetime | None = None,
        answered: datetime | None = None, due: date | None = None) -> PeriodRow:
    return PeriodRow(category, "web", status, received, received.astimezone(PARIS).date(),
                     due or received.date() + timedelta(days=14), closed, answered)


def test_a_closure_is_counted_on_the_local_day() -> None:
    """Closed at 23:30 UTC on 31 March is 1 April in Paris: outside March."""
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    report = summarise([row(datetime(2026, 3, 2, tzinfo=UTC), status="closed", closed=late)],
                       date(2026, 3, 1), date(2026, 3, 31), "category", date(2026, 4, 2), PARIS, {})
    assert report.total.closed == 0 and report.total.received == 1 and report.total.open == 0


def test_a_reopened_request_is_open_whatever_its_old_closure() -> None:
    """A request closed then opened again counts as open, and as closed nowhere."""
    report = summarise([row(datetime(2026, 3, 2, tzinfo=UTC), status="in_progress",
                            closed=datetime(2026, 3, 3, tzinfo=UTC))],
                       date(2026, 3, 1), date(2026, 3, 31), "category", date(2026, 3, 10), PARIS, {})
    assert (report.total.open, report.total.closed) == (1, 0)


def test_unknown_categories_and_services_are_named_by_their_key() -> None:
    """A category since removed: its id names the group, by category and by service."""
    rows = [row(datetime(2026, 3, 2, tzinfo=UTC), category="ancienne")]
    for by in ("category", "service"):
        report = summarise(rows, date(2026, 3, 1), date(2026, 3, 31), by, date(2026, 3, 10), PARIS, {})
        assert [(g.key, g.label) for g in report.groups] == [("ancienne", "ancienne")]


def test_no_request_no_median() -> None:
    """An empty period: zeros, no medians, every day there."""
    report = summarise([], date(2026, 3, 1), date(2026, 3, 7), "channel", date(2026, 3, 10), PARIS, {})
    assert report.groups == [] and report.total.first_answer_hours is None and report.total.closure_days is None
    assert len(report.days) == 7

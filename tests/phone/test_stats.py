"""The phone desk's figures for supervisors over HTTP, on every storage stack, the server's clock moved by the test
so that every time is exact (March 2026, Paris, UTC+1): ``GET …/phone/stats`` per reason, hour and outcome with the
mean duration and the callbacks, its French spreadsheets, who may read them, the refusals naming ``from`` or
``to``, and the page ``/phone/bilan``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.phone.conftest import Desk
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def day(d: int, h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, d, h, m, tzinfo=UTC)


async def log_at(desk: Desk, when: datetime, **body: Any) -> dict[str, Any]:
    desk.clock.now = when
    return await desk.log(**body)


async def march(desk: Desk) -> None:
    """Five calls logged in March (Paris, UTC+1) and one in February: voirie at 9:05 (1 min) and 9:50 (3 min) on
    Monday 2 March, the second with a callback later done; état civil at 14:10 (2 min) on the 3rd, transferred; voirie
    at 9:20 on the 4th (5 min) with a callback still to do, due on the 5th at 10:00; urbanisme at 17:00 on the 5th (30
    s), a request created; today is Monday 16 March."""
    await log_at(desk, datetime(2026, 2, 27, 9, 0, tzinfo=UTC), reason="urbanisme")
    await log_at(desk, day(2, 8, 6), reason="voirie", duration_s=60)
    second = await log_at(desk, day(2, 8, 53), reason="voirie", duration_s=180, outcome="callback",
                          callback={"due_at": "2026-03-02T13:00:00Z", "phone": "0612345678"})
    desk.clock.now = day(2, 12)
    done = await desk.call("lea", "POST", f"callbacks/{second['callback']['id']}/done", json={"outcome": "reached"})
    assert done.status_code == 200, done.text
    await log_at(desk, day(3, 13, 12), reason="etat-civil", duration_s=120, outcome="transferred",
                 service="etat-civil")
    await log_at(desk, day(4, 8, 25), reason="voirie", duration_s=300, outcome="callback",
                 callback={"due_at": "2026-03-05T09:00:00Z", "phone": "0612345678"})
    await log_at(desk, day(5, 16, 1), reason="urbanisme", duration_s=30, outcome="request")
    desk.clock.now = day(16, 9)


async def test_a_supervisor_reads_the_months_calls_per_reason_hour_and_outcome(desk: Desk) -> None:
    """March: 5 calls, 2 min 18 s on average; voirie first (3 calls, 3 min), then état civil and urbanisme; 9 a.m.
    has three calls, 2 p.m. and 5 p.m. one each; outcomes counted; two callbacks asked, one done, one overdue."""
    await march(desk)
    answer = await desk.call("sophie", "GET", "stats", params=MARCH)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["from"], report["to"], report["calls"], report["mean_duration_s"]) == (
        "2026-03-01", "2026-03-31", 5, 138.0)
    assert report["outcomes"] == {"answered": 1, "transferred": 1, "callback": 2, "appointment": 0, "request": 1}
    assert [(r["reason"], r["name"], r["calls"], r["mean_duration_s"]) for r in report["reasons"]] == [
        ("voirie", "Voirie et propreté", 3, 180.0), ("etat-civil", "État civil", 1, 120.0),
        ("urbanisme", "Urbanisme", 1, 30.0)]
    assert report["reasons"][0]["outcomes"]["callback"] == 2
    hours = {h["hour"]: h["calls"] for h in report["hours"] if h["calls"]}
    assert hours == {9: 3, 14: 1, 17: 1} and len(report["hours"]) == 24
    assert report["callbacks"] == {"asked": 2, "done": 1, "overdue": 1, "pending": 0}


async def test_the_spreadsheets_are_french_per_reason_and_per_hour(desk: Desk) -> None:
    """The CSV opens in a French spreadsheet: a byte order mark, ``;`` between cells, decimal commas, French column
    names, one row per reason then the total; ``by=hour`` one row per hour of the day."""
    await march(desk)
    answer = await desk.call("sophie", "GET", "stats.csv", params=MARCH)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][:3] == ["Voirie et propreté", "3", "3"] and rows[-1][:3] == ["Total", "5", "2,3"]
    assert rows[1][-2:] == ["01/03/2026", "31/03/2026"] and len(rows) == 5
    by_hour = await desk.call("sophie", "GET", "stats.csv", params={**MARCH, "by": "hour", "lang": "en"})
    hours = list(csv.reader(io.StringIO(by_hour.text.lstrip("\ufeff"))))
    assert hours[0][:2] == ["Hour", "Calls"] and hours[10][:2] == ["09:00–10:00", "3"] and len(hours) == 25


@pytest.mark.parametrize(("query", "field"), [({"from": "2026-3-1"}, "from"), ({"to": "yesterday"}, "to"),
                                              ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
                                              ({"from": "2025-01-01", "to": "2026-03-01"}, "to")])
async def test_a_wrong_period_names_its_field(desk: Desk, query: dict[str, str], field: str) -> None:
    """A day that is not YYYY-MM-DD, a period that ends before it starts or spans more than a year: 422 naming it."""
    problem = assert_problem(await desk.call("sophie", "GET", "stats", params=query), 422, query)
    assert problem["errors"][0]["field"] == field


async def test_only_supervisors_and_administrators_read_the_figures(desk: Desk) -> None:
    """An agent (a person or a device's token) is refused (403), another collectivity's staff too (404)."""
    for who in ("lea", "agent"):
        assert_problem(await desk.call(who, "GET", "stats"), 403, who)
        assert_problem(await desk.call(who, "GET", "stats.csv"), 403, who)
    assert_problem(await desk.call("other-tenant", "GET", "stats"), 404)
    assert (await desk.call("alain", "GET", "stats")).status_code == 200
    assert_problem(await desk.call("sophie", "GET", "stats.csv", params={"by": "day"}), 422)


async def test_the_report_page_shows_the_figures_and_a_chart(desk: Desk) -> None:
    """/phone/bilan for March: the table per reason, the per-hour chart as an image described in words, the
    callbacks' figures and the spreadsheets' links; agents get a 403 page, nobody signed in the sign-in page."""
    await march(desk)
    page = await desk.call("sophie", "GET", "/phone/bilan", params={**MARCH, "period": "custom"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Voirie et propreté" in html and 'role="img"' in html and "<desc" in html
    assert html.count('<rect class="bar"') == 3
    assert "/api/v1/tenants/demo/phone/stats.csv?from=2026-03-01&amp;to=2026-03-31" in html
    assert (await desk.call("lea", "GET", "/phone/bilan")).status_code == 403
    anonymous = await desk.call("anonymous", "GET", "/phone/bilan", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

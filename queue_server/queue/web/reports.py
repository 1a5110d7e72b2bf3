"""Supervisors' reports, from the archived history (queue/reports.py computes them).

- ``GET /api/v1/sites/{site}/reports?period=day|week|month&date=YYYY-MM-DD&by=service|counter|agent|hour|day|all``
  (supervisor, admin): JSON; ``period`` defaults to ``day``, ``by`` to ``service``, ``date`` is required.
- ``GET /api/v1/sites/{site}/reports.csv`` with the same parameters: one row per group, flat columns.
  Without ``lang``, the documented machine form (``CSV_COLUMNS``, commas, keys as they are). With
  ``lang=fr`` or ``lang=en``, a person's spreadsheet: translated column names, each group named in words
  (services and counters by their names, agents by their current names, a shared terminal said so, hours
  as "9 h", days as 10/03/2026 in French), the period's first and last local days; in French ``;`` between
  cells and decimal commas, with a UTF-8 byte order mark (``platform/spreadsheet.py``).

Any other parameter value is a 422 problem. Tickets of today appear once the archiver has copied them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.i18n import translations
from queue_server.platform.spreadsheet import csv_text, for_people, wanted_language
from queue_server.queue.reports import GROUPINGS, PERIODS, Group, Stats, agent_kind, period
from queue_server.queue.web.api import Api, site_engine
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.auth import SUPERVISORS
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response

CSV_COLUMNS = ("key", "issued", "served", "no_show", "cancelled",
               "wait_count", "wait_mean_s", "wait_median_s", "wait_p90_s",
               "service_count", "service_mean_s", "service_median_s", "service_p90_s",
               "label")  # added last: readers of the earlier columns by position are not disturbed
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stats_view(s: Stats) -> dict[str, Any]:
    """Seconds rounded to a tenth; ``null`` figures when there is nothing to count."""
    return {"count": s.count, "mean": _seconds(s.mean), "median": _seconds(s.median), "p90": _seconds(s.p90)}


def group_view(g: Group) -> dict[str, Any]:
    return {"key": g.key, "label": g.label, "issued": g.issued, "served": g.served, "no_show": g.no_show,
            "cancelled": g.cancelled,
            "wait_s": stats_view(g.wait_s), "service_s": stats_view(g.service_s)}


def _(message: str) -> str:
    """Marks a column name for the catalogs (``make i18n``); it is translated when the file is written."""
    return message


# The columns as a person reads them in a spreadsheet (``?lang=``: translated, the label first).
PEOPLE_COLUMNS = (_("Group"), _("Key"), _("Tickets issued"), _("Served"), _("No-shows"), _("Cancelled"),
                  _("Waits counted"), _("Mean wait (s)"), _("Median wait (s)"), _("90th percentile wait (s)"),
                  _("Visits counted"), _("Mean visit (s)"), _("Median visit (s)"),
                  _("90th percentile visit (s)"), _("From"), _("To"))


def _figures(g: Group) -> list[Any]:
    w, s = stats_view(g.wait_s), stats_view(g.service_s)
    return [g.issued, g.served, g.no_show, g.cancelled, w["count"], w["mean"], w["median"], w["p90"],
            s["count"], s["mean"], s["median"], s["p90"]]


def local_day(day: date, lang: str) -> str:
    """A local day as a spreadsheet in ``lang`` reads it as a date: 10/03/2026 in French, 2026-03-10 otherwise."""
    return day.strftime("%d/%m/%Y") if lang == "fr" else day.isoformat()


def people_label(g: Group, by: str, lang: str) -> str:
    """A group's name for a person reading the spreadsheet in ``lang``."""
    gettext = translations(lang).gettext
    if g.key is None:
        return gettext("Not called")  # a report by counter or agent: tickets nobody called
    if by == "hour":
        return gettext("{hour}:00").replace("{hour}", str(int(g.key)) if g.key.isdigit() else g.key)
    if by == "day":
        try:
            return local_day(date.fromisoformat(g.key), lang)
        except ValueError:
            return g.key
    if by == "all":
        return gettext("Total")
    name = g.label or g.key
    if by == "agent" and agent_kind(g.key) == "terminal":
        return gettext("{name} (shared terminal)").replace("{name}", name)
    return name


def as_csv(groups: list[Group], lang: str | None = None, by: str = "service",
           span: tuple[date, date] | None = None) -> str:
    """The machine form (``lang`` None: documented columns, commas), or a person's spreadsheet in ``lang``
    (``span``: the period's first and last local days, repeated on each row so that rows pasted together
    from several files still say when they were counted)."""
    if lang is None:
        return csv_text(CSV_COLUMNS, [[g.key, *_figures(g), g.label] for g in groups])
    days = [local_day(d, lang) for d in span] if span else ["", ""]
    return for_people(PEOPLE_COLUMNS, [[people_label(g, by, lang), g.key, *_figures(g), *days] for g in groups],
                      lang)


def _query(request: Request) -> tuple[str, str, date]:
    """``(period, by, date)`` from the query string; 422 for anything else."""
    params = request.query_params
    kind, by, raw = params.get("period", "day"), params.get("by", "service"), params.get("date", "")
    if kind not in PERIODS:
        raise HTTPError(422, f"period must be one of {', '.join(PERIODS)}.", "invalid-query")
    if by not in GROUPINGS:
        raise HTTPError(422, f"by must be one of {', '.join(GROUPINGS)}.", "invalid-query")
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise HTTPError(422, "date must be a calendar day, YYYY-MM-DD.", "invalid-query") from None
    return kind, by, day


class Reports:
    """The report endpoints; the site's engine (for its configuration) comes through the ``Api``."""

    def __init__(self, api: Api, deps: QueueDeps) -> None:
        self.api = api
        self.history = deps.history

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        return [Route(base + "/reports", self.report, methods=["GET"]),
                Route(base + "/reports.csv", self.report_csv, methods=["GET"])]

    async def _compute(self, request: Request) -> tuple[dict[str, Any], list[Group]]:
        caller = await self.api.auth.caller(request)
        engine = await site_engine(self.api.queue, caller, request.path_params["site"], SUPERVISORS)
        config = engine.config
        kind, by, day = _query(request)
        try:
            first, last = period(kind, day)
        except ValueError as exc:
            raise HTTPError(422, f"{exc}.", "invalid-query") from None
        head = {"site": config.id, "from": first.isoformat(), "to": last.isoformat(), "by": by}
        return head, await self.history.report(config, first, last, by)

    async def report(self, request: Request) -> Response:
        head, groups = await self._compute(request)
        return json_response({**head, "groups": [group_view(g) for g in groups]})

    async def report_csv(self, request: Request) -> Response:
        try:
            lang = wanted_language(request.query_params.get("lang"))
        except ValueError:
            raise HTTPError(422, "lang must be fr or en (a spreadsheet in that language), or left out.",
                            "invalid-query") from None
        head, groups = await self._compute(request)
        site = re.sub(r"[^A-Za-z0-9_.-]", "_", head["site"])
        name = f"report-{site}-{head['from']}-{head['to']}-{head['by']}.csv"
        span = (date.fromisoformat(head["from"]), date.fromisoformat(head["to"]))
        return Response(as_csv(groups, lang, head["by"], span), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

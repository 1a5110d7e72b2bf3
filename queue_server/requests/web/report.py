"""The requests' figures for supervisors (``stats.py`` says what each counts), for supervisors and administrators of
the collectivity:

- ``GET /api/v1/tenants/{tenant}/requests/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&by=category|service|channel``: JSON;
  ``from`` and ``to`` are local days (``to`` defaults to today, ``from`` to the first of ``to``'s month), ``by`` to
  ``category``; a year at most. Any other value: 422 naming ``from``, ``to`` or ``by``.
- ``GET …/requests/stats.csv`` with the same parameters: a spreadsheet (``platform/spreadsheet.py``), French unless
  ``lang=en``: ``;`` between cells, decimal commas, a byte order mark; one row per group, then the total.
- ``GET /demandes/bilan``: the page, with a choice of period (this week, this month, or from one day to another),
  the grouping, the table, a bar chart of the received and closed per day (SVG drawn here, its figures also in a
  table) and the spreadsheet's link. Signed-in supervisors and administrators; agents get a 403 page.

These routes come before the requests' ``…/requests/{id}`` and ``/demandes/{id}`` (``web/app.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.i18n import translations
from queue_server.platform.spreadsheet import for_people
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.requests.errors import unknown_tenant
from queue_server.requests.stats import GROUPINGS, MAX_DAYS, Day, Figures, Report, RequestStats
from queue_server.requests.web.staff import channel_words
from queue_server.web.auth import SUPERVISORS, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response
from queue_server.web.i18n import negotiate, templates
from queue_server.web.periods import BadQuery, form_error, not_empty, refused, with_preset
from queue_server.web.periods import parse_period as read_period

PATH = "/demandes/bilan"


def _(message: str) -> str:
    """Marks a column name for the catalogs; it is translated when the file is written."""
    return message


CSV_COLUMNS = (_("Group"), _("Received requests"), _("Closed requests"), _("Still open"), _("Overdue"),
               _("Median hours to the first reply"), _("Median days to closure"), _("From"), _("To"))


def parse_period(params: Any, today: date) -> tuple[date, date, str]:
    """``(from, to, by)`` of the query string (from the first of the month by default); ``BadQuery`` naming the
    field otherwise."""
    by = params.get("by") or "category"
    if by not in GROUPINGS:
        raise BadQuery("by", f"by must be one of {', '.join(GROUPINGS)}.")
    return (*read_period(params, today, max_days=MAX_DAYS), by)


def figures_view(f: Figures) -> dict[str, Any]:
    return {"received": f.received, "closed": f.closed, "open": f.open, "overdue": f.overdue,
            "first_answer_hours": f.first_answer_hours, "closure_days": f.closure_days}


def report_view(tenant: str, report: Report, labels: dict[str, str]) -> dict[str, Any]:
    return {"tenant": tenant, "from": report.first.isoformat(), "to": report.last.isoformat(), "by": report.by,
            "groups": [{"key": g.key, "label": labels.get(g.key, g.label), **figures_view(g.figures)}
                       for g in report.groups],
            "total": figures_view(report.total),
            "days": [{"day": d.day.isoformat(), "received": d.received, "closed": d.closed} for d in report.days]}


def as_csv(report: Report, labels: dict[str, str], lang: str) -> str:
    """One row per group and the total, in ``lang``'s spreadsheet form, the period's days on each row."""
    gettext = translations(lang).gettext
    span = [d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat() for d in (report.first, report.last)]

    def row(label: str, f: Figures) -> list[Any]:
        return [label, f.received, f.closed, f.open, f.overdue, f.first_answer_hours, f.closure_days, *span]

    return for_people(CSV_COLUMNS, [*(row(labels.get(g.key, g.label), g.figures) for g in report.groups),
                                    row(gettext("Total"), report.total)], lang)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    kind: str  # received, closed


def chart(days: list[Day], lang: str, width: int = 960, height: int = 220) -> dict[str, Any]:
    """The bars, value lines and day labels of the per-day chart, in SVG user units (the page scales it)."""
    left, bottom, top = 36, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([1, *(d.received for d in days), *(d.closed for d in days)])
    slot = plot_w / max(1, len(days))
    bar = max(1.0, min(14.0, slot * 0.4))
    bars, labels = [], []
    every = max(1, round(len(days) / 12))
    for n, d in enumerate(days):
        x = left + n * slot + slot / 2
        for offset, value, kind in ((-bar, d.received, "received"), (0.0, d.closed, "closed")):
            h = plot_h * value / peak
            bars.append(Bar(round(x + offset, 1), round(top + plot_h - h, 1), round(h, 1), value, kind))
        if n % every == 0:
            labels.append({"x": round(x, 1), "text": format_date(d.day, "d MMM" if lang == "fr" else "MMM d",
                                                                 locale=lang)})
    lines = [{"y": round(top + plot_h - plot_h * v / peak, 1), "value": v} for v in sorted({0, peak // 2, peak})]
    return {"width": width, "height": height, "bars": bars, "bar": round(bar, 1), "labels": labels, "lines": lines,
            "left": left, "right": width - 8, "base": top + plot_h, "label_y": height - 8}


class RequestsReport:
    def __init__(self, auth: Authenticator, stats: RequestStats) -> None:
        self.auth = auth
        self.stats = stats

    def routes(self) -> list[Route]:
        base = "/api/v1/tenants/{tenant}/requests/stats"
        return [Route(base, self.json, methods=["GET"]), Route(base + ".csv", self.csv, methods=["GET"]),
                Route(PATH, self.page, methods=["GET"])]

    async def _supervisor(self, request: Request) -> str:
        caller: Principal | Person = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        roles = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not roles & SUPERVISORS:
            raise HTTPError(403, "Only supervisors and administrators of the collectivity see its figures.",
                            "wrong-role")
        return tenant

    async def _report(self, request: Request, tenant: str) -> Report:
        try:
            not_empty(request.query_params, ("from", "to", "by"))
            first, last, by = parse_period(request.query_params, await self.stats.today(tenant))
        except BadQuery as bad:
            raise refused(bad) from None
        return await self.stats.report(tenant, first, last, by)

    async def json(self, request: Request) -> Response:
        tenant = await self._supervisor(request)
        report = await self._report(request, tenant)
        return json_response(report_view(tenant, report, {}))

    async def csv(self, request: Request) -> Response:
        tenant = await self._supervisor(request)
        lang = request.query_params.get("lang", "fr")
        if lang not in ("fr", "en"):
            raise HTTPError(422, "lang must be fr or en.", "invalid-query",
                            extra={"errors": [{"field": "lang", "message": "fr or en"}]})
        report = await self._report(request, tenant)
        labels = channel_words(lang) if report.by == "channel" else {}
        name = f"demandes-{report.first.isoformat()}-{report.last.isoformat()}.csv"
        return Response(as_csv(report, labels, lang), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    async def page(self, request: Request) -> Response:
        lang = negotiate(request)
        found = await self.auth.session(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": PATH + (
                f"?{request.url.query}" if request.url.query else "")}), status_code=303)
        session, person = found
        roles = set(person.roles.values())
        gettext = translations(lang).gettext
        if not roles & SUPERVISORS:
            text = gettext("This page is for the supervisors and administrators of the town hall.")
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="/demandes">Guichet</a></p></html>', status_code=403)
        tenant = person.tenant_id
        today = await self.stats.today(tenant)
        period, params = with_preset(request.query_params, today)
        error = None
        try:
            first, last, by = parse_period(params, today)
        except BadQuery as bad:
            error = form_error(bad, gettext, by=gettext("Choose a grouping from the list."))
            first, last, by = today.replace(day=1), today, "category"
        report = await self.stats.report(tenant, first, last, by)
        labels = channel_words(lang) if by == "channel" else {}
        query = urlencode({"from": first.isoformat(), "to": last.isoformat(), "by": by})
        html = templates(lang).get_template("demandes_bilan.html").render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=session.csrf,
            person=person, nav_roles=sorted({r for r in roles if r}), section=None, report=report,
            groups=[(labels.get(g.key, g.label), g.figures) for g in report.groups], period=period, by=by,
            first=first, last=last, error=error, chart=chart(report.days, lang),
            csv_url=f"/api/v1/tenants/{tenant}/requests/stats.csv?{query}", format_date=format_date,
            span=(format_date(first, "long", locale=lang), format_date(last, "long", locale=lang)),
            number=lambda value: "—" if value is None else (f"{value:.1f}".replace(".", ",") if lang == "fr"
                                                            else f"{value:.1f}"))
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"
        return response

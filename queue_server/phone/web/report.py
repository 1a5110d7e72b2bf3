"""The phone desk's figures (``domain/stats.py`` says what each counts), for supervisors and administrators of the
collectivity:

- ``GET /api/v1/tenants/{tenant}/phone/stats?from=YYYY-MM-DD&to=YYYY-MM-DD``: JSON; ``from`` and ``to`` are local
  days (``to`` defaults to today, ``from`` to the first of ``to``'s month). Not a day: 422 ``invalid-query``;
  ``to`` before ``from`` or more than a year after it: 422 ``invalid-range``; each naming its field.
- ``GET …/phone/stats.csv`` with the same parameters and ``by=reason|hour`` (``reason`` by default): a spreadsheet
  (``platform/spreadsheet.py``), French unless ``lang=en``: one row per reason (calls, mean duration, each
  outcome) then the total, or one row per hour of the day.
- ``GET /phone/bilan``: the page, with a choice of period (this week, this month, or from one day to another), the
  figures, the table per reason, a bar chart of the calls per hour of the day (SVG drawn here, its figures also in a
  table), the outcomes, the callbacks and the spreadsheets' links. Signed-in supervisors and administrators; others
  get a 403 page."""

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
from queue_server.phone.domain.calls import OUTCOMES
from queue_server.phone.domain.stats import Figures, Report, hours_shown
from queue_server.phone.errors import unknown_tenant
from queue_server.phone.stats import MAX_DAYS, PhoneStats
from queue_server.phone.web.api import roles_of
from queue_server.phone.web.words import outcome_words
from queue_server.platform.spreadsheet import for_people
from queue_server.web.auth import SUPERVISORS, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response
from queue_server.web.i18n import negotiate, templates
from queue_server.web.periods import BadQuery, form_error, not_empty, refused, with_preset
from queue_server.web.periods import parse_period as read_period

PATH = "/phone/bilan"
GROUPINGS = ("reason", "hour")


def _(message: str) -> str:
    """Marks a column name for the catalogs; it is translated when the file is written."""
    return message


REASON_COLUMNS = (_("Call reason"), _("Calls"), _("Mean duration (minutes)"), _("Answered"), _("Transferred"),
                  _("Callback to do"), _("Appointment booked"), _("Request created"), _("From"), _("To"))
HOUR_COLUMNS = (_("Hour"), _("Calls"), _("From"), _("To"))


def parse_period(params: Any, today: date) -> tuple[date, date]:
    """``(from, to)`` of the query string (from the first of the month by default); ``BadQuery`` naming the field
    otherwise."""
    return read_period(params, today, max_days=MAX_DAYS)


def figures_view(f: Figures) -> dict[str, Any]:
    return {"calls": f.calls, "mean_duration_s": f.mean_duration_s, "outcomes": dict(f.outcomes)}


def report_view(tenant: str, report: Report) -> dict[str, Any]:
    c = report.callbacks
    return {"tenant": tenant, "from": report.first.isoformat(), "to": report.last.isoformat(),
            **figures_view(report.total),
            "reasons": [{"reason": g.key, "name": g.label, **figures_view(g.figures)} for g in report.reasons],
            "hours": [{"hour": hour, "calls": calls} for hour, calls in enumerate(report.hours)],
            "callbacks": {"asked": c.asked, "done": c.done, "overdue": c.overdue, "pending": c.pending}}


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def as_csv(report: Report, by: str, lang: str) -> str:
    """One row per reason and the total, or one per hour of the day, in ``lang``'s spreadsheet form, the period's
    days on each row."""
    gettext = translations(lang).gettext
    span = [d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat() for d in (report.first, report.last)]
    if by == "hour":
        return for_people(HOUR_COLUMNS, [[hour_label(h), n, *span] for h, n in enumerate(report.hours)], lang)

    def row(label: str, f: Figures) -> list[Any]:
        return [label, f.calls, minutes(f.mean_duration_s), *(f.outcomes[o] for o in OUTCOMES), *span]

    return for_people(REASON_COLUMNS, [*(row(g.label, g.figures) for g in report.reasons),
                                       row(gettext("Total"), report.total)], lang)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    label: str


def chart(hours: list[int], width: int = 960, height: int = 220) -> dict[str, Any]:
    """The bars, value lines and hour labels of the per-hour chart, in SVG user units (the page scales it)."""
    left, bottom, top = 36, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    shown = hours_shown(hours)
    peak = max([1, *hours])
    slot = plot_w / len(shown)
    bar = max(4.0, min(40.0, slot * 0.6))
    bars = []
    for n, hour in enumerate(shown):
        x = left + n * slot + slot / 2
        h = plot_h * hours[hour] / peak
        bars.append(Bar(round(x - bar / 2, 1), round(top + plot_h - h, 1), round(h, 1), hours[hour], f"{hour} h"))
    lines = [{"y": round(top + plot_h - plot_h * v / peak, 1), "value": v} for v in sorted({0, peak // 2, peak})]
    return {"width": width, "height": height, "bars": bars, "bar": round(bar, 1), "lines": lines, "left": left,
            "right": width - 8, "label_y": height - 8, "slot": slot}


class PhoneReport:
    def __init__(self, auth: Authenticator, stats: PhoneStats) -> None:
        self.auth = auth
        self.stats = stats

    def routes(self) -> list[Route]:
        base = "/api/v1/tenants/{tenant}/phone/stats"
        return [Route(base, self.json, methods=["GET"]), Route(base + ".csv", self.csv, methods=["GET"]),
                Route(PATH, self.page, methods=["GET"])]

    async def _supervisor(self, request: Request) -> str:
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        if not roles_of(caller) & SUPERVISORS:
            raise HTTPError(403, "Only supervisors and administrators of the collectivity see its figures.",
                            "wrong-role")
        return tenant

    async def _report(self, request: Request, tenant: str) -> Report:
        try:
            not_empty(request.query_params, ("from", "to"))
            first, last = parse_period(request.query_params, await self.stats.phone.today(tenant))
        except BadQuery as bad:
            raise refused(bad) from None
        return await self.stats.report(tenant, first, last)

    async def json(self, request: Request) -> Response:
        tenant = await self._supervisor(request)
        return json_response(report_view(tenant, await self._report(request, tenant)))

    async def csv(self, request: Request) -> Response:
        tenant = await self._supervisor(request)
        params = request.query_params
        lang = params.get("lang", "fr")
        if lang not in ("fr", "en"):
            raise HTTPError(422, "lang must be fr or en.", "invalid-query",
                            extra={"errors": [{"field": "lang", "message": "fr or en"}]})
        by = params.get("by", "reason")
        if by not in GROUPINGS:
            raise HTTPError(422, "by must be reason or hour.", "invalid-query",
                            extra={"errors": [{"field": "by", "message": "reason or hour"}]})
        report = await self._report(request, tenant)
        name = f"appels-{by}-{report.first.isoformat()}-{report.last.isoformat()}.csv"
        return Response(as_csv(report, by, lang), media_type="text/csv; charset=utf-8",
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
                                f'<p>{text}</p><p><a href="/phone">Guichet</a></p></html>', status_code=403)
        tenant = person.tenant_id
        today = await self.stats.phone.today(tenant)
        period, params = with_preset(request.query_params, today)
        error = None
        try:
            first, last = parse_period(params, today)
        except BadQuery as bad:
            error = form_error(bad, gettext)
            first, last = today.replace(day=1), today
        report = await self.stats.report(tenant, first, last)
        query = {"from": first.isoformat(), "to": last.isoformat()}
        words = outcome_words(lang)

        def number(value: float | None) -> str:
            if value is None:
                return "—"
            return f"{value:.1f}".replace(".", ",") if lang == "fr" else f"{value:.1f}"

        html = templates(lang).get_template("phone_bilan.html").render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=session.csrf,
            person=person, nav_roles=sorted({r for r in roles if r}), section=None, report=report,
            outcomes=[(o, words[o]) for o in OUTCOMES], period=period, first=first, last=last, error=error,
            chart=chart(report.hours), hours=[(hour_label(h), report.hours[h]) for h in hours_shown(report.hours)],
            csv_url=f"/api/v1/tenants/{tenant}/phone/stats.csv?{urlencode(query)}",
            csv_hours_url=f"/api/v1/tenants/{tenant}/phone/stats.csv?{urlencode({**query, 'by': 'hour'})}",
            span=(format_date(first, "long", locale=lang), format_date(last, "long", locale=lang)),
            minutes=lambda seconds: number(minutes(seconds)))
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"
        return response

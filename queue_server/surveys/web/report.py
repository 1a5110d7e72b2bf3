"""What citizens say, for the supervisors and administrators of a site (``domain/results.py`` says what each figure
counts):

- ``GET /api/v1/sites/{site}/surveys/results?from=YYYY-MM-DD&to=YYYY-MM-DD&kind=visit|appointment|request|kiosk``:
  API.md's ``{"services": [{"service", "answers", "mean", "distribution", "comments"}]}``, each service with its
  ``name``, ``invitations`` and ``response_rate`` too, and beside them the period, the ``trend`` (per day up to 31
  days, per ISO week beyond), the ``alerts`` (services under ``[surveys] alert_below`` over the last 7 days) and
  the ``campaigns``' questions as answered in the period (``domain/campaigns.py`` ``tally``: per choice the count of
  each answer, per text question its answers, masked).
  ``to`` defaults to today (the site's clock), ``from`` to 30 days before ``to``. Not a day: 422 ``invalid-query``;
  ``to`` before ``from`` or more than a year after it: 422 ``invalid-range``.
- ``GET …/surveys/results.csv`` with the same parameters and ``lang=fr|en``: one row per service then the total
  (``platform/spreadsheet.py``: French unless ``lang=en``).
- ``GET /enquetes``: the page (signed-in supervisors and administrators): site, kind and period as a plain GET form,
  the alert band, the figures per service, a trend chart drawn here (SVG, its figures also in a table), the comments,
  the campaigns' answers (a table and bars per choice question, the texts) and the links to the spreadsheet and to
  the campaigns' page (``campaigns_page.py``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
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
from queue_server.surveys.domain.campaigns import CampaignFigures, tally
from queue_server.surveys.domain.results import (
    SCORES,
    Point,
    Summary,
    alerts,
    grain_of,
    summarise,
    trend,
)
from queue_server.surveys.errors import unknown_site
from queue_server.surveys.service import SiteFacts, Surveys
from queue_server.surveys.web.words import kind_words, score_words
from queue_server.web.auth import SUPERVISORS, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response
from queue_server.web.i18n import negotiate, templates
from queue_server.web.periods import BadQuery, form_error, not_empty, refused
from queue_server.web.periods import parse_period as read_period

PATH = "/enquetes"
KINDS = ("visit", "appointment", "request", "kiosk")
MAX_DAYS = 366
DEFAULT_DAYS = 30


def _(message: str) -> str:
    """Marks a column name for the catalogs; it is translated when the file is written."""
    return message


COLUMNS = (_("Service"), _("Answers"), _("Invitations sent"), _("Response rate (%)"), _("Mean score"),
           _("Score 1"), _("Score 2"), _("Score 3"), _("Score 4"), _("Score 5"), _("From"), _("To"))


def parse_period(params: Any, today: date) -> tuple[date, date]:
    """``(from, to)`` of the query string (the last ``DEFAULT_DAYS`` by default); ``BadQuery`` naming the field
    otherwise."""
    return read_period(params, today, max_days=MAX_DAYS,
                       default_first=lambda last: last - timedelta(days=DEFAULT_DAYS - 1))


@dataclass(frozen=True, slots=True)
class Results:
    site: SiteFacts
    first: date
    last: date
    kind: str | None
    services: list[Summary]
    total: Summary
    names: dict[str, str]
    trend: list[Point]
    alerts: dict[str, float]
    campaigns: list[CampaignFigures]


def rate(summary: Summary) -> float | None:
    return None if summary.response_rate is None else round(summary.response_rate * 100, 1)


def summary_view(s: Summary, names: dict[str, str]) -> dict[str, Any]:
    return {"service": s.service, "name": names.get(s.service, s.service), "answers": s.answers, "mean": s.mean,
            "distribution": {str(k): v for k, v in s.distribution.items()}, "comments": s.comments,
            "invitations": s.invitations, "response_rate": s.response_rate}


def results_view(r: Results) -> dict[str, Any]:
    return {"site": r.site.id, "from": r.first.isoformat(), "to": r.last.isoformat(), "kind": r.kind,
            "services": [summary_view(s, r.names) for s in r.services],
            "total": {k: v for k, v in summary_view(r.total, r.names).items() if k not in ("service", "name")},
            "grain": grain_of(r.first, r.last),
            "trend": [{"start": p.start.isoformat(), "answers": p.answers, "mean": p.mean} for p in r.trend],
            "alerts": [{"service": s, "name": r.names.get(s, s), "mean": m} for s, m in r.alerts.items()],
            "campaigns": [campaign_figures_view(c) for c in r.campaigns]}


def campaign_figures_view(figures: CampaignFigures) -> dict[str, Any]:
    c = figures.campaign
    return {"id": c.id, "name": c.name, "first": c.first.isoformat(), "last": c.last.isoformat(),
            "answers": figures.answers,
            "questions": [{"id": q.question.id, "kind": q.question.kind, "label": q.question.label,
                           "answered": q.answered,
                           **({"choices": [{"choice": k, "count": n} for k, n in q.counts]}
                              if q.question.kind == "choice" else {"texts": list(q.texts)})}
                          for q in figures.questions]}


def as_csv(r: Results, lang: str) -> str:
    span = [d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat() for d in (r.first, r.last)]

    def row(label: str, s: Summary) -> list[Any]:
        return [label, s.answers, s.invitations, rate(s), s.mean, *(s.distribution[k] for k in SCORES), *span]

    return for_people(COLUMNS, [*(row(r.names.get(s.service, s.service), s) for s in r.services),
                                row(translations(lang).gettext("Total"), r.total)], lang)


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    label: str
    value: float
    answers: int


def chart(points: list[Point], grain: str, lang: str, width: int = 960, height: int = 240) -> dict[str, Any]:
    """The trend's line of mean scores (1 to 5) and the answers' bars, in SVG user units (the page scales it)."""
    left, right, bottom, top = 40, 12, 30, 12
    plot_w, plot_h = width - left - right, height - bottom - top
    slot = plot_w / max(1, len(points))
    peak = max([1, *(p.answers for p in points)])
    dots, bars = [], []
    every = max(1, len(points) // 10)
    for n, point in enumerate(points):
        x = round(left + n * slot + slot / 2, 1)
        label = format_date(point.start, "d MMM", locale=lang) if n % every == 0 else ""
        bar_h = round(plot_h * 0.35 * point.answers / peak, 1)
        bars.append({"x": round(x - min(18.0, slot * 0.5) / 2, 1), "y": round(top + plot_h - bar_h, 1),
                     "height": bar_h, "width": round(min(18.0, slot * 0.5), 1), "label": label,
                     "answers": point.answers})
        if point.mean is not None:
            dots.append(Dot(x, round(top + plot_h - plot_h * (point.mean - 1) / 4, 1), label, point.mean,
                            point.answers))
    lines = [{"y": round(top + plot_h - plot_h * (v - 1) / 4, 1), "value": v} for v in SCORES]
    return {"width": width, "height": height, "left": left, "right": width - right, "dots": dots, "bars": bars,
            "path": " ".join(f"{'M' if i == 0 else 'L'}{d.x},{d.y}" for i, d in enumerate(dots)), "lines": lines,
            "label_y": height - 8}


def share(count: int, total: int) -> int:
    """``count`` out of ``total`` in whole percent (0 when ``total`` is 0)."""
    return round(100 * count / total) if total else 0


def roles_at(caller: Principal | Person, site: str) -> str | None:
    if isinstance(caller, Person):
        return caller.roles.get(site) or caller.roles.get(None)
    return caller.role if caller.site_id == site or caller.role == "admin" else None


class SurveysReport:
    def __init__(self, auth: Authenticator, surveys: Surveys) -> None:
        self.auth = auth
        self.surveys = surveys

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}/surveys/results"
        return [Route(base, self.json, methods=["GET"]), Route(base + ".csv", self.csv, methods=["GET"]),
                Route(PATH, self.page, methods=["GET"])]

    async def _site(self, request: Request) -> SiteFacts:
        caller = await self.auth.caller(request)
        facts = await self.surveys.sites(str(request.path_params["site"])[:64])
        if facts is None or facts.tenant != caller.tenant_id:
            raise unknown_site()
        role = roles_at(caller, facts.id)
        if role is None:
            raise HTTPError(403, f"You have no role at {facts.id!r}.", "wrong-site")
        if role not in SUPERVISORS:
            raise HTTPError(403, "Only supervisors and administrators read what citizens say.", "wrong-role")
        return facts

    def today(self, facts: SiteFacts) -> date:
        return self.surveys.clock().astimezone(facts.zone).date()

    async def results(self, facts: SiteFacts, first: date, last: date, kind: str | None) -> Results:
        start = datetime.combine(first, time(0), facts.zone).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), facts.zone).astimezone(UTC)
        found = await self.surveys.answers(facts.id, first, last, kind)
        invitations = await self.surveys.invitations(facts.id, start, end, kind)
        services = summarise(found, invitations)
        totals = summarise([replace(a, service="") for a in found], {"": sum(invitations.values())})
        total = totals[0] if totals else Summary("", 0, 0, None, None, dict.fromkeys(SCORES, 0), [])
        today = self.today(facts)
        recent = await self.surveys.answers(facts.id, today - timedelta(days=6), today, kind)
        names = {**facts.services, **await self.surveys.names(facts.id, first, last)}
        campaigns = tally(await self.surveys.campaigns(facts.tenant),
                          await self.surveys.campaign_answers(facts.id, first, last, kind), first, last)
        return Results(facts, first, last, kind, services, total, names,
                       trend(found, first, last, grain_of(first, last)),
                       alerts(recent, today, self.surveys.settings.alert_below, self.surveys.settings.alert_minimum),
                       campaigns)

    async def _query(self, request: Request, facts: SiteFacts) -> tuple[date, date, str | None]:
        params = request.query_params
        kind = params.get("kind")
        try:
            not_empty(params, ("from", "to", "kind"))
            if kind is not None and kind not in KINDS:
                raise BadQuery("kind", "kind: visit, appointment, request or kiosk.")
            first, last = parse_period(params, self.today(facts))
        except BadQuery as bad:
            raise refused(bad) from None
        return first, last, kind

    async def json(self, request: Request) -> Response:
        facts = await self._site(request)
        first, last, kind = await self._query(request, facts)
        response = json_response(results_view(await self.results(facts, first, last, kind)))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def csv(self, request: Request) -> Response:
        facts = await self._site(request)
        lang = request.query_params.get("lang", "fr")
        if lang not in ("fr", "en"):
            raise HTTPError(422, "lang must be fr or en.", "invalid-query",
                            extra={"errors": [{"field": "lang", "message": "fr or en"}]})
        first, last, kind = await self._query(request, facts)
        results = await self.results(facts, first, last, kind)
        name = f"enquetes-{facts.id}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(as_csv(results, lang), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    async def page(self, request: Request) -> Response:
        lang = negotiate(request)
        found = await self.auth.session(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": PATH + (
                f"?{request.url.query}" if request.url.query else "")}), status_code=303)
        session, person = found
        gettext = translations(lang).gettext
        roles = set(person.roles.values())
        params = dict(request.query_params)
        sites = [f for f in [await self.surveys.sites(s) for s in await self.surveys.site_ids(person.tenant_id)]
                 if f is not None and roles_at(person, f.id) in SUPERVISORS]
        if not sites:
            text = gettext("This page is for the supervisors and administrators of the town hall.")
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="/counter">Guichet</a></p></html>', status_code=403)
        facts = next((f for f in sites if f.id == params.get("site")), sites[0])
        today = self.today(facts)
        kind = params.get("kind") or None
        kind = kind if kind in KINDS else None
        error = None
        try:
            first, last = parse_period(params, today)
        except BadQuery as bad:
            error = form_error(bad, gettext)
            first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
        results = await self.results(facts, first, last, kind)
        query = {"from": first.isoformat(), "to": last.isoformat(), **({"kind": kind} if kind else {})}
        grain = grain_of(first, last)

        def number(value: float | None, digits: int = 1) -> str:
            if value is None:
                return "—"
            text = f"{value:.{digits}f}"
            return text.replace(".", ",") if lang == "fr" else text

        html = templates(lang).get_template("enquetes.html").render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=session.csrf,
            person=person, nav_roles=sorted({r for r in roles if r}), section=None, results=results, sites=sites,
            site=facts, kind=kind, kinds=kind_words(lang), first=first, last=last, error=error, grain=grain,
            scores=score_words(lang), chart=chart(results.trend, grain, lang), number=number, rate=rate,
            day=lambda d: format_date(d, "d MMM yyyy", locale=lang),
            long_day=lambda d: format_date(d, "long", locale=lang), share=share,
            csv_url=f"/api/v1/sites/{facts.id}/surveys/results.csv?{urlencode(query)}",
            span=(format_date(first, "long", locale=lang), format_date(last, "long", locale=lang)))
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"
        return response

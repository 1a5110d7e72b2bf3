"""The ``ticket`` widget of the city's website (API.md, "Embedding"): how many people wait and for how long in each
service of a site, its hours today and, where the site allows it (``queue/remote.py``, off by default), taking a
ticket from home.

- ``GET /ticket-widget?site=SITE&tenant=TENANT&lang=LANG&embed=1``: the page ``/embed.js`` frames
  (``data-widget="ticket"``). Complete without script (the figures as they are); its script
  (``static/ticket_widget.js``) asks the figures again every ``POLL_S`` seconds while it is seen, tells its height to
  the page around it, and takes the ticket. Framed only by the tenant's declared websites (CSP ``frame-ancestors``,
  read afresh within ``remote.CACHE_S``, as booking's pages read them),
  in the site's colours, in the page's language (French unless another citizen language is asked).
- ``GET /api/v1/sites/{site}/waiting?lang=``: the public figures (no credentials; rate-limited with the ticket
  pages' reads): per service ``waiting``, ``estimated_wait_s``, ``open_now``, ``opens_at``; the site's hours today in
  words; whether it takes remote tickets. No ticket and nothing personal: counts only.
- ``POST /api/v1/sites/{site}/remote-tickets {"service", "lang"?}`` (optional ``Idempotency-Key``): a ticket taken
  from home, 201 its public view. 403 ``remote-tickets-off`` where the site does not allow it; 409 ``service-closed``
  (with ``opens_at``) outside the service's hours, as at the kiosk; 429 beyond ``[limits]
  remote_tickets_per_address_per_hour`` (3) from one address or ``remote_tickets_per_site_per_minute`` (30) at one
  site. Nothing personal is asked.
  Limits: no proof of work (booking's lives in booking's web layer, which the queue does not import), so a sender with
  many addresses is bounded by the site-wide rate only; a remote ticket is a ticket like any other (called in turn,
  a no-show if nobody comes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from queue_server.i18n import CITIZEN_LANGUAGES, RTL, plural_forms, translations
from queue_server.queue.codec import iso
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import ServiceClosed
from queue_server.queue.domain.estimate import service_wait_s
from queue_server.queue.hub import public
from queue_server.queue.protocol import logo_url, ticket_view
from queue_server.queue.remote import RemoteTickets
from queue_server.queue.service import QueueService, SiteEngine, new_command_id, new_ticket_id
from queue_server.queue.web.api import Api, Slug
from queue_server.queue.web.citizen import json_block
from queue_server.queue.web.deps import QueueDeps
from queue_server.queue.web.today import hours_today
from queue_server.queue.web.words import say_wait, wait_words
from queue_server.web.errors import HTTPError
from queue_server.web.headers import content_security_policy
from queue_server.web.http import Body, client_address, json_response, parse_body, plausible_id, route
from queue_server.web.i18n import COOKIE, templates
from queue_server.web.theme import theme

POLL_S = 30  # how often a widget asks the figures again while it is seen
LEAVE_MARGIN_S = 600  # "leave in": the estimate less this, the time to come and find the counter


class RemoteBody(Body):
    service: Slug
    lang: str = Field("fr", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=12)  # else French


def widget_language(request: Request) -> str:
    """``?lang=`` by its language part (``fr-FR`` is ``fr``) if a citizen language, else the cookie's, else French."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if chosen:
            language = chosen.split("-")[0].split("_")[0].lower()
            if language in CITIZEN_LANGUAGES:
                return language
    return "fr"


def widget_strings(lang: str) -> dict[str, Any]:
    """The words the widget's script shows, in ``lang`` (``{n}``, ``{wait}``, ``{when}``, ``{number}``: values)."""
    _ = translations(lang).gettext
    return {
        "waiting": plural_forms(lang, "{n} person waiting", "{n} people waiting"),
        "nobody": _("Nobody waiting"),
        "wait": _("Wait: {wait}"),
        "wait_words": wait_words(lang),
        "ahead": plural_forms(lang, "{n} person ahead of you", "{n} people ahead of you"),
        "ahead_none": _("You are next."),
        "turn_in": _("Your turn in: {wait}"),
        "leave_in": _("Leave in {wait} to be there in time."),
        "leave_now": _("Leave now to be there in time."),
        "opens": _("Closed · opens {when}"),
        "closed": _("Closed"),
        "taking": _("Your ticket is being issued…"),
        "closed_until": _("This service is closed: it opens {when}."),
        "off": _("Tickets cannot be taken from home at this town hall."),
        "limited": _("Too many tickets from this connection. Please try again in {min} min."),
        "failed": _("Your ticket could not be issued. Please try again."),
        "called": _("It is your turn: go to {counter}."),
        "over": _("This ticket is no longer waiting."),
    }


def figures(engine: SiteEngine, lang: str, now: datetime, remote: bool) -> dict[str, Any]:
    """What the widget shows of a site at ``now``: counts and estimates only, never a ticket."""
    state, config = engine.state, engine.config
    services = []
    for s in config.services:
        open_now = config.open_now(s, now)
        opens = None if open_now else config.opens_at(s, now)
        services.append({"id": s.id, "name": s.name, "waiting": state.waiting(s.id),
                         "estimated_wait_s": service_wait_s(state, s.id), "open_now": open_now,
                         "opens_at": iso(opens) if opens else None})
    hours = hours_today(config, now, lang)
    return {"site": config.id, "name": config.name, "timezone": config.timezone, "services": services,
            "hours_today": {"text": hours.text, "spans": hours.spans}, "remote_tickets": remote}


class TicketWidget:
    """The widget's page and endpoints, made once by the queue's routes."""

    def __init__(self, api: Api, deps: QueueDeps, remote: RemoteTickets | None = None) -> None:
        self.api = api
        self.queue: QueueService = deps.queue
        self.visits = deps.visits
        self.remote = remote or RemoteTickets(deps.platform.db)

    def routes(self) -> list[Route]:
        base = "/api/v1/sites/{site}"
        return [
            Route("/ticket-widget", self.page, methods=["GET"]),
            route(base + "/waiting", get=self.waiting),
            Route(base + "/remote-tickets", self.take, methods=["POST"]),
        ]

    async def _count(self, request: Request) -> None:
        await self.api.limit(f"read-address:{client_address(request)}",
                             self.api.limit_settings.public_reads_per_address_per_minute, "This address")

    async def _engine(self, site: str) -> SiteEngine:
        engine = await self.queue.engine(site) if plausible_id(site) else None
        if engine is None:
            raise HTTPError(404, "No such site.", "unknown-site")
        return engine

    async def page(self, request: Request) -> Response:
        await self._count(request)
        lang = widget_language(request)
        site = request.query_params.get("site", "")
        tenant = request.query_params.get("tenant")
        engine = await self.queue.engine(site) if site and plausible_id(site) else None
        config = engine.config if engine is not None else None
        _ = translations(lang).gettext
        if engine is None or config is None or (tenant is not None and tenant != config.tenant):
            html = templates(lang).get_template("ticket_gone.html").render(
                lang=lang, dir="rtl" if lang in RTL else "ltr", title=_("Town hall not found"),
                message=_("This widget names no town hall we know. Check the data-site and data-tenant of its "
                          "script."))
            return HTMLResponse(html, 404, headers={"Content-Security-Policy": content_security_policy()})
        embedding = await self.remote.embedding(config.id)
        remote, origins = embedding.remote_tickets, embedding.origins
        now = datetime.now(UTC)
        shown = figures(engine, lang, now, remote)
        data = {"site": config.id, "lang": lang, "zone": config.timezone, "origins": list(origins),
                "embed": request.query_params.get("embed") == "1", "poll_s": POLL_S,
                "leave_margin_s": LEAVE_MARGIN_S, "figures": shown}
        html = templates(lang).get_template("ticket_widget.html").render(
            lang=lang, dir="rtl" if lang in RTL else "ltr", site=config, figures=shown, remote=remote,
            colours=theme(config.colours), logo=logo_url(config.id, config.logo_version), embed=data["embed"],
            waiting_words={s["id"]: self._waiting_words(lang, s) for s in shown["services"]},
            data=json_block(data), strings=json_block(widget_strings(lang)))
        return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(origins)})

    @staticmethod
    def _waiting_words(lang: str, service: dict[str, Any]) -> tuple[str, str]:
        """(people waiting, the wait) in words, as the script says them."""
        t = translations(lang)
        count = service["waiting"]
        people = (t.ngettext("{n} person waiting", "{n} people waiting", count).replace("{n}", str(count)) if count
                  else t.gettext("Nobody waiting"))
        if not count:
            return people, ""  # "nobody waiting" says it all
        return people, t.gettext("Wait: {wait}").replace("{wait}", say_wait(lang, service["estimated_wait_s"]))

    async def waiting(self, request: Request) -> Response:
        await self._count(request)
        engine = await self._engine(request.path_params["site"])
        remote = await self.remote.allowed(engine.site)
        return json_response(figures(engine, widget_language(request), datetime.now(UTC), remote))

    async def take(self, request: Request) -> Response:
        """A ticket taken from home: the site must allow it and the service be open, within the rate limits."""
        await self._count(request)
        engine = await self._engine(request.path_params["site"])
        if not await self.remote.allowed(engine.site):
            raise HTTPError(403, "This site does not take tickets from home.", "remote-tickets-off")
        body = await parse_body(request, RemoteBody)
        service = engine.config.service(body.service)
        if service is None:
            raise HTTPError(404, "No such service at this site.", "unknown-service")
        now = datetime.now(UTC)
        if not engine.config.open_now(service, now):  # the kiosk's rule (decide's), asked here: no kiosk issues it
            raise ServiceClosed(f"The service {service.name} is closed at this time.",
                                engine.config.opens_at(service, now))
        limits = self.api.limit_settings
        await self._hourly(f"remote-address:{client_address(request)}", limits.remote_tickets_per_address_per_hour,
                           "This address")
        await self.api.limit(f"remote-site:{engine.site}", limits.remote_tickets_per_site_per_minute, "This site")
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
            raise HTTPError(422, "Idempotency-Key must be 1 to 200 printable characters.", "invalid-header")
        command = c.IssueTicket(
            command_id=new_command_id(), ticket_id=new_ticket_id(), service=service.id,
            lang=body.lang if body.lang in CITIZEN_LANGUAGES else "fr",
            # Apart from the kiosks' keys: a key sent from home can never name a kiosk's ticket.
            idempotency_key=f"remote:{key}" if key is not None else None)
        result, archived = await self.visits.issue(engine, command, None)
        if archived is not None or result.ticket is None:
            raise HTTPError(409, "This attempt's ticket was issued on a previous day.", "stale-attempt")
        return json_response(public(ticket_view(result.state, result.ticket)), 201 if result.created else 200)

    async def _hourly(self, name: str, limit: int, who: str) -> None:
        if limit <= 0:
            return
        wait = await self.api.limits.hit(name, limit, 3600)
        if wait is not None:
            raise HTTPError(429, f"{who} may take {limit} tickets from home an hour; try again in {wait} s.",
                            "rate-limited", {"Retry-After": str(wait)})

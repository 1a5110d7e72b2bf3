"""The citizens' side of appointments: booking online, on the town hall's site or embedded in the city's website,
and the holder's page of one appointment. No account: the appointment's id is its key.

- ``GET /book``: booking in a few steps (``static/booking/book.js``: motif and its questions → day → time →
  name and contact, a phone without e-mail checked by an SMS code → the code). ``?site=SITE`` (else the only
  site; several: a list of them), ``?tenant=`` (checked when given), ``?embed=1`` the variant framed by
  ``/embed.js`` (no header; it tells its height to the page around it), ``?lang=`` (``fr`` or ``en``; a longer
  tag such as ``fr-FR`` counts by its language; anything else: French). The page is the shell; the script
  talks to the JSON API (``/motifs`` is in the page, ``/slots``, ``/challenge``, ``/phone-checks``,
  ``POST /appointments`` with an Idempotency-Key per attempt and a proof of work).
- ``GET /a/{id}``: the appointment (motif, day, time, place, code, documents), its ``.ics``, cancel (after a
  confirmation) and move (the same list of days and times; ``static/booking/manage.js``). Rendered complete
  on the server; the actions need the script.
- ``GET /embed.js``: the script a city's page includes once (``<script src=".../embed.js" data-widget="booking"
  data-site="SITE" data-tenant="TENANT" async>``); it frames ``/book?embed=1`` and sizes the frame to the
  height the page posts (``static/booking/embed.js``). ``data-widget="ticket"`` frames the queue's
  ``/ticket-widget?embed=1`` (waiting times, taking a ticket from home: ``queue/web/widget.py``) the same way, and
  ``data-widget="request"`` the requests' ``/ecrire?embed=1`` (``requests/web/citizen.py``), ``data-widget="faq"``
  (or ``"kb"``, API.md's name) the knowledge base's public FAQ ``/faq?embed=1`` (``kb/web/faq.py``). An unknown kind
  is a console warning and nothing shown.

Each page of a site carries its own Content-Security-Policy whose ``frame-ancestors`` are the tenant's declared
websites (``queue-server tenant origins``): only they may frame it. The pages take the site's colours
(``theme.py`` keeps them readable) and logo. Page reads are rate-limited per address."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from babel.dates import format_date, format_time
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from queue_server.booking.domain.motifs import Motif
from queue_server.booking.errors import Refusal
from queue_server.booking.service import Booking
from queue_server.booking.tables import Appointment
from queue_server.booking.web.api import motif_view
from queue_server.i18n import CITIZEN_LANGUAGES, translations
from queue_server.platform.sessions import Limits
from queue_server.queue.domain.config import SiteConfig
from queue_server.web.headers import content_security_policy
from queue_server.web.http import client_address, plausible_id, rate_limit
from queue_server.web.i18n import COOKIE, templates
from queue_server.web.theme import theme

PAGE_LANGUAGES = ("fr", "en")  # the booking pages' catalogs: French, and English as written
READS_PER_MINUTE = 120
WIDGETS = ("booking", "ticket", "request", "faq", "kb")  # data-widget kinds /embed.js renders ("kb" is "faq")
# The frame's accessible title per kind, and the languages its page speaks.
FRAME_TITLES = {"booking": ("Book an appointment", PAGE_LANGUAGES),
                "ticket": ("Waiting times and tickets", CITIZEN_LANGUAGES),
                "request": ("Write to the town hall", PAGE_LANGUAGES),
                "faq": ("Frequently asked questions", CITIZEN_LANGUAGES),
                "kb": ("Frequently asked questions", CITIZEN_LANGUAGES)}


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def page_language(request: Request) -> str:
    """``?lang=`` (its language part: ``fr-FR`` is ``fr``), else the ``lang`` cookie, else French."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if chosen:
            language = chosen.split("-")[0].split("_")[0].lower()
            if language in PAGE_LANGUAGES:
                return language
    return PAGE_LANGUAGES[0]


def when(moment: datetime, config: SiteConfig, lang: str) -> tuple[str, str]:
    """(day, time) on the site's clock, as people write them: "mardi 12 janvier 2027", "10 h 10"."""
    local = moment.astimezone(ZoneInfo(config.timezone))
    day = format_date(local, "EEEE d MMMM y", locale=lang)
    time = format_time(local, "H 'h' mm", locale=lang) if lang == "fr" else format_time(local, "h:mm a", locale=lang)
    return day, time


def strings(lang: str) -> dict[str, Any]:
    """The words the booking scripts show, in ``lang`` (placeholders in braces)."""
    _ = translations(lang).gettext
    ngettext = translations(lang).ngettext
    return {
        "step": _("Step {n} of {total}"),
        "week_of": _("Week of {date}"),
        "free_one": ngettext("{n} time available", "{n} times available", 1),
        "free_other": ngettext("{n} time available", "{n} times available", 2),
        "more_days": _("Show more days"),
        "no_days": _("No free time in the coming weeks. Please try again later or call the town hall."),
        "no_more_days": _("No more days can be booked online."),
        "loading": _("Loading…"),
        "morning": _("Morning"),
        "afternoon": _("Afternoon"),
        "slot_taken": _("This time was just taken by someone else. Please choose another one."),
        "too_many": _("You already have upcoming appointments for this reason. Cancel one before booking another."),
        "rate_limited": _("Too many bookings from this connection. Please try again in {min} min."),
        "cannot_book": _("This time can no longer be booked. Please choose another one."),
        "network": _("The server cannot be reached. Check your connection and try again."),
        "failed": _("Something went wrong. Please try again."),
        "contact_needed": _("Give an e-mail address or a mobile phone number (or both)."),
        "name_needed": _("Give your first name and last name."),
        "phone_invalid": _("This is not a mobile phone number. Check it and try again."),
        "email_invalid": _("This e-mail address is not valid. Check it and try again."),
        "answer_needed": _("Answer this question to continue."),
        "code_sent": _("We sent a 6-digit code to {phone}. Type it below."),
        "code_wrong": _("This is not the code we sent. Tries left: {n}."),
        "code_locked": _("Too many wrong codes. Ask for a new code."),
        "code_expired": _("This code expired. Ask for a new code."),
        "code_limited": _("Too many codes asked for. Please try again in {min} min."),
        "preparing": _("Securing your booking, one moment…"),
        "booking": _("Booking…"),
        "sent_to": _("A confirmation is sent to {contact}."),
        "cancelled": _("Your appointment is cancelled. The time is offered to someone else."),
        "moved": _("Your appointment is moved to {day} at {time}."),
        "too_late": _("It is too late to change this appointment online. Please call the town hall."),
        "choose_time": _("{time}, {day}"),
        "state_cancelled": _("Cancelled appointment"),
    }


def _site_origins(config: SiteConfig) -> tuple[str, ...]:
    return tuple(origin.rstrip("/") for origin in config.website_origins)


class CitizenBooking:
    """The pages, made in the lifespan. ``site_ids``: every site's id (to find the only one)."""

    def __init__(self, booking: Booking, limits: Limits, site_ids: Callable[[], Awaitable[list[str]]]) -> None:
        self.booking = booking
        self.limits = limits
        self.site_ids = site_ids

    def routes(self) -> list[Route]:
        return [
            Route("/book", self.book, methods=["GET"]),
            Route("/a/{appointment}", self.manage, methods=["GET"]),
            Route("/embed.js", self.embed_script, methods=["GET"]),
        ]

    def _page(self, template: str, lang: str, config: SiteConfig | None, status: int = 200,
              **context: Any) -> HTMLResponse:
        colours = theme(config.colours) if config is not None else theme(("", ""))
        logo = (f"/sites/{config.id}/logo?v={config.logo_version}" if config is not None and config.logo_version
                else None)
        html = templates(lang).get_template(template).render(lang=lang, site=config, colours=colours, logo=logo,
                                                             **context)
        headers = {"Content-Security-Policy": content_security_policy(_site_origins(config) if config else ())}
        return HTMLResponse(html, status, headers=headers)

    async def _count(self, request: Request) -> None:
        await rate_limit(self.limits, f"booking-page:{client_address(request)}", READS_PER_MINUTE, "This address")

    async def book(self, request: Request) -> Response:
        await self._count(request)
        lang = page_language(request)
        embed = request.query_params.get("embed") == "1"
        wanted = request.query_params.get("site")
        config = None
        if wanted is not None:
            config = await self.booking.site_config(wanted) if plausible_id(wanted) else None
        else:
            ids = await self.site_ids()
            if len(ids) == 1:
                config = await self.booking.site_config(ids[0])
            elif ids:
                sites = [c for c in [await self.booking.site_config(i) for i in ids[:50]] if c is not None]
                return self._page("booking_sites.html", lang, None, sites=sites, embed=embed)
        tenant = request.query_params.get("tenant")
        if config is None or (tenant is not None and tenant != config.tenant):
            return self._page("booking_gone.html", lang, None, 404, embed=embed, what="site")
        motifs = await self.booking.motifs(config.id, staff=False)
        data = {"site": config.id, "lang": lang, "zone": config.timezone, "embed": embed,
                "origins": list(_site_origins(config)), "motifs": [motif_view(m) for m in motifs]}
        return self._page("booking_book.html", lang, config, embed=embed, motifs=motifs,
                          data=json_block(data), strings=json_block(strings(lang)))

    async def manage(self, request: Request) -> Response:
        await self._count(request)
        appointment_id = request.path_params["appointment"]
        row = await self.booking.find(appointment_id) if plausible_id(appointment_id) else None
        config = await self.booking.site_config(row.site_id) if row is not None else None
        lang = page_language(request) if "lang" in request.query_params or row is None else (
            row.lang if row.lang in PAGE_LANGUAGES else "fr")
        if row is None or config is None:
            return self._page("booking_gone.html", lang, None, 404, embed=False, what="appointment")
        motif = await self._motif(row)
        day, time = when(row.start, config, lang)
        data = {"site": config.id, "id": row.id, "lang": lang, "zone": config.timezone, "embed": False,
                "origins": list(_site_origins(config)), "status": row.status,
                "motif": motif_view(motif) if motif is not None else None, "answers": row.answers}
        return self._page("booking_manage.html", lang, config, embed=False, row=row, motif=motif, day=day,
                          time=time, open=self._changeable(row), data=json_block(data),
                          strings=json_block(strings(lang)))

    async def _motif(self, row: Appointment) -> Motif | None:
        try:
            return await self.booking.motif(row.site_id, row.motif, staff=True)
        except Refusal:
            return None  # the motif was removed since: the appointment still shows

    def _changeable(self, row: Appointment) -> bool:
        return row.status == "booked" and row.start > self.booking.clock()

    async def embed_script(self, request: Request) -> Response:
        """The embedding script, with each kind's frame title in each language of its page."""
        titles = {kind: {lang: translations(lang).gettext(title) for lang in languages}
                  for kind, (title, languages) in FRAME_TITLES.items()}
        source = files("queue_server.booking.web").joinpath("static", "booking", "embed.js").read_text("utf-8")
        script = source.replace("/*TITLES*/{}", orjson.dumps(titles).decode()).replace(
            "/*WIDGETS*/[]", orjson.dumps(list(WIDGETS)).decode())
        return Response(script, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

"""The hall display's page and its sounds.

- ``GET /display``: the TV page (static HTML in the chosen language; its script keeps the device
  token from ``?token=`` like the kiosk's, follows the site's live feed and announces each call).
  What it shows is chosen in its address, set once on the TV: ``layout`` (``single``: one big call;
  ``grid``: a tile per counter at work; ``split``: calls beside a slideshow of ``media`` images and of the
  site's own, set in ``/admin/sites``),
  ``services`` and ``counters`` (comma-separated ids: a floor or a zone shows only its own calls),
  ``history`` (calls listed, 5), ``waiting=0`` hides the waiting counts, ``announce_within``
  (seconds, 30: a call older than that when it reaches the page, after a cut, is shown but not
  announced), ``idle_after`` (seconds, 180, at least 10: with no call for that long the page shows its idle
  screen), ``lang`` (the page's own words; calls are spoken in every language the site announces in).
- ``GET /display/screen/{site}``: what the page shows while no call is on, besides the queue's figures (any
  role of the site, by bearer token or session): the site's first language (the page's words follow it unless
  ``lang`` is in its address), today's opening hours on its wall clock, the administrator's idle message and
  slideshow (``queue/display_screen.py``). The page fetches it again on each ``site.configured`` message,
  which is how a change made in ``/admin/sites`` reaches it without a reload.
- ``GET /display/images/{site}/{id}``: one image of that slideshow (public: a hall shows it to anyone).
- ``GET /speech/{key}.wav``: the spoken phrase of a call, rendered on the server (queue_server/speech.py);
  ``GET /speech/chime.wav``: the chime played before it (and alone when speech is off).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from babel import Locale
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from queue_server.i18n import CITIZEN_LANGUAGES, RTL, plural_forms, translations
from queue_server.queue.display_screen import DisplayScreens, image_url
from queue_server.queue.domain.config import DAY_MINUTES, SiteConfig
from queue_server.queue.web.api import site_engine
from queue_server.queue.web.citizen import json_block
from queue_server.queue.web.deps import QueueDeps
from queue_server.queue.web.today import hhmm, opening_today
from queue_server.queue.web.words import wait_words
from queue_server.speech import chime
from queue_server.web.auth import ANY_ROLE
from queue_server.web.errors import HTTPError
from queue_server.web.http import json_response
from queue_server.web.i18n import templates

LAYOUTS = ("grid", "single", "split")
SPEECH_KEY = re.compile(r"^[0-9a-f]{32}$")
IMAGE_ID = re.compile(r"^[0-9a-f]{16}$")
MEDIA = re.compile(r"^/static/[A-Za-z0-9_./-]{1,200}$")  # same-origin images only (the CSP allows no other)
MAX_HISTORY = 20


def display_strings(lang: str) -> dict[str, Any]:
    """What the display's script writes, in ``lang``: every word on the screen is in it, whatever language a
    call is being spoken in (``in_language`` names that one, in ``lang``)."""
    _ = translations(lang).gettext
    names = Locale.parse(lang).languages
    return {
        "counter": _("Counter"),
        "lost": _("Connection lost: reconnecting…"),
        "sound_blocked": _("Sound is off: touch the screen to turn it on."),
        "no_speech": _("Calls are announced by a chime only."),
        "revoked": _("This display's pairing was revoked. An administrator must pair it again."),
        "unpaired": _("This display is not paired yet. An administrator gives a pairing code."),
        "bad_code": _("This pairing code is unknown, already used or expired."),
        "waiting": plural_forms(lang, "{n} person waiting", "{n} people waiting"),
        "wait_words": wait_words(lang),
        "free": _("Free"),
        "paused": _("Paused"),
        "closed": _("Closed"),
        "booked": _("Appt."),  # by the number of an appointment's ticket (French: "RDV")
        # A discreet mark while a call is spoken in another language than the page's ("En anglais").
        "in_language": _("In {language}"),
        "languages": {code: names.get(code, code) for code in CITIZEN_LANGUAGES},
        "open_all_day": _("Open all day"),
        "closed_today": _("Closed today"),
        "closed_today_because": _("Closed today: {reason}"),
        "span": _("{start} to {end}"),
        "midnight": _("midnight"),
        "take_a_ticket": _("Take a ticket at the kiosk: your number will be called on this screen."),
    }


def today_hours(config: SiteConfig, now: datetime) -> dict[str, Any]:
    """The site's opening hours on its wall clock on the day of ``now``: ``day`` (ISO), ``closed`` (the reason of a
    closure or the holiday's name, "" for a closure without one; ``None``: not closed all day) and ``spans``
    (``[["08:30", "12:00"], …]``, an end may be ``"24:00"``; ``[["00:00", "24:00"]]`` all day). A service's
    hours of its own are not the site's: they are left out."""
    closed, spans = opening_today(config, now)  # the calendar's word, as the phone page and the widget say it
    return {"day": config.local(now).date().isoformat(), "closed": closed,
            "spans": [[hhmm(a), hhmm(b)] for a, b in ([(0, DAY_MINUTES)] if spans is None else spans)]}


@cache
def _chime() -> bytes:
    return chime()


def _ids(raw: str | None) -> list[str]:
    return [part for part in (raw or "").split(",") if part and len(part) <= 64][:50]


class DisplayPages:
    def __init__(self, deps: QueueDeps) -> None:
        self.speech = deps.speech
        self.queue = deps.queue
        self.auth = deps.platform.auth
        self.screens = DisplayScreens(deps.platform.db, deps.queue)

    async def page(self, request: Request) -> Response:
        query = request.query_params
        chosen = query.get("lang", "")
        lang = chosen if chosen in CITIZEN_LANGUAGES else "fr"
        layout = query.get("layout", "grid")
        if layout not in LAYOUTS:
            layout = "grid"
        history = query.get("history", "5")
        within = query.get("announce_within", "30")
        idle_after = query.get("idle_after", "180")
        media = [m for m in (query.get("media") or "").split(",") if MEDIA.match(m)][:20]
        html = templates(lang).get_template("display.html").render(
            lang=lang, dir="rtl" if lang in RTL else "ltr", layout=layout,
            services=",".join(_ids(query.get("services"))), counters=",".join(_ids(query.get("counters"))),
            history=min(int(history), MAX_HISTORY) if history.isdecimal() and len(history) < 3 else 5,
            waiting=query.get("waiting", "1") != "0", media=",".join(media),
            announce_within=int(within) if within.isdecimal() and len(within) < 5 else 30,
            speech=self.speech.available, strings=json_block(display_strings(lang)), chosen_lang=chosen == lang,
            idle_after=max(10, int(idle_after)) if idle_after.isdecimal() and len(idle_after) < 6 else 180,
        )
        return HTMLResponse(html)

    async def screen(self, request: Request) -> Response:
        caller = await self.auth.caller(request)
        site = request.path_params["site"]
        engine = await site_engine(self.queue, caller, site, ANY_ROLE)
        config = engine.config
        idle = await self.screens.get(site)
        first = config.languages[0] if config.languages else "fr"
        return json_response({
            "lang": first if first in CITIZEN_LANGUAGES else "fr",
            "today": today_hours(config, datetime.now(UTC)),
            "message": idle.message,
            "images": [image_url(site, image) for image in idle.images],
        })

    async def image(self, request: Request) -> Response:
        site, image_id = request.path_params["site"], request.path_params["image"]
        found = await self.screens.image(site, image_id) if IMAGE_ID.match(image_id) and len(site) <= 64 else None
        if found is None:
            raise HTTPError(404, "No such image.", "unknown-image")
        content_type, data = found
        return Response(data, media_type=content_type, headers={"Cache-Control": "public, max-age=31536000, immutable",
                                                                "X-Content-Type-Options": "nosniff"})

    async def chime_wav(self, request: Request) -> Response:
        return Response(_chime(), media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})

    async def speech_wav(self, request: Request) -> Response:
        key = request.path_params["key"]
        path = await self.speech.wav(key) if SPEECH_KEY.match(key) else None
        if path is None:
            raise HTTPError(404, "No such announcement (speech may be off on this server).", "unknown-announcement")
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})

    def routes(self) -> list[Route]:
        return [
            Route("/display", self.page, methods=["GET"]),
            Route("/display/screen/{site}", self.screen, methods=["GET"]),
            Route("/display/images/{site}/{image}", self.image, methods=["GET"]),
            Route("/speech/chime.wav", self.chime_wav, methods=["GET"]),
            Route("/speech/{key}.wav", self.speech_wav, methods=["GET"]),
        ]

"""The hall display's page and its sounds.

- ``GET /display``: the TV page (static HTML in the chosen language; its script keeps the device
  token from ``?token=`` like the kiosk's, follows the site's live feed and announces each call).
  What it shows is chosen in its address, set once on the TV: ``layout`` (``single``: one big call;
  ``grid``: a tile per counter; ``split``: calls beside a slideshow of ``media`` images),
  ``services`` and ``counters`` (comma-separated ids: a floor or a zone shows only its own calls),
  ``history`` (calls listed, 5), ``waiting=0`` hides the waiting counts, ``announce_within``
  (seconds, 30: a call older than that when it reaches the page, after a cut, is shown but not
  announced), ``lang`` (the page's own words; calls are spoken in every language the site announces in).
- ``GET /speech/{key}.wav``: the spoken phrase of a call, rendered on the server (queue_server/speech.py);
  ``GET /speech/chime.wav``: the chime played before it (and alone when speech is off).
"""

from __future__ import annotations

import re
from functools import cache

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from queue_server.i18n import CITIZEN_LANGUAGES, RTL, translations
from queue_server.queue.web.citizen import json_block
from queue_server.queue.web.deps import QueueDeps
from queue_server.speech import chime
from queue_server.web.errors import HTTPError
from queue_server.web.i18n import templates

LAYOUTS = ("grid", "single", "split")
SPEECH_KEY = re.compile(r"^[0-9a-f]{32}$")
MEDIA = re.compile(r"^/static/[A-Za-z0-9_./-]{1,200}$")  # same-origin images only (the CSP allows no other)
MAX_HISTORY = 20


def display_strings(lang: str) -> dict[str, str]:
    """What the display's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "counter": _("Counter"),
        "lost": _("Connection lost: reconnecting…"),
        "sound_blocked": _("Sound is off: touch the screen to turn it on."),
        "no_speech": _("Calls are announced by a chime only."),
        "revoked": _("This display's pairing was revoked. An administrator must pair it again."),
        "unpaired": _("This display is not paired yet. An administrator gives a pairing code."),
        "bad_code": _("This pairing code is unknown, already used or expired."),
        "waiting": _("{n} waiting"),
        "free": _("Free"),
        "closed": _("Closed"),
        "booked": _("Appt."),  # by the number of an appointment's ticket (French: "RDV")
    }


@cache
def _chime() -> bytes:
    return chime()


def _ids(raw: str | None) -> list[str]:
    return [part for part in (raw or "").split(",") if part and len(part) <= 64][:50]


class DisplayPages:
    def __init__(self, deps: QueueDeps) -> None:
        self.speech = deps.speech

    async def page(self, request: Request) -> Response:
        query = request.query_params
        lang = query.get("lang", "fr")
        if lang not in CITIZEN_LANGUAGES:
            lang = "fr"
        layout = query.get("layout", "grid")
        if layout not in LAYOUTS:
            layout = "grid"
        history = query.get("history", "5")
        within = query.get("announce_within", "30")
        media = [m for m in (query.get("media") or "").split(",") if MEDIA.match(m)][:20]
        html = templates(lang).get_template("display.html").render(
            lang=lang, dir="rtl" if lang in RTL else "ltr", layout=layout,
            services=",".join(_ids(query.get("services"))), counters=",".join(_ids(query.get("counters"))),
            history=min(int(history), MAX_HISTORY) if history.isdecimal() and len(history) < 3 else 5,
            waiting=query.get("waiting", "1") != "0", media=",".join(media),
            announce_within=int(within) if within.isdecimal() and len(within) < 5 else 30,
            speech=self.speech.available, strings=json_block(display_strings(lang)),
        )
        return HTMLResponse(html)

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
            Route("/speech/chime.wav", self.chime_wav, methods=["GET"]),
            Route("/speech/{key}.wav", self.speech_wav, methods=["GET"]),
        ]

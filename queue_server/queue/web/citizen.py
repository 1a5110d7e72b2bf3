"""What a citizen touches: the kiosk's touch page, the ticket page on the phone and its live feed.

- ``GET /kiosk``: the touch page (static HTML in the chosen language; its script reads the device
  token from ``?token=`` once, keeps it, and drops it from the address bar). ``?lang=`` picks the
  language (French unless the citizen chose another: the kiosk goes back to French when idle).
- ``GET /t/{ticket id}``: the ticket followed on a phone, without login: the unguessable id is the
  key. Rendered complete on the server (it works without script), then kept live by
  ``/ws/tickets/{ticket id}``, which sends the public Ticket each time it changes.
- ``GET /t/{ticket id}/qr.svg``: the QR code of that page, shown on the kiosk's ticket screen.
- ``GET /sites/{site}/logo``: the site's logo (PNG or JPEG), for its screens and its kiosks'
  printers. With the ``?v=`` of the snapshot's ``logo`` it may be cached for good (the URL changes
  with the logo); without it, or with another version, it is revalidated each time.
- ``PUT``/``DELETE /api/v1/sites/{site}/tickets/{id}/phone``: the optional phone number for the
  "your turn is near" text message, left (or taken back) from the ticket page or the kiosk by whoever
  holds the ticket id; accepted while the ticket waits.
- ``POST /api/v1/sites/{site}/tickets/{id}/withdraw``: "I will not come", from the ticket page, by whoever holds
  the id: the waiting ticket is cancelled (409 ``not-waiting`` once called or over). A browser may send it from
  this server's pages only (its ``Origin``; CSRF), and an address a few times a minute. The staff's ``/cancel``
  of API.md is another endpoint and stays as it is.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import anyio
import orjson
import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from queue_server.booking.domain.codes import ALPHABET, CODE_LENGTH
from queue_server.i18n import CITIZEN_LANGUAGES, RTL, plural_forms, translations
from queue_server.queue.domain import commands as c
from queue_server.queue.hub import now_serving, public
from queue_server.queue.protocol import logo_url, ticket_view
from queue_server.queue.service import QueueService, Unavailable, new_command_id
from queue_server.queue.web.api import Api, Phone
from queue_server.queue.web.deps import QueueDeps
from queue_server.queue.web.today import hours_today
from queue_server.queue.web.words import say_wait, wait_words
from queue_server.web.errors import HTTPError, problem
from queue_server.web.http import Body, client_address, json_response, parse_body, plausible_id, route
from queue_server.web.i18n import COOKIE, templates
from queue_server.web.theme import theme
from queue_server.web.wsserver import frames_of

log = logging.getLogger(__name__)

CACHE_FOR_GOOD = "public, max-age=31536000, immutable"


class PhoneBody(Body):
    phone: Phone  # as at the kiosk


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">`` (never executed, so the
    Content-Security-Policy allows it); ``<`` is escaped so that no string can close the element."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


def citizen_language(request: Request, fallback: str = "fr") -> str:
    """``?lang=`` if offered, else the ``lang`` cookie, else ``fallback`` (the ticket's language)."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if chosen in CITIZEN_LANGUAGES:
            return chosen
    return fallback if fallback in CITIZEN_LANGUAGES else "fr"


def _page(template: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates(lang).get_template(template).render(
        lang=lang, dir="rtl" if lang in RTL else "ltr", languages=CITIZEN_LANGUAGES, **context)
    return HTMLResponse(html, status)


def _same_origin(request: Request) -> None:
    """A browser's state-changing request must come from this server's own pages (its ``Origin``, which browsers
    send with every POST, names this host): another site cannot make a visitor's browser send it (CSRF). No
    ``Origin``: not a browser, which holds the id it sends."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc != request.headers.get("host", ""):
        raise HTTPError(403, "This request is accepted from this server's own pages only.", "cross-origin")


def kiosk_strings(lang: str) -> dict[str, Any]:
    """The messages the kiosk's script shows, in ``lang`` (placeholders: ``{n}``, ``{wait}``...). A message with
    a number is given in each plural form of the language (``plural_forms``: the script picks one with
    ``Live.plural``), never as a number stuck to a word."""
    _ = translations(lang).gettext
    return {
        # The ticket page borrows these four (ticket_strings): kept as they are for it.
        "ahead": _("People ahead of you: {n}"),
        "ahead_none": _("You are next."),
        "wait": _("Estimated wait: about {min} min"),
        "wait_unknown": _("Estimated wait: not known yet"),
        "waiting": _("{n} waiting"),
        # What the kiosk itself says.
        "wait_words": wait_words(lang),
        "people_ahead": plural_forms(lang, "{n} person ahead of you", "{n} people ahead of you"),
        "people_waiting": plural_forms(lang, "{n} person waiting", "{n} people waiting"),
        "estimated": _("Estimated wait: {wait}"),
        "opinion_thanks": _("Thank you! Your opinion helps the town hall do better."),
        "opinion_failed": _("Your opinion could not be recorded. Thank you all the same."),
        "priority_mark": _("Priority"),
        "printed": _("Take your ticket below the screen."),
        "not_printed": _("No paper ticket: scan the code or note your number."),
        "offline": _("Tickets cannot be taken right now: the kiosk cannot reach the server. Please ask at "
                     "the reception desk. This screen will come back by itself."),
        "paper_out": _("The ticket printer is out of paper. Please ask at the reception desk."),
        "printer_offline": _("The ticket printer is not working. Please ask at the reception desk."),
        "cover_open": _("The ticket printer is open. Please ask at the reception desk."),
        "busy": _("Your ticket is being issued…"),
        "failed": _("Your ticket could not be issued. Please try again or ask at the reception desk."),
        "closed": _("This service is not taking tickets right now."),
        "closed_until": _("Opens again {when}."),
        "opens": _("Closed · opens {when}"),
        "revoked": _("This kiosk's pairing was revoked. An administrator must pair it again."),
        "unpaired": _("This kiosk is not paired yet. An administrator gives a pairing code."),
        "bad_code": _("This pairing code is unknown, already used or expired."),
        "phone_saved": _("We will send a text message to {phone} when your turn is near."),
        "phone_invalid": _("This is not a mobile phone number. Check it and try again."),
        "phone_failed": _("The number could not be saved. Please try again."),
        # Checking in with an appointment's code: each refusal says what to do next.
        "a_busy": _("Checking your appointment…"),
        "a_short": _("Type the 6 characters of your code."),
        "a_unknown": _("We do not know this code. Check it and type it again, or ask at the reception desk."),
        "a_not_today": _("Your appointment is on {date}, not today. Come back that day, or take a ticket without "
                         "an appointment."),
        "a_too_early": _("It is too early to check in: come back from {time}. You can also take a ticket without "
                         "an appointment now."),
        "a_too_early_unknown": _("It is too early to check in for this appointment. You can take a ticket without "
                                 "an appointment now."),
        "a_too_late": _("It is too late to check in: your appointment was at {time}. Take a ticket without an "
                        "appointment, or ask at the reception desk."),
        "a_too_late_unknown": _("It is too late to check in for this appointment. Take a ticket without an "
                                "appointment, or ask at the reception desk."),
        "a_already": _("This appointment is already checked in: its ticket was given. If you do not have it, "
                       "ask at the reception desk."),
        "a_cancelled": _("This appointment was cancelled. Take a ticket without an appointment, or ask at the "
                         "reception desk."),
        "a_over": _("This appointment is over. Please ask at the reception desk."),
        "a_failed": _("Your appointment could not be checked. Please try again or ask at the reception desk."),
    }


def ticket_strings(lang: str) -> dict[str, Any]:
    """The messages the ticket page's script shows, in ``lang`` (``ahead``: plural forms for ``Live.plural``;
    ``wait_words``: for ``Live.waitWords``; ``{wait}`` is those words)."""
    _ = translations(lang).gettext
    return {
        **{k: v for k, v in kiosk_strings(lang).items() if k in ("ahead_none", "phone_saved", "phone_invalid",
                                                                   "phone_failed")},
        "ahead": plural_forms(lang, "{n} person ahead of you", "{n} people ahead of you"),
        "wait": _("Estimated wait: {wait}"),
        "wait_words": wait_words(lang),
        "now_serving": _("Now serving: {number}"),
        "called": _("It is your turn: go to {counter}."),
        "recalled": _("You are being called again: go to {counter}."),
        "serving": _("You are being served at {counter}."),
        "done": _("This visit is over. Thank you."),
        "no_show": _("You were called but did not come. Please ask at the reception desk."),
        "cancelled": _("This ticket was cancelled."),
        "withdrawn": _("Your ticket is cancelled. Thank you for telling us: the people after you move up."),
        "withdraw_failed": _("The ticket could not be cancelled. Please try again or ask at the reception desk."),
        "expired": _("This ticket is no longer valid."),
        "lost": _("Connection lost: reconnecting…"),
    }


def ahead_words(lang: str, position: int | None) -> str:
    """People ahead of a waiting ticket in words, as the page's script says them."""
    if position is None:
        return ""
    if position == 0:
        return translations(lang).gettext("You are next.")
    return translations(lang).ngettext("{n} person ahead of you", "{n} people ahead of you", position).replace(
        "{n}", str(position))


class CitizenPages:
    """The pages and the per-ticket feed, made with the queue's deps in the lifespan."""

    queue: QueueService

    def __init__(self, api: Api, deps: QueueDeps) -> None:
        self.api = api
        self.kiosk_settings = deps.platform.settings.kiosk
        self.opinion = deps.platform.settings.kiosk.opinion and deps.platform.settings.surveys.enabled
        self.queue = deps.queue
        self.sites = deps.platform.sites

    async def kiosk(self, request: Request) -> Response:
        lang = request.query_params.get("lang", "fr")
        if lang not in CITIZEN_LANGUAGES:
            lang = "fr"
        return _page("kiosk.html", lang, strings=json_block(kiosk_strings(lang)), idle_s=self.kiosk_settings.idle_s,
                     alphabet=ALPHABET, code_length=CODE_LENGTH, opinion=self.opinion)

    async def ticket_page(self, request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        await self._count_public_read(request)
        engine = await self.queue.find_ticket(ticket_id) if plausible_id(ticket_id) else None
        ticket = engine.state.tickets.get(ticket_id) if engine is not None else None
        if engine is None or ticket is None:
            lang = citizen_language(request)
            return _page("ticket_gone.html", lang, 404)
        lang = citizen_language(request, ticket.lang)
        config = engine.config
        service = config.service(ticket.service)
        counter = config.counter(ticket.counter) if ticket.counter else None
        view = public(ticket_view(engine.state, ticket))
        _ = translations(lang).gettext
        return _page(
            # The public view only: whatever the template comes to show, nothing for staff can reach the page.
            "ticket.html", lang, ticket=view, site=config,
            service_name=service.name if service else ticket.service,
            counter_name=counter.name if counter else "",
            ahead=ahead_words(lang, view["position"]),
            wait=_("Estimated wait: {wait}").replace("{wait}", say_wait(lang, view["estimated_wait_s"])),
            now_serving=now_serving(engine.state, ticket.service),
            hours=hours_today(config, datetime.now(UTC), lang, service.hours if service else None),
            colours=theme(config.colours), logo=logo_url(config.id, config.logo_version),
            strings=json_block(ticket_strings(lang)),
        )

    async def _count_public_read(self, conn: Request | WebSocket) -> None:
        """Unknown ids cost a look in every site: anonymous reads are limited per address."""
        address = conn.client.host if conn.client else "unknown"
        await self.api.limit(f"read-address:{address}", self.api.limit_settings.public_reads_per_address_per_minute,
                             "This address")

    async def qr(self, request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        await self._count_public_read(request)
        if not plausible_id(ticket_id) or await self.queue.find_ticket(ticket_id) is None:
            raise HTTPError(404, "No such ticket.", "unknown-ticket")
        url = f"{str(request.base_url).rstrip('/')}/t/{ticket_id}"
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False,
                                        svgns=True, title=None, nl=False)
        return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})

    async def logo(self, request: Request) -> Response:
        site = request.path_params["site"]
        await self._count_public_read(request)
        asked = request.query_params.get("v")
        engine = await self.queue.engine(site) if plausible_id(site) else None
        # The version this process's configuration names may be committed a moment after it arrived here.
        coming = asked if engine is not None and asked and asked == engine.config.logo_version else None
        found = await self.sites.logo(site, coming) if plausible_id(site) else None
        if found is None:
            raise HTTPError(404, "This site has no logo.", "no-logo")
        content_type, data, version = found
        cache = CACHE_FOR_GOOD if asked == version else "no-cache"
        return Response(data, media_type=content_type, headers={"Cache-Control": cache})

    async def set_phone(self, request: Request) -> Response:
        engine, ticket_id = await self._waiting_ticket(request)
        body = await parse_body(request, PhoneBody)
        await self.api.visits.keep_phone(engine, ticket_id, body.phone)
        return Response(status_code=204)

    async def forget_phone(self, request: Request) -> Response:
        engine, ticket_id = await self._waiting_ticket(request, waiting=False)
        await self.api.phones.forget(engine.site, [ticket_id])
        return Response(status_code=204)

    async def withdraw(self, request: Request) -> Response:
        """The holder's "I will not come": the waiting ticket is cancelled, as staff would; its public view."""
        _same_origin(request)
        await self.api.limit(f"withdraw-address:{client_address(request)}",
                             self.api.limit_settings.withdrawals_per_address_per_minute, "This address")
        engine, ticket_id = await self._waiting_ticket(request, waiting=False)
        if engine.state.tickets[ticket_id].status != "waiting":
            raise HTTPError(409, "Only a waiting ticket can be withdrawn: this one was called or is over.",
                            "not-waiting")
        result = await engine.execute(c.Cancel(command_id=new_command_id(), ticket_id=ticket_id))
        assert result.ticket is not None  # a ticket command answers its ticket
        return json_response(public(ticket_view(result.state, result.ticket)))

    async def _waiting_ticket(self, request: Request, waiting: bool = True) -> tuple[Any, str]:
        site, ticket_id = request.path_params["site"], request.path_params["ticket_id"]
        await self._count_public_read(request)
        engine = await self.queue.engine(site) if plausible_id(site) and plausible_id(ticket_id) else None
        if engine is not None and ticket_id not in engine.state.tickets:
            await engine.catch_up()
        ticket = engine.state.tickets.get(ticket_id) if engine is not None else None
        if engine is None or ticket is None:
            raise HTTPError(404, "No such ticket.", "unknown-ticket")
        if waiting and ticket.status != "waiting":
            raise HTTPError(409, "A phone number can be left only while the ticket waits.", "not-waiting")
        return engine, ticket_id

    async def ticket_feed(self, websocket: WebSocket) -> None:
        """``/ws/tickets/{id}``: the ticket now, then again each time it changes. No credentials:
        the id is the key, and the feed carries nothing but that ticket's public view."""
        ticket_id = websocket.path_params["ticket_id"]
        try:
            await self._count_public_read(websocket)
            engine = await self.queue.find_ticket(ticket_id) if plausible_id(ticket_id) else None
        except HTTPError as refused:
            await websocket.send_denial_response(problem(refused.status, refused.detail, refused.kind, refused.headers))
            return
        except Unavailable:
            await websocket.send_denial_response(problem(503, "The queue store cannot be reached right now.",
                                                         "unavailable"))
            return
        if engine is None:
            await websocket.send_denial_response(problem(404, "No such ticket.", "unknown-ticket"))
            return
        await websocket.accept()
        sink = frames_of(websocket.scope)
        subscriber, first = engine.hub.watch(engine.state, ticket_id, sink)
        try:
            async with anyio.create_task_group() as tg:
                if sink is None:
                    tg.start_soon(self._send, websocket, subscriber.outbox, first)
                tg.start_soon(self._until_gone, websocket, tg.cancel_scope)
                await subscriber.dropped.wait()
                tg.cancel_scope.cancel()
            if subscriber.dropped.is_set() and sink is None:
                await websocket.close(subscriber.close_code, subscriber.close_reason)
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass
        finally:
            engine.hub.unwatch(ticket_id, subscriber)

    @staticmethod
    async def _send(websocket: WebSocket, outbox: Any, first: list[str]) -> None:
        for frame in first:
            await websocket.send_text(frame)
        while True:
            await websocket.send_text(await outbox.get())

    @staticmethod
    async def _until_gone(websocket: WebSocket, scope: anyio.CancelScope) -> None:
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            scope.cancel()

    def routes(self) -> list[Route | WebSocketRoute]:
        phone = "/api/v1/sites/{site}/tickets/{ticket_id}/phone"
        return [
            Route("/kiosk", self.kiosk, methods=["GET"]),
            Route("/t/{ticket_id}", self.ticket_page, methods=["GET"]),
            Route("/t/{ticket_id}/qr.svg", self.qr, methods=["GET"]),
            Route("/sites/{site}/logo", self.logo, methods=["GET"]),
            route(phone, put=self.set_phone, delete=self.forget_phone),
            Route("/api/v1/sites/{site}/tickets/{ticket_id}/withdraw", self.withdraw, methods=["POST"]),
            WebSocketRoute("/ws/tickets/{ticket_id}", self.ticket_feed),
        ]

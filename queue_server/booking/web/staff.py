"""``GET /agenda``: the day's appointments for the staff of a site (agents, supervisors, administrators, signed in).

One day at a time on the site's clock (today unless ``?date=``; the day before and after are links, and a date
field), one site (``?site=``, else the first the person works at), the service they narrow it to (``?service=``,
the script filters in place). The page carries the day in its JSON block, so that it shows at once; its script
(``static/agenda/agenda.js``) then reads the day again through the API (``GET /appointments?date=``) when the
window comes back to the front, every 20 s while it is shown, and after each action (check-in, move, cancel,
through the API too): no full reload. Each load of the page is audited once (``appointment.agenda``: it shows
the names and contacts of everyone expected that day); its refreshes are reads of the API, which an agent of
the site may make at any time.

A person without a session goes to the sign-in page (then back here); one with no staff role at any site gets
a plain 403 page in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.booking.service import Booking, Who
from queue_server.booking.web.api import appointment_view
from queue_server.platform.people import People
from queue_server.platform.users import Person
from queue_server.queue.domain.config import SiteConfig
from queue_server.web.auth import STAFF, Authenticator
from queue_server.web.http import actor_of, client_address
from queue_server.web.i18n import COOKIE, negotiate, templates, translations

PATH = "/agenda"


def agenda_strings(lang: str) -> dict[str, str]:
    """What the agenda's script writes, in ``lang``; ``{name}`` placeholders are filled by the script."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "status_booked": _("Expected"),
        "status_late": _("Late"),
        "status_checked_in": _("Checked in"),
        "status_done": _("Done"),
        "status_no_show": _("Did not come"),
        "status_cancelled": _("Cancelled"),
        "nobody": _("No appointment this day."),
        "nobody_here": _("No appointment in this service this day."),
        "count": _("{n} appointments"),
        "count_one": _("1 appointment"),
        "desk": _("Desk {n}"),
        "check_in": _("Check in"),
        "check_in_label": _("Check in {name}, {time}"),
        "move": _("Move"),
        "move_label": _("Move the appointment of {name}, {time}"),
        "cancel": _("Cancel"),
        "cancel_label": _("Cancel the appointment of {name}, {time}"),
        "checked_in": _("{name} is checked in: ticket {number}."),
        "moved": _("The appointment of {name} is moved to {when}."),
        "cancelled": _("The appointment of {name} is cancelled."),
        "failed": _("It could not be done: {problem}"),
        "slots_loading": _("Looking for free slots…"),
        "slots_none": _("No free slot in the next weeks."),
        "slot_label": _("{day} at {time}"),
        "choose_slot": _("Choose the new slot."),
        "more": _("More"),
        "more_label": _("More slots on {day}"),
        "updated": _("Updated at {time}"),
        "time": _("Time"),
        "person": _("Person"),
        "motif": _("Motif"),
        "desk_column": _("Desk"),
        "status": _("Status"),
        "ticket_column": _("Code or ticket"),
        "actions": _("Actions"),
        "need_slot": _("Choose the new slot first."),
        "need_reason": _("Give the reason."),
    }


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


@dataclass(frozen=True, slots=True)
class _Viewer:
    person: Person
    csrf: str
    lang: str
    sites: list[tuple[SiteConfig, str]]  # where the person is staff, with their role there


class AgendaPage:
    def __init__(self, auth: Authenticator, booking: Booking) -> None:
        self.auth = auth
        self.booking = booking
        self.people = People(booking.db)

    def routes(self) -> list[Route]:
        return [Route(PATH, self.page, methods=["GET"])]

    async def _viewer(self, request: Request) -> _Viewer | Response:
        """The signed-in person and the sites where they are staff; else the sign-in page or a 403 page."""
        found = await self.auth.session(request)
        lang = negotiate(request)
        if found is None:
            target = PATH + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        session, person = found
        if None in person.roles:  # a role at every site of the tenant
            site_ids = sorted(await self.people.sites_of(person.tenant_id))
        else:
            site_ids = sorted(s for s in person.roles if s is not None)
        sites = []
        for site_id in site_ids:
            role = person.roles.get(site_id) or person.roles.get(None)
            config = await self.booking.site_config(site_id) if role in STAFF else None
            if config is not None and role is not None:
                sites.append((config, role))
        if not sites:
            _ = translations(lang).gettext
            text = _("This page is for the staff of the town hall: your account has no agent, supervisor or "
                     "administrator role.")
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="/">Guichet</a></p></html>', status_code=403)
        return _Viewer(person, session.csrf, lang, sites)

    async def page(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        params = request.query_params
        config = next((c for c, _r in viewer.sites if c.id == params.get("site")), viewer.sites[0][0])
        today = config.local(self.booking.clock()).date()
        day = _day(params.get("date"), today)
        service = params.get("service", "")
        if not any(s.id == service for s in config.services):
            service = ""
        person = viewer.person
        rows = await self.booking.agenda(config.id, day, Who(actor_of(person), True, client_address(request)))
        motifs = await self.booking.motifs(config.id, staff=True)
        data = {
            "person": {"name": person.name or person.login, "login": person.login},
            "csrf": viewer.csrf,
            "lang": viewer.lang,
            "site": {"id": config.id, "name": config.name, "timezone": config.timezone,
                     "services": [{"id": s.id, "name": s.name} for s in config.services]},
            "date": day.isoformat(),
            "today": today.isoformat(),
            "service": service,
            "motifs": [{"id": m.id, "name": m.name, "service": m.service, "duration_min": m.duration_min,
                        "arrive_after_min": m.arrive_after_min, "questions": [
                            {"id": q.id, "label": q.label} for q in m.questions]} for m in motifs],
            "items": [appointment_view(r) for r in rows],
            "strings": agenda_strings(viewer.lang),
        }

        def link(other: date) -> str:
            query = {"site": config.id} if len(viewer.sites) > 1 else {}
            query["date"] = other.isoformat()
            if service:
                query["service"] = service
            return PATH + "?" + urlencode(query)

        html = templates(viewer.lang).get_template("agenda.html").render(
            lang=viewer.lang, other_lang="en" if viewer.lang == "fr" else "fr", here=PATH, csrf=viewer.csrf,
            person=person, nav_roles=sorted({r for r in person.roles.values() if r}), data=json_block(data),
            site=config, sites=[c for c, _r in viewer.sites], day=day, today=today, service=service,
            day_text=format_date(day, "full", locale=viewer.lang), before=link(day - timedelta(days=1)),
            after=link(day + timedelta(days=1)), to_today=link(today))
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"  # names and contacts
        if params.get("lang") == viewer.lang:
            response.set_cookie(COOKIE, viewer.lang, max_age=365 * 86400, samesite="lax",
                                secure=request.url.scheme == "https")
        return response


def _day(raw: str | None, today: date) -> date:
    """The day asked for (YYYY-MM-DD), else today; a year from 2000 to 2100 (a typo shows today, not an error)."""
    try:
        asked = date.fromisoformat(raw) if raw and len(raw) == 10 else today
    except ValueError:
        return today
    return asked if 2000 <= asked.year <= 2100 else today

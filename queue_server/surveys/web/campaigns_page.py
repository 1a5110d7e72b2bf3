"""``GET /enquetes/campagnes``: the collectivity's campaigns of questions, for its supervisors and administrators.

The page lists the campaigns (name, period, services in words, questions, whether current, upcoming or ended) and
holds the form of a new one; ``static/surveys/campagnes.js`` sends it to the API (``POST …/surveys/campaigns``),
whose answer is the rule: each refusal is said next to its field and in a summary. Deleting goes through the API too
(``DELETE …/campaigns/{id}``), after a confirmation. This module only reads and renders."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import urlencode

import orjson
from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.i18n import translations
from queue_server.surveys.domain.campaigns import MAX_CHOICES, MAX_QUESTIONS, Campaign
from queue_server.surveys.service import SiteFacts, Surveys
from queue_server.surveys.web.report import roles_at
from queue_server.web.auth import SUPERVISORS, Authenticator
from queue_server.web.i18n import negotiate, templates

PATH = "/enquetes/campagnes"
Status = Literal["current", "upcoming", "ended"]


def status_of(campaign: Campaign, today: date) -> Status:
    if today < campaign.first:
        return "upcoming"
    return "ended" if today > campaign.last else "current"


def field_messages(lang: str) -> dict[str, str]:
    """What to say next to each field of the form when the API refuses it, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "name": _("Give the campaign a name (200 characters at most)."),
        "first": _("Give the first day of the campaign."),
        "last": _("Give the last day of the campaign: the first day or later."),
        "services": _("Choose the services among those offered, or none for all of them."),
        "questions": _("Ask from 1 to %(max)d questions.") % {"max": MAX_QUESTIONS},
        "label": _("Write the question (200 characters at most)."),
        "kind": _("Choose whether the question offers answers or asks for a free text."),
        "choices": _("Give from 2 to %(max)d different answers, one per line (200 characters at most each).")
        % {"max": MAX_CHOICES},
    }


def page_strings(lang: str) -> dict[str, Any]:
    """What the page's script says, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "fields": field_messages(lang),
        "summary_one": _("The campaign is not created yet: correct this point."),
        "summary_many": _("The campaign is not created yet: correct these points."),
        "failed": _("The campaign could not be created: {problem}"),
        "delete_failed": _("The campaign could not be deleted: {problem}"),
        "unreachable": _("The server cannot be reached. Nothing is lost: try again."),
        "sending": _("Creating the campaign…"),
        "created": _("Campaign “{name}” created."),
        "deleted": _("Campaign “{name}” deleted."),
        "question": _("Question {n}"),
        "remove": _("Remove question {n}"),
        "preview_empty": _("The question's words will show here."),
        "preview_free": _("A free answer"),
        "preview_untitled": _("(a question without words yet)"),
        "delete_question": _("Delete the campaign “{name}”?"),
    }


def json_block(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/json">``; ``<`` escaped so no string closes it."""
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))


class CampaignsPage:
    def __init__(self, auth: Authenticator, surveys: Surveys) -> None:
        self.auth = auth
        self.surveys = surveys

    def routes(self) -> list[Route]:
        return [Route(PATH, self.page, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        lang = negotiate(request)
        found = await self.auth.session(request)
        if found is None:
            return RedirectResponse("/login?" + urlencode({"next": PATH}), status_code=303)
        session, person = found
        gettext = translations(lang).gettext
        sites: list[SiteFacts] = [
            f for f in [await self.surveys.sites(s) for s in await self.surveys.site_ids(person.tenant_id)]
            if f is not None and roles_at(person, f.id) in SUPERVISORS]
        if not sites:
            text = gettext("This page is for the supervisors and administrators of the town hall.")
            return HTMLResponse(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>403</title>'
                                f'<p>{text}</p><p><a href="/counter">Guichet</a></p></html>', status_code=403)
        # The collectivity's services, by id (a service of several sites once, with its first site's name).
        services: dict[str, str] = {}
        for facts in sites:
            for sid, name in facts.services.items():
                services.setdefault(sid, name)
        today = self.surveys.clock().astimezone(sites[0].zone).date()
        campaigns = await self.surveys.campaigns(person.tenant_id)
        data = {"csrf": session.csrf, "lang": lang, "tenant": person.tenant_id, "strings": page_strings(lang),
                "max_questions": MAX_QUESTIONS}
        html = templates(lang).get_template("enquetes_campagnes.html").render(
            lang=lang, other_lang="en" if lang == "fr" else "fr", here=request.url.path, csrf=session.csrf,
            person=person, nav_roles=sorted({r for r in person.roles.values() if r}), section=None,
            campaigns=[(c, status_of(c, today)) for c in campaigns], services=services,
            day=lambda d: format_date(d, "long", locale=lang), today=today.isoformat(),
            max_questions=MAX_QUESTIONS, max_choices=MAX_CHOICES, data=json_block(data))
        response = HTMLResponse(html)
        response.headers["Cache-Control"] = "no-store"
        return response

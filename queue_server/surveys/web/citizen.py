"""The citizen's survey page, ``/s/{token}`` (no login: the unguessable token is the key): five faces as radio
buttons (their words for screen readers), an optional comment, the campaign's questions, then a thank-you screen;
an answered, expired or unknown survey says so in words. French first, or the language the invitation was written
in, or ``?lang=`` (fr, en, es, ar; Arabic right to left).

It works without JavaScript: the form is a plain POST to the page, answered with the thank-you screen (or the form
again, saying what is missing, 422). With it (``/static/surveys/survey.js``), the same form is sent to
``POST /api/v1/surveys/{token}`` and the thank-you screen shown in place. ``/s/{token}/stop`` asks, then records, that
the contact wants no more surveys (a GET never changes anything)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from queue_server.i18n import CITIZEN_LANGUAGES, RTL
from queue_server.platform.errors import PlatformError
from queue_server.platform.sessions import Limits
from queue_server.surveys.domain.masking import MAX_COMMENT
from queue_server.surveys.errors import Refusal
from queue_server.surveys.service import Survey, Surveys
from queue_server.surveys.web.api import plausible_token, token_holder
from queue_server.surveys.web.words import page_strings, score_words
from queue_server.web.i18n import templates

LANGUAGE_NAMES = {"fr": "Français", "en": "English", "es": "Español", "ar": "العربية"}
MAX_FORM_BYTES = 16 * 1024


def _lang(request: Request, survey: Survey | None) -> str:
    wanted = request.query_params.get("lang")
    if wanted in CITIZEN_LANGUAGES:
        return str(wanted)
    if survey is not None and survey.invitation.lang in CITIZEN_LANGUAGES:
        return survey.invitation.lang
    return "fr"


class CitizenSurveys:
    def __init__(self, surveys: Surveys, limits: Limits) -> None:
        self.surveys = surveys
        self.limits = limits

    def routes(self) -> list[Route]:
        return [Route("/s/{token}", self.page, methods=["GET", "POST"]),
                Route("/s/{token}/stop", self.stop, methods=["GET", "POST"])]

    def _render(self, request: Request, lang: str, state: str, status: int = 200, survey: Survey | None = None,
                **values: Any) -> Response:
        token = str(request.path_params["token"])
        html = templates(lang).get_template("survey.html").render(
            lang=lang, dir="rtl" if lang in RTL else "ltr", state=state, survey=survey, token=token,
            scores=score_words(lang), languages=[(code, LANGUAGE_NAMES[code]) for code in CITIZEN_LANGUAGES],
            path=request.url.path, max_comment=MAX_COMMENT,
            data=orjson.dumps({"token": token, "lang": lang, "strings": page_strings(lang)}).decode()
            .replace("<", "\\u003c"), **values)
        response = HTMLResponse(html, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _survey(self, request: Request, answering: bool) -> tuple[Survey | None, Response | None]:
        """The survey, or the page that says why there is none (429 as a problem beyond the address's requests)."""
        await token_holder(self.limits, request)
        token = str(request.path_params["token"])
        lang = _lang(request, None)
        if not plausible_token(token):
            return None, self._render(request, lang, "unknown", 404)
        try:
            return await self.surveys.survey(token, answering=answering), None
        except Refusal as refusal:
            state = {404: "unknown", 409: "answered", 410: "expired"}.get(refusal.status, "unknown")
            return None, self._render(request, lang, state, refusal.status)

    async def page(self, request: Request) -> Response:
        survey, refused = await self._survey(request, answering=True)
        if survey is None:
            assert refused is not None
            return refused
        lang = _lang(request, survey)
        if request.method == "GET":
            return self._render(request, lang, "form", survey=survey, values={})
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return self._render(request, lang, "form", 413, survey=survey, values={}, error="too-long")
        form = await request.form()
        values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
        score = values.get("score", "")
        if score not in ("1", "2", "3", "4", "5"):
            return self._render(request, lang, "form", 422, survey=survey, values=values, error="score")
        answers = {q.id: values[f"q-{q.id}"] for q in survey.questions if values.get(f"q-{q.id}")}
        try:
            await self.surveys.answer(survey.invitation.token, int(score), values.get("comment", "")[:MAX_COMMENT],
                                      answers)
        except Refusal as refusal:
            if refusal.status in (409, 410):
                return self._render(request, lang, "answered" if refusal.status == 409 else "expired",
                                    refusal.status)
            return self._render(request, lang, "form", 422, survey=survey, values=values, error="answers")
        except PlatformError:
            return self._render(request, lang, "form", 422, survey=survey, values=values, error="answers")
        return self._render(request, lang, "thanks", survey=survey)

    async def stop(self, request: Request) -> Response:
        survey, refused = await self._survey(request, answering=False)
        if survey is None and refused is not None and refused.status_code == 404:
            return refused
        lang = _lang(request, survey)
        if request.method == "GET":
            return self._render(request, lang, "stop", survey=survey)
        await self.surveys.refuse(str(request.path_params["token"]))
        return self._render(request, lang, "stopped", survey=survey)

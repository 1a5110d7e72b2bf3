"""The surveys' endpoints (API.md "Surveys"): they parse, call ``Surveys`` and answer.

- ``GET /api/v1/surveys/{token}`` (whoever holds the token): 200 the survey (site, service, language, questions);
  404 unknown, 409 answered already, 410 expired (14 days after it was sent);
- ``POST /api/v1/surveys/{token}``: ``{"score": 1..5, "comment"?, "answers"?}`` -> 201; 409, 410, 404; 422 naming the
  field;
- ``POST /api/v1/surveys/{token}/refusal``: 204, no more surveys for the contact it was sent to;
- ``GET|POST /api/v1/tenants/{tenant}/surveys/campaigns`` (supervisors, admins), ``DELETE …/{campaign}``;
- ``GET /api/v1/tenants/{tenant}/surveys/purges`` (admins): the retention's deletion reports;
- ``POST /api/v1/sites/{site}/surveys/kiosk`` (the site's kiosks): ``{"score": 1..5}`` -> 201, an anonymous answer
  given with one touch at the kiosk, about the visit as a whole (20 a minute per kiosk, then 429).

Whoever holds a token may make ``READS_PER_MINUTE`` (120) such requests a minute from one address (its page's
included): a citizen needs three; beyond, 429 with Retry-After. The results are ``report.py``'s."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from queue_server.platform.sessions import Limits
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.surveys.domain.campaigns import MAX_CHOICES, MAX_QUESTIONS, MAX_TEXT, Campaign, Question
from queue_server.surveys.domain.masking import MAX_COMMENT
from queue_server.surveys.errors import Refusal, unknown_tenant
from queue_server.surveys.retention import SurveysRetention
from queue_server.surveys.service import Survey, Surveys
from queue_server.web.auth import SUPERVISORS, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    WHITE_SPACE,
    Body,
    Matches,
    actor_of,
    char_class,
    client_address,
    json_response,
    parse_body,
    rate_limit,
    route,
    whole_number,
    without_space_around,
)

ADMINS = frozenset({"admin"})
READS_PER_MINUTE = 120  # per address: a survey's reads, answers and refusals, and its pages
KIOSK_ANSWERS_PER_MINUTE = 20  # per kiosk: a queue of people each touching a face, not a child playing with them
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
TOKEN = r"^[A-Za-z0-9_-]{16,43}$"
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = rf"^[^\u0000]*{char_class(WHITE_SPACE + chr(0), negated=True)}[^\u0000]*$"



Slug = Annotated[str, Field(pattern=SLUG)]
Text = Annotated[str, Field(max_length=MAX_TEXT), Matches(NO_NUL, "no NUL character")]
Label = Annotated[str, Field(min_length=1, max_length=200), Matches(NOT_BLANK, "more than white space")]


class KioskAnswerBody(Body):
    score: Annotated[StrictInt, Field(ge=1, le=5, description="1: very dissatisfied … 5: very satisfied"),
                     BeforeValidator(whole_number)]


class SurveyAnswerBody(Body):
    score: Annotated[StrictInt, Field(ge=1, le=5, description="1: very dissatisfied … 5: very satisfied"),
                     BeforeValidator(whole_number)]
    comment: Annotated[str, Field(max_length=MAX_COMMENT, description=(
        "optional; phone numbers and e-mail addresses in it are masked before it is stored")),
        Matches(NO_NUL, "no NUL character")] = ""
    answers: dict[Slug, Text] = Field(default_factory=dict, max_length=MAX_QUESTIONS, description=(
        "the campaign's questions answered, by their id (GET gives them); a choice must be one offered"))


class SurveyQuestionBody(Body):
    id: Slug
    kind: Literal["choice", "text"]
    label: Label
    choices: list[Label] = Field(default_factory=list, max_length=MAX_CHOICES, description=(
        "a choice question's answers, two at least and each once; a text question has none"))


class SurveyCampaignBody(Body):
    name: Label
    first: date = Field(description="the first local day of the invitations that carry it")
    last: date = Field(description="the last one (422 invalid-campaign before first)")
    services: list[Slug] = Field(default_factory=list, max_length=100, description="none: every service")
    questions: list[SurveyQuestionBody] = Field(min_length=1, max_length=MAX_QUESTIONS)


def question_views(survey: Survey) -> list[dict[str, Any]]:
    return [{"id": "score", "type": "score", "required": True, "min": 1, "max": 5},
            {"id": "comment", "type": "text", "required": False, "max_length": MAX_COMMENT},
            *({"id": q.id, "type": q.kind, "label": q.label, "required": False,
               **({"choices": list(q.choices)} if q.kind == "choice" else {"max_length": MAX_TEXT})}
              for q in survey.questions)]


def survey_view(survey: Survey) -> dict[str, Any]:
    invitation = survey.invitation
    return {"site": {"id": survey.site.id, "name": survey.site.name},
            "service": {"id": invitation.service, "name": invitation.service_name},
            "kind": invitation.kind, "lang": invitation.lang,
            "expires_at": invitation.expires_at.isoformat().replace("+00:00", "Z"),
            "questions": question_views(survey)}


def campaign_view(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "first": campaign.first.isoformat(),
            "last": campaign.last.isoformat(), "services": list(campaign.services),
            "questions": [{"id": q.id, "kind": q.kind, "label": q.label, "choices": list(q.choices)}
                          for q in campaign.questions]}


def roles_of(caller: Principal | Person) -> set[str]:
    return set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}


def plausible_token(token: str) -> bool:
    return 16 <= len(token) <= 43 and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in token)


async def token_holder(limits: Limits, request: Request) -> None:
    """Count a request of whoever holds a token (no login); 429 beyond ``READS_PER_MINUTE`` from the address."""
    await rate_limit(limits, f"survey:{client_address(request)}", READS_PER_MINUTE, "This address")


class SurveysApi:
    def __init__(self, auth: Authenticator, surveys: Surveys, retention: SurveysRetention, limits: Limits) -> None:
        self.auth = auth
        self.surveys = surveys
        self.retention = retention
        self.limits = limits

    def routes(self) -> list[Any]:
        campaigns = "/api/v1/tenants/{tenant}/surveys/campaigns"
        return [
            route("/api/v1/surveys/{token}", get=self.read, post=self.answer),
            route("/api/v1/surveys/{token}/refusal", post=self.refuse),
            route(campaigns, get=self.campaigns, post=self.create_campaign),
            route(campaigns + "/{campaign}", delete=self.delete_campaign),
            route("/api/v1/tenants/{tenant}/surveys/purges", get=self.purges),
            route("/api/v1/sites/{site}/surveys/kiosk", post=self.kiosk),
        ]

    async def _survey(self, request: Request, *, answering: bool = True) -> Survey:
        await token_holder(self.limits, request)
        token = str(request.path_params["token"])
        if not plausible_token(token):
            raise Refusal(404, "No such survey.", "unknown-survey")
        return await self.surveys.survey(token, answering=answering)

    async def read(self, request: Request) -> Response:
        survey = await self._survey(request)
        response = json_response(survey_view(survey))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def answer(self, request: Request) -> Response:
        await token_holder(self.limits, request)
        token = str(request.path_params["token"])
        body = await parse_body(request, SurveyAnswerBody)
        if not plausible_token(token):
            raise Refusal(404, "No such survey.", "unknown-survey")
        await self.surveys.answer(token, body.score, body.comment, body.answers)
        return json_response({"recorded": True}, 201)

    async def kiosk(self, request: Request) -> Response:
        """A one-touch anonymous answer from the site's own kiosk (its token): 201; 403 for anyone else; 429 beyond
        ``KIOSK_ANSWERS_PER_MINUTE`` from one kiosk (a child tapping the faces)."""
        caller = await self.auth.caller(request)
        site = str(request.path_params["site"])
        if not isinstance(caller, Principal) or caller.role != "kiosk" or caller.site_id != site:
            raise HTTPError(403, "Only the site's kiosks give these answers.", "wrong-role")
        await rate_limit(self.limits, f"survey-kiosk:{caller.token_id}", KIOSK_ANSWERS_PER_MINUTE, "This kiosk")
        body = await parse_body(request, KioskAnswerBody)
        await self.surveys.kiosk_answer(site, body.score)
        return json_response({"recorded": True}, 201)

    async def refuse(self, request: Request) -> Response:
        await token_holder(self.limits, request)
        token = str(request.path_params["token"])
        if not plausible_token(token):
            raise Refusal(404, "No such survey.", "unknown-survey")
        await self.surveys.refuse(token)
        return Response(status_code=204)

    async def _supervisor(self, request: Request, allowed: frozenset[str] = SUPERVISORS
                          ) -> tuple[Principal | Person, str]:
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        if not roles_of(caller) & allowed:
            who = "supervisors and administrators" if allowed == SUPERVISORS else "administrators"
            raise HTTPError(403, f"Only {who} of the collectivity may do this.", "wrong-role")
        return caller, tenant

    async def purges(self, request: Request) -> Response:
        _caller, tenant = await self._supervisor(request, ADMINS)
        return json_response({"items": await self.retention.reports(tenant)})

    async def campaigns(self, request: Request) -> Response:
        _caller, tenant = await self._supervisor(request)
        return json_response({"items": [campaign_view(c) for c in await self.surveys.campaigns(tenant)]})

    async def create_campaign(self, request: Request) -> Response:
        caller, tenant = await self._supervisor(request)
        body = await parse_body(request, SurveyCampaignBody)
        campaign = await self.surveys.create_campaign(
            tenant, without_space_around(body.name), body.first, body.last, body.services,
            [Question(q.id, q.kind, without_space_around(q.label), tuple(without_space_around(c) for c in q.choices))
             for q in body.questions], actor_of(caller))
        return json_response(campaign_view(campaign), 201)

    async def delete_campaign(self, request: Request) -> Response:
        caller, tenant = await self._supervisor(request)
        await self.surveys.delete_campaign(tenant, str(request.path_params["campaign"])[:64], actor_of(caller))
        return Response(status_code=204)

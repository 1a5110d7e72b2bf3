"""The requests' endpoints of staff intake and of the categories' administration (API.md "Requests"), under
``/api/v1/tenants/{tenant}/``: they parse, call ``Requests`` and answer.

- ``POST requests/{id}/acknowledge`` (staff): the acknowledgement of receipt by e-mail, for a category that
  acknowledges in two steps (409 ``already-acknowledged``, 409 ``no-email``); 200 Request.
- ``POST requests/{id}/printed`` (staff): the printable acknowledgement (``/demandes/{id}/accuse``) was printed:
  audited; for a sender without e-mail it is their acknowledgement of receipt (``acknowledged_at``); 200 Request.
- ``GET``/``PUT request-categories/{category}`` (administrators): one category as a whole (its service, its legal
  mentions, its answer delay, whether it acknowledges at once); ``PUT`` creates (201) or replaces (200) it, the
  mentions an acknowledgement states checked (422 ``incomplete-category`` naming the field: ``delay``,
  ``appeal``, ``service.phone``...), its site one of the collectivity's (422 ``unknown-site``).

Another collectivity is unknown (404), like a request of another one."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.requests.errors import Refusal, unknown_request, unknown_tenant
from queue_server.requests.service import Requests, Who
from queue_server.requests.tables import CategoryRow
from queue_server.requests.web.api import NOT_BLANK, SLUG, request_view
from queue_server.web.auth import STAFF, Authenticator
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    Body,
    Matches,
    actor_of,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    route,
    whole_number,
    without_space_around,
)

ADMIN = frozenset({"admin"})
NO_NUL = r"^[^\u0000]*$"  # PostgreSQL's text takes no NUL



ServiceAddress = Annotated[str, Field(max_length=300), Matches(NO_NUL, "no NUL character"),
                           AfterValidator(without_space_around)]
ServicePhone = Annotated[str, Field(max_length=32), Matches(NO_NUL, "no NUL character"),
                         AfterValidator(without_space_around)]
Appeal = Annotated[str, Field(max_length=2000), Matches(NO_NUL, "no NUL character"),
                   AfterValidator(without_space_around)]


class CategoryServiceBody(Body):
    name: Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a name needs more than white space"),
                    AfterValidator(without_space_around)]
    address: ServiceAddress = Field("", description="its postal address; it has a postal or an e-mail address "
                                                    "(422 incomplete-category naming service.address)")
    email: EmailStr | None = None
    phone: ServicePhone = Field("", description="required by R112-11-1 (422 incomplete-category naming "
                                                "service.phone)")


class CategoryDelayBody(Body):
    months: Annotated[StrictInt, Field(ge=0, le=120), BeforeValidator(whole_number)] = 0
    days: Annotated[StrictInt, Field(ge=0, le=3650), BeforeValidator(whole_number)] = 0


class CategoryDefinitionBody(Body):
    name: Annotated[str, Field(max_length=120), Matches(NOT_BLANK, "a name needs more than white space"),
                    AfterValidator(without_space_around)]
    position: Annotated[StrictInt, Field(ge=0, le=10_000), BeforeValidator(whole_number)] | None = Field(
        None, description="its place in the lists; left out: the one it had, or after the others")
    public: StrictBool = Field(True, description="offered to citizens; false: staff file requests in it")
    site: str | None = Field(None, pattern=SLUG, description="the site whose calendar counts its dates (time zone, "
                                                             "public holidays); null: the collectivity's first")
    service: CategoryServiceBody
    implicit: Literal["none", "acceptance", "rejection"] = Field(
        "none", description="what the administration's silence amounts to; acceptance or rejection needs a delay "
                            "(422 incomplete-category naming delay), a rejection its appeal routes (naming appeal)")
    delay: CategoryDelayBody = Field(default_factory=CategoryDelayBody,
                                     description="after how long silence is a decision, from the receipt")
    appeal: Appeal = Field("", description="the appeal routes and their deadlines, as the acknowledgement states "
                                           "them")
    answer_days: Annotated[StrictInt, Field(ge=0, le=365), BeforeValidator(whole_number)] = Field(
        10, description="business days to answer in (a request's due date)")
    acknowledge_at_once: StrictBool = Field(
        True, description="one e-mail at creation, the receipt and the acknowledgement of receipt; false: a "
                          "registration receipt at once, the acknowledgement when an agent sends it or within 7 days")


def category_row(tenant: str, category: str, body: CategoryDefinitionBody) -> CategoryRow:
    """The category ``body`` defines, as the table holds it (its position set by ``Requests.define_category``)."""
    return CategoryRow(
        tenant_id=tenant, category=category, name=body.name, public=body.public, site_id=body.site,
        service_name=body.service.name, service_address=body.service.address,
        service_email=str(body.service.email).lower() if body.service.email else "",
        service_phone=body.service.phone, implicit=body.implicit, delay_months=body.delay.months,
        delay_days=body.delay.days, appeal=body.appeal, answer_days=body.answer_days,
        acknowledge_at_once=body.acknowledge_at_once)


def category_view(row: CategoryRow) -> dict[str, Any]:
    """A RequestCategorySettings (what ``PUT`` takes, with the id and position)."""
    return {"id": row.category, "name": row.name, "position": row.position, "public": row.public,
            "site": row.site_id, "service": {"name": row.service_name, "address": row.service_address,
                                             "email": row.service_email or None, "phone": row.service_phone},
            "implicit": row.implicit, "delay": {"months": row.delay_months, "days": row.delay_days},
            "appeal": row.appeal, "answer_days": row.answer_days, "acknowledge_at_once": row.acknowledge_at_once}


class IntakeApi:
    def __init__(self, auth: Authenticator, requests: Requests) -> None:
        self.auth = auth
        self.requests = requests

    def routes(self) -> list[Any]:
        base = "/api/v1/tenants/{tenant}"
        one = base + "/requests/{request}"
        return [
            route(one + "/acknowledge", post=self.acknowledge),
            route(one + "/printed", post=self.printed),
            route(base + "/request-categories/{category}", get=self.category, put=self.put_category),
        ]

    async def _caller(self, request: Request, roles: frozenset[str]) -> tuple[Principal | Person, str]:
        """The caller of the path's collectivity with one of ``roles``: 401, 404 another collectivity, 403."""
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        held = set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}
        if not held & roles:
            raise HTTPError(403, "Only " + ("administrators" if roles == ADMIN else "staff") + " of the collectivity "
                            "may do this.", "wrong-role")
        return caller, tenant

    @staticmethod
    def _request_id(request: Request) -> str:
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        return request_id

    async def acknowledge(self, request: Request) -> Response:
        caller, tenant = await self._caller(request, STAFF)
        found = await self.requests.acknowledge(tenant, self._request_id(request),
                                                Who(actor_of(caller), True, client_address(request)),
                                                str(request.base_url))
        return json_response(request_view(found, staff=True))

    async def printed(self, request: Request) -> Response:
        caller, tenant = await self._caller(request, STAFF)
        found = await self.requests.printed(tenant, self._request_id(request),
                                            Who(actor_of(caller), True, client_address(request)))
        return json_response(request_view(found, staff=True))

    async def category(self, request: Request) -> Response:
        _caller, tenant = await self._caller(request, ADMIN)
        wanted = str(request.path_params["category"])
        found = next((c for c in await self.requests.categories(tenant, staff=True) if c.category == wanted), None)
        if found is None:
            raise Refusal(404, "No such category.", "unknown-category")
        return json_response(category_view(found))

    async def put_category(self, request: Request) -> Response:
        caller, tenant = await self._caller(request, ADMIN)
        category = str(request.path_params["category"])
        body = await parse_body(request, CategoryDefinitionBody)
        if not re.fullmatch(SLUG[1:-1], category):
            raise HTTPError(422, "category: lower-case letters, digits and dashes, 64 at most.", "invalid-path",
                            extra={"errors": [{"field": "category", "message": "not a category id"}]})
        row = category_row(tenant, category, body)
        created = await self.requests.define_category(row, Who(actor_of(caller), True, client_address(request)),
                                                      position=body.position)
        saved = next(c for c in await self.requests.categories(tenant, staff=True) if c.category == category)
        return json_response(category_view(saved), 201 if created else 200)

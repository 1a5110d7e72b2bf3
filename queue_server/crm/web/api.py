"""The citizen record's endpoints (API.md "Citizen record (CRM)"), under ``/api/v1/tenants/{tenant}/``.

Each parses, calls ``Record`` and answers. Who may do what: the staff of the collectivity (agents,
supervisors, administrators of any of its sites, or their devices' staff tokens) read and add; supervisors
export, merge and read the merge queue; administrators erase and set the sectors. A tenant that is not the
caller's is unknown (404), like a party of another tenant."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, RootModel, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from stdnum.fr import siret as stdnum_siret

from queue_server.crm.service import ROLES, Record, Staff
from queue_server.crm.web.access import ADMINS, AGENTS, SUPERVISORS, rank_of, standing
from queue_server.platform.errors import invalid
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    MAX_PHONE_CHARS,
    PHONE_SHAPE,
    WHITE_SPACE,
    Body,
    Matches,
    actor_of,
    char_class,
    client_address,
    json_response,
    parse_body,
    route,
    whole_number,
    without_space_around,
)

MAX_PARTY_ID = 2**31 - 1
PHONE_FORMAT = "mobile-phone"  # the fuzzer's valid numbers; any valid number is accepted, mobile or not
MAX_QUERY = 200
SECTOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


# A text kept in SQL: not blank, and no NUL character anywhere (PostgreSQL's text refuses it).
NOT_BLANK = rf"^[^\u0000]*{char_class(WHITE_SPACE + chr(0), negated=True)}[^\u0000]*$"
NO_NUL = r"^[^\u0000]*$"
Activity = Annotated[str, Field(max_length=200), Matches(NO_NUL, "no NUL character")]
# Texts people write: at most so many characters as sent, not blank, kept without the white space around them.
Name = Annotated[str, Field(max_length=100), Matches(NOT_BLANK, "a name needs more than white space"),
                 AfterValidator(without_space_around)]
OrgName = Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a name needs more than white space"),
                    AfterValidator(without_space_around)]
NoteText = Annotated[str, Field(max_length=2000), Matches(NOT_BLANK, "a note needs more than white space"),
                     AfterValidator(without_space_around)]
Address = Annotated[str, Field(max_length=300), Matches(NOT_BLANK, "an address needs more than white space"),
                    AfterValidator(without_space_around)]
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Language = Literal["fr", "en", "es", "ar", "de", "it", "pt"]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Phone = Annotated[str, Field(
    min_length=1, max_length=MAX_PHONE_CHARS,
    description="A phone number as people write it, national (read in the caller's site's country) or "
                "international; a number of this shape that is no valid number is refused with 422.",
    json_schema_extra={"format": PHONE_FORMAT},
), Matches(PHONE_SHAPE, "not a valid phone number")]
Siret = Annotated[str, Field(pattern=r"^[0-9]{14}$", description=(
    "14 digits; one whose Luhn key is wrong is refused with 422 invalid-siret"))]
Rna = Annotated[str, Field(pattern=r"^W[0-9]{9}$", description="W and 9 digits")]

PartyId = Annotated[StrictInt, Field(ge=1, le=MAX_PARTY_ID), BeforeValidator(whole_number)]


class Consents(Body):
    """What the party agreed to be contacted by: text messages, e-mails, satisfaction surveys."""

    sms: StrictBool = False
    email: StrictBool = False
    surveys: StrictBool = False


class Contacts(Body):
    phones: list[Phone] | None = Field(default=None, max_length=5)  # null: none
    emails: list[EmailStr] | None = Field(default=None, max_length=5)
    address: Address | None = None
    consents: Consents = None  # type: ignore[assignment]
    tags: list[Tag] | None = Field(default=None, max_length=20)
    language: Language = None  # type: ignore[assignment]


class PersonBody(Contacts):
    kind: Literal["person"]
    first_name: Name
    last_name: Name
    birth_date: date | None = Field(None, description="not in the future, not before 1900 (422 invalid-birth-date)")


class AssociationBody(Contacts):
    kind: Literal["association"]
    name: OrgName
    rna: Rna | None = None
    activity: Activity = None  # type: ignore[assignment]


class CompanyBody(Contacts):
    kind: Literal["company"]
    name: OrgName
    siret: Siret | None = None
    activity: Activity = None  # type: ignore[assignment]


class PartyBody(RootModel[Annotated[PersonBody | AssociationBody | CompanyBody, Field(discriminator="kind")]]):
    """A new party: a person, an association or a company, told apart by ``kind``."""


class ChangeBody(Contacts):
    """Rectification: the fields given replace the party's (phones, e-mails, address as a whole)."""

    first_name: Name = None  # type: ignore[assignment]
    last_name: Name = None  # type: ignore[assignment]
    birth_date: date | None = None
    name: OrgName = None  # type: ignore[assignment]
    rna: Rna | None = None
    siret: Siret | None = None
    activity: Activity = None  # type: ignore[assignment]


class PartyNoteBody(Body):
    text: NoteText
    sector: Slug | None = Field(None, description="one of the author's sectors (422 otherwise); null: general")


class RelationBody(Body):
    party: PartyId = Field(description="the association or company")
    role: Literal[ROLES]  # type: ignore[valid-type]


class MergeBody(Body):
    into: PartyId = Field(description="the party that stays; this one's interactions and contacts move to it")


class SectorServiceBody(Body):
    site: Slug
    service: Slug


class SectorBody(Body):
    name: OrgName
    sealed: StrictBool = False
    services: list[SectorServiceBody] = Field(default_factory=list, max_length=200)
    members: list[Annotated[str, Field(min_length=1, max_length=200), Matches(NO_NUL, "no NUL character")]] = Field(
        default_factory=list, max_length=500)


def checked(fields: dict[str, Any]) -> dict[str, Any]:
    """What no schema states: a birth date in the past, a SIRET's key (``identifiers`` checks the rest)."""
    born = fields.get("birth_date")
    if born is not None and not date(1900, 1, 1) <= date.fromisoformat(born) <= datetime.now(UTC).date():
        raise invalid("birth_date", "A birth date is in the past, after 1900.", kind="invalid-birth-date")
    if fields.get("siret") and not stdnum_siret.is_valid(fields["siret"]):
        raise invalid("siret", "Not a valid SIRET: its last digit does not match the others.", kind="invalid-siret")
    return fields


def _number(raw: str) -> int | None:
    """A record's number in a path (ASCII digits, within SQL's integers), or ``None``: it names nothing."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_PARTY_ID else None


class CrmApi:
    def __init__(self, auth: Any, record: Record, regions: Any) -> None:
        self.auth, self.record, self.regions = auth, record, regions

    async def _staff(self, request: Request, rank: int) -> Staff:
        caller: Principal | Person = await self.auth.caller(request)
        tenant = request.path_params["tenant"]
        if caller.tenant_id != tenant:
            raise HTTPError(404, "No such collectivity.", "unknown-tenant")
        role, site, user_id = standing(caller)
        if rank_of(role) < rank:
            needed = {AGENTS: "staff", SUPERVISORS: "a supervisor or an administrator", ADMINS: "an administrator"}
            raise HTTPError(403, f"Only {needed[rank]} may do this.", "wrong-role")
        return Staff(tenant=tenant, actor=actor_of(caller), role=role, user_id=user_id,
                     address=client_address(request), region=await self.regions(tenant, site))

    @staticmethod
    def _party_id(request: Request) -> int:
        number = _number(request.path_params["party"])
        if number is None:
            raise HTTPError(404, "No such party.", "unknown-party")
        return number

    async def create(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        body = await parse_body(request, PartyBody)
        fields = checked(body.root.model_dump(exclude_unset=True, mode="json"))
        fields["kind"] = body.root.kind
        return json_response(await self.record.create(staff, fields), 201)

    async def search(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        raw = request.query_params.get("q", "")
        if len(raw) > MAX_QUERY:
            raise invalid("q", f"At most {MAX_QUERY} characters.")
        query = without_space_around(raw)
        if not query or "\x00" in query:
            raise invalid("q", "Type a name, a phone number, an e-mail address, a SIRET or an RNA number.")
        return json_response({"items": await self.record.find(staff, query)})

    async def read(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        return json_response(await self.record.read(staff, self._party_id(request)))

    async def change(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        party = self._party_id(request)
        body = await parse_body(request, ChangeBody)
        fields = checked(body.model_dump(exclude_unset=True, mode="json"))
        return json_response(await self.record.change(staff, party, fields))

    async def erase(self, request: Request) -> Response:
        staff = await self._staff(request, ADMINS)
        await self.record.erase(staff, self._party_id(request))
        return Response(status_code=204)

    async def note(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        party = self._party_id(request)
        body = await parse_body(request, PartyNoteBody)
        return json_response(await self.record.add_note(staff, party, body.text, body.sector), 201)

    async def relate(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        party = self._party_id(request)
        body = await parse_body(request, RelationBody)
        return json_response(await self.record.relate(staff, party, body.party, body.role), 201)

    async def export(self, request: Request) -> Response:
        staff = await self._staff(request, SUPERVISORS)
        party = self._party_id(request)
        document = await self.record.export(staff, party)
        response = json_response(document)
        response.headers["Content-Disposition"] = f'attachment; filename="party-{party}.json"'
        return response

    async def merge(self, request: Request) -> Response:
        staff = await self._staff(request, SUPERVISORS)
        party = self._party_id(request)
        body = await parse_body(request, MergeBody)
        return json_response(await self.record.merge(staff, party, body.into))

    async def duplicates(self, request: Request) -> Response:
        staff = await self._staff(request, SUPERVISORS)
        return json_response({"items": await self.record.duplicates(staff)})

    async def dismiss(self, request: Request) -> Response:
        staff = await self._staff(request, SUPERVISORS)
        number = _number(request.path_params["duplicate"])
        if number is None:
            raise HTTPError(404, "No such proposed duplicate.", "unknown-duplicate")
        await self.record.dismiss(staff, number)
        return Response(status_code=204)

    async def purges(self, request: Request) -> Response:
        staff = await self._staff(request, ADMINS)
        return json_response({"items": await self.record.purges(staff)})

    async def sectors(self, request: Request) -> Response:
        staff = await self._staff(request, AGENTS)
        return json_response({"items": await self.record.sectors(staff.tenant)})

    async def put_sector(self, request: Request) -> Response:
        staff = await self._staff(request, ADMINS)
        sector = request.path_params["sector"]
        if not SECTOR_ID.fullmatch(sector):
            raise HTTPError(404, f"No sector {sector!r}: ids are lower-case letters, digits and dashes.",
                            "unknown-sector")
        body = await parse_body(request, SectorBody)
        return json_response(await self.record.put_sector(
            staff, sector, body.name, body.sealed, [(s.site, s.service) for s in body.services], body.members))

    def routes(self) -> list[Route]:
        base = "/api/v1/tenants/{tenant}"
        party = base + "/parties/{party}"
        return [
            route(base + "/parties", post=self.create, get=self.search),
            route(party, get=self.read, patch=self.change, delete=self.erase),
            route(party + "/notes", post=self.note),
            route(party + "/relations", post=self.relate),
            route(party + "/export", get=self.export),
            route(party + "/merge", post=self.merge),
            route(base + "/duplicates", get=self.duplicates),
            route(base + "/duplicates/{duplicate}", delete=self.dismiss),
            route(base + "/purges", get=self.purges),
            route(base + "/sectors", get=self.sectors),
            route(base + "/sectors/{sector}", put=self.put_sector),
        ]

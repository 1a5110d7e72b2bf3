"""The knowledge base's endpoints (API.md "Knowledge base"), under ``/api/v1/tenants/{tenant}/kb/``: they parse, call
``KnowledgeBase`` and answer.

Who may do what: supervisors and administrators of the collectivity (or their tokens) write sheets, read their
history and what is due for review, and add local notes on partners' sheets; its agents read and search its
published sheets and its partners' shared ones; administrators name the partners; anyone (no credentials, or
another collectivity's staff) reads and searches the published public sheets, within a rate per address. A sheet a
caller may not read is a 404 like one that does not exist; so is another collectivity's path for writing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool
from starlette.requests import Request
from starlette.responses import Response

from queue_server.kb import rendering
from queue_server.kb.domain.diff import Piece
from queue_server.kb.domain.sheets import Reader
from queue_server.kb.errors import unknown_sheet, unknown_tenant
from queue_server.kb.service import Difference, Found, KnowledgeBase, Partners, Sheet, SheetIn, Who
from queue_server.kb.tables import LocalNote, SheetRow, SheetVersion
from queue_server.platform.sessions import Limits
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.web.auth import STAFF, SUPERVISORS, Authenticator, bearer
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
    plausible_id,
    rate_limit,
    route,
    without_space_around,
)

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
NOT_BLANK = rf"^[^\u0000]*{char_class(WHITE_SPACE + chr(0), negated=True)}[^\u0000]*$"
NO_NUL = r"^[^\u0000]*$"
MAX_BODY = 50_000  # characters of a sheet's Markdown
MAX_NOTE = 4_000
MAX_LINKS = 50
MAX_QUERY = 200  # characters of a search (``q``)
# A JSON body of MAX_BODY characters each written as a 6-byte escape, with the rest around it.
MAX_JSON_BYTES = 6 * MAX_BODY + 16 * 1024
READS_PER_MINUTE = 120  # anyone's reads and searches, per address

Title = Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a title needs more than white space"),
                  AfterValidator(without_space_around)]
Markdown = Annotated[str, Field(max_length=MAX_BODY), Matches(NO_NUL, "no NUL character")]
NoteText = Annotated[str, Field(max_length=MAX_NOTE), Matches(NOT_BLANK, "a note needs more than white space"),
                     AfterValidator(without_space_around)]
ServiceName = Annotated[str, Field(max_length=200), Matches(NOT_BLANK, "a name needs more than white space"),
                        AfterValidator(without_space_around)]
Slug = Annotated[str, Field(pattern=SLUG)]
Ids = Annotated[list[Slug], Field(max_length=MAX_LINKS)]


class SheetLinksBody(Body):
    services: Ids = Field(default_factory=list, description="ids of the queue's services the sheet is about")
    motifs: Ids = Field(default_factory=list, description="ids of booking's motifs the sheet is about")
    categories: Ids = Field(default_factory=list, description="ids of the request categories the sheet is about")


class SheetBody(Body):
    title: Title
    body: Markdown = Field(description="Markdown (CommonMark, tables); raw HTML is shown as text")
    audience: Literal["agents", "public"] = Field(description="public: read by anyone (the FAQ)")
    status: Literal["draft", "review", "published", "archived"] = Field(
        description="only published sheets are read by agents, partners and the public")
    shared: StrictBool = Field(description="read by the agents of partner collectivities too, once published")
    review_by: date | None = Field(None, description="when the sheet is to be reviewed (listed as due from that day)")
    owner_service: ServiceName | None = Field(None, description="the service that keeps it up to date")
    links: SheetLinksBody | None = Field(None, description="what the sheet is about, by id (free lists)")


class SheetNoteBody(Body):
    body: NoteText


class PartnersBody(Body):
    tenants: Annotated[list[Slug], Field(max_length=50, description=(
        "the collectivities this one shares its shared sheets with (each reads them once it names this one too); "
        "this one itself is refused with 422 self-partner"))]


class SheetPreviewBody(Body):
    body: Markdown


def iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def excerpt_text(found: Found) -> str:
    return "".join(span.text for span in found.excerpt)


def sheet_view(row: SheetRow, tenant_name: str, *, html: bool = True) -> dict[str, Any]:
    """A Sheet: what its readers read (its body as Markdown and as sanitised HTML)."""
    view: dict[str, Any] = {
        "id": row.id, "tenant": row.tenant_id, "tenant_name": tenant_name, "title": row.title, "body": row.body,
        "audience": row.audience, "status": row.status, "shared": row.shared,
        "review_by": row.review_by.isoformat() if row.review_by else None, "owner_service": row.owner_service,
        "links": {"services": list(row.services), "motifs": list(row.motifs), "categories": list(row.categories)},
        "version": row.version, "updated_at": iso(row.updated_at),
    }
    if html:
        view["html"] = rendering.html(row.body)
    return view


def note_view(row: LocalNote | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"body": row.body, "html": rendering.html(row.body), "updated_at": iso(row.updated_at),
            "updated_by": row.updated_by}


def read_view(sheet: Sheet, reader: Reader) -> dict[str, Any]:
    """The sheet as its reader reads it: who changed it last for its own collectivity's staff, a partner's sheet
    with the reader's local note (``note``, null when none) for a partner's staff; neither for anyone else."""
    view = sheet_view(sheet.row, sheet.tenant_name)
    if reader.tenant is not None and sheet.mine:
        view["updated_by"] = sheet.row.updated_by
    elif sheet.row.tenant_id in reader.partners:
        view["note"] = note_view(sheet.note)
    return view


def found_view(found: Found) -> dict[str, Any]:
    return {"id": found.id, "title": found.title, "excerpt": excerpt_text(found), "tenant": found.tenant,
            "tenant_name": found.tenant_name, "status": found.status, "audience": found.audience,
            "shared": found.shared, "partial": found.partial,
            "excerpt_spans": [{"text": span.text, "hit": span.hit} for span in found.excerpt]}


def version_view(row: SheetVersion, *, whole: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"number": row.number, "at": iso(row.at), "author": row.author, "title": row.title,
                            "status": row.status, "audience": row.audience, "shared": row.shared}
    if whole:
        view.update(body=row.body, review_by=row.review_by.isoformat() if row.review_by else None,
                    owner_service=row.owner_service,
                    links={"services": list(row.services), "motifs": list(row.motifs),
                           "categories": list(row.categories)})
    return view


def pieces_view(pieces: tuple[Piece, ...]) -> list[dict[str, str]]:
    return [{"kind": piece.kind, "text": piece.text} for piece in pieces]


def difference_view(found: Difference) -> dict[str, Any]:
    return {"from": version_view(found.old), "to": version_view(found.new), "title": pieces_view(found.title),
            "body": pieces_view(found.body)}


def partners_view(partners: Partners) -> dict[str, Any]:
    return {"tenants": partners.named, "mutual": partners.mutual}


def sheet_in(body: SheetBody) -> SheetIn:
    links = body.links or SheetLinksBody()
    return SheetIn(title=body.title, body=body.body, audience=body.audience, status=body.status, shared=body.shared,
                   review_by=body.review_by, owner_service=body.owner_service,
                   services=tuple(dict.fromkeys(links.services)), motifs=tuple(dict.fromkeys(links.motifs)),
                   categories=tuple(dict.fromkeys(links.categories)))


def roles_of(caller: Principal | Person) -> set[str]:
    return set(caller.roles.values()) if isinstance(caller, Person) else {caller.role}


class KbApi:
    def __init__(self, auth: Authenticator, kb: KnowledgeBase, limits: Limits) -> None:
        self.auth = auth
        self.kb = kb
        self.limits = limits

    def routes(self) -> list[Any]:
        base = "/api/v1/tenants/{tenant}/kb"
        one = base + "/sheets/{sheet}"
        return [
            route(base + "/sheets", post=self.create, get=self.listed),
            route(base + "/search", get=self.search),
            route(base + "/partners", put=self.set_partners, get=self.partners),
            route(base + "/review", get=self.review),
            route(base + "/preview", post=self.preview),
            route(one, put=self.change, get=self.read),
            route(one + "/versions", get=self.versions),
            route(one + "/versions/{version}", get=self.version),
            route(one + "/diff", get=self.diff),
            route(one + "/note", put=self.put_note, delete=self.remove_note),
        ]

    # Who asks --------------------------------------------------------------------------------------------

    async def _staff(self, request: Request, roles: frozenset[str] = STAFF) -> tuple[Principal | Person, str]:
        """Staff of the path's collectivity with one of ``roles`` (403 otherwise); 404 for another's."""
        caller = await self.auth.caller(request)
        tenant = str(request.path_params["tenant"])
        if caller.tenant_id != tenant:
            raise unknown_tenant()
        found = roles_of(caller)
        if not found & roles:
            allowed = ", ".join(sorted(roles))
            raise HTTPError(403, f"Only the collectivity's {allowed} may do this.", "wrong-role")
        return caller, tenant

    async def _reader(self, request: Request) -> tuple[Reader, Principal | Person | None, str]:
        """Who reads through the path's collectivity: its staff (editors: supervisors and administrators), or
        anyone (no credentials; another collectivity's staff; a device), counted against its address's rate."""
        tenant = str(request.path_params["tenant"])
        if not plausible_id(tenant):
            raise unknown_tenant()
        caller = None
        if bearer(request) is not None or "guichet_session" in request.cookies:
            caller = await self.auth.caller(request)
        if caller is not None and roles_of(caller) & STAFF:
            if caller.tenant_id != tenant:
                await self.kb.tenant_name(tenant)  # 404 for one that does not exist
            reader = await self.kb.reader(caller.tenant_id, editor=bool(roles_of(caller) & SUPERVISORS))
            return reader, caller, tenant
        await rate_limit(self.limits, f"kb-read:{client_address(request)}", READS_PER_MINUTE, "This address")
        await self.kb.tenant_name(tenant)
        return await self.kb.reader(None), None, tenant

    def _who(self, request: Request, caller: Principal | Person) -> Who:
        return Who(actor_of(caller), client_address(request))

    @staticmethod
    def _sheet_id(request: Request) -> str:
        sheet = str(request.path_params["sheet"])
        if not plausible_id(sheet):
            raise unknown_sheet()
        return sheet

    # Sheets ----------------------------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        caller, tenant = await self._staff(request, SUPERVISORS)
        body = await parse_body(request, SheetBody, limit=MAX_JSON_BYTES)
        row = await self.kb.create(tenant, sheet_in(body), self._who(request, caller))
        return json_response(read_view(Sheet(row, await self.kb.tenant_name(tenant)), Reader(tenant, True)), 201)

    async def change(self, request: Request) -> Response:
        caller, tenant = await self._staff(request, SUPERVISORS)
        sheet_id = self._sheet_id(request)
        body = await parse_body(request, SheetBody, limit=MAX_JSON_BYTES)
        row = await self.kb.update(tenant, sheet_id, sheet_in(body), self._who(request, caller))
        return json_response(read_view(Sheet(row, await self.kb.tenant_name(tenant)), Reader(tenant, True)))

    async def read(self, request: Request) -> Response:
        reader, _caller, tenant = await self._reader(request)
        sheet = await self.kb.read(reader, tenant, self._sheet_id(request))
        return json_response(read_view(sheet, reader))

    async def listed(self, request: Request) -> Response:
        reader, _caller, tenant = await self._reader(request)
        name = await self.kb.tenant_name(tenant)
        rows = await self.kb.listed(reader, tenant)
        return json_response({"items": [sheet_view(row, name, html=False) for row in rows]})

    async def search(self, request: Request) -> Response:
        reader, _caller, tenant = await self._reader(request)
        text = request.query_params.get("q", "")
        if len(text) > MAX_QUERY:
            raise HTTPError(422, f"q: {MAX_QUERY} characters at most.", "invalid-query",
                            extra={"errors": [{"field": "q", "message": "too long"}]})
        found = await self.kb.search(reader, tenant, text)
        return json_response({"items": [found_view(f) for f in found]})

    async def review(self, request: Request) -> Response:
        _caller, tenant = await self._staff(request, SUPERVISORS)
        name = await self.kb.tenant_name(tenant)
        return json_response({"items": [sheet_view(row, name, html=False) for row in await self.kb.to_review(tenant)]})

    async def preview(self, request: Request) -> Response:
        await self._staff(request, SUPERVISORS)
        body = await parse_body(request, SheetPreviewBody, limit=MAX_JSON_BYTES)
        return json_response({"html": rendering.html(body.body)})

    # History ---------------------------------------------------------------------------------------------

    async def versions(self, request: Request) -> Response:
        reader, caller, tenant = await self._reader(request)
        if caller is None:
            raise unknown_sheet()  # the history is its collectivity's staff's
        rows = await self.kb.versions(reader, tenant, self._sheet_id(request))
        return json_response({"items": [version_view(row) for row in rows]})

    async def version(self, request: Request) -> Response:
        reader, caller, tenant = await self._reader(request)
        if caller is None:
            raise unknown_sheet()
        number = _number(str(request.path_params["version"]), "version", 404)
        row = await self.kb.version(reader, tenant, self._sheet_id(request), number)
        return json_response(version_view(row, whole=True))

    async def diff(self, request: Request) -> Response:
        reader, caller, tenant = await self._reader(request)
        if caller is None:
            raise unknown_sheet()
        sheet_id = self._sheet_id(request)
        params = request.query_params
        old, new = (_number(params.get(name, ""), name, 422) for name in ("from", "to"))
        return json_response(difference_view(await self.kb.difference(reader, tenant, sheet_id, old, new)))

    # Partners and local notes ----------------------------------------------------------------------------

    async def partners(self, request: Request) -> Response:
        _caller, tenant = await self._staff(request, frozenset({"admin"}))
        return json_response(partners_view(await self.kb.partners(tenant)))

    async def set_partners(self, request: Request) -> Response:
        caller, tenant = await self._staff(request, frozenset({"admin"}))
        body = await parse_body(request, PartnersBody)
        return json_response(partners_view(await self.kb.set_partners(tenant, body.tenants,
                                                                      self._who(request, caller))))

    async def put_note(self, request: Request) -> Response:
        caller, tenant = await self._staff(request, SUPERVISORS)
        sheet_id = self._sheet_id(request)
        body = await parse_body(request, SheetNoteBody, limit=MAX_JSON_BYTES)
        reader = await self.kb.reader(tenant, editor=True)
        row = await self.kb.put_note(reader, sheet_id, body.body, self._who(request, caller))
        return json_response(note_view(row))

    async def remove_note(self, request: Request) -> Response:
        caller, tenant = await self._staff(request, SUPERVISORS)
        reader = await self.kb.reader(tenant, editor=True)
        await self.kb.remove_note(reader, self._sheet_id(request), self._who(request, caller))
        return Response(status_code=204)


def _number(raw: str, name: str, status: int) -> int:
    """A version's number as written in a path (404 otherwise) or a query (422 otherwise): 1 to 9 ASCII digits."""
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) < 10 and int(raw) > 0):
        if status == 404:
            raise HTTPError(404, f"{name}: no such version of this sheet.", "unknown-version")
        raise HTTPError(422, f"{name}: a version's number (1, 2…).", "invalid-query",
                        extra={"errors": [{"field": name, "message": "not a version's number"}]})
    return int(raw)

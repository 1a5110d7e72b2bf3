"""What every module's HTTP endpoints share: reading and validating bodies, JSON answers, one route per
path, who acts and from where.

Limits are stated here once: a body is refused beyond ``MAX_BODY_BYTES`` (413) before it is all read;
an id (site, ticket, counter) longer than ``MAX_ID_CHARS`` or not printable is unknown by definition.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, TypeVar
from urllib.parse import parse_qs

import orjson
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, RootModel, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.platform.sessions import Limits
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.web.errors import HTTPError

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 16 * 1024  # the largest real body (a next with 50 services) is under 4 KiB
MAX_ID_CHARS = 64

# A phone number as people type it: digits, spaces (also no-break ones), ( ) . / - between them, a leading "+"
# for an international number. The shape is all a pattern can say; whether it is a number (or a mobile one) is
# libphonenumber's answer (platform/phones.py, crm/identifiers.py).
MAX_PHONE_CHARS = 32
PHONE_SEPARATORS = r" \u00a0()./-"
PHONE_SHAPE = rf"^[ \u00a0]*\+?(?:[{PHONE_SEPARATORS}]*[0-9]){{4,20}}[{PHONE_SEPARATORS}]*$"

# White space, for texts people write (notes): one explicit set, the same for the schema's pattern and for the
# stripping. Python's str.isspace() and ECMA-262's \s (JSON Schema's patterns) each differ (\x1c-\x1f and \x85;
# \ufeff): this is both.
WHITE_SPACE = ("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000\ufeff")


def without_space_around(text: str) -> str:
    return text.strip(WHITE_SPACE)


ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
TYPED_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_day(raw: str, *, typed: bool = True) -> date | None:
    """A day as 1980-04-02, or with ``typed`` as people type it in a form (02/04/1980, 2.4.1980); ``None`` if it
    is none."""
    raw = raw.strip()
    iso = ISO_DAY.match(raw) if raw.isascii() else None
    found = TYPED_DAY.match(raw) if typed and raw.isascii() and iso is None else None
    if iso is not None:
        year, month, day = iso.groups()
    elif found is not None:
        day, month, year = found.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def typed_day(day: date) -> str:
    """A day as the forms show it: 02/04/1980."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def whole_number(value: Any) -> Any:
    """A body's integer as JSON Schema reads it: 2.0 is the integer 2; a string or a boolean is never one. Used as
    ``Annotated[StrictInt, Field(ge=1, le=9), BeforeValidator(whole_number)]`` (the constraints before it: so the
    document states them)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Matches:
    """A string constraint that the JSON Schema states and the server checks with one and the same ``pattern``;
    ``says`` is the error message (what a person typing the value can act on, not the pattern).

    ``pattern`` must mean the same in ECMA-262 (JSON Schema) and in Python's ``re``: plain character classes,
    ``\\uXXXX`` escapes, no ``\\s``, ``\\d``, ``\\w`` or ``\\b`` (they differ). Like JSON Schema's ``pattern``,
    it is searched for, not anchored; a final ``$`` is the end of the string (Python's ``$`` would also match
    before a final newline, ECMA-262's does not)."""

    def __init__(self, pattern: str, says: str) -> None:
        self.pattern, self.says = pattern, says
        self._regex = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)

    def _check(self, value: str) -> str:
        if self._regex.search(value) is None:
            raise PydanticCustomError("pattern_mismatch", self.says)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern}


def char_class(chars: str, *, negated: bool = False) -> str:
    """A regular expression's character class (ECMA-262 and Python alike) of ``chars``, or of every other
    character if ``negated``: each as ``\\uXXXX``, runs as ranges. Characters beyond U+FFFF have no such escape:
    refused."""
    points = sorted(set(map(ord, chars)))
    assert points[-1] <= 0xFFFF, chars
    runs: list[list[int]] = []
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ("[^" if negated else "[") + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "")
                                               for a, b in runs) + "]"


def actor_of(caller: Principal | Person) -> str:
    """Who acts, as the audit log names them."""
    return f"user:{caller.login}" if isinstance(caller, Person) else f"token:{caller.token_id}"


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy, name it in the environment variable FORWARDED_ALLOW_IPS
    so that this is the visitor's, from X-Forwarded-For, not the proxy's)."""
    return request.client.host if request.client else "unknown"


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def plausible_id(value: str) -> bool:
    """Whether ``value`` may name a site, ticket or counter: at most 64 printable characters.

    Anything else is unknown by definition, and must not reach SQL (PostgreSQL refuses a NUL in text).
    """
    return len(value) <= MAX_ID_CHARS and value.isprintable()


def _refused_beyond(request: Request, limit: int) -> HTTPError:
    """The 413 of a body beyond ``limit`` bytes, raised at once if the request says it is (Content-Length), and
    returned for whoever reads the body to raise when it goes past."""
    too_large = HTTPError(413, f"The body may not exceed {limit} bytes.", "body-too-large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    return too_large


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 beyond ``limit`` bytes (``MAX_BODY_BYTES``) before it is all read into memory."""
    too_large = _refused_beyond(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body_prefix(request: Request, keep: int, limit: int) -> tuple[bytes, bool]:
    """The body's first ``keep`` bytes, and whether it had more. The rest is read and dropped, so that a browser
    that sent a file too large gets the page that says so (it may not read an answer before it has sent its
    whole request); past ``limit`` bytes in all, a 413 instead."""
    too_large = _refused_beyond(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if size < keep:
            chunks.append(chunk[:keep - size])
        size += len(chunk)
        if size > limit:
            raise too_large
    return b"".join(chunks), size > keep


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with a form: its name on the person's computer, the type their browser gave it (a guess from
    the name: never trusted) and its bytes."""

    filename: str
    content_type: str
    data: bytes


def multipart_form(content_type: str, body: bytes, cut: bool = False,
                   max_parts: int = 20) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    """A ``multipart/form-data`` body's text fields (every value of each) and files (the first of each name).
    A body ``cut`` short (``read_body_prefix``) still gives the parts before the cut; the part it cuts is left
    out, and so is anything beyond ``max_parts`` parts. Not multipart at all: nothing."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}, {}
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    complete = list(message.iter_parts())
    if cut:  # its last part is cut too
        complete = complete[:-1]
    fields: dict[str, list[str]] = {}
    files: dict[str, Upload] = {}
    for part in complete[:max_parts]:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is not None:
            files.setdefault(name, Upload(filename, part.get_content_type(), payload))
        else:
            fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return fields, files


async def read_form(request: Request, max_fields: int = 20) -> dict[str, str]:
    """An HTML form's fields (first value of each); an unreadable body is an empty form."""
    try:
        fields = parse_qs((await read_body(request)).decode(), max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items()}


async def parse_body(request: Request, model: type[M], optional: bool = False, limit: int = MAX_BODY_BYTES) -> M:
    """The request's JSON body validated against ``model``: 400 if not JSON, 413 if beyond ``limit`` bytes,
    422 if invalid."""
    return parse_json(await read_body(request, limit), model, optional)


def parse_json(raw: bytes, model: type[M], optional: bool = False) -> M:
    """``raw`` (a JSON object: a body, a multipart form's ``data`` field) validated against ``model``: 400 if not
    JSON, 422 if invalid, naming each field at fault."""
    if not raw.strip():
        if optional:
            return model()
        raise HTTPError(400, "This request needs a JSON body.", "malformed-body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPError(400, f"The body is not valid JSON: {exc}.", "malformed-body") from exc
    if not isinstance(data, dict):
        raise HTTPError(400, "The body must be a JSON object.", "malformed-body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": _field_of(model, e), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        raise HTTPError(422, detail, "invalid-body", extra={"errors": errors}) from exc


def _field_of(model: type[BaseModel], error: Any) -> str:
    """The field an error is about, as the client named it. A root model's error about a member of its tagged
    union (``{"kind": "person", ...}``) names the member's tag first: that is no field of the body."""
    loc = list(error["loc"])
    if issubclass(model, RootModel):
        if str(error["type"]).startswith("union_tag"):
            return str(error.get("ctx", {}).get("discriminator", "")).strip("'") or "body"
        loc = loc[1:]
    return ".".join(str(p) for p in loc)


Endpoint = Callable[[Request], Awaitable[Response]]


def route(path: str, **by_method: Endpoint) -> Route:
    """One route for every method of ``path`` (``put=``, ``get=``...), each to its endpoint; HEAD goes to GET's.

    Starlette answers a method that a path does not take with a 405 whose Allow lists the methods of the first
    route matching the path: a path spread over several routes would name only some of its methods."""
    endpoints = {method.upper(): endpoint for method, endpoint in by_method.items()}
    if "GET" in endpoints:
        endpoints.setdefault("HEAD", endpoints["GET"])

    async def dispatch(request: Request) -> Response:
        return await endpoints[request.method](request)  # the Route let through only these methods

    return Route(path, dispatch, methods=list(endpoints), name=" ".join(e.__name__ for e in by_method.values()))


async def rate_limit(limits: Limits, name: str, per_minute: int, who: str) -> None:
    """Count one request against ``name``; 429 with Retry-After beyond ``per_minute`` a minute (0: no limit).
    ``who`` opens the refusal's sentence ("This address")."""
    if per_minute <= 0:
        return
    wait = await limits.hit(name, per_minute, 60)
    if wait is not None:
        raise HTTPError(429, f"{who} may make {per_minute} such requests a minute; try again in {wait} s.",
                        "rate-limited", {"Retry-After": str(wait)})

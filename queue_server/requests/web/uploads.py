"""A request sent as ``multipart/form-data``: its ``data`` field (the JSON of a request) and its files
``attachments``, read as the body streams in (python-multipart's push parser): each file is written to the spool
as it arrives and refused with 413 the moment it passes 10 MB, before the rest of the body is read; the whole body
is capped too (every file at its largest, and the form around them). Then each file's type is read from its first
bytes (``filetype``), never from its name or the type the browser gave: PDF, JPEG, PNG, ODT and DOCX only, any
other a 422 naming the file.

Whatever is refused, what was spooled is removed before the answer; the files accepted are the caller's to move
(``service.py``) or remove (``discard``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import filetype
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from queue_server.requests.domain import attachments
from queue_server.requests.errors import Refusal
from queue_server.requests.service import Incoming
from queue_server.web.errors import HTTPError

DATA_FIELD, FILES_FIELD = "data", "attachments"
MAX_DATA_BYTES = 128 * 1024  # the data field: the JSON of a request (a long letter is well under it)
FORM_MARGIN = 256 * 1024  # the parts' headers, boundaries, and fields we do not read
HEAD_BYTES = 8192  # what filetype reads of a file to tell its type


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    size: int = 0
    data: bytearray = field(default_factory=bytearray)
    head: bytearray = field(default_factory=bytearray)
    file: IO[bytes] | None = None
    path: Path | None = None
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)


@dataclass
class Form:
    """What was read: the ``data`` field's bytes and the files, spooled and typed."""

    data: bytes
    files: list[Incoming]
    fields: dict[str, str] = field(default_factory=dict)  # the plain fields asked for (``read_form(fields=)``)


def discard(files: list[Incoming]) -> None:
    """Remove spooled files (those still in the spool: the ones a request took were moved)."""
    for incoming in files:
        with contextlib.suppress(OSError):
            incoming.path.unlink(missing_ok=True)


def _refused_beyond(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, f"The body may not exceed {limit} bytes.", "body-too-large")


async def read_form(request: Request, spool: Path, fields: dict[str, str] | None = None) -> Form:
    """The form of ``request``: 400 when it is no multipart form, 413 for a file beyond 10 MB (naming it) or a
    body beyond what the files allowed and the form may hold, 422 for more files than allowed, a missing ``data``
    field or a file whose content is of no allowed type (naming it).

    ``fields``: an HTML form's plain fields to read as text (UTF-8), named by its keys, together at most as large
    as the ``data`` field may be; their values are filled in as they arrive, and stay filled when the form is
    refused (for the page to show what was typed again). A form read with ``fields`` needs no ``data`` field
    (the citizen pages' forms)."""
    wanted = fields if fields is not None else {}
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPError(400, "A multipart/form-data body with its boundary, or a JSON body.", "malformed-body")
    limit = attachments.MAX_FILES * attachments.MAX_BYTES + MAX_DATA_BYTES + FORM_MARGIN
    _refused_beyond(request, limit)
    parts: list[_Part] = []
    headers: dict[bytes, bytes] = {}
    header_field = bytearray()
    header_value = bytearray()
    problem: list[HTTPError | Refusal] = []

    def begin() -> None:
        headers.clear()
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def headers_done() -> None:
        part = parts[-1]
        _kind, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        raw_name = disposition.get(b"filename")
        part.filename = raw_name.decode("utf-8", "replace") if raw_name is not None else None
        # A file part without a name is what a browser sends for a file input left empty: no file.
        if part.name == FILES_FIELD and part.filename:
            count = sum(1 for p in parts if p.name == FILES_FIELD and p.filename)
            if count > attachments.MAX_FILES:
                problem.append(Refusal(422, f"At most {attachments.MAX_FILES} files may be attached.",
                                       "too-many-files", FILES_FIELD))
                return
            part.path = spool / f"{secrets.token_hex(16)}.part"
            part.file = part.path.open("wb")

    def on_data(data: bytes, start: int, end: int) -> None:
        part = parts[-1]
        chunk = data[start:end]
        part.size += len(chunk)
        if part.file is not None:
            if part.size > attachments.MAX_BYTES:
                index = sum(1 for p in parts if p.path is not None) - 1
                problem.append(Refusal(413, f"{part.filename!r} is larger than 10 MB: each file may be 10 MB at "
                                            "most.", "file-too-large", f"{FILES_FIELD}[{index}]"))
                return
            if len(part.head) < HEAD_BYTES:
                part.head.extend(chunk[:HEAD_BYTES - len(part.head)])
            part.digest.update(chunk)
            part.file.write(chunk)
        elif part.name == DATA_FIELD or (part.name in wanted and part.filename is None):
            if part.size > MAX_DATA_BYTES or sum(len(p.data) for p in parts) + len(chunk) > MAX_DATA_BYTES:
                problem.append(HTTPError(413, f"The data field may not exceed {MAX_DATA_BYTES} bytes.",
                                         "body-too-large"))
                return
            part.data.extend(chunk)

    def end_part() -> None:
        part = parts[-1]
        if part.name in wanted and part.filename is None:
            wanted[part.name] = bytes(part.data).decode("utf-8", "replace")
        if part.file is not None:
            part.file.close()
            part.file = None

    parser = MultipartParser(boundary, {
        "on_part_begin": begin, "on_part_data": on_data, "on_part_end": end_part,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": headers_done})
    total = 0
    try:
        try:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise HTTPError(413, f"The body may not exceed {limit} bytes.", "body-too-large")
                parser.write(chunk)
                if problem:
                    raise problem[0]
            parser.finalize()
        except MultipartParseError as exc:
            raise HTTPError(400, f"The multipart body is malformed: {exc}.", "malformed-body") from None
        if problem:
            raise problem[0]
        files = _typed([p for p in parts if p.path is not None])
        data = next((bytes(p.data) for p in parts if p.name == DATA_FIELD and p.filename is None), None)
        if fields is not None:
            return Form(data or b"", files, wanted)
        if data is None:
            raise HTTPError(422, "data: the request's fields, as JSON, in a form field named data.", "invalid-body",
                            extra={"errors": [{"field": DATA_FIELD, "message": "required"}]})
        return Form(data, files)
    except BaseException:
        for part in parts:
            if part.file is not None:
                part.file.close()
            if part.path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(part.path)
        raise


def _typed(parts: list[_Part]) -> list[Incoming]:
    """The spooled files with their types read from their content; a 422 naming the first of no allowed type."""
    out = []
    for index, part in enumerate(parts):
        assert part.path is not None
        kind = filetype.guess(bytes(part.head))
        media_type = kind.mime if kind is not None else None
        if not attachments.allowed(media_type):
            raise Refusal(422, f"{part.filename!r} is not a PDF, JPEG, PNG, ODT or DOCX file (its content says "
                               f"{media_type or 'an unknown type'}).", "file-type-refused",
                          f"{FILES_FIELD}[{index}]")
        assert media_type is not None
        out.append(Incoming(part.path, attachments.shown_name(part.filename or "", media_type), media_type,
                            part.size, part.digest.hexdigest()))
    return out

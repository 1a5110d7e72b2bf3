"""What may be attached to a request: PDF, JPEG, PNG, ODT and DOCX files, told by their content (the caller
reads the type from the first bytes: ``filetype``), 10 MB each at most, a few per request; and the name a file
is shown with (never used on disk)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

MAX_BYTES = 10 * 1024 * 1024  # each file
MAX_FILES = 5
MAX_NAME = 120
# Media type (as read from the content) -> the extension it is shown with.
ALLOWED: Mapping[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


def allowed(media_type: str | None) -> bool:
    """Whether a file whose content is of ``media_type`` (``None``: unknown) may be attached."""
    return media_type in ALLOWED


def shown_name(name: str, media_type: str) -> str:
    """The file's name as staff and the citizen see it: its last path part, without control characters, at most
    ``MAX_NAME`` characters, ending with the extension of its real type (``photo.exe`` that is a PNG:
    ``photo.exe.png``); ``document.pdf`` when nothing is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    extension = ALLOWED[media_type]
    if not base:
        base = "document"
    if not base.lower().endswith("." + extension) and not (extension == "jpg" and base.lower().endswith(".jpeg")):
        base = f"{base}.{extension}"
    if len(base) > MAX_NAME:
        base = base[:MAX_NAME - len(extension) - 1] + "." + extension
    return base

"""Why a request's rule said no: one exception, ``Refused``, whose ``kind`` the service maps to a status.

    Refused(kind)
    ├── "wrong-status"       the request's status does not allow that change              (HTTP 409)
    ├── "sender-incomplete"  the sender lacks what R112-9-1 asks for this channel           (HTTP 422)
    ├── "invalid-siren"      a company's SIREN is not 9 digits                              (HTTP 422)
    ├── "invalid-rna"        an association's RNA is not W and 9 digits                     (HTTP 422)
    ├── "file-type-refused"  an attachment is not a PDF, JPEG, PNG, ODT or DOCX by content   (HTTP 422)
    ├── "incomplete-category" a category lacks a mention its acknowledgement must state      (HTTP 422)
    ├── "invalid-receipt-date" a letter's date of receipt is in the future, too old, or not a letter's (HTTP 422)
    ├── "merge-into-itself"  a request named as its own duplicate                           (HTTP 409)
    ├── "incomplete-template" a reply template without a title or a text                    (HTTP 422)
    └── "unknown-placeholder" a reply template names a {placeholder} nobody fills           (HTTP 422)

``field`` names the body's field at fault (``person.email``, ``attachments[1]``); ``detail`` is an English
sentence for developers and logs.
"""

from __future__ import annotations

from typing import Literal

RefusalKind = Literal["wrong-status", "sender-incomplete", "invalid-siren", "invalid-rna", "file-type-refused",
                      "incomplete-category", "invalid-receipt-date", "merge-into-itself", "incomplete-template",
                      "unknown-placeholder"]


class Refused(Exception):
    """A requests rule says no; ``kind`` says which rule, ``field`` what is at fault, ``detail`` why."""

    def __init__(self, kind: RefusalKind, field: str, detail: str) -> None:
        super().__init__(detail)
        self.kind: RefusalKind = kind
        self.field = field
        self.detail = detail

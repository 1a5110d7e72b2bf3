"""The rules of handling a request once it is in: when it is late, what a reply template may say, and which
requests may be merged or transmitted.

- **Overdue**: a request not closed whose due date (``due.py``, business days) is before today on the site's
  clock. How late is counted in calendar days (what a supervisor reads as "5 days late").
- **Reply templates**: a title that is more than white space and a text whose ``{placeholders}`` are the ones
  this module fills (``PLACEHOLDERS``). A brace that is not around a known name (``{{``, a lone ``}``, ``{ x }``)
  is text, left as written: templates are written by staff, and a stray brace must never break a page.
- **Merging** a duplicate into the request that is kept: both open, two different requests, the kept one not a
  duplicate itself (the chain would send the citizen from one reference to the next).
- **Transmitting** (CRPA L114-2): an open request only; once transmitted or merged, a request stays closed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from queue_server.requests.domain.errors import Refused

PLACEHOLDERS: tuple[str, ...] = ("name", "reference", "subject", "service", "due", "agent")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHITE = " \t\r\n\u00a0\u202f"


# Overdue -------------------------------------------------------------------------------------------------


def days_late(status: str, due_on: date, today: date) -> int:
    """Calendar days ``today`` is past ``due_on`` for a request not closed; 0 when it is on time or closed."""
    if status == "closed" or today <= due_on:
        return 0
    return (today - due_on).days


# Reply templates -----------------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    """The names between braces in ``text`` that look like placeholders (``{name}``), in order, repeated."""
    return _PLACEHOLDER.findall(text)


def check_template(title: str, body: str) -> None:
    """Refuses (``Refused``) a template without a title or text, or naming a placeholder this module does not
    fill: ``incomplete-template`` naming ``title`` or ``body``; ``unknown-placeholder`` naming ``body`` (or
    ``title``)."""
    for name, value in (("title", title), ("body", body)):
        if not value.strip(WHITE):
            raise Refused("incomplete-template", name, f"a template's {name} needs more than white space")
    for name, value in (("title", title), ("body", body)):
        unknown = [p for p in placeholders(value) if p not in PLACEHOLDERS]
        if unknown:
            raise Refused("unknown-placeholder", name, f"{{{unknown[0]}}} is no placeholder; use one of "
                          + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{placeholder}`` that ``values`` names replaced; anything else left as written."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), text)


# Merging and transmitting --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules read of a request: its id, status, and whether it was merged into another."""

    id: str
    status: str
    merged: bool = False


def check_merge(duplicate: Standing, kept: Standing) -> None:
    """Refuses merging ``duplicate`` into ``kept``: into itself (``merge-into-itself``), or when either is
    closed, or ``kept`` is itself a duplicate (``wrong-status``); each naming ``into`` (or ``status``, the
    duplicate's own)."""
    if duplicate.id == kept.id:
        raise Refused("merge-into-itself", "into", "a request cannot be merged into itself")
    if duplicate.status == "closed":
        raise Refused("wrong-status", "status", "a closed request is merged no more; reopen it first")
    if kept.merged:
        raise Refused("wrong-status", "into", "that request is a duplicate merged into another; name that one")
    if kept.status == "closed":
        raise Refused("wrong-status", "into", "a closed request takes no duplicate; reopen it first")


def check_open(status: str) -> None:
    """Refuses (``wrong-status``) transmitting a closed request."""
    if status == "closed":
        raise Refused("wrong-status", "status", "a closed request is transmitted no more; reopen it first")


def check_reopen(merged: bool, transmitted: bool) -> None:
    """Refuses (``wrong-status``) reopening a request merged into another or transmitted elsewhere: its citizen
    was told to follow another request."""
    if merged or transmitted:
        raise Refused("wrong-status", "status", "a request merged or transmitted elsewhere stays closed")

"""What an acknowledgement of receipt must state (CRPA L112-11, R112-11-1, R112-11-2), per category.

R112-11-1: the date of receipt; the service in charge, with its postal or e-mail address and its phone number;
and, when the request can lead to an implicit decision, whether that decision is an acceptance or a rejection
and the date on which it occurs if the file is complete. R112-11-2: for an implicit rejection, the appeal routes
and their deadlines; for an implicit acceptance, the right to ask for an attestation (L232-3). A category holds
these mentions (``Mentions``); ``missing`` names what a category lacks, ``facts`` computes what one
acknowledgement says.

Limits: the delay before an implicit decision is counted in months and days from the date of receipt, as most
texts state it (two months, L231-1); a delay that runs from another event (a complete file received later) is the
agent's to tell in a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from queue_server.requests.domain.due import add_months
from queue_server.requests.domain.errors import Refused

Implicit = Literal["none", "acceptance", "rejection"]
IMPLICIT: tuple[Implicit, ...] = ("none", "acceptance", "rejection")


@dataclass(frozen=True, slots=True)
class ServiceContact:
    """The service in charge of a category: its name, postal address, e-mail address and phone."""

    name: str
    address: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Mentions:
    """A category's legal mentions: whether silence makes an implicit decision (``implicit``), after how long
    (``delay_months`` then ``delay_days``), and the appeal routes and their deadlines (``appeal``: the text
    a citizen reads; for an implicit rejection it is required)."""

    implicit: Implicit = "none"
    delay_months: int = 0
    delay_days: int = 0
    appeal: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    """What one acknowledgement states: the date of receipt, the service, the implicit decision (its kind and
    date, ``None`` when the category leads to none), the appeal routes, and whether the citizen may ask for an
    attestation of implicit acceptance."""

    received_on: date
    service: ServiceContact
    implicit: Implicit
    implicit_on: date | None
    appeal: str
    attestation: bool


def missing(service: ServiceContact, mentions: Mentions) -> list[tuple[str, str]]:
    """(field, why) for each mention the category lacks; empty when its acknowledgements say all R112-11-1 and
    R112-11-2 ask."""
    out: list[tuple[str, str]] = []
    if not service.name.strip():
        out.append(("service.name", "the service in charge is named"))
    if not (service.address.strip() or service.email.strip()):
        out.append(("service.address", "the service has a postal or an e-mail address"))
    if not service.phone.strip():
        out.append(("service.phone", "the service has a phone number"))
    if mentions.implicit not in IMPLICIT:
        out.append(("implicit", f"one of {', '.join(IMPLICIT)}"))
    elif mentions.implicit != "none" and mentions.delay_months <= 0 and mentions.delay_days <= 0:
        out.append(("delay", "an implicit decision occurs after a delay"))
    if mentions.delay_months < 0 or mentions.delay_days < 0:
        out.append(("delay", "a delay is not negative"))
    if mentions.implicit == "rejection" and not mentions.appeal.strip():
        out.append(("appeal", "an implicit rejection states the appeal routes and their deadlines"))
    return out


def check(service: ServiceContact, mentions: Mentions) -> None:
    """Raises ``Refused("incomplete-category")`` naming the first mention the category lacks."""
    lacking = missing(service, mentions)
    if lacking:
        field, why = lacking[0]
        raise Refused("incomplete-category", field, why)


def facts(received_on: date, service: ServiceContact, mentions: Mentions) -> Facts:
    """What the acknowledgement of a request received on ``received_on`` (the site's local day) states."""
    implicit_on = None
    if mentions.implicit != "none":
        implicit_on = add_months(received_on, mentions.delay_months) + timedelta(days=mentions.delay_days)
    return Facts(received_on=received_on, service=service, implicit=mentions.implicit, implicit_on=implicit_on,
                 appeal=mentions.appeal, attestation=mentions.implicit == "acceptance")

"""Who writes: what identifies a sender (CRPA R112-9-1) by channel, and an organisation's number.

A person gives their first and last names; by e-mail or the website (an electronic request) their e-mail
address, to which the acknowledgement and the answers go; by post their postal address, to which they go. An
organisation writing is identified by its number: a company by its SIREN (9 digits), an association by its RNA
number (``W`` and 9 digits), never both. The SIREN's Luhn key is checked by the caller (python-stdnum, which this
pure module does not import): here only its shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from queue_server.requests.domain.errors import Refused

Channel = Literal["web", "email", "postal", "phone", "counter"]
CHANNELS: tuple[Channel, ...] = ("web", "email", "postal", "phone", "counter")
STAFF_CHANNELS: tuple[Channel, ...] = ("postal", "phone", "counter")
ELECTRONIC: tuple[Channel, ...] = ("web", "email")
SIREN = re.compile(r"[0-9]{9}")
RNA = re.compile(r"W[0-9]{9}")


@dataclass(frozen=True, slots=True)
class Sender:
    first_name: str
    last_name: str
    email: str = ""
    address: str = ""
    organisation: str = ""
    siren: str = ""
    rna: str = ""


def check(sender: Sender, channel: Channel) -> None:
    """Raises ``Refused`` naming the first field that R112-9-1 asks of ``sender`` on ``channel`` and that is
    missing or ill-formed (the fields as API.md names them: ``person.email``, ``organisation.siren``...)."""
    for field, value in (("person.first_name", sender.first_name), ("person.last_name", sender.last_name)):
        if not value.strip():
            raise Refused("sender-incomplete", field, "a sender gives their first and last names")
    if channel in ELECTRONIC and not sender.email.strip():
        raise Refused("sender-incomplete", "person.email", "an electronic request gives an e-mail address")
    if channel == "postal" and not sender.address.strip():
        raise Refused("sender-incomplete", "person.address", "a letter gives the sender's postal address")
    if channel not in ELECTRONIC and not (sender.email.strip() or sender.address.strip()):
        raise Refused("sender-incomplete", "person.email", "an answer needs an e-mail or a postal address")
    if sender.siren and sender.rna:
        raise Refused("sender-incomplete", "organisation", "an organisation is a company (SIREN) or an "
                                                           "association (RNA), not both")
    if (sender.siren or sender.rna) and not sender.organisation.strip():
        raise Refused("sender-incomplete", "organisation.name", "an organisation gives its name")
    if sender.siren and not SIREN.fullmatch(sender.siren):
        raise Refused("invalid-siren", "organisation.siren", "a SIREN is 9 digits")
    if sender.rna and not RNA.fullmatch(sender.rna):
        raise Refused("invalid-rna", "organisation.rna", "an RNA number is W and 9 digits")
    if sender.organisation.strip() and not (sender.siren or sender.rna):
        raise Refused("sender-incomplete", "organisation", "an organisation gives its SIREN (a company) or its "
                                                           "RNA number (an association)")

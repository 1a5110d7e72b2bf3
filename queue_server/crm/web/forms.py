"""The citizen record's HTML forms: what a form sent, made into the fields the JSON API takes and checked by the
very same models (``api.PartyBody``, ``api.ChangeBody``, ``api.checked``), so that a page accepts and refuses
exactly what the API does; each refusal in words, named by the form's own field (a phone number typed in the
second box is ``phone-1``, whatever the boxes left empty before it).

Nothing here saves anything: the pages call ``Record`` with what these functions return."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.requests import Request

from queue_server.crm import identifiers
from queue_server.crm.domain.text import fold
from queue_server.crm.service import ROLES
from queue_server.crm.web.api import SECTOR_ID, ChangeBody, PartyBody, checked
from queue_server.crm.web.words import KINDS, readable_phone
from queue_server.platform.errors import PlatformError
from queue_server.web.http import parse_day, read_body, typed_day, without_space_around

Gettext = Callable[[str], str]
Form = dict[str, list[str]]
Values = dict[str, Any]
MAX_FIELDS = 60
MOST_PHONES = MOST_EMAILS = 5  # as the API takes
PERSON = ("first_name", "last_name", "birth_date")
ORGANISATION = ("name", "rna", "siret", "activity")
MAX_NOTE = 2000


async def read(request: Request, most: int = MAX_FIELDS) -> Form:
    """A form's fields with every value of each (the consents' boxes share a name); unreadable (or more than
    ``most`` fields): empty."""
    try:
        form = parse_qs((await read_body(request)).decode(), keep_blank_values=True, max_num_fields=most)
    except (UnicodeDecodeError, ValueError):
        return {}
    # No browser sends a NUL, which SQL (PostgreSQL) refuses in text; a textarea's line ends become "\n".
    return {name: [v.replace("\x00", "").replace("\r\n", "\n") for v in values] for name, values in form.items()}


def one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


@dataclass
class Problems:
    """Each field's mistake in words, by the form's field name, in the form's order of discovery."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)


class Refused(Exception):
    def __init__(self, problems: Problems) -> None:
        super().__init__(", ".join(problems.fields))
        self.problems = problems


# The party forms: new (/crm/new) and rectification (/crm/{id}/edit) -------------------------------------------

def slots(count: int, most: int) -> int:
    """How many boxes a list (phones, e-mails) gets: those held and one more, two at least."""
    return min(most, max(2, count + 1))


def party_values(view: Mapping[str, Any]) -> Values:
    """A party's fields as its rectification form shows them."""
    values: Values = {"kind": view["kind"]}
    for name in (*PERSON, *ORGANISATION):
        value = view.get(name)
        values[name] = shown_day(value) if name == "birth_date" and value else value or ""
    for i, phone in enumerate(view.get("phones") or []):
        values[f"phone-{i}"] = readable_phone(phone)
    for i, email in enumerate(view.get("emails") or []):
        values[f"email-{i}"] = email
    values["address"] = view.get("address") or ""
    values["language"] = view.get("language") or "fr"
    values["tags"] = ", ".join(view.get("tags") or [])
    values["consent"] = [k for k, v in (view.get("consents") or {}).items() if v]
    values["phones"] = slots(len(view.get("phones") or []), MOST_PHONES)
    values["emails"] = slots(len(view.get("emails") or []), MOST_EMAILS)
    return values


def sent_values(form: Form, held: Values | None = None) -> Values:
    """What a refused party form shows again: what was typed."""
    values: Values = {name: one(form, name)[:500] for name in (
        "kind", *PERSON, *ORGANISATION, "address", "language", "tags")}
    values["consent"] = [c for c in form.get("consent", []) if c in ("sms", "email", "surveys")]
    for prefix, most in (("phone", MOST_PHONES), ("email", MOST_EMAILS)):
        for i in range(most):
            values[f"{prefix}-{i}"] = one(form, f"{prefix}-{i}")[:500]
        sent = max((i + 1 for i in range(most) if f"{prefix}-{i}" in form), default=0)
        values[prefix + "s"] = max(sent, (held or {}).get(prefix + "s", 2))
    if held is not None:
        values["kind"] = held["kind"]
    return values


def shown_day(iso: str) -> str:
    """A day kept as 1980-04-02 as the forms show it: 02/04/1980."""
    return typed_day(date.fromisoformat(iso))


def labels(_: Gettext) -> dict[str, str]:
    """Each field's name, as the error summary names it."""
    names = {"kind": _("Kind of record"), "first_name": _("First name"), "last_name": _("Last name"),
             "birth_date": _("Birth date"), "name": _("Name of the association or company"),
             "rna": _("RNA number"), "siret": _("SIRET number"), "activity": _("Activity"),
             "address": _("Postal address"), "language": _("Preferred language"), "tags": _("Tags"),
             "consent": _("Consents"), "text": _("Note"), "sector": _("Sector"),
             "party": _("Association or company"), "role": _("Role"), "q": _("Search")}
    for i in range(MOST_PHONES):
        names[f"phone-{i}"] = _("Phone") if i == 0 else _("Phone {number}").format(number=i + 1)
    for i in range(MOST_EMAILS):
        names[f"email-{i}"] = _("E-mail") if i == 0 else _("E-mail {number}").format(number=i + 1)
    return names


def _messages(_: Gettext) -> dict[str, str]:
    """What a field's mistake says, by field (or list) name."""
    return {
        "kind": _("Choose what the record is about: a person, an association or a company."),
        "first_name": _("Enter the first name."),
        "last_name": _("Enter the last name."),
        "name": _("Enter the name."),
        "birth_date": _("Write the birth date as day/month/year, for example 02/04/1980."),
        "phones": _("This is not a valid phone number: write it as 06 12 34 56 78 or +33 6 12 34 56 78."),
        "emails": _("This is not a valid e-mail address: write it as name@example.fr."),
        "rna": _("An RNA number is W followed by 9 digits, for example W751234567."),
        "siret": _("A SIRET number is 14 digits, for example 732 829 320 00074."),
        "language": _("Choose a language from the list."),
        "tags": _("Up to 20 tags of 40 characters at most, separated by commas."),
        "address": _("Enter the postal address on one line."),
        "activity": _("Describe the activity in a few words."),
    }


def _kind_messages(_: Gettext) -> dict[str, str]:
    """What the service's own refusals say, by their kind."""
    return {"invalid-birth-date": _("A birth date is in the past, after 1900."),
            "invalid-siret": _("This SIRET number is not valid: its last digit does not match the others. "
                               "Check it.")}


def _too_long(_: Gettext, most: int) -> str:
    return _("At most {count} characters.").format(count=most)


def party_fields(form: Form, _: Gettext, region: str,
                 kind: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields of a new party (``kind`` None: the form's) or of a rectification of a party of ``kind`` (phone
    numbers read in ``region``), as
    ``Record.create`` / ``Record.change`` take them, and where each list item came from (``phones.0`` ->
    ``phone-1``); or ``Refused`` with every mistake found."""
    problems = Problems()
    new = kind is None
    if kind is None:
        kind = one(form, "kind")
        if kind not in KINDS:
            problems.add("kind", _messages(_)["kind"])
            raise Refused(problems)
    body: dict[str, Any] = {"kind": kind} if new else {}

    def text(name: str) -> str:
        return without_space_around(one(form, name))

    if kind == "person":
        body["first_name"], body["last_name"] = text("first_name"), text("last_name")
        raw_day = text("birth_date")
        born = parse_day(raw_day) if raw_day else None
        if raw_day and born is None:
            problems.add("birth_date", _messages(_)["birth_date"])
        elif born is not None or not new:
            body["birth_date"] = born.isoformat() if born else None
    else:
        body["name"] = text("name")
        number_field = "rna" if kind == "association" else "siret"
        number = "".join(text(number_field).split()).upper()
        if number or not new:
            body[number_field] = number or None
        if text("activity") or not new:
            body["activity"] = text("activity")
    where: dict[str, str] = {}
    for plural, prefix, most in (("phones", "phone", MOST_PHONES), ("emails", "email", MOST_EMAILS)):
        items: list[str] = []
        for i in range(most):
            value = text(f"{prefix}-{i}")
            if value:
                where[f"{plural}.{len(items)}"] = f"{prefix}-{i}"
                items.append(value)
        if items or not new:
            body[plural] = items
    address = text("address")
    if address or not new:
        body["address"] = address or None
    language = one(form, "language") or "fr"
    body["language"] = language
    tags = [fold(t).replace(" ", "-") for t in re.split(r"[,;]", text("tags"))]
    tags = list(dict.fromkeys(t for t in tags if t))
    if tags or not new:
        body["tags"] = tags
    chosen = set(form.get("consent", []))
    body["consents"] = {"sms": "sms" in chosen, "email": "email" in chosen, "surveys": "surveys" in chosen}
    # What only the server tells, said with the rest: a number of the right shape that is none, a birth date
    # to come, a SIRET's key (the service and ``checked`` decide again on what is sent).
    for i, raw in enumerate(body.get("phones") or []):
        if identifiers.phone_or_none(raw, region) is None:
            problems.add(where[f"phones.{i}"], _messages(_)["phones"])
    for name in ("birth_date", "siret"):
        if body.get(name) and (name != "siret" or re.fullmatch(r"[0-9]{14}", body[name])):
            try:
                checked({name: body[name]})
            except PlatformError as exc:
                problems.add(name, _kind_messages(_).get(exc.kind) or _messages(_)[name])
    try:
        model = PartyBody.model_validate(body) if new else ChangeBody.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]][1 if new else 0:]
            if loc and loc[0] in ("phones", "emails"):
                target = where.get(".".join(loc[:2]), loc[0][:-1] + "-0")
            else:
                target = loc[0] if loc else "kind"
            problems.add(target, _message(loc, error, _))
    if problems.fields:
        raise Refused(problems)
    dumped = (model.root.model_dump(exclude_unset=True, mode="json") if isinstance(model, PartyBody)
              else model.model_dump(exclude_unset=True, mode="json"))
    try:
        fields = checked(dumped)
    except PlatformError as exc:
        raise Refused(refusal(exc, where, _)) from exc
    if new:
        fields["kind"] = kind
    return fields, where


def _message(loc: Sequence[str], error: Any, _: Gettext) -> str:
    name = loc[0] if loc else "kind"
    if error["type"] == "string_too_long" and name not in ("phones", "emails", "rna", "siret"):
        return _too_long(_, int(error.get("ctx", {}).get("max_length", 0)))
    return _messages(_).get(name, _("This value is not accepted."))


def refusal(exc: PlatformError, where: Mapping[str, str], _: Gettext) -> Problems:
    """A refusal of the service (a phone number that is none, a SIRET's key) named by the form's field."""
    problems = Problems()
    name = exc.field
    plural = name.split(".")[0]
    message = _kind_messages(_).get(exc.kind) or _messages(_).get(plural) or _("This value is not accepted.")
    problems.add(where.get(name, plural), message)
    return problems


# A note, a relation --------------------------------------------------------------------------------------------

def note(form: Form, sectors: Sequence[str], _: Gettext) -> tuple[str, str | None]:
    """The note's text and sector (one of the author's, ``None``: general); or ``Refused``."""
    problems = Problems()
    text = without_space_around(one(form, "text"))
    sector = one(form, "sector") or None
    if not text:
        problems.add("text", _("Write the note."))
    elif len(text) > MAX_NOTE:
        problems.add("text", _too_long(_, MAX_NOTE))
    if sector is not None and sector not in sectors:
        problems.add("sector", _("Choose one of your sectors, or General."))
    if problems.fields:
        raise Refused(problems)
    return text, sector


def relation(form: Form, _: Gettext) -> tuple[int, str]:
    """The association or company chosen and the person's role in it; or ``Refused``."""
    problems = Problems()
    raw, role = one(form, "party"), one(form, "role")
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 2**31 - 1):
        problems.add("party", _("Choose an association or a company."))
    if role not in ROLES:
        problems.add("role", _("Choose a role."))
    if problems.fields:
        raise Refused(problems)
    return int(raw), role


# The sectors' form (/crm/sectors) ------------------------------------------------------------------------------

MAX_SECTOR_NAME = 200  # as the API takes
MAX_SECTOR_FIELDS = 800  # the API takes 200 services and 500 members


@dataclass(frozen=True, slots=True)
class SectorFields:
    id: str
    name: str
    sealed: bool
    services: list[tuple[str, str]]  # (site, service)
    members: list[str]  # logins


def sector_values(form: Form) -> Values:
    """What was sent, to show again: the id, the name, the box and the ticked services and people."""
    return {"id": one(form, "id")[:100], "name": one(form, "name")[:MAX_SECTOR_NAME * 2],
            "sealed": one(form, "sealed") == "1", "services": form.get("service", []),
            "members": form.get("member", [])}


def sector(form: Form, *, services: Collection[str], people: Collection[str], taken: Collection[str],
           _: Gettext) -> SectorFields:
    """The sector sent: its id (new: not one of ``taken``), name, sealed box, services (each "site/service",
    one of ``services``) and members (logins, of ``people``); or ``Refused``."""
    problems = Problems()
    new = one(form, "new") == "1"
    sector_id = one(form, "id").strip().lower() if new else one(form, "id")
    name = without_space_around(one(form, "name"))
    if not SECTOR_ID.fullmatch(sector_id):
        problems.add("id", _("Use lower-case letters, digits and dashes only (64 at most), for example: etat-civil."))
    elif new and sector_id in taken:
        problems.add("id", _("A sector already has this identifier: choose another one, or change that sector."))
    elif not new and sector_id not in taken:
        problems.add("id", _("This sector no longer exists: create it again."))
    if not name:
        problems.add("name", _("Give the sector a name."))
    elif len(name) > MAX_SECTOR_NAME:
        problems.add("name", _too_long(_, MAX_SECTOR_NAME))
    chosen = list(dict.fromkeys(form.get("service", [])))
    if any(value not in services for value in chosen):
        problems.add("services", _("Choose among the services listed."))
    members = list(dict.fromkeys(form.get("member", [])))
    if any(login not in people for login in members):
        problems.add("members", _("Choose among the people listed."))
    if problems.fields:
        raise Refused(problems)
    pairs = [(site, service) for site, _sep, service in (value.partition("/") for value in chosen)]
    return SectorFields(sector_id, name, one(form, "sealed") == "1", pairs, members)

"""What the citizen record's pages say, in the reader's language: kinds of party and of interaction, roles,
why two records look like one, dates on the collectivity's clock (Babel), phone numbers and e-mail addresses
masked in lists (enough to tell two namesakes apart), a timeline's entries in words.

Every function that says something takes the page's ``_`` (gettext)."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton

Gettext = Callable[[str], str]
LANGUAGE_CODES = ("fr", "en", "es", "ar", "de", "it", "pt")  # a party's preferred language (the API's)
KINDS = ("person", "association", "company")
# Countries whose numbers are written nationally as 0 and nine digits (metropolitan France and its
# overseas departments): their numbers are shown as 06 •• •• 56 78, others by their last four digits.
FRENCH_PLAN = ("+33", "+262", "+269", "+590", "+594", "+596")


def kind_labels(_: Gettext) -> dict[str, str]:
    return {"person": _("Person"), "association": _("Association"), "company": _("Company")}


def entry_labels(_: Gettext) -> dict[str, str]:
    """The kinds of a timeline's entries."""
    return {"visit": _("Visit"), "appointment": _("Appointment"), "request": _("Request"),
            "message": _("Message"), "call": _("Phone call"), "note": _("Note"), "survey": _("Survey")}


def role_labels(_: Gettext) -> dict[str, str]:
    """A person's role in an association or a company (``service.ROLES``)."""
    return {"president": _("President"), "treasurer": _("Treasurer"), "secretary": _("Secretary"),
            "member": _("Member"), "manager": _("Manager"), "employee": _("Employee"), "contact": _("Contact person")}


def reason_labels(_: Gettext) -> dict[str, str]:
    """Why two records look like one (``domain/duplicates.py``)."""
    return {"phone": _("same phone number"), "email": _("same e-mail address"),
            "name-and-birth-date": _("close name and same birth date"), "identifier": _("same identifier"),
            "name": _("close name")}


def consent_labels(_: Gettext) -> dict[str, str]:
    return {"sms": _("Text messages"), "email": _("E-mails"), "surveys": _("Satisfaction surveys")}


def language_names(lang: str) -> dict[str, str]:
    """A party's possible languages, named in the page's language ("anglais")."""
    names = Locale.parse(lang).languages
    return {code: names.get(code, code) for code in LANGUAGE_CODES}


# Dates --------------------------------------------------------------------------------------------------

def day(iso: str | None, lang: str) -> str:
    """A calendar day (a birth date) in words: ``2 avril 1980``."""
    if not iso:
        return ""
    return format_date(date.fromisoformat(iso), "long", locale=lang)


def moment(iso: str, zone: ZoneInfo, lang: str, _: Gettext) -> str:
    """``12 mars 2026 à 14:05`` on the collectivity's clock."""
    local = datetime.fromisoformat(iso).astimezone(zone)
    return _("{date} at {time}").format(date=format_date(local, "long", locale=lang),
                                        time=format_skeleton("Hm", local, locale=lang))


def local_day(iso: str, zone: ZoneInfo, lang: str, today: date | None = None) -> str:
    """The day of a moment on the collectivity's clock: ``12 mars`` this year, ``12 mars 2025`` before."""
    local = datetime.fromisoformat(iso).astimezone(zone)
    if today is not None and local.year == today.year:
        return format_skeleton("MMMMd", local, locale=lang)
    return format_date(local, "long", locale=lang)


def retention(days: int, t: gettext.NullTranslations) -> str:
    """How long a record is kept (``[crm] retention_days``): "2 years after the last contact"."""
    if days % 365 == 0:
        return t.ngettext("%(num)d year after the last contact", "%(num)d years after the last contact",
                          days // 365) % {"num": days // 365}
    return t.ngettext("%(num)d day after the last contact", "%(num)d days after the last contact", days) % {"num": days}


# Contacts, masked in lists ------------------------------------------------------------------------------

def masked_phone(e164: str) -> str:
    """``+33612345678`` as ``06 •• •• 56 78``; a number of another country as ``•• •• 56 78`` (its last
    four digits). ``static/crm/crm.js`` masks the same way."""
    digits = e164[1:] if e164.startswith("+") else e164
    plan = next((p for p in FRENCH_PLAN if e164.startswith(p)), None)
    if plan is not None and len(e164) - len(plan) == 9:
        national = "0" + e164[len(plan):]
        return f"{national[:2]} •• •• {national[6:8]} {national[8:10]}"
    return f"•• •• {digits[-4:-2]} {digits[-2:]}"


def readable_phone(e164: str) -> str:
    """``+33612345678`` as ``06 12 34 56 78``; a number of another country as stored (E.164)."""
    plan = next((p for p in FRENCH_PLAN if e164.startswith(p)), None)
    if plan is None or len(e164) - len(plan) != 9:
        return e164
    national = "0" + e164[len(plan):]
    return " ".join(national[i:i + 2] for i in range(0, 10, 2))


def masked_email(address: str) -> str:
    """``anne.lefevre@example.fr`` as ``a•••@example.fr``."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "•••"
    return f"{local[:1]}•••@{domain}"


# What a party is, in a few words ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    """A party as a list shows it (search, duplicates): enough to tell two namesakes apart."""

    id: int
    name: str
    kind: str
    kind_label: str
    identity: str  # "Born on 2 April 1980", "SIRET 732 829 320 00074", "RNA W751234567" or ""
    phones: list[str]  # masked
    emails: list[str]  # masked
    last: str  # the day of the last interaction
    last_iso: str


def spaced_siret(siret: str) -> str:
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if len(siret) == 14 else siret


def identity(party: Mapping[str, Any], lang: str, _: Gettext) -> str:
    if party["kind"] == "person":
        born = party.get("birth_date")
        return _("Born on {date}").format(date=day(born, lang)) if born else ""
    if party.get("siret"):
        return _("SIRET {number}").format(number=spaced_siret(party["siret"]))
    if party.get("rna"):
        return _("RNA {number}").format(number=party["rna"])
    if party.get("siren"):
        return _("SIREN {number}").format(number=party["siren"])
    return ""


def item(party: Mapping[str, Any], zone: ZoneInfo, lang: str, _: Gettext, today: date) -> Item:
    return Item(id=party["id"], name=party["display_name"], kind=party["kind"],
                kind_label=kind_labels(_).get(party["kind"], party["kind"]), identity=identity(party, lang, _),
                phones=[masked_phone(p) for p in party.get("phones") or []],
                emails=[masked_email(e) for e in party.get("emails") or []],
                last=local_day(party["last_interaction_at"], zone, lang, today) if party.get(
                    "last_interaction_at") else "",
                last_iso=party.get("last_interaction_at") or "")


# A timeline -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Event:
    """An entry of a timeline as the card shows it."""

    id: int
    kind: str  # for its icon
    label: str  # "Visite"
    when: str  # "12 mars 2026 à 14:05"
    iso: str
    where: str  # "Urbanisme" (the service, with its site when the collectivity has several), or ""
    sector: str  # the sector's name, or ""
    summary: str
    author: str  # a note's author (their login, or a staff token in words), or ""
    outline: str  # for an entry of another sector: "Visite au service Urbanisme le 12 mars", else ""
    detail: list[str]  # what made it and "key: value" lines (the export page shows them)
    link: str = ""  # where what made it is shown (a request's page: /demandes/{id}), or ""


def events(timeline: list[dict[str, Any]], *, services: Mapping[tuple[str, str], str], several_sites: bool,
           site_names: Mapping[str, str], sectors: Mapping[str, str], zone: ZoneInfo, lang: str, _: Gettext,
           today: date) -> list[Event]:
    labels = entry_labels(_)
    out = []
    for entry in timeline:
        label = labels.get(entry["kind"], entry["kind"])
        site, service = entry.get("site"), entry.get("service")
        where = services.get((site or "", service or ""), service or "") if service else ""
        if where and several_sites and site:
            where = f"{where} ({site_names.get(site, site)})"
        sector = sectors.get(entry.get("sector") or "", entry.get("sector") or "")
        outline = ""
        if entry.get("outline"):
            on = local_day(entry["at"], zone, lang, today)
            if where:
                outline = _("{kind} at the {service} service on {date}").format(kind=label, service=where, date=on)
            elif sector:
                outline = _("{kind} in the {sector} sector on {date}").format(kind=label, sector=sector, date=on)
            else:
                outline = _("{kind} on {date}").format(kind=label, date=on)
        author = entry.get("author") or ""
        if author.startswith("token:"):
            author = _("staff token no. {number}").format(number=author.removeprefix("token:"))
        detail = [f"{k}: {v}" for k, v in (entry.get("detail") or {}).items()]
        if entry.get("ref"):
            detail.insert(0, _("source: {ref}").format(ref=entry["ref"]))
        link = (entry.get("detail") or {}).get("link")
        out.append(Event(id=entry["id"], kind=entry["kind"], label=label, when=moment(entry["at"], zone, lang, _),
                         iso=entry["at"], where=where, sector=sector, summary=entry.get("summary") or "",
                         author=author.removeprefix("user:"), outline=outline,
                         detail=detail, link=str(link) if _own_page(link) else ""))
    return out


def _own_page(link: Any) -> bool:
    """Whether an entry's ``link`` is a page of this server (a path: never another site, never a script)."""
    return isinstance(link, str) and link.startswith("/") and not link.startswith("//") and "\\" not in link

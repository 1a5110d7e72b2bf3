"""What the administrators' pages say, in the reader's language: roles and kinds of device in words,
dates on a site's clock, and the audit log's entries made readable (who by name, what in words, a
configuration's change as "field: before → after" lines). Also the audit log's filters as a query
string gives them, shared by the page and the JSON and CSV exports.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from babel.dates import format_date, format_skeleton, get_day_names

from queue_server.db.tables import ApiToken, AuditEntry
from queue_server.platform.audit import Clocks, Filters, Names, Page, token_id
from queue_server.platform.calendar import WEEKDAYS
from queue_server.platform.devices import DEVICE_ROLES
from queue_server.web.http import parse_day, typed_day

Gettext = Callable[[str], str]
FILTER_FIELDS = ("from", "to", "site", "who", "action")  # the query string's names, in the form's order
DETAIL_LINES = 12  # a configuration change shows this many lines at most, then "and N more changes"


# The filters -------------------------------------------------------------------------------------------

def parse_filters(params: Mapping[str, str], *, typed: bool = False) -> tuple[Filters, dict[str, str]]:
    """The filters of a query string: ``from`` and ``to`` (days, both included: 2026-07-01, or as people type
    them with ``typed``, 01/07/2026 too), ``site``, ``who`` (as the log names them: ``user:anne``) and
    ``action``; an empty value is no filter (but for a day, where only the page's form may leave it empty).
    The mistaken days by field (``"date"``), which filter nothing."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = params.get(name)
        if typed and raw is not None:
            raw = raw.strip() or None
        days[name] = parse_day(raw, typed=typed) if raw is not None else None
        if raw is not None and days[name] is None:
            errors[name] = "date"

    def text(name: str, most: int) -> str | None:
        # What no entry can hold (a control character: PostgreSQL refuses a NUL) is left out.
        value = "".join(ch for ch in params.get(name, "") if ch.isprintable()).strip()
        return value[:most] if value else None

    return Filters(site=text("site", 64), actor=text("who", 200), action=text("action", 64), first_day=days["from"],
                   last_day=days["to"]), errors


def period_mistake(filters: Filters) -> bool:
    """The period ends before it starts."""
    return filters.first_day is not None and filters.last_day is not None and filters.last_day < filters.first_day


def filter_values(params: Mapping[str, str], filters: Filters) -> dict[str, str]:
    """The filters as the form shows them again: days as 01/07/2026, or as typed when mistaken."""
    values = {name: params.get(name, "").strip()[:200] for name in FILTER_FIELDS}
    for name, day in (("from", filters.first_day), ("to", filters.last_day)):
        if day is not None:
            values[name] = typed_day(day)
    return values


def filter_query(filters: Filters) -> dict[str, str]:
    """The filters as a query string gives them (the page's links, the CSV's)."""
    query = {"from": filters.first_day.isoformat() if filters.first_day else "",
             "to": filters.last_day.isoformat() if filters.last_day else "", "site": filters.site or "",
             "who": filters.actor or "", "action": filters.action or ""}
    return {name: value for name, value in query.items() if value}


# Words -------------------------------------------------------------------------------------------------

def action_labels(_: Gettext) -> dict[str, str]:
    """Every action of the log (``audit.ACTIONS``) in words; an action not named here shows as written."""
    return {
        "login": _("Sign-in"),
        "login.failed": _("Failed sign-in"),
        "login.locked": _("Sign-in refused: login locked"),
        "logout": _("Sign-out"),
        "pairing.created": _("Pairing code created"),
        "device.paired": _("Device paired"),
        "token.created": _("Token created"),
        "token.revoked": _("Device revoked"),
        "user.created": _("Person added"),
        "user.password": _("Password changed"),
        "user.disabled": _("Account disabled"),
        "user.enabled": _("Account enabled"),
        "user.roles": _("Roles changed"),
        "config.site": _("Configuration changed: settings"),
        "config.hours": _("Configuration changed: opening hours"),
        "config.service": _("Configuration changed: service"),
        "config.service.delete": _("Service removed"),
        "config.counter": _("Configuration changed: counter"),
        "config.counter.delete": _("Counter removed"),
        "config.import": _("Configuration imported"),
        "site.logo": _("Logo changed"),
        "tenant.origins": _("Websites of the collectivity changed"),
        "note.read": _("Note on a ticket read"),
        "config.motif": _("Configuration changed: appointment motif"),
        "appointment.booked": _("Appointment booked"),
        "appointment.moved": _("Appointment moved"),
        "appointment.cancelled": _("Appointment cancelled"),
        "appointment.agenda": _("Day's appointments read"),
        "booking.purged": _("Old appointments purged"),
        "config.remote_tickets": _("Configuration changed: tickets from home"),
        "display.message": _("Hall display: idle message changed"),
        "display.image": _("Hall display: image added to the slideshow"),
        "display.image-removed": _("Hall display: image removed from the slideshow"),
        "config.request-category": _("Configuration changed: request category"),
        "request.created": _("Request filed"),
        "request.message": _("Message written on a request"),
        "request.status": _("Request status changed"),
        "request.read": _("Request read"),
        "request.file": _("Request attachment downloaded"),
        "request.category": _("Request moved to another category"),
        "request.acknowledged": _("Acknowledgement of receipt of a request sent"),
        "request.printed": _("Acknowledgement of receipt of a request printed"),
        "config.phone-reasons": _("Configuration changed: reasons for calls"),
        "phone.call": _("Phone call logged"),
        "phone.call.read": _("Phone call read"),
        "phone.calls.read": _("A person's phone calls read"),
        "phone.callback": _("Callback done"),
        "phone.purged": _("Old phone calls purged"),
    }


def role_labels(_: Gettext) -> dict[str, str]:
    """People's roles in words."""
    return {"agent": _("Agent"), "supervisor": _("Supervisor"), "admin": _("Administrator")}


def kind_labels(_: Gettext) -> dict[str, str]:
    """What a token is for, by its role: kiosks and displays are paired; the others are made with
    ``queue-server token create`` for a counter terminal or an integration."""
    return {"kiosk": _("Kiosk"), "display": _("Hall display"), "agent": _("Agent token"),
            "supervisor": _("Supervisor token"), "admin": _("Administrator token")}


def describe_role(site: str | None, role: str, _: Gettext) -> str:
    """``demo: Agent``; a tenant-wide administrator ``Administrator of every site``."""
    label = role_labels(_).get(role, role)
    if site is None:
        return _("Administrator of every site") if role == "admin" else _("{site}: {role}").format(
            site=_("every site"), role=label)
    return _("{site}: {role}").format(site=site, role=label)


def when(at: datetime, zone: ZoneInfo, lang: str, _: Gettext) -> str:
    """``6 déc. 2026 à 14:05`` on ``zone``'s clock."""
    local = at.astimezone(zone)
    return _("{date} at {time}").format(date=format_date(local, "medium", locale=lang),
                                        time=format_skeleton("Hm", local, locale=lang))


def day(at: datetime, zone: ZoneInfo, lang: str) -> str:
    """``6 déc. 2026`` on ``zone``'s clock."""
    return format_date(at.astimezone(zone), "medium", locale=lang)


# Devices -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A token of a site as the admin page lists it."""

    id: int
    site: str
    role: str
    kind: str  # its role in words
    name: str
    paired: str  # the day it was paired (or made)
    revoked: str  # the day it was revoked, or ""
    connection: str  # "online", "offline", "never" (never connected), "" (not watched: no kiosk or display)
    since: str  # offline since when, if known


def device_rows(tokens: Sequence[ApiToken], seen: Mapping[str, Mapping[int, tuple[bool, float]]], clocks: Clocks,
                lang: str, _: Gettext) -> list[DeviceRow]:
    """``tokens`` in words, with their connection from ``seen`` (``Presence.status`` by site)."""
    kinds = kind_labels(_)
    out = []
    for token in tokens:
        zone = clocks.of(token.site_id)
        connection, since = "", ""
        if token.role in DEVICE_ROLES and token.revoked_at is None:
            online, at = seen.get(token.site_id, {}).get(token.id or 0, (False, 0.0))
            connection = "online" if online else "offline" if at else "never"
            if not online and at:
                since = when(datetime.fromtimestamp(at, UTC), zone, lang, _)
        out.append(DeviceRow(id=token.id or 0, site=token.site_id, role=token.role,
                             kind=kinds.get(token.role, token.role), name=token.name,
                             paired=day(token.created_at, zone, lang),
                             revoked=day(token.revoked_at, zone, lang) if token.revoked_at else "",
                             connection=connection, since=since))
    return out


# The audit log's entries -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """An entry as the page shows it."""

    id: int
    when: str
    iso: str  # the moment, for <time datetime>
    site: str
    who: str
    who_detail: str  # the person's login, the kind of device; or ""
    what: str
    target: str
    address: str
    detail: list[str]  # lines
    more: str  # "and 3 more changes" when lines were left out, else ""


def rows(page: Page, lang: str, translations: gettext.NullTranslations) -> list[Row]:
    _ = translations.gettext
    actions = action_labels(_)
    out = []
    for entry in page.rows:
        who, who_detail = _who(entry.actor, page.names, _)
        lines, more = _detail(entry, page.names, lang, _)
        out.append(Row(id=entry.id or 0, when=when(entry.at, page.clocks.of(entry.site_id), lang, _),
                       iso=entry.at.isoformat(), site=entry.site_id or "", who=who, who_detail=who_detail,
                       what=actions.get(entry.action, entry.action), target=_target(entry, page.names, _),
                       address=entry.address, detail=lines,
                       more=translations.ngettext("and %(num)d more change", "and %(num)d more changes", more)
                       % {"num": more} if more else ""))
    return out


def _who(actor: str, names: Names, _: Gettext) -> tuple[str, str]:
    if actor.startswith("user:"):
        login = actor.removeprefix("user:")
        name = names.people.get(login)
        return (name, login) if name else (login, "")
    number = token_id(actor)
    if number is not None:
        return _token(number, names, _)
    if actor == "cli":
        return _("command line"), ""
    if actor == "anonymous":
        return _("someone not signed in"), ""
    return actor, ""


def _token(number: int, names: Names, _: Gettext) -> tuple[str, str]:
    role, name = names.tokens.get(number, ("", ""))
    kind = kind_labels(_).get(role, role)
    if name:
        return name, kind
    return _("Device no. {id}").format(id=number), kind


def _target(entry: AuditEntry, names: Names, _: Gettext) -> str:
    target = entry.target
    number = token_id(target)
    if number is not None:
        name, kind = _token(number, names, _)
        return f"{name} ({kind})" if kind else name
    if entry.action in ("login.failed", "login.locked") or entry.action.startswith("user."):
        person = names.people.get(target)
        return f"{person} ({target})" if person and person != target else target
    if target.startswith("ticket:"):
        return _("ticket {number}").format(number=target.removeprefix("ticket:"))
    if entry.action == "pairing.created":
        return kind_labels(_).get(target, target)
    return target


def _detail(entry: AuditEntry, names: Names, lang: str, _: Gettext) -> tuple[list[str], int]:
    detail = entry.detail
    if not detail:
        return [], 0
    if entry.action.startswith("config."):
        lines = _changes(detail, lang, _)
        if lines is not None:
            return lines[:DETAIL_LINES], max(0, len(lines) - DETAIL_LINES)
    if entry.action in ("user.created", "user.roles"):
        return [_roles(detail, _)], 0
    if entry.action in ("device.paired", "token.created", "token.revoked"):
        number = token_id(entry.target)
        if number is not None and number in names.tokens:
            return [], 0  # the target names the device already
        role, _space, name = detail.partition(" ")
        kind = kind_labels(_).get(role)
        if kind is not None:
            return [f"{kind} — {name}" if name else kind], 0
    if entry.action == "site.logo" and detail == "removed":
        return [_("removed")], 0
    return [detail], 0


def _roles(detail: str, _: Gettext) -> str:
    """``demo:supervisor, *:admin`` (as ``users.describe_roles`` writes it) in words."""
    described = []
    for part in detail.split(", "):
        site, colon, role = part.rpartition(":")
        if not colon or role not in role_labels(_):
            return detail
        described.append(describe_role(None if site == "*" else site, role, _))
    return ", ".join(described)


def _changes(detail: str, lang: str, _: Gettext) -> list[str] | None:
    """A configuration change (``{"services.urbanisme": {"before": …, "after": …}}``, or for a new site
    ``{"before": null, "after": …}``) as ``field: before → after`` lines; ``None`` if it is not one."""
    try:
        data = orjson.loads(detail)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if set(data) == {"before", "after"}:
        data = {"site": data}
    lines = []
    for key, change in data.items():
        if not isinstance(change, dict) or set(change) != {"before", "after"}:
            return None
        before, after = _flat(change["before"]), _flat(change["after"])
        for path in list(dict.fromkeys([*before, *after])):
            old, new = before.get(path), after.get(path)
            if old != new:
                lines.append(_("{field}: {before} → {after}").format(
                    field=_field(key, path, lang, _), before=_value(old, _), after=_value(new, _)))
    return lines


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if prefix else ({} if value is None else {"": value})


def _field(section: str, path: str, lang: str, _: Gettext) -> str:
    """``Service urbanisme, Name`` for ``services.urbanisme`` and ``name``."""
    kind, _dot, item = section.partition(".")
    where = {"site": _("Settings"), "hours": _("Opening hours")}.get(kind, "")
    if kind in ("services", "counters"):
        where = (_("Service") if kind == "services" else _("Counter")) + " " + item
    elif not where:
        where = section
    whole = _paths(_)
    if path in whole:
        return f"{where}, {whole[path]}"
    names = _field_names(_)
    names_of_days = get_day_names("wide", locale=lang)  # 0: Monday
    days = {day: str(names_of_days[number]) for number, day in enumerate(WEEKDAYS)}
    words = [names.get(part, days.get(part, part)) for part in path.split(".") if part and part != "weekly"]
    return ", ".join([where, *words]) if words else where


def _paths(_: Gettext) -> dict[str, str]:
    return {"kiosk.languages": _("Languages of the kiosks"),
            "kiosk.idle_s": _("Kiosk back to its start after (seconds)")}


def _field_names(_: Gettext) -> dict[str, str]:
    return {
        "name": _("Name"), "address": _("Postal address"), "timezone": _("Time zone"),
        "languages": _("Languages of the spoken calls"), "colours": _("Colours"), "logo": _("Logo"),
        "kiosk": _("Kiosk"), "closures": _("Closures"), "public_holidays": _("Public holidays"),
        "prefix": _("Prefix"), "description": _("Description"), "icon": _("Pictogram"),
        "priority": _("Priority tickets"), "daily_cap": _("Tickets per day"),
        "sms_ahead": _("Text message when this many people are ahead"),
        "alert_wait_s": _("Alert the supervisors after (seconds)"), "ticket_message": _("Printed on the ticket"),
        "default_duration_s": _("Usual length of a visit (seconds)"), "hours": _("Hours"),
        "services": _("Services"),
    }


def _value(value: Any, _: Gettext) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_item(item) for item in value)
    return str(value)


def _item(value: Any) -> str:
    """An item of a list: a range of hours ``08:30–12:00``, a closure ``2026-08-03 2026-08-07 Inventaire``."""
    if isinstance(value, list):
        return "–".join(_item(v) for v in value)
    if isinstance(value, dict):
        return " ".join(_item(v) for v in value.values() if v not in (None, ""))
    return str(value)

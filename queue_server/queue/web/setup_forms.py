"""The setup pages' forms (``setup_page.py``): what each form says, read into the bodies ``Configuration``
takes, with every mistake named next to its field in the page's language; and what the forms show
(the values of a site's configuration as the fields hold them, dates and days in words).

The rules are ``Configuration``'s (``queue/configuration.py``, ``platform/calendar.py``): they are checked
here first only to say what is wrong in the person's language and in their words (a field, a day of the
week); what still gets past is refused there, and the page says it too (``refusal``).

Field names are the ids of the page's elements: ``svc-prefix``, ``hrs-mon-0-start``… A form's problems
are keyed by the field (or the group of fields: ``hrs-mon``, ``set-languages``) they are shown next to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, get_day_names

from queue_server.platform.calendar import WEEKDAYS, regions
from queue_server.platform.errors import PlatformError
from queue_server.platform.sites import MAX_LOGO_BYTES, MAX_LOGO_SIDE_PX, BadLogo
from queue_server.platform.territories import PHONE_REGIONS
from queue_server.queue.configuration import COLOUR, COUNTER_ID, LANGUAGES, PREFIX, SERVICE_ID, SITE_ID
from queue_server.queue.domain.config import ICONS, MAX_OUTCOME_CHARS, MAX_OUTCOMES
from queue_server.web.http import Upload

Gettext = Callable[[str], str]
Form = Mapping[str, list[str]]  # a form's fields as sent, each with every value it was given
Values = dict[str, Any]  # a form's fields as shown: a text, or a list of the boxes ticked


def _(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


# What each language is called in itself (the boxes of the languages announced and of the kiosk).
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "es": "Español", "ar": "العربية"}
ICON_NAMES = {"default": _("Generic"), "family": _("Family"), "passport": _("Passport"),
              "house": _("House (housing, town planning)"), "id": _("Identity card"), "car": _("Car")}
REGION_NAMES = {
    "FR": _("Metropolitan France"), "FR-57": _("Moselle"), "FR-67": _("Bas-Rhin"), "FR-68": _("Haut-Rhin"),
    "FR-971": _("Guadeloupe"), "FR-972": _("Martinique"), "FR-973": _("French Guiana"), "FR-974": _("Réunion"),
    "FR-976": _("Mayotte"), "FR-BL": _("Saint Barthélemy"), "FR-MF": _("Saint Martin"),
    "FR-NC": _("New Caledonia"), "FR-PF": _("French Polynesia"), "FR-PM": _("Saint Pierre and Miquelon"),
    "FR-TF": _("French Southern and Antarctic Lands"), "FR-WF": _("Wallis and Futuna"),
}
# The time zones of France first, then every other one by its name.
FRENCH_ZONES = (
    ("Europe/Paris", _("Metropolitan France")), ("America/Guadeloupe", _("Guadeloupe")),
    ("America/Martinique", _("Martinique")), ("America/Cayenne", _("French Guiana")),
    ("Indian/Reunion", _("Réunion")), ("Indian/Mayotte", _("Mayotte")),
    ("America/St_Barthelemy", _("Saint Barthélemy")), ("America/Marigot", _("Saint Martin")),
    ("America/Miquelon", _("Saint Pierre and Miquelon")), ("Pacific/Noumea", _("New Caledonia")),
    ("Pacific/Tahiti", _("French Polynesia")), ("Pacific/Wallis", _("Wallis and Futuna")),
    ("Indian/Kerguelen", _("French Southern and Antarctic Lands")),
)
TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)(:00)?$")
WHOLE = re.compile(r"^\d{1,6}$")
MAX_LOGO_FORM_BYTES = MAX_LOGO_BYTES + 16 * 1024  # the logo's form: the file, the CSRF token, the parts' headers
MAX_RANGES = 8  # ranges a day may have in a form (two are shown; more only when a site already has them)
SERVICE_DEFAULTS: Values = {"svc-id": "", "svc-name": "", "svc-prefix": "", "svc-description": "",
                            "svc-icon": "default", "svc-priority": ["on"], "svc-daily-cap": "", "svc-sms-ahead": "3",
                            "svc-alert-wait": "20", "svc-ticket-message": "", "svc-hours-mode": "site",
                            "svc-outcomes": ""}
# The fields of each form that are groups of boxes (a list, empty when none is ticked).
GROUPS = {"settings": ("set-languages", "set-kiosk-languages"), "service": ("svc-priority",),
          "counter": ("ctr-services",)}


class Problems:
    """A form's mistakes: the field (or group) each is shown next to, its message, and the element the
    error summary's link leads to (the field itself, or the first of its group)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.anchors: dict[str, str] = {}

    def add(self, key: str, message: str, anchor: str = "") -> None:
        if key not in self.fields:  # the first mistake of a field is the one to fix first
            self.fields[key] = message
            self.anchors[key] = anchor or key

    def summary(self) -> list[tuple[str, str]]:
        return [(self.anchors[key], message) for key, message in self.fields.items()]

    def __bool__(self) -> bool:
        return bool(self.fields)


class Refused(Exception):
    """The form cannot be saved as it is; ``problems`` say why, field by field."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(", ".join(problems.fields))
        self.problems = problems


def one(form: Form, key: str) -> str:
    return form.get(key, [""])[0].strip()


def submitted(form: Form, name: str) -> Values:
    """What the person sent in form ``name``, as the fields show it again (their own words, kept on error)."""
    values: Values = {key: vals[0] if vals else "" for key, vals in form.items() if key != "csrf"}
    for group in GROUPS.get(name, ()):
        values[group] = list(form.get(group, []))
    return values


# Reading a form --------------------------------------------------------------------------------------------

def slug(text: str) -> str:
    """``"État civil"`` → ``"etat-civil"``: an id made of a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:64].strip("-")


def _text(form: Form, key: str, limit: int, problems: Problems, _: Gettext, required: str = "") -> str:
    value = " ".join(one(form, key).split())
    if required and not value:
        problems.add(key, required)
    elif len(value) > limit:
        problems.add(key, _("At most {limit} characters.").format(limit=limit))
    return value


def _whole(form: Form, key: str, low: int, high: int, problems: Problems, _: Gettext,
           empty_ok: bool = False) -> int | None:
    text = one(form, key)
    if not text and empty_ok:
        return None
    if WHOLE.match(text) and low <= int(text) <= high:
        return int(text)
    if empty_ok:
        problems.add(key, _("A whole number from {low} to {high}, or empty for no limit.").format(low=low, high=high))
    else:
        problems.add(key, _("A whole number from {low} to {high}.").format(low=low, high=high))
    return None


def _choices(form: Form, key: str, allowed: Sequence[str], problems: Problems, _: Gettext, message: str) -> list[str]:
    chosen = [v for v in form.get(key, []) if v]
    if not chosen or any(v not in allowed for v in chosen):
        problems.add(key, message, f"{key}-{allowed[0]}")
    return [v for v in allowed if v in chosen]  # in the page's order, each once


def known_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in zone


def _zone(form: Form, key: str, problems: Problems, _: Gettext) -> str:
    zone = one(form, key)
    if not known_zone(zone):
        problems.add(key, _("Unknown time zone: choose one from the list."))
    return zone


def clock_text(text: str) -> str | None:
    """A time as a person or a browser writes it (``08:30``, ``8h30``) as ``HH:MM``; ``None`` if it is none."""
    found = TIME.match(text.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def week(form: Form, prefix: str, problems: Problems, _: Gettext, day_names: Mapping[str, str]
         ) -> dict[str, list[list[str]]]:
    """The weekly hours of the grid ``prefix`` (``hrs``, ``svc``): ``{"mon": [["08:30", "12:00"]], …}``; a
    range left empty is none; a range ending at 23:59 runs until midnight (24:00)."""
    out: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        row = f"{prefix}-{day}"
        name = capital(day_names[day])  # each message starts with the day
        spans: list[tuple[int, int, str, str]] = []
        for i in range(MAX_RANGES):
            start_key, end_key = f"{row}-{i}-start", f"{row}-{i}-end"
            if start_key not in form and end_key not in form:
                break
            raw_start, raw_end = one(form, start_key), one(form, end_key)
            if not raw_start and not raw_end:
                continue
            if not raw_start or not raw_end:
                problems.add(row, _("{day}: give both the opening and the closing time of each range, or leave "
                                    "both empty.").format(day=name), start_key if not raw_start else end_key)
                continue
            start, end = clock_text(raw_start), clock_text(raw_end)
            if start is None or end is None:
                problems.add(row, _("{day}: write times as HH:MM, for example 08:30.").format(day=name),
                             start_key if start is None else end_key)
                continue
            end = "24:00" if end == "23:59" else end
            if _minutes(end) <= _minutes(start):
                problems.add(row, _("{day}: the range {start}–{end} ends before it starts.").format(
                    day=name, start=start, end=end), start_key)
                continue
            spans.append((_minutes(start), _minutes(end), start, end))
        spans.sort()
        for first, second in zip(spans, spans[1:], strict=False):
            if second[0] < first[1]:
                problems.add(row, _("{day}: the ranges {first} and {second} overlap.").format(
                    day=name, first=f"{first[2]}–{first[3]}", second=f"{second[2]}–{second[3]}"), f"{row}-0-start")
        if spans:
            out[day] = [[s[2], s[3]] for s in spans]
    return out


def new_site(form: Form, _: Gettext, taken: Callable[[str], bool]) -> tuple[str, dict[str, Any]]:
    """The create-a-site form: the new site's id and its settings (``Configuration.put_site``)."""
    problems = Problems()
    name = _text(form, "new-name", 200, problems, _, _("Give the site a name."))
    site = one(form, "new-id") or slug(name)
    if not SITE_ID.match(site):
        problems.add("new-id", _("1 to 64 lowercase letters, digits or dashes, for example mairie-annexe."))
    elif taken(site):
        problems.add("new-id", _("This id is already used by a site: choose another one."))
    zone = _zone(form, "new-timezone", problems, _)
    address = _text(form, "new-address", 300, problems, _)
    if problems:
        raise Refused(problems)
    return site, {"name": name, "timezone": zone, "address": address}


def settings(form: Form, _: Gettext, colours: Sequence[str]) -> dict[str, Any]:
    """The site's settings form (``Configuration.put_site``). Each colour has a picker and a text field: the
    text wins when it was changed (``colours``: what the form showed), else the picker."""
    problems = Problems()
    body: dict[str, Any] = {
        "name": _text(form, "set-name", 200, problems, _, _("Give the site a name.")),
        "address": _text(form, "set-address", 300, problems, _),
        "timezone": _zone(form, "set-timezone", problems, _),
        "languages": _choices(form, "set-languages", LANGUAGES, problems, _, _("Choose at least one language.")),
    }
    if "set-region" in form:  # a page older than the field leaves the region as it is
        body["region"] = one(form, "set-region")
        if body["region"] not in PHONE_REGIONS:
            problems.add("set-region", _("Choose a region from the list."))
    chosen = []
    for key, was in zip(("set-colour-main", "set-colour-accent"), colours, strict=True):
        typed, picked = one(form, key).lower(), one(form, f"{key}-pick").lower()
        colour = typed if typed != was.lower() else picked or typed
        if not COLOUR.match(colour):
            problems.add(key, _("Write a colour as # and six hexadecimal digits, for example #000091."))
        chosen.append(colour)
    body["colours"] = chosen
    body["kiosk"] = {
        "languages": _choices(form, "set-kiosk-languages", LANGUAGES, problems, _,
                              _("Choose at least one language.")),
        "idle_s": _whole(form, "set-kiosk-idle", 10, 600, problems, _, empty_ok=True),  # empty: the server's
    }
    if problems:
        raise Refused(problems)
    return body


def logo(upload: Upload | None, cut: bool, _: Gettext) -> bytes:
    """The logo's form: the file's bytes (whether they are an image the screens and printers take is
    ``Configuration.set_logo``'s to say: ``refused`` words its refusal); ``cut``: the body was larger than
    ``MAX_LOGO_FORM_BYTES``, and the file with it."""
    problems = Problems()
    if cut:
        problems.add("logo-file", _("This file weighs more than {limit} KiB: a logo may weigh {limit} KiB at "
                                    "most.").format(limit=MAX_LOGO_BYTES // 1024))
    elif upload is None or not upload.data:
        problems.add("logo-file", _("Choose a PNG or JPEG file."))
    if problems or upload is None:
        raise Refused(problems)
    return upload.data


def refused(exc: PlatformError, _: Gettext) -> str:
    """What the page says of a refusal of ``Configuration`` (its own message is English, for the API)."""
    if isinstance(exc, BadLogo):
        if exc.reason == "too-heavy":
            return _("This file weighs more than {limit} KiB: a logo may weigh {limit} KiB at most.").format(
                limit=MAX_LOGO_BYTES // 1024)
        if exc.reason == "too-large":
            return _("This image is {width} × {height} pixels: a logo may be {limit} pixels a side at most.").format(
                width=exc.width, height=exc.height, limit=MAX_LOGO_SIDE_PX)
        if exc.reason == "wrong-type":
            return _("This file is a {kind} image: save the logo as a PNG or a JPEG, then choose that file.").format(
                kind=exc.image_kind)
        return _("This file is not a PNG or JPEG image: choose the logo's image file.")
    return _("This value is not accepted.")


def service(form: Form, _: Gettext, document: Mapping[str, Any], day_names: Mapping[str, str]
            ) -> tuple[str, dict[str, Any], bool]:
    """The service form: its id, its fields (``Configuration.put_service``), and whether it is new."""
    problems = Problems()
    editing = one(form, "editing")
    existing = {s["id"]: s for s in document["services"]}
    name = _text(form, "svc-name", 200, problems, _, _("Give the service a name."))
    if editing:
        service_id = editing
        if editing not in existing:
            problems.add("svc-name", _("This service no longer exists: it was removed meanwhile."))
    else:
        service_id = one(form, "svc-id") or slug(name)
        if not SERVICE_ID.match(service_id):
            problems.add("svc-id", _("1 to 64 lowercase letters, digits or dashes, for example etat-civil."))
        elif service_id in existing:
            problems.add("svc-id", _("A service already has this id: edit it in the table, or choose another id."))
    prefix = one(form, "svc-prefix").upper()
    if not PREFIX.match(prefix):
        problems.add("svc-prefix", _("One to three capital letters A to Z, for example A or CNI."))
    elif any(s["prefix"] == prefix and s["id"] != service_id for s in document["services"]):
        problems.add("svc-prefix", _("Another service of this site already numbers its tickets with this prefix: "
                                     "choose another one."))
    icon = one(form, "svc-icon")
    if icon not in ICONS:
        problems.add("svc-icon", _("Choose a pictogram from the list."))
    body: dict[str, Any] = {
        "name": name, "prefix": prefix, "icon": icon,
        "description": _text(form, "svc-description", 200, problems, _),
        "ticket_message": _text(form, "svc-ticket-message", 200, problems, _),
        "priority": bool(form.get("svc-priority")),
        "daily_cap": _whole(form, "svc-daily-cap", 1, 9999, problems, _, empty_ok=True),
        "sms_ahead": _whole(form, "svc-sms-ahead", 0, 50, problems, _),
        "outcomes": _outcomes(form, "svc-outcomes", problems, _),
    }
    minutes = _whole(form, "svc-alert-wait", 1, 1440, problems, _)
    was = existing[service_id]["alert_wait_s"] if service_id in existing else None
    # Seconds that are no whole minute stay as they were while the minutes shown are not changed.
    body["alert_wait_s"] = was if was is not None and minutes == round(was / 60) else (minutes or 1) * 60
    if one(form, "svc-hours-mode") == "own":
        hours = week(form, "svc", problems, _, day_names)
        if not hours and "svc-hours-mode" not in problems.fields:
            problems.add("svc-hours-mode", _("Give the service at least one range of hours, or let it follow the "
                                             "site's hours."), "svc-hours-own")
        body["hours"] = hours
    else:
        body["hours"] = None
        if one(form, "svc-hours-mode-was") == "site" and week(form, "svc", Problems(), _, day_names):
            problems.add("svc-hours-mode", _("You typed hours for the service: choose \"Hours of its own\" to keep "
                                             "them, or empty them."), "svc-hours-own")
    if problems:
        raise Refused(problems)
    return service_id, body, not editing


def _outcomes(form: Form, key: str, problems: Problems, _: Gettext) -> list[str]:
    """A service's outcomes, one per line of the field: spaces folded, empty lines skipped, each once."""
    lines = list(dict.fromkeys(" ".join(line.split()) for line in form.get(key, [""])[0].splitlines()))
    outcomes = [line for line in lines if line]
    if len(outcomes) > MAX_OUTCOMES:
        problems.add(key, _("At most {limit} outcomes: one per digit key at the counter.").format(limit=MAX_OUTCOMES))
    for line in outcomes:
        if len(line) > MAX_OUTCOME_CHARS:
            problems.add(key, _("“{outcome}” is too long: at most {limit} characters per outcome.").format(
                outcome=line[:20] + "…", limit=MAX_OUTCOME_CHARS))
    return outcomes


def counter(form: Form, _: Gettext, document: Mapping[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """The counter form: its id (a new counter without one takes the next free number), its name and
    services (``Configuration.put_counter``), and whether it is new."""
    problems = Problems()
    editing = one(form, "editing")
    existing = {k["id"] for k in document["counters"]}
    name = _text(form, "ctr-name", 200, problems, _, _("Give the counter a name."))
    if editing:
        counter_id = editing
        if editing not in existing:
            problems.add("ctr-name", _("This counter no longer exists: it was removed meanwhile."))
    else:
        counter_id = one(form, "ctr-id") or next_counter_id(existing)
        if not COUNTER_ID.match(counter_id):
            problems.add("ctr-id", _("1 to 64 letters, digits or dashes, for example 3 or accueil."))
        elif counter_id in existing:
            problems.add("ctr-id", _("A counter already has this id: edit it in the table, or choose another id."))
    services = [s["id"] for s in document["services"]]
    chosen = [v for v in form.get("ctr-services", []) if v]
    if not services:
        problems.add("ctr-services", _("Add a service first: a counter serves one service or more."))
    elif not chosen or any(v not in services for v in chosen):
        problems.add("ctr-services", _("Choose at least one service."), f"ctr-services-{services[0]}")
    if problems:
        raise Refused(problems)
    return counter_id, {"name": name, "services": [s for s in services if s in chosen]}, not editing


def serving_only(document: Mapping[str, Any], service_id: str) -> list[str]:
    """The names of the counters that serve ``service_id`` and no other service of the site: removing it would
    leave them serving nothing, which the queue refuses."""
    others = {s["id"] for s in document["services"]} - {service_id}
    return [k["name"] for k in document["counters"] if service_id in k["services"] and not others & set(k["services"])]


def next_counter_id(existing: set[str]) -> str:
    numbers = [int(k) for k in existing if k.isdigit()]
    candidate = max(numbers, default=0) + 1
    while str(candidate) in existing:
        candidate += 1
    return str(candidate)


def hours(form: Form, _: Gettext, day_names: Mapping[str, str]) -> dict[str, Any]:
    """The opening hours form: weekly hours (or always open) and the public holidays' region
    (``Configuration.put_hours``)."""
    problems = Problems()
    body: dict[str, Any] = {}
    if one(form, "hrs-mode") == "always":
        body["weekly"] = None
        # Hours typed while the form said "at any time" (and still does) would be lost without a word.
        if one(form, "hrs-mode-was") == "always" and week(form, "hrs", Problems(), _, day_names):
            problems.add("hrs-mode", _("You typed opening hours: choose \"At the hours below\" to keep them, or "
                                       "empty them."), "hrs-mode-hours")
    else:
        weekly = week(form, "hrs", problems, _, day_names)
        if not weekly and not problems:
            problems.add("hrs-mode", _("Give at least one range of hours, or choose \"At any time\": without "
                                       "hours the site would never open."), "hrs-mode-hours")
        body["weekly"] = weekly
    region = one(form, "hrs-region")
    if region and region not in regions():
        problems.add("hrs-region", _("Choose a region from the list."))
    body["public_holidays"] = region or None
    if problems:
        raise Refused(problems)
    return body


def closure(form: Form, _: Gettext) -> dict[str, str]:
    """A closure to add: its first and last days (both included) and its reason."""
    problems = Problems()
    first = _date(form, "cls-from", problems, _, _("Give the first day of the closure."))
    last = _date(form, "cls-to", problems, _) if one(form, "cls-to") else first
    if first is not None and last is not None and last < first:
        problems.add("cls-to", _("The closure ends before it starts: give a last day on or after the first."))
    reason = _text(form, "cls-reason", 200, problems, _)
    if problems or first is None or last is None:
        raise Refused(problems)
    return {"from": first.isoformat(), "to": last.isoformat(), "reason": reason}


def _date(form: Form, key: str, problems: Problems, _: Gettext, required: str = "") -> date | None:
    text = one(form, key)
    if not text:
        problems.add(key, required or _("Write a date as DD/MM/YYYY."))
        return None
    try:
        return date.fromisoformat(text) if "-" in text else datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        problems.add(key, _("Write a date as DD/MM/YYYY."))
        return None


# Where Configuration's own refusals are shown (its field names → the form's) ---------------------------------

_WEEKLY_FIELD = re.compile(r"^(weekly|hours)\.(mon|tue|wed|thu|fri|sat|sun)")
FIELDS = {
    "new-site": {"site": "new-id", "name": "new-name", "timezone": "new-timezone", "address": "new-address"},
    "settings": {"name": "set-name", "address": "set-address", "timezone": "set-timezone", "region": "set-region",
                 "languages": "set-languages", "colours": "set-colour-main", "kiosk.languages": "set-kiosk-languages",
                 "kiosk.idle_s": "set-kiosk-idle", "kiosk": "set-kiosk-idle"},
    "service": {"service": "svc-id", "name": "svc-name", "prefix": "svc-prefix", "description": "svc-description",
                "icon": "svc-icon", "priority": "svc-priority", "daily_cap": "svc-daily-cap",
                "sms_ahead": "svc-sms-ahead", "alert_wait_s": "svc-alert-wait", "ticket_message": "svc-ticket-message",
                "hours": "svc-hours-mode", "outcomes": "svc-outcomes"},
    "counter": {"counter": "ctr-id", "name": "ctr-name", "services": "ctr-services"},
    "hours": {"weekly": "hrs-mode", "public_holidays": "hrs-region", "closures": "cls-from"},
    "closure": {"closures": "cls-from"},
    "logo": {"logo": "logo-file"},
}


def refusal(form_name: str, field: str) -> str:
    """The form's field where ``Configuration``'s refusal naming ``field`` is shown."""
    found = _WEEKLY_FIELD.match(field)
    if found:
        return f"{'svc' if found.group(1) == 'hours' else 'hrs'}-{found.group(2)}"
    fields = FIELDS.get(form_name, {})
    return fields.get(field) or fields.get(field.split("[")[0].split(".")[0]) or next(iter(fields.values()), field)


# What the forms show ---------------------------------------------------------------------------------------

def time_value(text: str) -> str:
    """A stored time as an ``<input type=time>`` holds it (24:00, the end of the day, is 23:59 there)."""
    return "23:59" if text == "24:00" else text


def week_values(prefix: str, weekly: Mapping[str, Sequence[Sequence[str]]] | None) -> Values:
    values: Values = {}
    for day, spans in (weekly or {}).items():
        for i, (start, end) in enumerate(spans):
            values[f"{prefix}-{day}-{i}-start"] = time_value(start)
            values[f"{prefix}-{day}-{i}-end"] = time_value(end)
    return values


def slots(values: Values, prefix: str) -> int:
    """How many ranges each day of the grid ``prefix`` shows: two, or more where a day already has more."""
    most = 2
    for key in values:
        parts = key.split("-")
        if len(parts) == 4 and parts[0] == prefix and parts[2].isdigit():
            most = max(most, int(parts[2]) + 1)
    return min(most, MAX_RANGES)


def settings_values(site: Mapping[str, Any]) -> Values:
    return {"set-name": site["name"], "set-address": site["address"], "set-timezone": site["timezone"],
            "set-region": site["region"],
            "set-languages": list(site["languages"]), "set-colour-main": site["colours"][0],
            "set-colour-accent": site["colours"][1], "set-kiosk-languages": list(site["kiosk"]["languages"]),
            "set-kiosk-idle": "" if site["kiosk"]["idle_s"] is None else str(site["kiosk"]["idle_s"])}


def service_values(found: Mapping[str, Any] | None) -> Values:
    if found is None:
        return dict(SERVICE_DEFAULTS)
    return {"svc-id": found["id"], "svc-name": found["name"], "svc-prefix": found["prefix"],
            "svc-description": found["description"], "svc-icon": found["icon"],
            "svc-priority": ["on"] if found["priority"] else [],
            "svc-daily-cap": "" if found["daily_cap"] is None else str(found["daily_cap"]),
            "svc-sms-ahead": str(found["sms_ahead"]), "svc-alert-wait": str(round(found["alert_wait_s"] / 60)),
            "svc-ticket-message": found["ticket_message"], "svc-outcomes": "\n".join(found.get("outcomes", ())),
            "svc-hours-mode": "site" if found["hours"] is None else "own", **week_values("svc", found["hours"])}


def counter_values(found: Mapping[str, Any] | None) -> Values:
    if found is None:
        return {"ctr-id": "", "ctr-name": "", "ctr-services": []}
    return {"ctr-id": found["id"], "ctr-name": found["name"], "ctr-services": list(found["services"])}


def hours_values(hours: Mapping[str, Any]) -> Values:
    return {"hrs-mode": "always" if hours["weekly"] is None else "hours", "hrs-region": hours["public_holidays"] or "",
            **week_values("hrs", hours["weekly"])}


@cache
def zones() -> tuple[str, ...]:
    """Every time zone a site may take, by name (the tz database's areas, without the old aliases)."""
    areas = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
             "Pacific/")
    return tuple(sorted(z for z in available_timezones() if z.startswith(areas)))


def day_names(lang: str) -> dict[str, str]:
    """``{"mon": "lundi", …}`` in ``lang``."""
    names = get_day_names("wide", locale=lang)
    return {day: str(names[i]) for i, day in enumerate(WEEKDAYS)}


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def long_date(day: date, lang: str, year: bool = True, month: bool = True) -> str:
    """``7 août 2026`` (``1er août`` in French), less the year or the month when said elsewhere."""
    pattern = "d MMMM y" if year else "d MMMM" if month else "d"
    text = format_date(day, pattern, locale=lang)
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]
    return text


def period(first: date, last: date, lang: str, _: Gettext) -> str:
    """``le 14 juillet 2026``, ``du 3 au 7 août 2026``, ``du 24 décembre 2026 au 2 janvier 2027``."""
    if first == last:
        return _("on {date}").format(date=long_date(first, lang))
    same_year = first.year == last.year
    start = long_date(first, lang, year=not same_year, month=not (same_year and first.month == last.month))
    return _("from {start} to {end}").format(start=start, end=long_date(last, lang))


def now_at(zone: str, lang: str, now: datetime) -> str:
    """``lundi 3 août 2026, 14:05`` on the site's wall clock."""
    try:
        where = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        where = ZoneInfo("Europe/Paris")
    return format_datetime(now.astimezone(where), "EEEE d MMMM y, HH:mm", locale=lang)


def week_text(weekly: Mapping[str, Sequence[Sequence[str]]] | None, lang: str, _: Gettext) -> list[tuple[str, str]]:
    """Each day with its hours in words: ``("Lundi", "08:30–12:00, 13:30–17:00")``, ``("Dimanche", "closed")``."""
    names = day_names(lang)
    return [(capital(names[day]), ", ".join(f"{a}–{b}" for a, b in (weekly or {}).get(day, ())) or _("closed"))
            for day in WEEKDAYS]

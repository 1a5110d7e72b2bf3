"""A site's configuration changed by its administrators, applied live: ``Configuration``. Its logo is part
of it (``set_logo``, ``remove_logo``: from /admin/sites, the API and ``queue-server site logo`` alike).

Each change is one SQL transaction: the rows change, the site's new configuration is read back from
them, the queue decides it (``Configure``: refused while it would remove a service that still has
tickets or a counter in use, leave a counter serving no service, or give two services one prefix) and
appends it as a ``site.configured`` event, the audit entry (values before and after) is written, and the
transaction commits. A refusal
rolls everything back: nothing is half saved. Every process folds the event within milliseconds, and
its screens get it on their live feed.

Two administrators saving at once each write their own rows, and each event carries what its writer
read: so after committing, the writer reads the configuration again and, if the queue's differs (the
other change committed in between), appends it once more. The last writer to commit always appends a
configuration holding both changes.

The document (``document``; ``GET /api/v1/sites/{site}/config``; ``queue-server config export``) is the
configuration as people write it: times ``HH:MM`` on the site's wall clock, days by name, dates ISO.
``replace`` takes the same document back (``config import``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import orjson
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Closure, Site, Tenant
from queue_server.platform.audit import note
from queue_server.platform.calendar import check_region, weekly_hours, weekly_text
from queue_server.platform.errors import UnknownField, invalid
from queue_server.platform.sites import check_logo, remove_logo, set_logo
from queue_server.platform.territories import check_phone_region, regions_of_zone
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import COLOURS, ICONS, MAX_OUTCOME_CHARS, MAX_OUTCOMES, SiteConfig
from queue_server.queue.domain.errors import PrefixTaken
from queue_server.queue.service import QueueService, new_command_id
from queue_server.queue.sites import site_config
from queue_server.queue.tables import Counter, Service

LANGUAGES = ("fr", "en", "es", "ar")  # what screens speak and show (hub.py ANNOUNCEMENTS, the kiosk's strings)
SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
SITE_ID = SERVICE_ID
PREFIX = re.compile(r"^[A-Z]{1,3}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# What a service named by an imported document has when the document leaves a field out (as a new one would).
SERVICE_DEFAULTS: dict[str, Any] = {"description": "", "icon": "default", "priority": True, "daily_cap": None,
                                    "sms_ahead": 3, "alert_wait_s": 1200, "ticket_message": "",
                                    "default_duration_s": 300, "hours": None, "outcomes": []}
# A new site's hours until its administrator sets them: a town hall's usual week, French holidays.
TOWN_HALL_WEEK = {d: [["08:30", "12:00"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


class Configuration:
    """Reads and changes sites' configurations (SQL), each change decided by the site's queue."""

    def __init__(self, db: async_sessionmaker[AsyncSession], queue: QueueService) -> None:
        self.db = db
        self.queue = queue

    # Reading ----------------------------------------------------------------------------------------

    async def document(self, site: str) -> dict[str, Any]:
        """The site's whole configuration as people write it; ``UnknownField`` if there is no such site."""
        async with self.db() as session:
            return await _document(session, site)

    # Changes ----------------------------------------------------------------------------------------

    async def put_service(self, site: str, service_id: str, body: Any, *, by: str, address: str = "") -> bool:
        """Create or update a service (absent optional fields keep their value); whether it was created."""
        if not SERVICE_ID.match(service_id):
            raise invalid("service", "A service id is 1 to 64 lowercase letters, digits or dashes.")
        fields = _service_fields(_object(body))
        created = False

        async def change(session: AsyncSession) -> None:
            nonlocal created
            row = await session.get(Service, (site, service_id))
            if row is None:
                created = True
                for required in ("name", "prefix"):
                    if required not in fields:
                        raise invalid(required, "Required for a new service.", "incomplete-service")
                count = len((await session.execute(select(Service.id).where(Service.site_id == site))).all())  # type: ignore[call-overload]
                row = Service(site_id=site, id=service_id, name=fields["name"], prefix=fields["prefix"],
                              position=count)
            for key, value in fields.items():
                setattr(row, key, value)
            session.add(row)

        await self._change(site, "config.service", service_id, by, address, change)
        return created

    async def delete_service(self, site: str, service_id: str, *, by: str, address: str = "") -> None:
        async def change(session: AsyncSession) -> None:
            row = await session.get(Service, (site, service_id))
            if row is None:
                raise UnknownField(f"No service {service_id!r} at this site.", kind="unknown-service",
                                   field="service", field_message="unknown")
            await session.delete(row)
            for counter in (await session.execute(select(Counter).where(Counter.site_id == site))).scalars():  # type: ignore[arg-type]
                if service_id in counter.services:
                    counter.services = [s for s in counter.services if s != service_id]
                    session.add(counter)

        await self._change(site, "config.service.delete", service_id, by, address, change)

    async def put_counter(self, site: str, counter_id: str, body: Any, *, by: str, address: str = "") -> bool:
        if not COUNTER_ID.match(counter_id):
            raise invalid("counter", "A counter id is 1 to 64 letters, digits or dashes.")
        data = _object(body)
        name = _text(data.get("name"), "name", 200, required=True)
        services = data.get("services")
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services) or not services:
            raise invalid("services", "A counter serves a list of one service or more, by id.")
        created = False

        async def change(session: AsyncSession) -> None:
            nonlocal created
            known = set((await session.execute(select(Service.id).where(Service.site_id == site))).scalars())  # type: ignore[call-overload]
            unknown = [s for s in services if s not in known]
            if unknown:
                raise invalid("services", f"Unknown service(s) at this site: {', '.join(unknown)}.", "unknown-service")
            row = await session.get(Counter, (site, counter_id))
            if row is None:
                created = True
                count = len((await session.execute(select(Counter.id).where(Counter.site_id == site))).all())  # type: ignore[call-overload]
                row = Counter(site_id=site, id=counter_id, name=name, services=[], position=count)
            row.name, row.services = name, list(dict.fromkeys(services))
            session.add(row)

        await self._change(site, "config.counter", counter_id, by, address, change)
        return created

    async def delete_counter(self, site: str, counter_id: str, *, by: str, address: str = "") -> None:
        async def change(session: AsyncSession) -> None:
            row = await session.get(Counter, (site, counter_id))
            if row is None:
                raise UnknownField(f"No counter {counter_id!r} at this site.", kind="unknown-counter",
                                   field="counter", field_message="unknown")
            await session.delete(row)

        await self._change(site, "config.counter.delete", counter_id, by, address, change)

    async def put_hours(self, site: str, body: Any, *, by: str, address: str = "") -> None:
        """The site's weekly hours, closures and public holiday region (each optional: absent, unchanged)."""
        data = _object(body)
        weekly = weekly_hours(data["weekly"], "weekly") if "weekly" in data else None
        closures = _closures(data["closures"]) if "closures" in data else None
        region = check_region(data["public_holidays"]) if "public_holidays" in data else None  # 422 unless known

        async def change(session: AsyncSession) -> None:
            row = await _site(session, site)
            if "weekly" in data:
                row.hours = _stored(weekly)
            if "public_holidays" in data:
                row.holiday_region = region
            session.add(row)
            if closures is not None:
                await session.execute(delete(Closure).where(Closure.site_id == site))  # type: ignore[arg-type]
                for first, last, reason in closures:
                    session.add(Closure(site_id=site, first=first, last=last, reason=reason))

        await self._change(site, "config.hours", site, by, address, change)

    async def put_site(self, site: str, body: Any, *, tenant: str, by: str, address: str = "") -> bool:
        """Create a site of ``tenant`` or change its settings (name, address, time zone, phone region, languages,
        colours, kiosk); whether it was created. A new site gets a town hall's usual hours, and the public
        holidays and phone region of its time zone (``FR-974`` and ``RE`` for Indian/Reunion) unless the body
        names its phone region."""
        if not SITE_ID.match(site):
            raise invalid("site", "A site id is 1 to 64 lowercase letters, digits or dashes.")
        fields = _site_fields(_object(body))
        async with self.db() as session:
            row = await session.get(Site, site)
            if row is not None and row.tenant_id != tenant:
                raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
            if row is None:
                if "name" not in fields:
                    raise invalid("name", "Required for a new site.", "incomplete-site")
                if await session.get(Tenant, tenant) is None:
                    raise UnknownField(f"No collectivity {tenant!r}.", kind="unknown-tenant", field="tenant",
                                       field_message="unknown")
                hours = weekly_hours(TOWN_HALL_WEEK, "weekly") or {}
                holidays, phone = regions_of_zone(fields.get("timezone", "Europe/Paris"))
                fields = {"region": phone, **fields}
                row = Site(id=site, tenant_id=tenant, name=fields["name"], holiday_region=holidays,
                           hours=_stored(hours))
                for key, value in fields.items():
                    setattr(row, key, value)
                session.add(row)
                note(session, "config.site", by, tenant=tenant, site=site, target=site, address=address,
                     detail=_json({"before": None, "after": {**fields, "public_holidays": holidays}}))
                await session.commit()
                return True
        await self._change(site, "config.site", site, by, address, lambda s: _apply_site(s, site, fields))
        return False

    async def replace(self, site: str, document: Any, *, tenant: str, by: str, address: str = "") -> None:
        """Make the site's configuration ``document`` (as ``document`` gives it): its settings, hours,
        services and counters; services and counters it does not name are removed (refused while in use)."""
        doc = _object(document)
        settings = {k: v for k, v in _object(doc.get("site", {}), "site").items() if k not in ("id", "tenant", "logo")}
        site_fields = _site_fields(settings)
        services = doc.get("services", [])
        counters = doc.get("counters", [])
        if not isinstance(services, list) or not isinstance(counters, list):
            raise invalid("services", "services and counters are lists.")
        parsed_services = [(_id(s, "services", SERVICE_ID),
                            {**SERVICE_DEFAULTS, **_service_fields(_object(s, "services"))}) for s in services]
        parsed_counters = []
        for counter in counters:
            data = _object(counter, "counters")
            names = data.get("services")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise invalid("counters", "A counter's services are a list of ids.")
            parsed_counters.append((_id(data, "counters", COUNTER_ID), _text(data.get("name"), "counters.name", 200,
                                                                                    required=True), names))
        hours = _object(doc.get("hours", {}), "hours")
        weekly = weekly_hours(hours.get("weekly"), "hours.weekly")
        closures = _closures(hours.get("closures", []))
        region = check_region(hours.get("public_holidays"), "hours.public_holidays")
        known = {sid for sid, _ in parsed_services}
        prefixes = [fields["prefix"] for _, fields in parsed_services if "prefix" in fields]
        if len(prefixes) != len(set(prefixes)):  # refused before anything is written, a new site included
            twice = sorted({p for p in prefixes if prefixes.count(p) > 1})
            raise PrefixTaken(f"Two services of the document number their tickets with {', '.join(twice)}.")
        for cid, _, names in parsed_counters:
            unknown = [n for n in names if n not in known]
            if unknown:
                raise invalid("counters", f"The counter {cid} serves unknown service(s): {', '.join(unknown)}.")
        # Everything is read: now the site (created first if new: its queue is made from its row), then the
        # rest in one change.
        async with self.db() as session:
            exists = await session.get(Site, site) is not None
        if not exists:
            await self.put_site(site, settings, tenant=tenant, by=by, address=address)

        async def change(session: AsyncSession) -> None:
            row = await _site(session, site)
            if row.tenant_id != tenant:
                raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
            for key, value in site_fields.items():
                setattr(row, key, value)
            row.hours = _stored(weekly)
            row.holiday_region = region
            session.add(row)
            await session.execute(delete(Closure).where(Closure.site_id == site))  # type: ignore[arg-type]
            for first, last, reason in closures:
                session.add(Closure(site_id=site, first=first, last=last, reason=reason))
            await session.execute(delete(Counter).where(Counter.site_id == site))  # type: ignore[arg-type]
            rows = (await session.execute(select(Service).where(Service.site_id == site))).scalars()  # type: ignore[arg-type]
            existing = {s.id: s for s in rows}
            for gone in set(existing) - known:
                await session.delete(existing[gone])
            for position, (sid, fields) in enumerate(parsed_services):
                service = existing.get(sid) or Service(site_id=site, id=sid, name=fields.get("name", sid),
                                                       prefix=fields.get("prefix", "X"))
                for key, value in fields.items():
                    setattr(service, key, value)
                service.position = position
                session.add(service)
            await session.flush()
            for position, (cid, name, names) in enumerate(parsed_counters):
                session.add(Counter(site_id=site, id=cid, name=name, services=list(dict.fromkeys(names)),
                                    position=position))

        await self._change(site, "config.import", site, by, address, change)

    async def set_logo(self, site: str, data: bytes, *, by: str, address: str = "") -> str:
        """Make ``data`` the site's logo (``BadLogo`` unless it is a PNG or JPEG within the limits of
        ``platform/sites.py``); its version, which the screens' logo URL carries from now on."""
        content_type = await anyio.to_thread.run_sync(check_logo, data)  # decoding a large image takes a moment
        version = ""

        async def change(session: AsyncSession) -> None:
            nonlocal version
            version = await set_logo(session, site, data, content_type)

        await self._change(site, "site.logo", site, by, address, change,
                           {"content_type": content_type, "bytes": len(data)})
        return version

    async def remove_logo(self, site: str, *, by: str, address: str = "") -> bool:
        """Remove the site's logo; whether it had one (nothing changes, and nothing is audited, if not)."""
        async def change(session: AsyncSession) -> None:
            if not await remove_logo(session, site):
                raise _Unchanged

        try:
            await self._change(site, "site.logo", site, by, address, change)
        except _Unchanged:
            return False
        return True

    # The one way a change is made --------------------------------------------------------------------

    async def _change(self, site: str, action: str, target: str, by: str, address: str,
                      change: Callable[[AsyncSession], Awaitable[None]], detail: dict[str, Any] | None = None) -> None:
        engine = await self.queue.engine(site)
        if engine is None:
            raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
        async with self.db() as session:
            before = await _document(session, site)
            await change(session)
            await session.flush()
            config = await site_config(session, site)
            assert config is not None  # the site's row is in this transaction
            await engine.execute(c.Configure(command_id=new_command_id(), config=config))  # refusals roll back
            after = await _document(session, site)
            note(session, action, by, tenant=config.tenant, site=site, target=target, address=address,
                 detail=_json({**_difference(before, after), **(detail or {})}))
            await session.commit()
        async with self.db() as session:
            fresh = await site_config(session, site)
        if fresh is not None and fresh != engine.config:  # another change committed in between: both, now
            await engine.execute(c.Configure(command_id=new_command_id(), config=fresh, force=True))


class _Unchanged(Exception):
    """A change that turns out to change nothing: its transaction is rolled back, no event appended."""


# The document ------------------------------------------------------------------------------------------

async def _site(session: AsyncSession, site: str) -> Site:
    row = await session.get(Site, site)
    if row is None:
        raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
    return row


async def _document(session: AsyncSession, site: str) -> dict[str, Any]:
    config = await site_config(session, site)
    if config is None:
        raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
    return document_of(config)


def document_of(config: SiteConfig) -> dict[str, Any]:
    """``config`` as people write it (``GET …/config``, ``config export``)."""
    return {
        "site": {
            "id": config.id, "tenant": config.tenant, "name": config.name, "address": config.address,
            "timezone": config.timezone, "region": config.region, "languages": list(config.languages),
            "colours": list(config.colours),
            "logo": f"/sites/{config.id}/logo?v={config.logo_version}" if config.logo_version else None,
            "kiosk": {"languages": list(config.kiosk_languages), "idle_s": config.kiosk_idle_s},
        },
        "hours": {
            "weekly": weekly_text(config.calendar.weekly),
            "closures": [{"from": k.first.isoformat(), "to": k.last.isoformat(), "reason": k.reason}
                         for k in config.calendar.closures],
            "public_holidays": config.calendar.holiday_region,
        },
        "services": [{
            "id": s.id, "name": s.name, "prefix": s.prefix, "description": s.description, "icon": s.icon,
            "priority": s.priority, "daily_cap": s.daily_cap, "sms_ahead": s.sms_ahead or 0,
            "alert_wait_s": s.alert_wait_s, "ticket_message": s.ticket_message,
            "default_duration_s": s.default_duration_s, "hours": weekly_text(s.hours),
            "outcomes": list(s.outcomes),
        } for s in config.services],
        "counters": [{"id": k.id, "name": k.name, "services": list(k.services)} for k in config.counters],
        "motifs": [],  # appointment motifs come with the appointments module
    }


def _difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed, by section and item: ``{"services.urbanisme": {"before": …, "after": …}}``."""
    out: dict[str, Any] = {}
    for section in ("site", "hours"):
        if before[section] != after[section]:
            out[section] = {"before": before[section], "after": after[section]}
    for section in ("services", "counters"):
        old = {item["id"]: item for item in before[section]}
        new = {item["id"]: item for item in after[section]}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                out[f"{section}.{key}"] = {"before": old.get(key), "after": new.get(key)}
    return out


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# Reading bodies ------------------------------------------------------------------------------------------

def _object(value: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(field, "Expected a JSON object.")
    return value


def _id(data: Any, field: str, pattern: re.Pattern[str]) -> str:
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, str) or not pattern.match(value):
        raise invalid(f"{field}.id", f"{value!r} is not a valid id (letters, digits and dashes).")
    return value


def _text(value: Any, field: str, limit: int, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(field, "Required: a text." if required else "Expected a text.")
    if len(value) > limit:
        raise invalid(field, f"At most {limit} characters.")
    return " ".join(value.split()) if required else value.strip()


def _integer(value: Any, field: str, low: int, high: int, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(field, f"A whole number from {low} to {high}{' or null' if nullable else ''}.")
    return value


NULLABLE = frozenset({"daily_cap", "hours", "sms_ahead"})  # null means something: no cap, the site's hours, none


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if v is not None or k in NULLABLE}  # null elsewhere: left as it is
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", 200, required=True)
    if "prefix" in data:
        if not isinstance(data["prefix"], str) or not PREFIX.match(data["prefix"]):
            raise invalid("prefix", "One to three capital letters A to Z (\"A\", \"CNI\").")
        out["prefix"] = data["prefix"]
    for key, limit in (("description", 200), ("ticket_message", 200)):
        if key in data:
            out[key] = _text(data[key], key, limit)
    if "icon" in data:
        if data["icon"] not in ICONS:
            raise invalid("icon", f"One of {', '.join(sorted(ICONS))}.")
        out["icon"] = data["icon"]
    if "priority" in data:
        if not isinstance(data["priority"], bool):
            raise invalid("priority", "true or false.")
        out["priority"] = data["priority"]
    if "daily_cap" in data:
        out["daily_cap"] = _integer(data["daily_cap"], "daily_cap", 1, 9999, nullable=True)
    if "sms_ahead" in data:
        out["sms_ahead"] = _integer(data["sms_ahead"] or 0, "sms_ahead", 0, 50)
    if "alert_wait_s" in data:
        out["alert_wait_s"] = _integer(data["alert_wait_s"], "alert_wait_s", 60, 86_400)
    if "default_duration_s" in data:
        out["default_duration_s"] = _integer(data["default_duration_s"], "default_duration_s", 30, 7_200)
    if "hours" in data:
        hours = weekly_hours(data["hours"], "hours")
        out["hours"] = _stored(hours)
    if "outcomes" in data:
        out["outcomes"] = _outcomes(data["outcomes"])
    return out


def _outcomes(value: Any) -> list[str]:
    """A service's outcomes: texts, spaces folded, each once, in the order given."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise invalid("outcomes", "A list of texts, none of them blank.")
    outcomes = list(dict.fromkeys(" ".join(v.split()) for v in value))
    if len(outcomes) > MAX_OUTCOMES or any(len(v) > MAX_OUTCOME_CHARS for v in outcomes):
        raise invalid("outcomes", f"At most {MAX_OUTCOMES} outcomes of {MAX_OUTCOME_CHARS} characters each.")
    return outcomes


def _languages(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value or any(v not in LANGUAGES for v in value):
        raise invalid(field, f"A list of one language or more among {', '.join(LANGUAGES)}.")
    return list(dict.fromkeys(value))


def _site_fields(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if v is not None}  # null: left as it is
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", 200, required=True)
    if "address" in data:
        out["address"] = _text(data["address"], "address", 300)
    if "timezone" in data:
        zone = data["timezone"]
        try:
            if not isinstance(zone, str) or "/" not in zone:
                raise ZoneInfoNotFoundError(zone)
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise invalid("timezone", f"Unknown time zone {zone!r}: use a name such as Europe/Paris or "
                                      "Indian/Reunion.") from exc
        out["timezone"] = zone
    if "region" in data:  # reads local phone numbers
        out["region"] = check_phone_region(data["region"])
    if "languages" in data:
        out["languages"] = _languages(data["languages"], "languages")
    if "colours" in data:
        colours = data["colours"]
        if not isinstance(colours, list) or len(colours) != 2 or not all(isinstance(x, str) and COLOUR.match(x)
                                                                           for x in colours):
            raise invalid("colours", "Two colours written #RRGGBB: the main one, then the accent.")
        out["colours"] = [x.lower() for x in colours]
    if "kiosk" in data:
        kiosk = {k: v for k, v in _object(data["kiosk"], "kiosk").items() if v is not None or k == "idle_s"}
        if "languages" in kiosk:
            out["kiosk_languages"] = _languages(kiosk["languages"], "kiosk.languages")
        if "idle_s" in kiosk:
            # null: the server's [kiosk] idle_s
            out["kiosk_idle_s"] = _integer(kiosk["idle_s"], "kiosk.idle_s", 10, 600, nullable=True)
    return out


async def _apply_site(session: AsyncSession, site: str, fields: dict[str, Any]) -> None:
    row = await _site(session, site)
    for key, value in fields.items():
        setattr(row, key, value)
    session.add(row)


def _stored(hours: dict[int, tuple[tuple[int, int], ...]] | None) -> dict[str, list[list[int]]] | None:
    """Weekly hours as the tables keep them (JSON: weekday as text -> [start, end] minutes)."""
    return None if hours is None else {str(d): [list(s) for s in spans] for d, spans in hours.items()}


def _closures(value: Any) -> list[tuple[date, date, str]]:
    if not isinstance(value, list):
        raise invalid("closures", "A list of {\"from\", \"to\", \"reason\"}.")
    out: list[tuple[date, date, str]] = []
    for i, item in enumerate(value):
        where = f"closures[{i}]"
        data = _object(item, where)
        try:
            first = date.fromisoformat(data.get("from", ""))
            last = date.fromisoformat(data.get("to", data.get("from", "")))
        except (TypeError, ValueError) as exc:
            raise invalid(where, "Dates are written YYYY-MM-DD (\"from\", and \"to\" included).") from exc
        if last < first:
            raise invalid(where, f"The closure ends ({last.isoformat()}) before it starts ({first.isoformat()}).",
                          "invalid-closure")
        out.append((first, last, _text(data.get("reason", ""), f"{where}.reason", 200)))
    return out


__all__ = ["COLOURS", "Configuration", "document_of"]

"""A site's configuration as the rules see it: services, counters, time zone, opening hours.

It lives in SQL and is handed to the rules as an immutable value; the rules never load it. A change
made by an administrator reaches every process as a ``site.configured`` event carrying the whole
configuration as JSON (``to_json`` / ``from_json``), so that every process folds the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The names of the ordering policies a site may choose (each is a function in ordering.py, which checks
# that it has one per name; named here so that the configuration needs nothing of the rules).
ORDERINGS = frozenset({"weighted_wait", "first_come"})

# Pictograms the kiosk can show on a service's button (its page holds their drawings).
ICONS = frozenset({"default", "family", "passport", "house", "id", "car"})

# Weekday (0 = Monday) -> intervals of minutes since local midnight, [start, end); an end may be 1440
# (24:00). A weekday missing from the mapping is closed all day.
OpeningHours = dict[int, tuple[tuple[int, int], ...]]
DAY_MINUTES = 24 * 60
COLOURS = ("#000091", "#e1000f")  # a site's colours until it chooses its own: main, accent
MAX_OUTCOMES = 9  # outcomes a service may offer: one digit key each at the counter
MAX_OUTCOME_CHARS = 60
HORIZON_DAYS = 400  # how far ahead the next opening is looked for (a site closed longer "does not open")


def _open_in(hours: OpeningHours | None, minute: int, weekday: int) -> bool:
    if hours is None:
        return True
    return any(start <= minute < end for start, end in hours.get(weekday, ()))


@dataclass(frozen=True, slots=True)
class Closure:
    """Days a site is closed (both included), with the reason shown to citizens ("Inventaire")."""

    first: date
    last: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Calendar:
    """When a site opens: weekly hours on its wall clock (``None``: always), closures, and the public
    holidays of ``holiday_region`` ("FR", "FR-57", "FR-974"; ``None``: none) as dated names, worked out
    from that region where the configuration is read (the rules know no holiday law)."""

    weekly: OpeningHours | None = None
    closures: tuple[Closure, ...] = ()
    holiday_region: str | None = None
    holidays: tuple[tuple[date, str], ...] = ()
    _holidays: dict[date, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_holidays", dict(self.holidays))

    def closed_on(self, day: date) -> str | None:
        """Why the site is closed all ``day`` (a closure's reason or the holiday's name; "" for a closure
        without a reason), or ``None`` if it is not closed that day."""
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure.reason
        return self._holidays.get(day)

    def is_open(self, local: datetime, own: OpeningHours | None = None) -> bool:
        """Whether ``local`` (on the site's wall clock) is within the hours: ``own`` (a service's hours
        of its own) instead of the site's weekly hours when given; closures and holidays close everything."""
        if self.closed_on(local.date()) is not None:
            return False
        return _open_in(own if own is not None else self.weekly, local.hour * 60 + local.minute, local.weekday())

    def next_opening(self, local: datetime, own: OpeningHours | None = None) -> datetime | None:
        """The first moment from ``local`` on when it is open (``local`` itself if open now), on the same
        wall clock; ``None`` if it does not open within ``HORIZON_DAYS``."""
        if self.is_open(local, own):
            return local
        hours = own if own is not None else self.weekly
        minute = local.hour * 60 + local.minute
        for offset in range(HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            if self.closed_on(day) is not None:
                continue
            spans = ((0, DAY_MINUTES),) if hours is None else hours.get(day.weekday(), ())
            starts = sorted(start for start, end in spans if end > start and (offset > 0 or start > minute))
            if starts:
                return datetime.combine(day, time(starts[0] // 60, starts[0] % 60), tzinfo=local.tzinfo)
        return None

    def closes_at(self, local: datetime, own: OpeningHours | None = None) -> datetime | None:
        """When the opening ``local`` is in ends (``None``: closed now, or open without end in sight)."""
        if not self.is_open(local, own):
            return None
        hours = own if own is not None else self.weekly
        if hours is None:
            return None  # always open but for closures and holidays: screens learn those at the day's start
        minute = local.hour * 60 + local.minute
        end = max(e for s, e in hours.get(local.weekday(), ()) if s <= minute < e)
        if end >= DAY_MINUTES:
            return datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=local.tzinfo)
        return datetime.combine(local.date(), time(end // 60, end % 60), tzinfo=local.tzinfo)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One service of a site.

    ``weight`` scales how urgent a waiting minute is when counters serve several services (2.0 means
    a minute of waiting here counts double). ``daily_cap`` limits the tickets issued per local day
    (``None``: no limit). ``hours`` is ``None`` for "always open". ``default_duration_s`` seeds the
    wait estimate until visits have been measured (measurements carry over from one day to the next).
    ``sms_ahead``: a visitor who left a phone number gets one SMS when no more than this many people
    are ahead of them (``None`` or 0: no SMS for this service). ``description`` and ``icon`` are
    what the kiosk shows, ``ticket_message`` what its printed tickets end with; the rules ignore them.
    """

    id: str
    name: str
    prefix: str
    weight: float = 1.0
    daily_cap: int | None = None
    hours: OpeningHours | None = None
    default_duration_s: int = 300
    sms_ahead: int | None = 3
    description: str = ""  # shown under the name on the kiosk ("Birth, marriage, death certificates")
    icon: str = "default"  # one of ICONS
    ticket_message: str = ""  # printed at the bottom of the tickets ("Munissez-vous de votre pièce d'identité")
    alert_wait_s: int = 1200  # supervisors are alerted when someone has waited longer than this
    priority: bool = True  # the kiosk offers priority tickets (pregnancy, disability...) for this service
    # What a visit of this service may end with, as its agent says when finishing it ("Dossier complet",
    # "Pièce manquante"): at most MAX_OUTCOMES, each at most MAX_OUTCOME_CHARS; empty: finishing asks nothing.
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CounterConfig:
    """A counter (guichet) and the services it serves, in the order the agent prefers them."""

    id: str
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Everything the rules need to know about a site besides its events.

    ``logo_version`` names the site's logo (``None``: it has none); only screens and tickets use it."""

    id: str
    name: str = ""
    tenant: str = ""
    timezone: str = "Europe/Paris"
    region: str = "FR"  # reads local phone numbers (ISO 3166: "FR", or "RE", "GP"... overseas)
    services: tuple[ServiceConfig, ...] = ()
    counters: tuple[CounterConfig, ...] = ()
    ordering: str = "weighted_wait"
    languages: tuple[str, ...] = ("fr",)  # languages the hall display announces calls in, in order
    website_origins: tuple[str, ...] = ()  # the tenant's websites, which may embed pages and open the feed
    logo_version: str | None = None  # first 12 hex digits of the logo's SHA-256
    calendar: Calendar = Calendar()  # the site's hours, closures and public holidays
    # What screens show and the rules ignore: the postal address, the colours of the collectivity
    # ("#RRGGBB"), the kiosk's languages and how long it waits before going back to its start screen.
    address: str = ""
    colours: tuple[str, str] = COLOURS
    kiosk_languages: tuple[str, ...] = ("fr", "en", "es", "ar")  # what the kiosk offers citizens
    kiosk_idle_s: int | None = None  # None: the server's [kiosk] idle_s
    _services: dict[str, ServiceConfig] = field(init=False, repr=False, compare=False)
    _counters: dict[str, CounterConfig] = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _serving: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.ordering not in ORDERINGS:
            raise ValueError(f"unknown ordering policy {self.ordering!r}; known: {', '.join(sorted(ORDERINGS))}")
        object.__setattr__(self, "_services", {s.id: s for s in self.services})
        object.__setattr__(self, "_counters", {c.id: c for c in self.counters})
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        serving = {s.id: tuple(c.id for c in self.counters if s.id in c.services) for s in self.services}
        object.__setattr__(self, "_serving", serving)

    def service(self, service_id: str) -> ServiceConfig | None:
        return self._services.get(service_id)

    def counter(self, counter_id: str) -> CounterConfig | None:
        return self._counters.get(counter_id)

    def counters_serving(self, service_id: str) -> tuple[str, ...]:
        """Ids of the counters configured to serve ``service_id``."""
        return self._serving.get(service_id, ())

    def local(self, now: datetime) -> datetime:
        """``now`` (aware, any zone) seen on the site's wall clock."""
        return now.astimezone(self._zone)

    def day(self, now: datetime) -> str:
        """The site's local calendar day of ``now``, as ``YYYY-MM-DD``: the key of the daily reset."""
        return self.local(now).date().isoformat()

    def open_now(self, service: ServiceConfig, now: datetime) -> bool:
        """Whether citizens may take a ticket for ``service`` at ``now``: its hours (or the site's), closures
        and public holidays."""
        return self.calendar.is_open(self.local(now), service.hours)

    def opens_at(self, service: ServiceConfig, now: datetime) -> datetime | None:
        """When ``service`` opens next on the site's wall clock (``now`` if open); ``None``: not within reach."""
        return self.calendar.next_opening(self.local(now), service.hours)

    def closes_at(self, service: ServiceConfig, now: datetime) -> datetime | None:
        """When the opening ``now`` is in ends for ``service`` (``None``: closed now, or no end in sight)."""
        return self.calendar.closes_at(self.local(now), service.hours)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON-ready values (what a ``site.configured`` event carries)."""
        return {
            "id": self.id, "name": self.name, "tenant": self.tenant, "timezone": self.timezone, "region": self.region,
            "ordering": self.ordering, "languages": list(self.languages), "website_origins": list(self.website_origins),
            "logo_version": self.logo_version, "address": self.address, "colours": list(self.colours),
            "kiosk_languages": list(self.kiosk_languages), "kiosk_idle_s": self.kiosk_idle_s,
            "calendar": {
                "weekly": _hours_json(self.calendar.weekly),
                "closures": [[c.first.isoformat(), c.last.isoformat(), c.reason] for c in self.calendar.closures],
                "holiday_region": self.calendar.holiday_region,
                "holidays": [[d.isoformat(), name] for d, name in self.calendar.holidays],
            },
            "services": [{
                "id": s.id, "name": s.name, "prefix": s.prefix, "weight": s.weight, "daily_cap": s.daily_cap,
                "hours": _hours_json(s.hours), "default_duration_s": s.default_duration_s, "sms_ahead": s.sms_ahead,
                "description": s.description, "icon": s.icon, "ticket_message": s.ticket_message,
                "alert_wait_s": s.alert_wait_s, "priority": s.priority, "outcomes": list(s.outcomes),
            } for s in self.services],
            "counters": [{"id": c.id, "name": c.name, "services": list(c.services)} for c in self.counters],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteConfig:
        """The configuration ``to_json`` gave (fields a newer version added are ignored)."""
        calendar = data.get("calendar") or {}
        return cls(
            id=data["id"], name=data.get("name", ""), tenant=data.get("tenant", ""),
            timezone=data.get("timezone", "Europe/Paris"), region=data.get("region", "FR"),
            ordering=data.get("ordering", "weighted_wait"), languages=tuple(data.get("languages") or ("fr",)),
            website_origins=tuple(data.get("website_origins") or ()), logo_version=data.get("logo_version"),
            address=data.get("address", ""), colours=_pair(data.get("colours")),
            kiosk_languages=tuple(data.get("kiosk_languages") or ("fr", "en", "es", "ar")),
            kiosk_idle_s=data.get("kiosk_idle_s"),
            calendar=Calendar(
                weekly=_hours_from(calendar.get("weekly")),
                closures=tuple(Closure(date.fromisoformat(a), date.fromisoformat(b), reason)
                               for a, b, reason in calendar.get("closures", ())),
                holiday_region=calendar.get("holiday_region"),
                holidays=tuple((date.fromisoformat(d), name) for d, name in calendar.get("holidays", ())),
            ),
            services=tuple(ServiceConfig(
                id=s["id"], name=s["name"], prefix=s["prefix"], weight=float(s.get("weight", 1.0)),
                daily_cap=s.get("daily_cap"), hours=_hours_from(s.get("hours")),
                default_duration_s=int(s.get("default_duration_s", 300)), sms_ahead=s.get("sms_ahead"),
                description=s.get("description", ""), icon=s.get("icon", "default"),
                ticket_message=s.get("ticket_message", ""), alert_wait_s=int(s.get("alert_wait_s", 1200)),
                priority=bool(s.get("priority", True)), outcomes=tuple(s.get("outcomes") or ()),
            ) for s in data.get("services", ())),
            counters=tuple(CounterConfig(id=c["id"], name=c["name"], services=tuple(c["services"]))
                           for c in data.get("counters", ())),
        )


def _hours_json(hours: OpeningHours | None) -> dict[str, list[list[int]]] | None:
    return None if hours is None else {str(day): [[a, b] for a, b in spans] for day, spans in sorted(hours.items())}


def _hours_from(data: dict[str, list[list[int]]] | None) -> OpeningHours | None:
    if data is None:
        return None
    return {int(day): tuple((int(a), int(b)) for a, b in spans) for day, spans in data.items()}


def _pair(colours: list[str] | None) -> tuple[str, str]:
    return (colours[0], colours[1]) if colours and len(colours) == 2 else COLOURS

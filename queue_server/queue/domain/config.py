"""A site's configuration as the rules see it: services, counters, time zone, opening hours.

It lives in SQL and is handed to the rules as an immutable value; the rules never load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

# The names of the ordering policies a site may choose (each is a function in ordering.py, which checks
# that it has one per name; named here so that the configuration needs nothing of the rules).
ORDERINGS = frozenset({"weighted_wait", "first_come"})

# Pictograms the kiosk can show on a service's button (its page holds their drawings).
ICONS = frozenset({"default", "family", "passport", "house", "id", "car"})

# Weekday (0 = Monday) -> intervals of minutes since local midnight, [start, end).
OpeningHours = dict[int, tuple[tuple[int, int], ...]]


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

    def is_open(self, local: datetime) -> bool:
        """Whether ``local`` (a time already in the site's zone) falls within the opening hours."""
        if self.hours is None:
            return True
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours.get(local.weekday(), ()))


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

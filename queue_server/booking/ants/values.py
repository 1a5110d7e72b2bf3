"""What crosses the two ANTS connections, as immutable values.

The contract, as read in December 2026 (the ANTS' own OpenAPI pages, ppd.api.rendezvouspasseport.ants.gouv.fr/docs
and api-coordination.rendezvouspasseport.ants.gouv.fr/docs, could not be reached from here; what follows was read
in the published sources of the ANTS hub ("hubrdvmairie", its FastAPI routes, models and editor client) and of
RDV Service Public (betagouv/rdv-service-public: ``docs/interconnexions/ants.md``, ``app/lib/ants_api.rb``,
``app/controllers/api/ants/``, and their specs)):

Search API, served by each software editor and called by the ANTS hub, header ``X-HUB-RDV-AUTH-TOKEN``
(401 without it), arrays as repeated parameters without brackets (``ids=1&ids=2``):

- ``GET {base}/getManagedMeetingPoints`` -> ``[{"id": str, "name", "longitude": float, "latitude": float,
  "public_entry_address", "zip_code", "city_name", "website"?, "city_logo"?}]``; called a few times a day.
- ``GET {base}/availableTimeSlots?meeting_point_ids=…&start_date=YYYY-MM-DD&end_date=YYYY-MM-DD&reason=CNI|
  PASSPORT|CNI-PASSPORT&documents_number=N`` -> ``{meeting_point_id: [{"datetime", "callback_url"}]}``; the hub
  gives up after 15 s (and widens the dates to whole months, for editors' caches).
- ``GET {base}/searchApplicationIds?application_ids=…`` -> ``{application_id: [{"meeting_point", "datetime",
  "management_url", "cancel_url"}]}``; the hub gives up after 5 s.

The hub shows a slot's time exactly as written: editors write the local wall-clock time with a literal
``Z`` (``2022-12-19T10:00Z`` for 10:00 in Paris), and a real offset (``+01:00``) would be shifted by the hub.
We write what the others write (``slot_datetime``).

Anti-duplicate API ("api-coordination"), called by editors, header ``x-rdv-opt-auth-token``, parameters in
the query string (also for POST and DELETE):

- ``GET {api}/status?application_ids=…`` -> ``{application_id: {"status": "validated" | "consumed" |
  "declared" | "expired" | "unknown", "appointments": [{"management_url", "meeting_point",
  "meeting_point_id"?, "appointment_date", …}]}}``.
- ``POST {api}/appointments?application_id&meeting_point&meeting_point_id&appointment_date&management_url``
  -> ``{"success": true}``; ``appointment_date`` is local wall-clock time without offset.
- ``DELETE {api}/appointments?application_id&meeting_point&meeting_point_id&appointment_date``
  -> ``{"rowcount": n}``.

A pre-application number is 10 characters, letters and digits; one per person coming.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["validated", "consumed", "declared", "expired", "unknown"]
STATUSES: tuple[Status, ...] = ("validated", "consumed", "declared", "expired", "unknown")
Reason = Literal["CNI", "PASSPORT", "CNI-PASSPORT"]  # what the citizen applies for, as the ANTS says it
REASONS: tuple[Reason, ...] = ("CNI", "PASSPORT", "CNI-PASSPORT")


@dataclass(frozen=True, slots=True)
class MeetingPoint:
    """A place where ANTS appointments are held (one of our sites offering ANTS motifs). ``id`` is ours, stable
    (the ANTS keys its search on it); ``public_entry_address`` is the street part only, without zip code."""

    id: str
    name: str
    longitude: float
    latitude: float
    public_entry_address: str
    zip_code: str
    city_name: str
    website: str | None = None
    city_logo: str | None = None


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """A free start at a meeting point: ``start`` on the site's wall clock (naive, or aware in the site's zone:
    its wall-clock reading is what is sent), ``callback_url`` the absolute URL of Guichet's page booking it."""

    start: datetime
    callback_url: str


@dataclass(frozen=True, slots=True)
class Booked:
    """An upcoming appointment of ours for a pre-application number, as the ANTS search shows it: the
    meeting point's name, the start on its wall clock, where the citizen manages and cancels it."""

    meeting_point: str
    start: datetime
    management_url: str
    cancel_url: str


@dataclass(frozen=True, slots=True)
class DeclaredAppointment:
    """An appointment declared to the anti-duplicate API (by us or by another editor), as it answers it:
    ``appointment_date`` is kept as the text it sent (editors write it in several formats)."""

    meeting_point: str
    appointment_date: str
    management_url: str
    meeting_point_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApplicationStatus:
    """What the anti-duplicate API knows of one pre-application number."""

    application_id: str
    status: Status
    appointments: tuple[DeclaredAppointment, ...] = ()


def wall_clock(moment: datetime) -> datetime:
    """``moment``'s wall-clock reading, naive (an aware time keeps its own zone's reading; never converted)."""
    return moment.replace(tzinfo=None)


def slot_datetime(moment: datetime) -> str:
    """The search API's time: local wall clock, minutes, a literal ``Z`` (see the module's docstring)."""
    return wall_clock(moment).strftime("%Y-%m-%dT%H:%MZ")


def appointment_date(moment: datetime) -> str:
    """The anti-duplicate API's ``appointment_date``: local wall clock to the second, no offset."""
    return wall_clock(moment).isoformat(timespec="seconds")

"""France's territories as a site's settings know them: each one's time zone, public holidays region
(``platform/calendar.py``) and phone region (the ISO 3166 code libphonenumber reads local numbers in,
``platform/phones.py``), so that a new site takes the regions of its time zone unless it is told others.

A site in Moselle or Alsace shares Paris's time zone and takes ``FR`` from it: its administrator chooses
``FR-57``, ``FR-67`` or ``FR-68`` for its public holidays. A time zone outside France gives ``FR``, ``FR``.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.platform.errors import invalid


@dataclass(frozen=True, slots=True)
class Territory:
    name: str  # in English, translated where it is shown
    zone: str  # its time zone (the tz database's name)
    holidays: str  # whose public holidays close its sites
    phone: str  # the region its local phone numbers are read in
    calling_code: int  # what its numbers start with internationally (+33)


TERRITORIES = (
    Territory("Metropolitan France", "Europe/Paris", "FR", "FR", 33),
    Territory("Guadeloupe", "America/Guadeloupe", "FR-971", "GP", 590),
    Territory("Martinique", "America/Martinique", "FR-972", "MQ", 596),
    Territory("French Guiana", "America/Cayenne", "FR-973", "GF", 594),
    Territory("Réunion", "Indian/Reunion", "FR-974", "RE", 262),
    Territory("Mayotte", "Indian/Mayotte", "FR-976", "YT", 262),
    Territory("Saint Barthélemy", "America/St_Barthelemy", "FR-BL", "BL", 590),
    Territory("Saint Martin", "America/Marigot", "FR-MF", "MF", 590),
    Territory("Saint Pierre and Miquelon", "America/Miquelon", "FR-PM", "PM", 508),
    Territory("New Caledonia", "Pacific/Noumea", "FR-NC", "NC", 687),
    Territory("French Polynesia", "Pacific/Tahiti", "FR-PF", "PF", 689),
    Territory("Wallis and Futuna", "Pacific/Wallis", "FR-WF", "WF", 681),
)
# Time zones of a territory besides its main one (the Marquesas and Gambier islands are in French Polynesia).
_OTHER_ZONES = {"Pacific/Marquesas": "Pacific/Tahiti", "Pacific/Gambier": "Pacific/Tahiti"}
_BY_ZONE = {t.zone: t for t in TERRITORIES}
PHONE_REGIONS = tuple(t.phone for t in TERRITORIES)  # each once: one territory per phone region


def of_zone(zone: str) -> Territory | None:
    """The territory whose time zone ``zone`` is (``None``: none of France's)."""
    return _BY_ZONE.get(_OTHER_ZONES.get(zone, zone))


def regions_of_zone(zone: str) -> tuple[str, str]:
    """``(public holidays region, phone region)`` of a site in ``zone``: ``("FR-974", "RE")`` for
    Indian/Reunion; ``("FR", "FR")`` for Europe/Paris and any zone outside France."""
    found = of_zone(zone) or TERRITORIES[0]
    return found.holidays, found.phone


def check_phone_region(region: object, field: str = "region") -> str:
    """``region`` if it is one of ``PHONE_REGIONS``; else a 422 naming ``field``."""
    if not isinstance(region, str) or region not in PHONE_REGIONS:
        raise invalid(field, f"Unknown phone region {region!r}: use {', '.join(PHONE_REGIONS)}.")
    return region

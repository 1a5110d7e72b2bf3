"""Who may read what of a party's record: the CNIL's doctrine for a town hall's citizen record.

A collectivity groups its services into sectors (état civil, urbanisme, action sociale...); each entry
of a person's timeline belongs to the sector of its service (an entry with no sector is general: a
visit to a service no sector claims, a note written outside any sector). A reader sees:

- the whole entry when it is general or of one of their sectors;
- its outline only (kind, date, service: "an appointment in urbanisme on 12 March") when it is of
  another sector that is not sealed;
- nothing when it is of a sealed sector they do not belong to (social action: that the person went
  there at all is not for other services to know).

Associations and companies are legal persons: their record is the collectivity's, whole, to every
reader. Retention: a party the town hall has not dealt with for ``retention_days`` is purged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Sight(Enum):
    """How much of a timeline entry a reader sees."""

    WHOLE = "whole"
    OUTLINE = "outline"  # kind, date, service
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: the sectors they belong to; ``everything`` for the right of access (an export made for
    the person themselves) and for administrators erasing a record."""

    sectors: frozenset[str] = frozenset()
    everything: bool = False


def sight(reader: Reader, sector: str | None, sealed: frozenset[str], legal_person: bool) -> Sight:
    """How much ``reader`` sees of an entry of ``sector`` (``None``: general) on a party's timeline;
    ``sealed`` names the collectivity's sealed sectors."""
    if legal_person or reader.everything or sector is None or sector in reader.sectors:
        return Sight.WHOLE
    if sector in sealed:
        return Sight.NOTHING
    return Sight.OUTLINE


def purge_due(last_dealt_with: datetime, now: datetime, retention_days: int) -> bool:
    """Whether a party last dealt with at ``last_dealt_with`` is past its retention at ``now``
    (``retention_days`` whole days; a party dealt with exactly that long ago is kept one more day)."""
    return now - last_dealt_with > timedelta(days=retention_days)

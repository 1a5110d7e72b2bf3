"""A motif: what a citizen books ("Passeport : dépôt du dossier"), in one service of one site.

It lives in SQL and is handed to the rules as an immutable value; the rules never load it. Times are
minutes; ``hours`` is a motif's own weekly hours, in the same shape as a site's (weekday 0 = Monday ->
``(start, end)`` minutes since local midnight; a weekday missing is closed); ``None``: the site's hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

OpeningHours = dict[int, tuple[tuple[int, int], ...]]
GRANULE_MIN = 5  # durations, buffers and steps are multiples of this (a place is held granule by granule)
QuestionKind = Literal["count", "text", "choice", "application_ids", "commune"]
AntsKind = Literal["demande", "retrait"]  # an ANTS motif: a new application, or collecting the document


@dataclass(frozen=True, slots=True)
class Question:
    """A typed question asked at booking. ``count``: a whole number from ``minimum`` to ``maximum`` (people
    coming); ``application_ids``: ANTS pre-application numbers, one per person; ``choice``: one of
    ``choices``; ``text`` / ``commune``: free text (the commune of residence)."""

    id: str
    label: str
    kind: QuestionKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int = 1
    maximum: int = 6


@dataclass(frozen=True, slots=True)
class DurationRule:
    """The duration grows with the answer to a ``count`` question: ``per_extra_min`` for each person beyond
    the first (15 min + 10 min per extra person)."""

    question: str
    per_extra_min: int


@dataclass(frozen=True, slots=True)
class Motif:
    """What may be booked, and how.

    ``capacity``: desks that receive this motif at once (places per slot). ``buffer_before_min`` /
    ``buffer_after_min``: the desk is held that long before and after (preparing, writing up).
    ``step_min``: minutes between two slot starts (``None``: the duration plus both buffers).
    ``min_notice_min``: no booking starting sooner than this from now; ``horizon_days``: none starting
    later than this many days from now. ``public``: citizens may book it online (else staff only).
    ``cancel_cutoff_min``: citizens may not cancel or move closer than this to the start (staff may).
    ``arrive_before_min`` / ``arrive_after_min``: the check-in window around the start.
    ``max_upcoming``: upcoming appointments one contact may hold for this motif.
    ``ants``: a passport or identity-card motif, checked with the ANTS (``None``: not one).
    ``holidays``: a region whose public holidays close this motif too (``None``: the site's holidays only)."""

    id: str
    site: str
    service: str
    name: str
    duration_min: int
    capacity: int = 1
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    step_min: int | None = None
    min_notice_min: int = 120
    horizon_days: int = 90
    public: bool = True
    cancel_cutoff_min: int = 0
    arrive_before_min: int = 30
    arrive_after_min: int = 15
    max_upcoming: int = 2
    description: str = ""
    instructions: str = ""
    documents: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # languages the desk speaks, besides French ("en", "ar")
    hours: OpeningHours | None = None
    questions: tuple[Question, ...] = ()
    duration_rule: DurationRule | None = None
    ants: AntsKind | None = None
    # Public holidays that close this motif besides the site's ("FR", "FR-57"...: a desk that closes on holidays
    # while the site's queue stays open); None: the site's alone.
    holidays: str | None = None

    @property
    def step(self) -> int:
        return self.step_min if self.step_min is not None else (
            self.duration_min + self.buffer_before_min + self.buffer_after_min)

    def duration_for(self, answers: Mapping[str, object]) -> int:
        """The duration in minutes for these answers: ``duration_min``, plus the rule's minutes for each person
        beyond the first (a missing or invalid count counts as one person)."""
        rule = self.duration_rule
        if rule is None:
            return self.duration_min
        count = answers.get(rule.question)
        people = count if isinstance(count, int) and not isinstance(count, bool) and count > 1 else 1
        return self.duration_min + rule.per_extra_min * (people - 1)

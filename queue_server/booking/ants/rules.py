"""What a pre-application's status allows, and the numbers a booking carries. Pure: no I/O, no clock.

A motif is an ANTS ``demande`` (filing an application: fingerprints taken, the file sent) or a ``retrait``
(collecting the document made from it):

- ``demande``: only a ``validated`` number may be booked. ``consumed`` (already filed), ``declared`` (not
  recognised officially by the ANTS), ``expired`` and ``unknown`` are refused, as RDV Service Public refuses
  them. A validated number already holding appointments (here or elsewhere) is not refused: the citizen is
  told where (``booked-elsewhere``), and may go on.
- ``retrait``: the file has been filed, so its number is normally ``consumed``: never a refusal.
  ``validated`` passes too (a collection booked ahead); ``declared``, ``expired`` and ``unknown`` are refused
  (nothing can be collected from them).

Numbers: 10 characters, upper-case letters and digits once spaces are dropped and letters raised (what people
type: "ab12 345 678"); one per person coming; the same number twice in one booking is refused. Only
``demande`` appointments of ``validated`` numbers are declared to the anti-duplicate API (``to_declare``):
the ANTS counts filing appointments, and a consumed number's appointments can no longer change.

Every refusal and warning is a ``Finding``; ``message`` says it in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from queue_server.booking.ants.values import ApplicationStatus, DeclaredAppointment, Status
from queue_server.booking.domain.motifs import AntsKind

Gettext = Callable[[str], str]
Reason = Literal["malformed", "repeated", "wrong-count", "consumed", "declared", "expired", "unknown",
                 "unavailable", "booked-elsewhere"]
WARNINGS: frozenset[Reason] = frozenset({"booked-elsewhere"})  # said, never a refusal
ACCEPTED: Mapping[AntsKind, frozenset[Status]] = {
    "demande": frozenset({"validated"}),
    "retrait": frozenset({"validated", "consumed"}),
}
APPLICATION_ID = re.compile(r"[A-Z0-9]{10}")
_SEPARATORS = re.compile(r"[\s,;:/.\-]+")
_REFUSED: Mapping[Status, Reason] = {"consumed": "consumed", "declared": "declared", "expired": "expired",
                                     "unknown": "unknown"}


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a number (``None``: the booking as a whole) is refused or worth a word; ``appointments``: those it
    already holds (``booked-elsewhere``)."""

    application_id: str | None
    reason: Reason
    appointments: tuple[DeclaredAppointment, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.reason not in WARNINGS


def normalise(raw: str) -> str:
    """A number as typed, spaces dropped and letters raised (not checked: ``read_ids`` does)."""
    return "".join(raw.split()).upper()


def split_ids(values: Iterable[str]) -> list[str]:
    """The numbers in query values, each maybe several joined by ``, ; : - / .`` or spaces (the ANTS hub
    accepts that); raised to upper case, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        for part in _SEPARATORS.split(value):
            if part:
                seen.setdefault(part.upper(), None)
    return list(seen)


def read_ids(raw: Sequence[str], people: int) -> tuple[tuple[str, ...], tuple[Finding, ...]]:
    """The numbers of a booking for ``people`` persons, normalised, and what is wrong with them: a malformed
    one, one given twice, or a count other than ``people``. No number at all is a ``wrong-count`` too."""
    ids = tuple(normalise(value) for value in raw)
    findings: list[Finding] = []
    seen: set[str] = set()
    for application_id in ids:
        if not APPLICATION_ID.fullmatch(application_id):
            findings.append(Finding(application_id, "malformed"))
        elif application_id in seen:
            findings.append(Finding(application_id, "repeated"))
        seen.add(application_id)
    if len(ids) != people:
        findings.append(Finding(None, "wrong-count"))
    return ids, tuple(findings)


def judge(kind: AntsKind, ids: Sequence[str], statuses: Mapping[str, ApplicationStatus],
          *, management_url: str | None = None) -> tuple[Finding, ...]:
    """What the ANTS' answer ``statuses`` means for booking ``ids`` on a ``kind`` motif: a refusal per number
    whose status that kind does not accept (a number missing from the answer counts as ``unknown``), a
    ``booked-elsewhere`` warning per accepted ``demande`` number already holding appointments other than the
    one at ``management_url`` (the booking being moved)."""
    findings: list[Finding] = []
    for application_id in ids:
        known = statuses.get(application_id)
        status: Status = known.status if known is not None else "unknown"
        if status not in ACCEPTED[kind]:
            findings.append(Finding(application_id, _REFUSED[status]))
            continue
        others = tuple(a for a in (known.appointments if known else ()) if a.management_url != management_url)
        if kind == "demande" and others:
            findings.append(Finding(application_id, "booked-elsewhere", others))
    return tuple(findings)


def to_declare(kind: AntsKind, statuses: Mapping[str, ApplicationStatus]) -> tuple[str, ...]:
    """The numbers whose appointment is declared to the anti-duplicate API: a ``demande``'s validated ones."""
    if kind != "demande":
        return ()
    return tuple(application_id for application_id, known in statuses.items() if known.status == "validated")


def message(finding: Finding, _: Gettext) -> str:
    """``finding`` in words, for the citizen or the agent booking (``_``: the page's gettext)."""
    number = finding.application_id or ""
    texts: dict[Reason, str] = {
        "malformed": _("The pre-application number {number} is not valid: it has 10 letters and digits."),
        "repeated": _("The pre-application number {number} is given twice: each person has their own."),
        "wrong-count": _("Give one pre-application number per person coming."),
        "consumed": _("The pre-application number {number} belongs to an application already filed."),
        "declared": _("The pre-application number {number} is not officially recognised by the ANTS."),
        "expired": _("The pre-application number {number} has expired: make a new pre-application."),
        "unknown": _("The pre-application number {number} is not known to the ANTS."),
        "unavailable": _("The pre-application numbers cannot be checked with the ANTS just now: "
                         "try again in a few minutes."),
        "booked-elsewhere": _("The pre-application number {number} already has an appointment ({places}): "
                              "cancel it if you book this one."),
    }
    places = ", ".join(a.meeting_point for a in finding.appointments)
    return texts[finding.reason].format(number=number, places=places)

"""The pre-application numbers of a booking, checked: their form (``rules.read_ids``), then their status with
the ANTS (``AntsClient.status``) read by ``rules.judge``. For the booking service, at a citizen's booking and an
agent's alike.

With the ANTS off (no client) only the form is checked. When the ANTS cannot answer the booking gets an
``unavailable`` refusal, as RDV Service Public does: letting it through would defeat the anti-duplicate
check; an agent's override, if wanted, is the caller's decision (``Check.refusals`` then holds that one only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from queue_server.booking.ants.client import AntsClient, AntsError
from queue_server.booking.ants.rules import Finding, judge, read_ids
from queue_server.booking.ants.values import ApplicationStatus
from queue_server.booking.domain.motifs import AntsKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Check:
    """The numbers as normalised, every refusal and warning, and the ANTS' answer (empty when not asked)."""

    ids: tuple[str, ...]
    findings: tuple[Finding, ...]
    statuses: Mapping[str, ApplicationStatus] = field(default_factory=dict)

    @property
    def refusals(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.blocks)

    @property
    def accepted(self) -> bool:
        return not self.refusals


async def check_numbers(client: AntsClient | None, kind: AntsKind, raw_ids: Sequence[str], people: int,
                        *, management_url: str | None = None) -> Check:
    """``raw_ids`` (as typed) for ``people`` persons on a ``kind`` motif; ``management_url``: the booking being
    moved, whose own declared appointment is not a warning. Never raises ``AntsError``."""
    ids, findings = read_ids(raw_ids, people)
    if findings or client is None:
        return Check(ids, findings)
    try:
        statuses = await client.status(ids)
    except AntsError as exc:
        log.warning("pre-application numbers not checked: %s", exc)
        return Check(ids, (Finding(None, "unavailable"),))
    return Check(ids, judge(kind, ids, statuses, management_url=management_url), statuses)

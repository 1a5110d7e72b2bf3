"""Why people call: a list per collectivity, in the order the desk offers it, which its administrators set
(``PUT …/phone/reasons``). A collectivity that never set one has ``DEFAULTS``, the usual services of a town hall,
named in French as the collectivity's own data is (not translated: an administrator renames them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from queue_server.phone.domain.errors import Refused


@dataclass(frozen=True, slots=True)
class Reason:
    id: str
    name: str


DEFAULTS: tuple[Reason, ...] = (
    Reason("etat-civil", "État civil"),
    Reason("urbanisme", "Urbanisme"),
    Reason("dechets", "Déchets et collecte"),
    Reason("voirie", "Voirie et propreté"),
    Reason("scolaire", "Écoles et périscolaire"),
    Reason("social", "Action sociale"),
    Reason("elections", "Élections"),
    Reason("autre", "Autre"),
)
MAX_REASONS = 50


def check(reasons: Sequence[Reason]) -> list[Reason]:
    """``reasons`` as a list the desk can offer: each id once (``Refused("duplicate-reason")`` naming the second
    one's ``reasons[n].id``, n counted from 0)."""
    seen: set[str] = set()
    for n, reason in enumerate(reasons):
        if reason.id in seen:
            raise Refused("duplicate-reason", f"reasons[{n}].id", f"the reason {reason.id!r} is in the list twice")
        seen.add(reason.id)
    return list(reasons)

"""When two parties are likely one: the rule behind the proposals made at creation and the merge queue.

Two persons are likely one when they share a phone number or an e-mail address, or when their names are
close (one typo, another order, a missing accent) and their birth dates are the same; two associations
or companies when they share their identifier (RNA, SIREN) or, with none to compare, a close name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NAME_CLOSE = 88.0  # a name similarity (0-100, token order ignored) from which names count as close

Reason = Literal["identifier", "phone", "email", "name-and-birth-date", "name"]


@dataclass(frozen=True, slots=True)
class Likeness:
    """What two parties of the same kind have in common (each flag true only when both sides are known)."""

    name_score: float  # 0-100
    same_phone: bool = False
    same_email: bool = False
    same_birth_date: bool = False
    same_identifier: bool = False
    different_identifier: bool = False  # both have one and they differ: two legal persons, whatever the name
    persons: bool = True


def duplicate_reason(likeness: Likeness) -> Reason | None:
    """Why two parties are likely one, or ``None``."""
    if likeness.same_identifier:
        return "identifier"
    if likeness.same_phone:
        return "phone"
    if likeness.same_email:
        return "email"
    close = likeness.name_score >= NAME_CLOSE
    if likeness.persons:
        return "name-and-birth-date" if close and likeness.same_birth_date else None
    return "name" if close and not likeness.different_identifier else None

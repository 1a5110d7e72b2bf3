"""Booking's side of the ANTS: the pre-application numbers of an ANTS motif checked at booking (by citizens and
agents alike), each validated number of a "demande" declared to the anti-duplicate API once booked and withdrawn
when cancelled. ``Booking`` holds one ``AntsGate`` (its client is ``None`` with the ANTS off: numbers are then
checked for their form only).

Declaring and withdrawing happen after the booking's transaction, best effort: a failure is logged (the citizen's
booking stands; the ANTS learns of it from its own search, ``searchApplicationIds``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from queue_server.booking.ants.checks import Check, check_numbers
from queue_server.booking.ants.client import AntsClient, AntsError
from queue_server.booking.ants.rules import message, split_ids, to_declare
from queue_server.booking.ants.values import MeetingPoint
from queue_server.booking.domain.motifs import Motif
from queue_server.booking.errors import Refusal
from queue_server.booking.tables import Appointment
from queue_server.queue.domain.config import SiteConfig

log = logging.getLogger(__name__)
POSTCODE = re.compile(r"(?P<street>.*?)[,\s]+(?P<zip>\d{5})\s+(?P<city>[^,]+)$")


def numbers_of(motif: Motif, answers: Mapping[str, Any]) -> tuple[list[str], int] | None:
    """The pre-application numbers a booking of ``motif`` carries and the persons coming (the motif's first count
    question; else one per number); ``None`` when the motif asks none."""
    question = next((q for q in motif.questions if q.kind == "application_ids"), None)
    if question is None:
        return None
    raw = answers.get(question.id)
    values = [raw] if isinstance(raw, str) else [str(v) for v in raw] if isinstance(raw, list) else []
    ids = split_ids(values)
    counting = next((q for q in motif.questions if q.kind == "count"), None)
    people = answers.get(counting.id) if counting is not None else None
    return ids, people if isinstance(people, int) and not isinstance(people, bool) and people > 0 else max(1, len(ids))


def _english(text: str) -> str:
    return text


class AntsGate:
    def __init__(self, client: AntsClient | None = None) -> None:
        self.client = client

    async def check(self, motif: Motif, answers: Mapping[str, Any]) -> Check | None:
        """The numbers checked (422 ``ants-numbers`` naming the answers when one is refused); ``None`` for a motif
        that is not an ANTS one or asks no number."""
        found = numbers_of(motif, answers) if motif.ants is not None else None
        if found is None or motif.ants is None:
            return None
        ids, people = found
        check = await check_numbers(self.client, motif.ants, ids, people)
        if check.refusals:
            detail = " ".join(message(f, _english).format(number=f.application_id or "") for f in check.refusals)
            raise Refusal(422, detail, "ants-numbers", "answers")
        return check

    async def declare(self, config: SiteConfig, motif: Motif, row: Appointment, check: Check | None,
                      base_url: str) -> None:
        if self.client is None or check is None or motif.ants is None:
            return
        point = meeting_point(config)
        for number in to_declare(motif.ants, check.statuses):
            try:
                await self.client.declare(number, meeting_point=point, start=config.local(row.start),
                                          management_url=f"{base_url.rstrip('/')}/a/{row.id}")
            except AntsError as exc:
                log.warning("ANTS: appointment %s not declared: %s", row.code, exc)

    async def withdraw(self, config: SiteConfig, motif: Motif, row: Appointment) -> None:
        if self.client is None or motif.ants != "demande":
            return
        found = numbers_of(motif, row.answers)
        for number in found[0] if found else []:
            try:
                await self.client.withdraw(number, meeting_point=meeting_point(config), start=config.local(row.start))
            except AntsError as exc:
                log.warning("ANTS: appointment %s not withdrawn: %s", row.code, exc)


def meeting_point(config: SiteConfig) -> MeetingPoint:
    parsed = POSTCODE.match(config.address.strip())
    street, postcode, city = ((parsed["street"], parsed["zip"], parsed["city"].strip()) if parsed
                              else (config.address, "", ""))
    return MeetingPoint(id=config.id, name=config.name, longitude=0.0, latitude=0.0, public_entry_address=street,
                        zip_code=postcode, city_name=city)

"""The booking service as the ANTS hub sees it (``hub.Directory``): meeting points are the sites with a public
"demande" motif, their free slots those of that motif, and the appointments of a pre-application number those
carrying it. Meeting points' coordinates are not configured yet (0, 0): the ANTS places them by their postal
address meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from queue_server.booking.ants.gate import meeting_point, numbers_of
from queue_server.booking.ants.values import Booked, MeetingPoint, TimeSlot
from queue_server.booking.domain.motifs import Motif
from queue_server.booking.service import ACTIVE, Booking
from queue_server.queue.domain.config import SiteConfig

CHUNK_DAYS = 60  # the booking service lists 62 days at most per call


class AntsDirectory:
    def __init__(self, booking: Booking, public_url: str) -> None:
        self.booking = booking
        self.public_url = public_url.rstrip("/")

    # The hub's directory ----------------------------------------------------------------------------------

    async def _ants_sites(self) -> list[tuple[SiteConfig, list[Motif]]]:
        out = []
        for site in await self.booking.site_ids():
            config = await self.booking.site_config(site)
            motifs = [m for m in await self.booking.motifs(site, staff=False) if m.ants == "demande"]
            if config is not None and motifs:
                out.append((config, motifs))
        return out

    async def meeting_points(self) -> list[MeetingPoint]:
        return [meeting_point(config) for config, _motifs in await self._ants_sites()]

    async def free_slots(self, meeting_point_ids: Sequence[str], first: date, last: date, reason: str,
                         documents_number: int) -> dict[str, list[TimeSlot]]:
        wanted = set(meeting_point_ids)
        out: dict[str, list[TimeSlot]] = {}
        for config, motifs in await self._ants_sites():
            if config.id not in wanted:
                continue
            motif = motifs[0]
            counting = next((q.id for q in motif.questions if q.kind == "count"), None)
            answers = {counting: documents_number} if counting else {}
            starts: dict[datetime, TimeSlot] = {}
            day = first
            while day <= last:
                until = min(last, day + timedelta(days=CHUNK_DAYS))
                _motif, found = await self.booking.slots(config.id, motif.id, day, until, staff=False, answers=answers)
                for slot in found:
                    url = f"{self.public_url}/book?site={config.id}&motif={motif.id}&start={_z(slot.start)}"
                    starts.setdefault(slot.start, TimeSlot(config.local(slot.start), url))
                day = until + timedelta(days=1)
            out[config.id] = [starts[k] for k in sorted(starts)]
        return out

    async def appointments_of(self, application_ids: Sequence[str]) -> dict[str, list[Booked]]:
        wanted = set(application_ids)
        out: dict[str, list[Booked]] = {}
        for config, motifs in await self._ants_sites():
            by_id = {m.id: m for m in motifs}
            for row in await self.booking.upcoming(config.id, list(by_id)):
                found = numbers_of(by_id[row.motif], row.answers)
                for number in (found[0] if found else []):
                    if number in wanted and row.status in ACTIVE:
                        manage = f"{self.public_url}/a/{row.id}"
                        out.setdefault(number, []).append(Booked(config.name, config.local(row.start), manage, manage))
        return out


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Invitations after an appointment done and a request closed, from booking's and the requests' events: the surveys
follow the ``booking`` and ``requests`` streams (one each for every tenant) through their own consumer group,
``surveys``, and read each event's JSON by its field names, which are those modules' contract (the surveys import
neither):

- ``appointment.done`` (``id``, ``tenant``, ``site``, ``service``, ``phone``, ``email``, ``at``): an invitation of
  kind ``appointment`` for the appointment's site and service, by SMS to its phone, else by e-mail;
- ``request.status`` with ``status`` ``closed`` (``id``, ``tenant``, ``category``, ``category_name``, ``phone``,
  ``email``, ``closed_at``): an invitation of kind ``request``, by e-mail to its sender, else by SMS. A request has no
  site: its invitation and answer are filed under the collectivity's first site (by id), its "service" being the
  request's category (id and name), which is what the requests' figures group by too. A request closed by being
  transmitted to another administration or merged into another (``transmitted``, ``merged``) gets none.

The source (``appointment:{id}``, ``request:{id}``) makes an event read twice, or a request closed twice, invite
once. The group is created at the streams' end: the surveys invite for what happens from their first start, never
for the history a stream still holds. One process at a time works (a Redis lease), as the citizen record's readers
do (``store/worker.py``). An event this version cannot read is skipped with a warning (never its content: it holds a
contact)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from queue_server.store.worker import Entries, LeasedWorker, text
from queue_server.surveys.service import Surveys

log = logging.getLogger(__name__)

GROUP = "surveys"
STREAMS = ("booking", "requests")  # booking/events.py, requests/events.py: the names are part of the contract
FirstSite = Callable[[str], Awaitable[str | None]]


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    return moment.astimezone(UTC)


def _contact(data: dict[str, Any], first: str) -> tuple[str, str] | None:
    """(channel, contact): ``first`` ("phone" or "email") if the event has it, else the other; None: neither."""
    for field in (first, "email" if first == "phone" else "phone"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return ("sms" if field == "phone" else "email"), value.strip()
    return None


class ContactsEnded(LeasedWorker):
    """Every server process runs one; the holder of the lease invites."""

    group = GROUP

    def __init__(self, redis: Redis, prefix: str, surveys: Surveys, first_site: FirstSite, *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._no_sites, f"{prefix}surveys:streams:lease", block_ms=block_ms)
        self.surveys = surveys
        self.first_site = first_site
        self.keys = {f"{prefix}{name}": name for name in STREAMS}
        self.invited = 0  # invitations written by this process (tests, metrics)

    async def _no_sites(self) -> list[str]:
        return []  # one stream per module for every tenant, not one per site: see refresh_sites

    async def refresh_sites(self, force: bool = False) -> None:
        """Create the group on each stream, at its end (the stream too if its module wrote nothing yet)."""
        for key in self.keys:
            if key in self.streams and not force:
                continue
            try:
                await self.redis.xgroup_create(key, GROUP, id="$", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self.streams[key] = ""

    async def record(self, stream: str, entries: Entries) -> int:
        """Invite for the entries that end a contact (in log order), then acknowledge them all."""
        for entry_id, fields in entries:
            kind = text(fields.get("t", fields.get(b"t", b"")))
            if kind not in ("appointment.done", "request.status"):
                continue
            try:
                data = orjson.loads(fields.get("d", fields.get(b"d", b"")))
                if kind == "appointment.done":
                    self.invited += await self._appointment(data)
                elif data.get("status") == "closed" and not data.get("transmitted") and not data.get("merged"):
                    # A request passed on to another administration, or merged into another, was not handled
                    # here: nothing to ask about.
                    self.invited += await self._request(data)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("surveys: %s entry %s skipped: %s", self.keys.get(stream, stream), text(entry_id),
                            type(exc).__name__)
        if entries:
            await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])
        return len(entries)

    async def _appointment(self, data: dict[str, Any]) -> int:
        contact = _contact(data, "phone")
        if contact is None:
            return 0
        return int(await self.surveys.invite(
            source=f"appointment:{data['id']}", kind="appointment", site=str(data["site"]),
            service=str(data["service"]), channel="sms" if contact[0] == "sms" else "email", contact=contact[1],
            ended_at=_moment(data["at"])))

    async def _request(self, data: dict[str, Any]) -> int:
        contact = _contact(data, "email")
        site = await self.first_site(str(data["tenant"]))
        if contact is None or site is None:
            return 0
        return int(await self.surveys.invite(
            source=f"request:{data['id']}", kind="request", site=site, service=str(data["category"]),
            service_name=str(data.get("category_name") or data["category"]),
            channel="sms" if contact[0] == "sms" else "email", contact=contact[1],
            ended_at=_moment(data.get("closed_at") or data["at"])))

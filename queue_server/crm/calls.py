"""Phone calls on the parties' timelines, fed by the phone desk's events: a call that names a party is one entry of
kind ``call`` on that party's timeline, "Appel — État civil (répondu)", at the call's start, linking to the call's
page (``/phone/appels/{id}``); a callback it promised, once done, is one more ("Rappel — État civil (joint)"). An
anonymous call names nobody and is on no timeline. The CRM never reads the phone desk's tables nor imports its
code: it follows the ``phone`` stream (one for every tenant) through its own consumer group, ``crm``, and reads
each event's JSON by its field names, which are the contract (``id``, ``tenant``, ``party``, ``reason``,
``reason_name``, ``outcome``, ``service``, ``service_name``, ``started_at``, ``at``, ``callback``,
``callback_outcome``, ``callback_service``).

- One process at a time writes, holding a short Redis lease (as ``requests.py`` does).
- Idempotent: each entry's ``source`` names the call (``call:{id}``) or its callback (``call:{id}:callback:{n}``),
  unique per tenant: an event read twice writes nothing more.
- Whose timeline: the party the event names, if it is one of the tenant's and was not created after the call was
  logged (SQLite gives an erased party's number again; a caller's record is often made during the call). Never
  resurrects: an erased party's calls are blanked by the phone desk (``Record.erasers``), so that their later
  events name no one.
- The entry's sector is the sector of the service the call concerns (``crm_sector_services``): the service it was
  transferred to, else the one that calls back; when the collectivity's sites put that service in different
  sectors, or in none, or the call names no service, it is general (every reader sees it).
- ``summary`` is written once, in the collectivity's language (French). ``Party.dealt_with_at`` moves to the
  latest call's time: retention counts from the last dealing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.tables import Entry, Party, SectorService
from queue_server.i18n import DEFAULT, translations
from queue_server.store.worker import Entries, LeasedWorker, text

log = logging.getLogger(__name__)

GROUP = "crm"
STREAM = "phone"  # the phone desk's stream, {prefix}phone (phone/events.py): the name is part of the contract
PAGE = "/phone/appels/{id}"  # the staff's page of a call, where an entry links to
REUSED_NUMBER_AFTER = timedelta(minutes=1)  # as in visits.py: a party created since is another party
_ENTRIES = Entry.__table__  # type: ignore[attr-defined]
_PARTIES = Party.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Called:
    """A ``call.logged`` or ``callback.done`` event as the timeline reads it."""

    entry_id: str  # the stream entry's
    kind: str  # logged, done
    id: str
    tenant: str
    party: int | None
    reason: str
    reason_name: str
    outcome: str
    service_name: str
    at: datetime
    logged_at: datetime  # when the desk wrote it: the caller's record may be made during the call
    callback: int | None = None
    callback_outcome: str = ""
    service: str = ""  # the service the call concerns: transferred to, else calling back

    @property
    def source(self) -> str:
        return f"call:{self.id}" if self.kind == "logged" else f"call:{self.id}:callback:{self.callback}"


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    return moment.astimezone(UTC)


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def call_events(entries: Entries) -> list[Called]:
    """The ``call.logged`` and ``callback.done`` events of ``entries``, read; an entry this version cannot read is
    skipped, with a warning (never its content: it names a party)."""
    out = []
    for entry_id, fields in entries:
        kind = {"call.logged": "logged", "callback.done": "done"}.get(text(fields.get("t", fields.get(b"t", b""))))
        if kind is None:
            continue
        try:
            data = orjson.loads(fields.get("d", fields.get(b"d", b"")))
            callback = _integer(data.get("callback"))
            if kind == "done" and callback is None:
                raise ValueError("a callback done names its callback")
            out.append(Called(
                entry_id=text(entry_id), kind=kind, id=str(data["id"]), tenant=str(data["tenant"]),
                party=_integer(data.get("party")), reason=str(data["reason"]),
                reason_name=str(data.get("reason_name") or data["reason"]), outcome=str(data["outcome"]),
                service_name=str(data.get("service_name") or data.get("service") or ""), at=_moment(data["at"]),
                logged_at=_moment(data["ended_at"] if kind == "logged" else data["at"]), callback=callback,
                callback_outcome=str(data.get("callback_outcome") or ""),
                service=str(data.get("service") or data.get("callback_service") or "")))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("crm: phone entry %s skipped: %s", text(entry_id), type(exc).__name__)
    return out


def summary(event: Called, lang: str = DEFAULT) -> str:
    """"Appel — État civil (répondu)", "Rappel — État civil (joint)", in ``lang``."""
    _ = translations(lang).gettext
    if event.kind == "done":
        words = {"reached": _("Callback — {reason} (reached)"),
                 "message_left": _("Callback — {reason} (message left)"),
                 "unreachable": _("Callback — {reason} (unreachable)")}.get(event.callback_outcome,
                                                                          _("Callback — {reason}"))
    else:
        words = {"answered": _("Call — {reason} (answered)"),
                 "transferred": _("Call — {reason} (transferred to {service})"),
                 "callback": _("Call — {reason} (callback to do)"),
                 "appointment": _("Call — {reason} (appointment booked)"),
                 "request": _("Call — {reason} (request created)")}.get(event.outcome, _("Call — {reason}"))
    return words.format(reason=event.reason_name, service=event.service_name)


async def _sectors(session: AsyncSession, tenant: str, services: set[str]) -> dict[str, str]:
    """The sector of each of ``services`` that every site of ``tenant`` offering it puts in the same one."""
    if not services:
        return {}
    table = SectorService.__table__  # type: ignore[attr-defined]
    rows = await session.execute(select(table.c.service_id, table.c.sector_id).where(
        table.c.tenant_id == tenant, table.c.service_id.in_(services)))
    found: dict[str, set[str]] = {}
    for service, sector in rows:
        found.setdefault(service, set()).add(sector)
    return {service: next(iter(named)) for service, named in found.items() if len(named) == 1}


class CallTimeline(LeasedWorker):
    """Every server process runs one; the holder of the lease works."""

    group = GROUP

    def __init__(self, redis: Redis, prefix: str, sessions: async_sessionmaker[AsyncSession], *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._no_sites, f"{prefix}crm:calls:lease", block_ms=block_ms)
        self.sessions = sessions
        self.stream = f"{prefix}{STREAM}"
        self.recorded = 0  # entries written to a timeline by this process (tests, metrics)

    async def _no_sites(self) -> list[str]:
        return []  # one stream for every tenant, not one per site: see refresh_sites

    async def refresh_sites(self, force: bool = False) -> None:
        """Create the group on the phone desk's stream (from its start, the stream too if nothing was written
        yet)."""
        if self.stream in self.streams and not force:
            return
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.streams[self.stream] = ""

    async def record(self, stream: str, entries: Entries) -> int:
        """Write the calls among ``entries`` on their parties' timelines, then acknowledge them all; returns how
        many entries."""
        if not entries:
            return 0
        by_tenant: dict[str, list[Called]] = {}
        for event in call_events(entries):
            if event.party is not None:
                by_tenant.setdefault(event.tenant, []).append(event)
        for tenant, theirs in by_tenant.items():
            self.recorded += await self._write(tenant, theirs)
        await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])
        return len(entries)

    async def _write(self, tenant: str, events: Sequence[Called]) -> int:
        """One transaction for one tenant's events; returns how many entries were written."""
        async with self.sessions() as session:
            rows = await session.execute(select(_PARTIES.c.id, _PARTIES.c.created_at).where(
                _PARTIES.c.tenant_id == tenant, _PARTIES.c.id.in_({e.party for e in events})))
            created = {row.id: row.created_at for row in rows}
            sectors = await _sectors(session, tenant, {e.service for e in events if e.service})
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            written = 0
            dealt: dict[int, datetime] = {}
            for event in events:
                assert event.party is not None  # record() keeps only these
                made = created.get(event.party)
                if made is None or made > event.logged_at + REUSED_NUMBER_AFTER:
                    continue  # a party gone (or another one now): nobody's
                done = await session.execute(insert(_ENTRIES).on_conflict_do_nothing(), [{
                    "tenant_id": tenant, "party_id": event.party, "kind": "call", "source": event.source,
                    "at": event.at, "sector": sectors.get(event.service), "site_id": None,
                    "service": event.service or None, "author": "",
                    "summary": summary(event),
                    "detail": {"call": event.id, "reason": event.reason, "outcome": event.outcome,
                               **({"callback": event.callback, "callback_outcome": event.callback_outcome}
                                  if event.kind == "done" else {}),
                               "link": PAGE.format(id=event.id)}}])
                written += max(int(done.rowcount or 0), 0)  # type: ignore[attr-defined]
                dealt[event.party] = max(dealt.get(event.party, event.at), event.at)
            if dealt:
                # Never back in time: a later dealing (a visit, an edit) may have moved it further already.
                await session.execute(
                    update(_PARTIES)
                    .where(_PARTIES.c.id == bindparam("party"), _PARTIES.c.tenant_id == tenant,
                           _PARTIES.c.dealt_with_at < bindparam("at", type_=_PARTIES.c.dealt_with_at.type))
                    .values(dealt_with_at=bindparam("at", type_=_PARTIES.c.dealt_with_at.type)),
                    [{"party": party, "at": at} for party, at in dealt.items()])
            await session.commit()
        return written

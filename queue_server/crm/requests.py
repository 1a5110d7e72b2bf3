"""Requests ("écrire à la mairie") on the parties' timelines, fed by the requests' events: a request linked by
staff to a party, or whose sender's phone or e-mail is the contact of exactly one party of its collectivity, is
on that party's timeline, one entry of kind ``request`` per step: "Demande DEM-2026-000042 reçue — Voirie", one
per public reply ("… répondue"), one per closure ("… close"), each linking to the request's page
(``/demandes/{id}``). The CRM never reads the requests' tables nor imports their code: it follows the
``requests`` stream (one for every tenant) through its own consumer group, ``crm``, and reads each event's JSON
by its field names, which are the contract (``id``, ``reference``, ``tenant``, ``category``, ``category_name``,
``status``, ``received_at``, ``closed_at``, ``party``, ``phone``, ``email``, ``at``, ``message``, ``answers``).

- One process at a time writes, holding a short Redis lease (as ``appointments.py`` does), so that a request's
  events are applied in log order; a new holder first finishes what was read and left unacknowledged.
- Idempotent: each entry's ``source`` names the request, the step and its occurrence
  (``request:{id}:received``, ``request:{id}:answered:{message}``, ``request:{id}:closed:{closed_at}``), unique
  per tenant: an event read twice writes nothing more. Every event carries the whole request, so that whichever
  event of it is read first also writes its "received" entry.
- Whose timeline: once a request has entries, their party's ("received" tells), so that a contact another party
  takes later moves nothing; before, the party the request is linked to (if it is one of the tenant's, and was
  not created after the event: SQLite gives an erased party's number again), else the one party whose phone
  (E.164) or e-mail (in lower case) is the sender's. None, or several: no entry.
- ``request.linked`` (staff linked the request to a party) moves the request's entries to that party and writes
  those it lacked: received, each public reply so far, its closure.
- Never resurrects: an erased party's requests are blanked by the requests module (``Record.erasers``), so that
  their later events name no one and match no contact.
- ``summary`` is written once, in the collectivity's language (French). ``Party.dealt_with_at`` moves to the
  latest step's time: retention counts from the last dealing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm.identifiers import email_key
from queue_server.crm.tables import ContactPoint, Entry, Party
from queue_server.i18n import DEFAULT, translations
from queue_server.store.worker import Entries, LeasedWorker, text

log = logging.getLogger(__name__)

GROUP = "crm"
STREAM = "requests"  # the requests' stream, {prefix}requests (requests/events.py): the name is part of the contract
PAGE = "/demandes/{id}"  # the staff's page of a request, where an entry links to
REUSED_NUMBER_AFTER = timedelta(minutes=1)  # as in visits.py: a party created since is another party
Step = Literal["received", "answered", "closed"]
_ENTRIES = Entry.__table__  # type: ignore[attr-defined]
_PARTIES = Party.__table__  # type: ignore[attr-defined]
_CONTACTS = ContactPoint.__table__  # type: ignore[attr-defined]


def source_prefix(request_id: str) -> str:
    """What the ``source`` of every timeline entry of a request starts with."""
    return f"request:{request_id}:"


@dataclass(frozen=True, slots=True)
class Filed:
    """A ``request.*`` event as the timeline reads it (the request as it was after the change)."""

    entry_id: str  # the stream entry's
    kind: str  # created, answered, status, linked
    id: str
    reference: str
    tenant: str
    category: str
    category_name: str
    status: str
    received_at: datetime
    closed_at: datetime | None
    party: int | None
    phone: str | None
    email: str | None
    at: datetime
    message: int | None = None
    answers: tuple[tuple[int, datetime], ...] = ()

    @property
    def received(self) -> str:
        return f"{source_prefix(self.id)}received"


@dataclass(frozen=True, slots=True)
class Planned:
    """One entry a request's event writes, if missing: its source, its step, its time."""

    source: str
    step: Step
    at: datetime


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    return moment.astimezone(UTC)


def _optional(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def request_events(entries: Entries) -> list[Filed]:
    """The ``request.*`` events of ``entries``, read; an entry this version cannot read is skipped, with a warning
    (never its content: it holds a contact)."""
    out = []
    for entry_id, fields in entries:
        kind = text(fields.get("t", fields.get(b"t", b"")))
        if not kind.startswith("request."):
            continue
        try:
            data = orjson.loads(fields.get("d", fields.get(b"d", b"")))
            closed = data.get("closed_at")
            answers = tuple((int(a["message"]), _moment(a["at"])) for a in data.get("answers") or ())
            out.append(Filed(
                entry_id=text(entry_id), kind=kind.removeprefix("request."), id=str(data["id"]),
                reference=str(data["reference"]), tenant=str(data["tenant"]), category=str(data["category"]),
                category_name=str(data.get("category_name") or data["category"]), status=str(data["status"]),
                received_at=_moment(data["received_at"]), closed_at=_moment(closed) if closed else None,
                party=_integer(data.get("party")), phone=_optional(data.get("phone")),
                email=_optional(data.get("email")), at=_moment(data["at"]), message=_integer(data.get("message")),
                answers=answers))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("crm: requests entry %s skipped: %s", text(entry_id), type(exc).__name__)
    return out


def steps(event: Filed) -> list[Planned]:
    """The entries ``event`` writes where missing: always the request's "received", then its own step (a public
    reply, a closure); a link writes every reply it lists and the closure of a closed request too."""
    prefix = source_prefix(event.id)
    out = [Planned(event.received, "received", event.received_at)]
    answers = event.answers if event.kind == "linked" else (
        ((event.message, event.at),) if event.kind == "answered" and event.message is not None else ())
    out.extend(Planned(f"{prefix}answered:{message}", "answered", at) for message, at in answers)
    if event.kind in ("status", "linked") and event.status == "closed" and event.closed_at is not None:
        closed = event.closed_at.isoformat().replace("+00:00", "Z")
        out.append(Planned(f"{prefix}closed:{closed}", "closed", event.closed_at))
    return out


def summary(step: Step, reference: str, category: str, lang: str = DEFAULT) -> str:
    """"Demande DEM-2026-000042 reçue — Voirie", in ``lang``."""
    _ = translations(lang).gettext
    words = {"received": _("Request {reference} received — {category}"),
             "answered": _("Request {reference} answered — {category}"),
             "closed": _("Request {reference} closed — {category}")}[step]
    return words.format(reference=reference, category=category)


class RequestTimeline(LeasedWorker):
    """Every server process runs one; the holder of the lease works."""

    group = GROUP

    def __init__(self, redis: Redis, prefix: str, sessions: async_sessionmaker[AsyncSession], *,
                 block_ms: int = 1000) -> None:
        super().__init__(redis, prefix, self._no_sites, f"{prefix}crm:requests:lease", block_ms=block_ms)
        self.sessions = sessions
        self.stream = f"{prefix}{STREAM}"
        self.recorded = 0  # entries written to a timeline by this process (tests, metrics)

    async def _no_sites(self) -> list[str]:
        return []  # one stream for every tenant, not one per site: see refresh_sites

    async def refresh_sites(self, force: bool = False) -> None:
        """Create the group on the requests' stream (from its start, the stream too if nothing was written yet)."""
        if self.stream in self.streams and not force:
            return
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.streams[self.stream] = ""

    async def record(self, stream: str, entries: Entries) -> int:
        """Write the requests' steps among ``entries`` (in log order), then acknowledge them all; returns how many
        entries."""
        if not entries:
            return 0
        by_tenant: dict[str, list[Filed]] = {}
        for event in request_events(entries):
            by_tenant.setdefault(event.tenant, []).append(event)
        for tenant, theirs in by_tenant.items():
            self.recorded += await self._write(tenant, theirs)
        await self.redis.xack(stream, GROUP, *[text(entry_id) for entry_id, _ in entries])
        return len(entries)

    async def _write(self, tenant: str, events: Sequence[Filed]) -> int:
        """One transaction for one tenant's events, in log order; returns how many entries were written."""
        async with self.sessions() as session:
            found = await session.execute(
                select(_ENTRIES.c.source, _ENTRIES.c.party_id)
                .where(_ENTRIES.c.tenant_id == tenant, _ENTRIES.c.source.in_({e.received for e in events})))
            owner = {row.source: row.party_id for row in found}  # a request's "received" source -> its party
            contacts = await self._holders(session, tenant, events)
            created = await self._created(session, tenant, {e.party for e in events if e.party is not None})
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            written = 0
            dealt: dict[int, datetime] = {}
            for event in events:
                named = event.party if event.party is not None and _same_party(created, event) else None
                if event.kind == "linked":
                    if named is None:
                        continue  # a party gone (or another one now): the entries stay where they are
                    if owner.get(event.received) not in (None, named):
                        await session.execute(
                            update(_ENTRIES).where(_ENTRIES.c.tenant_id == tenant,
                                                   _ENTRIES.c.source.startswith(source_prefix(event.id),
                                                                                autoescape=True))
                            .values(party_id=named))
                    party: int | None = named
                else:
                    party = owner.get(event.received) or named or _one_holder(contacts, event)
                if party is None:
                    continue  # nobody's: no entry (a later event may still find its party)
                owner[event.received] = party
                rows = [{"tenant_id": tenant, "party_id": party, "kind": "request", "source": s.source, "at": s.at,
                         "sector": None, "site_id": None, "service": None, "author": "",
                         "summary": summary(s.step, event.reference, event.category_name),
                         "detail": {"ref": event.reference, "request": event.id, "step": s.step,
                                    "category": event.category, "link": PAGE.format(id=event.id)}}
                        for s in steps(event)]
                done = await session.execute(insert(_ENTRIES).on_conflict_do_nothing(), rows)
                written += max(int(done.rowcount or 0), 0)  # type: ignore[attr-defined]
                dealt[party] = max(dealt.get(party, event.at), event.at)
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

    async def _created(self, session: AsyncSession, tenant: str, named: set[int]) -> dict[int, datetime]:
        """When each party the events name was created (those of the tenant that exist)."""
        if not named:
            return {}
        rows = await session.execute(select(_PARTIES.c.id, _PARTIES.c.created_at)
                                     .where(_PARTIES.c.tenant_id == tenant, _PARTIES.c.id.in_(named)))
        return {row.id: row.created_at for row in rows}

    async def _holders(self, session: AsyncSession, tenant: str,
                       events: Sequence[Filed]) -> dict[tuple[str, str], set[int]]:
        """The parties holding each phone (E.164) and e-mail (its key) the events carry."""
        phones = {e.phone for e in events if e.phone}
        emails = {email_key(e.email) for e in events if e.email}
        holders: dict[tuple[str, str], set[int]] = {}
        if phones or emails:
            rows = await session.execute(
                select(_CONTACTS.c.kind, _CONTACTS.c.key, _CONTACTS.c.party_id).where(
                    _CONTACTS.c.tenant_id == tenant,
                    or_(and_(_CONTACTS.c.kind == "phone", _CONTACTS.c.key.in_(phones)),
                        and_(_CONTACTS.c.kind == "email", _CONTACTS.c.key.in_(emails)))))
            for row in rows:
                holders.setdefault((row.kind, row.key), set()).add(row.party_id)
        return holders


def _same_party(created: dict[int, datetime], event: Filed) -> bool:
    """Whether the party ``event`` names is one of the tenant's, created before the event (not a later party
    given an erased one's number)."""
    made = created.get(event.party or 0)
    return made is not None and made <= event.at + REUSED_NUMBER_AFTER


def _one_holder(holders: dict[tuple[str, str], set[int]], event: Filed) -> int | None:
    parties = holders.get(("phone", event.phone or ""), set()) | holders.get(
        ("email", email_key(event.email or "")), set())
    return next(iter(parties)) if len(parties) == 1 else None

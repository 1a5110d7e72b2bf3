"""The phone desk, as every entry point uses it (the JSON API, the desk's pages): the reasons' list, logging a
call with the callback it promises, reading calls, the callbacks to do and marking them done.

Nothing half saved: a call, its callback and the audit entry are one transaction; its event goes after the commit
(``events.py``). What the desk asks of the other modules comes as callables the lifespan hands over (the phone
desk imports none of them): the name of a party of the citizen record (``PartyName``; ``None``: the collectivity
has no such party) and the collectivity's services (``Services``: the sites' services, by id). Its staff are read
from the shared tables (``users``, ``user_roles``).

Who may do what is the web layer's (``web/api.py``); this module takes who acts (``Who``) for the audit log and
for the callbacks that are theirs."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, Tenant, User, UserRole
from queue_server.phone.domain import callbacks as rules
from queue_server.phone.domain import reasons as reason_rules
from queue_server.phone.domain.calls import Outcome, started_at
from queue_server.phone.domain.errors import Refused
from queue_server.phone.domain.reasons import DEFAULTS, Reason
from queue_server.phone.errors import refusal_of, unknown, unknown_call, unknown_callback, unknown_tenant
from queue_server.phone.events import Publish, published_nowhere
from queue_server.phone.tables import CallbackRow, CallRow, ReasonRow
from queue_server.platform.audit import note

Clock = Callable[[], datetime]
PartyName = Callable[[str, int], Awaitable[str | None]]  # (tenant, party) -> its name, None: not the tenant's
Services = Callable[[str], Awaitable[list[tuple[str, str]]]]  # tenant -> (id, name) of its services
STAFF_ROLES = ("agent", "supervisor", "admin")
LIST_LIMIT = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A call's id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


async def no_party(tenant: str, party: int) -> str | None:
    """The default ``PartyName`` (tools, tests of the service alone): no citizen record."""
    return None


async def no_services(tenant: str) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True, slots=True)
class Who:
    """Who acts: ``actor`` as the audit log names them, their login (a person; ``None`` for a device's token), their
    name, their address."""

    actor: str
    login: str | None = None
    name: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class CallbackIn:
    due_at: datetime
    phone: str  # E.164
    agent: str | None = None
    service: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CallIn:
    reason: str
    outcome: Outcome
    duration_s: int
    party: int | None = None
    note: str = ""
    sheets: Sequence[dict[str, str]] = ()
    service: str | None = None  # transferred to it
    callback: CallbackIn | None = None


@dataclass(frozen=True, slots=True)
class Found:
    """A call with the callback it promised (if any)."""

    call: CallRow
    callback: CallbackRow | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    """Callbacks as a list shows them, with ``now`` (what "overdue" is counted against)."""

    items: list[tuple[CallbackRow, CallRow]] = field(default_factory=list)
    now: datetime = field(default_factory=utc_now)


class Phone:
    """One per process, made in the lifespan."""

    def __init__(self, db: async_sessionmaker[AsyncSession], *, party_name: PartyName = no_party,
                 services: Services = no_services, clock: Clock = utc_now,
                 publish: Publish = published_nowhere) -> None:
        self.db = db
        self.party_name = party_name
        self.services = services
        self.clock = clock
        self.publish = publish

    async def tenant_name(self, tenant: str) -> str:
        """The collectivity's name; 404 ``unknown-tenant`` when there is none of that id."""
        async with self.db() as session:
            row = await session.get(Tenant, tenant)
        if row is None:
            raise unknown_tenant()
        return row.name

    async def zone(self, tenant: str) -> ZoneInfo:
        """The collectivity's clock: its first site's (what the desk's days and hours are counted on)."""
        async with self.db() as session:
            return await zone_of(session, tenant)

    async def today(self, tenant: str) -> date:
        return self.clock().astimezone(await self.zone(tenant)).date()

    # Reasons -----------------------------------------------------------------------------------------------

    async def reasons(self, tenant: str) -> list[Reason]:
        """The collectivity's reasons in their order (the default list when it never set its own)."""
        async with self.db() as session:
            rows = (await session.exec(select(ReasonRow).where(col(ReasonRow.tenant_id) == tenant).order_by(
                col(ReasonRow.position), col(ReasonRow.reason)))).all()
        return [Reason(row.reason, row.name) for row in rows] or list(DEFAULTS)

    async def put_reasons(self, tenant: str, reasons: Sequence[Reason], who: Who) -> list[Reason]:
        """Replace the collectivity's list (422 ``duplicate-reason`` naming ``reasons[n].id``); the calls logged
        keep the reason and its name they had. Audited (``config.phone-reasons``)."""
        await self.tenant_name(tenant)
        try:
            checked = reason_rules.check(reasons)
        except Refused as refused:
            raise refusal_of(refused) from None
        async with self.db() as session:
            await session.execute(delete(ReasonRow).where(col(ReasonRow.tenant_id) == tenant))
            session.add_all(ReasonRow(tenant_id=tenant, reason=r.id, name=r.name, position=n)
                            for n, r in enumerate(checked))
            note(session, "config.phone-reasons", who.actor, tenant=tenant, target=f"{len(checked)} reasons",
                 address=who.address, detail=" ".join(r.id for r in checked))
            await session.commit()
        return checked

    # Staff ----------------------------------------------------------------------------------------------------

    async def agents(self, tenant: str) -> list[tuple[str, str]]:
        """(login, name) of the collectivity's staff who may take a callback: its people with a staff role, not
        disabled, by name."""
        async with self.db() as session:
            rows = (await session.exec(select(User.login, User.name).where(
                col(User.tenant_id) == tenant, col(User.disabled).is_(False),
                col(User.id).in_(select(UserRole.user_id).where(col(UserRole.role).in_(STAFF_ROLES))))
                .distinct())).all()
        return sorted(((login, name or login) for login, name in rows), key=lambda item: (item[1].lower(), item[0]))

    async def tenant_names(self, tenants: Sequence[str]) -> dict[str, str]:
        """The names of these collectivities (the owners of the partners' sheets a call consulted), by id."""
        if not tenants:
            return {}
        async with self.db() as session:
            rows = (await session.exec(select(Tenant.id, Tenant.name).where(col(Tenant.id).in_(set(tenants))))).all()
        return {tenant: name or tenant for tenant, name in rows}

    # Calls ----------------------------------------------------------------------------------------------------

    async def log(self, tenant: str, new: CallIn, who: Who) -> Found:
        """Log ``new``, ended now, with the callback it promises. Refusals: 404 unknown tenant; 422
        ``unknown-reason`` (``reason``), ``unknown-party`` (``party``: not in the collectivity's citizen record),
        ``unknown-service`` (``service``, ``callback.service``), ``unknown-agent`` (``callback.agent``),
        ``invalid-due-time`` (``callback.due_at``: ``domain/callbacks.py``). Audited (``phone.call``)."""
        await self.tenant_name(tenant)
        reason = next((r for r in await self.reasons(tenant) if r.id == new.reason), None)
        if reason is None:
            raise unknown("reason", "unknown-reason", f"the reason {new.reason!r}")
        caller = ""
        if new.party is not None:
            name = await self.party_name(tenant, new.party)
            if name is None:
                raise unknown("party", "unknown-party", f"the party {new.party}")
            caller = name
        services = dict(await self.services(tenant))
        if new.service is not None and new.service not in services:
            raise unknown("service", "unknown-service", f"the service {new.service!r}")
        now = self.clock()
        wanted = new.callback
        if wanted is not None:
            if wanted.service is not None and wanted.service not in services:
                raise unknown("callback.service", "unknown-service", f"the service {wanted.service!r}")
            if wanted.agent is not None and wanted.agent not in dict(await self.agents(tenant)):
                raise unknown("callback.agent", "unknown-agent", f"the agent {wanted.agent!r}")
            try:
                rules.check_due(wanted.due_at, now)
            except Refused as refused:
                raise refusal_of(refused) from None
        call = CallRow(
            id=new_id(), tenant_id=tenant, party=new.party, caller=caller, reason=reason.id, reason_name=reason.name,
            note=new.note, sheets=[dict(s) for s in new.sheets], outcome=new.outcome, service=new.service,
            service_name=services.get(new.service, "") if new.service else "",
            started_at=started_at(now, new.duration_s), ended_at=now, duration_s=new.duration_s, agent=who.actor,
            agent_name=who.name)
        callback = None if wanted is None else CallbackRow(
            tenant_id=tenant, call_id=call.id, due_at=wanted.due_at.astimezone(UTC), phone=wanted.phone,
            agent=wanted.agent, service=wanted.service,
            service_name=services.get(wanted.service, "") if wanted.service else "", note=wanted.note,
            created_at=now)
        async with self.db() as session:
            session.add(call)
            await session.flush()  # the call before its callback (no relationship orders them)
            if callback is not None:
                session.add(callback)
            note(session, "phone.call", who.actor, tenant=tenant, target=f"call:{call.id}", address=who.address,
                 detail=" ".join([call.reason, call.outcome, f"party:{call.party}" if call.party else "anonymous"]))
            await session.commit()
            await session.refresh(call)
            if callback is not None:
                await session.refresh(callback)
        await self.publish("call.logged", call, callback)
        return Found(call, callback)

    async def get(self, tenant: str, call_id: str) -> Found:
        """The call with its callback; 404 ``unknown-call`` (another tenant's too)."""
        async with self.db() as session:
            call = await session.get(CallRow, call_id)
            if call is None or call.tenant_id != tenant:
                raise unknown_call()
            callback = (await session.exec(select(CallbackRow).where(col(CallbackRow.call_id) == call_id))).first()
        return Found(call, callback)

    async def read(self, tenant: str, call_id: str, who: Who) -> Found:
        """The call as staff open it, the read audited (``phone.call.read``: it names a person, and what they
        called about)."""
        found = await self.get(tenant, call_id)
        async with self.db() as session:
            note(session, "phone.call.read", who.actor, tenant=tenant, target=f"call:{call_id}", address=who.address)
            await session.commit()
        return found

    async def listed(self, tenant: str, who: Who, *, party: int | None = None, agent: str | None = None,
                     limit: int = 50) -> list[Found]:
        """The collectivity's calls, newest first (``limit`` at most, ``LIST_LIMIT`` at most), those of a party
        (read audited: ``phone.calls.read``, a person's calls) or taken by ``agent`` (as the audit log names
        them)."""
        query = select(CallRow).where(col(CallRow.tenant_id) == tenant)
        if party is not None:
            query = query.where(col(CallRow.party) == party)
        if agent is not None:
            query = query.where(col(CallRow.agent) == agent)
        async with self.db() as session:
            calls = list((await session.exec(query.order_by(col(CallRow.started_at).desc(), col(CallRow.id))
                                             .limit(min(limit, LIST_LIMIT)))).all())
            found = {c.call_id: c for c in (await session.exec(select(CallbackRow).where(
                col(CallbackRow.call_id).in_([c.id for c in calls])))).all()} if calls else {}
            if party is not None:
                note(session, "phone.calls.read", who.actor, tenant=tenant, target=f"party:{party}",
                     address=who.address, detail=f"{len(calls)} calls")
                await session.commit()
        return [Found(call, found.get(call.id)) for call in calls]

    # Callbacks ------------------------------------------------------------------------------------------------

    async def callbacks(self, tenant: str, *, agent: str | None = None, service: str | None = None,
                        overdue: bool = False, status: rules.Status = "todo", limit: int = LIST_LIMIT) -> Listed:
        """The collectivity's callbacks with ``status``, overdue first then by due time (``domain/callbacks.py``):
        those of ``agent`` (a login) or of ``service`` (either, when both are given), or only the overdue ones."""
        now = self.clock()
        query = select(CallbackRow, CallRow).join(CallRow, col(CallRow.id) == col(CallbackRow.call_id)).where(
            col(CallbackRow.tenant_id) == tenant, col(CallbackRow.status) == status)
        whose = [*([col(CallbackRow.agent) == agent] if agent is not None else []),
                 *([col(CallbackRow.service) == service] if service is not None else [])]
        if whose:
            query = query.where(or_(*whose))
        if overdue:
            query = query.where(col(CallbackRow.due_at) < now)
        async with self.db() as session:
            rows = list((await session.exec(query.order_by(col(CallbackRow.due_at), col(CallbackRow.id))
                                            .limit(min(limit, LIST_LIMIT)))).all())
        items = rules.ordered(rows, now, due=lambda r: r[0].due_at, status=lambda r: _status(r[0]),
                              key=lambda r: r[0].id)
        return Listed(items, now)

    async def done(self, tenant: str, callback_id: int, outcome: rules.DoneOutcome, text: str,
                   who: Who) -> tuple[CallbackRow, CallRow]:
        """Mark the callback done, saying how it went: 404 ``unknown-callback``, 409 ``already-done`` (of two at
        once, one marks it). Audited (``phone.callback``)."""
        now = self.clock()
        async with self.db() as session:
            # Claimed before anything is read (SQLite's write lock at once; PostgreSQL's row lock until the commit).
            claimed: Any = await session.execute(update(CallbackRow).where(
                col(CallbackRow.id) == callback_id, col(CallbackRow.tenant_id) == tenant,
                col(CallbackRow.status) == "todo").values(
                status="done", done_at=now, done_by=who.actor, outcome=outcome, outcome_note=text)
                .execution_options(synchronize_session=False))
            callback = await session.get(CallbackRow, callback_id)
            if callback is None or callback.tenant_id != tenant:
                raise unknown_callback()
            if not claimed.rowcount:
                try:
                    rules.check_done(_status(callback))
                except Refused as refused:
                    raise refusal_of(refused) from None
            note(session, "phone.callback", who.actor, tenant=tenant, target=f"call:{callback.call_id}",
                 address=who.address, detail=f"callback {callback_id} {outcome}")
            await session.commit()
            await session.refresh(callback)
            call = await session.get(CallRow, callback.call_id)
            assert call is not None  # a callback goes with its call (retention.py, privacy.py)
        await self.publish("callback.done", call, callback)
        return callback, call


def _status(row: CallbackRow) -> rules.Status:
    return "done" if row.status == "done" else "todo"


async def zone_of(session: AsyncSession, tenant: str) -> ZoneInfo:
    """The tenant's first site's clock, else Paris's."""
    found = (await session.exec(select(Site.timezone).where(col(Site.tenant_id) == tenant).order_by(
        col(Site.id)))).first()
    try:
        return ZoneInfo(found or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")

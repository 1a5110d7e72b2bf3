"""The citizen record's operations: create, find, read, change, note, relate, export, merge, erase, purge.

Each runs in one SQL transaction with its audit entry (who, when, which record): a refusal rolls back
everything, nothing is half written. Reads of a record are audited as reads (``crm.read``, ``crm.export``);
a search is audited with the numbers of the parties it showed, never with the words typed (they are
names). What a reader sees of a timeline is decided by ``domain/privacy.py``.

Values are checked here (``identifiers.py``: phones, e-mails, SIRET, SIREN, RNA) and refusals name their
field (``InvalidField``, 422); a party of another tenant is unknown (``UnknownField``, 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import orjson
from rapidfuzz import fuzz
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm import identifiers, search
from queue_server.crm.domain.duplicates import Likeness, duplicate_reason
from queue_server.crm.domain.privacy import Reader, Sight, purge_due, sight
from queue_server.crm.domain.text import fold
from queue_server.crm.tables import (
    ContactPoint,
    Duplicate,
    Entry,
    Party,
    Purge,
    Relation,
    Sector,
    SectorMember,
    SectorService,
)
from queue_server.db.tables import Site as SiteRow
from queue_server.db.tables import User
from queue_server.platform import audit
from queue_server.platform.errors import UnknownField, invalid

Kind = Literal["person", "association", "company"]
LEGAL = ("association", "company")
ROLES = ("president", "treasurer", "secretary", "member", "manager", "employee", "contact")
SEARCH_LIMIT = 20
PURGE_BATCH = 500
# What another module holds of a party, erased with it: (tenant, party, its phones (E.164), its e-mails) -> how
# many of its records were erased (booking/privacy.py: the appointments). Handed by the lifespan (web/app.py):
# the citizen record imports no other module.
Eraser = Callable[[str, int, Sequence[str], Sequence[str]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Staff:
    """Who works on the record: ``actor`` as the audit log names them, the user's id (``None``: a device
    token) and their best role in the tenant ("agent", "supervisor", "admin")."""

    tenant: str
    actor: str
    role: str
    user_id: int | None = None
    address: str = ""
    region: str = "FR"  # reads local phone numbers


def unknown_party(party_id: int) -> UnknownField:
    return UnknownField(f"No party {party_id}.", kind="unknown-party", field="id", field_message="no such party")


def display_name(party: Party) -> str:
    if party.kind == "person":
        return f"{party.first_name} {party.last_name}".strip()
    return party.name


def _names(party: Party) -> str:
    """What a party is found by: a person's names, an organisation's name."""
    return f"{party.first_name} {party.last_name}" if party.kind == "person" else party.name


class Record:
    """The citizen record of every tenant, over SQL."""

    def __init__(self, db: async_sessionmaker[AsyncSession], retention_days: int, *,
                 erasers: Sequence[Eraser] = ()) -> None:
        self.db = db
        self.retention_days = retention_days
        self.erasers = tuple(erasers)

    async def region(self, tenant: str, site: str | None) -> str:
        """The region that reads the local phone numbers a caller types: their site's, else the tenant's first
        site's (ISO 3166: "FR", or "RE", "GP"... overseas)."""
        async with self.db() as session:
            rows = (await session.execute(select(col(SiteRow.id), col(SiteRow.region)).where(
                col(SiteRow.tenant_id) == tenant).order_by(col(SiteRow.id)))).all()
        regions = dict(rows)
        return regions.get(site or "") or next(iter(regions.values()), "FR")

    # -- creating and changing -------------------------------------------------------------------------

    async def create(self, staff: Staff, fields: dict[str, Any]) -> dict[str, Any]:
        """A new party from the checked ``fields`` of an API body; its view, with ``likely_duplicates``
        (the parties it may be one with, also queued for a supervisor)."""
        now = datetime.now(UTC)
        async with self.db() as session:
            party = Party(tenant_id=staff.tenant, kind=fields["kind"], created_at=now, updated_at=now,
                          dealt_with_at=now)
            _apply(party, fields)
            session.add(party)
            await session.flush()
            assert party.id is not None
            await _set_contacts(session, party, fields, staff.region)
            await search.index(session, staff.tenant, party.id, _names(party))
            likely = await _likely_duplicates(session, party, staff.region)
            for other, reason in likely:
                assert other.id is not None
                session.add(Duplicate(tenant_id=staff.tenant, party_id=party.id, other_id=other.id, reason=reason,
                                      found_at=now))
            audit.note(session, "crm.created", staff.actor, tenant=staff.tenant, target=f"party:{party.id}",
                       address=staff.address)
            await session.commit()
            view = await _view(session, party, None)
        view["likely_duplicates"] = [{"id": o.id, "display_name": display_name(o), "reason": r} for o, r in likely]
        return view

    async def change(self, staff: Staff, party_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Rectification: the fields given replace the party's (contacts replaced as a whole when given)."""
        async with self.db() as session:
            party = await _party(session, staff.tenant, party_id)
            if "kind" in fields and fields["kind"] != party.kind:
                raise invalid("kind", "A party's kind cannot change.", kind="kind-unchangeable")
            before = _fields(party)
            _apply(party, fields)
            party.updated_at = party.dealt_with_at = datetime.now(UTC)
            await _set_contacts(session, party, fields, staff.region)
            await search.index(session, staff.tenant, party_id, _names(party))
            changed = sorted(k for k, v in _fields(party).items() if before.get(k) != v)
            contacts = sorted(k for k in ("phones", "emails", "address", "consents") if k in fields)
            audit.note(session, "crm.changed", staff.actor, tenant=staff.tenant, target=f"party:{party_id}",
                       address=staff.address, detail=", ".join([*changed, *contacts]))
            await session.commit()
            return await self._read(session, staff, party, audited=False)

    async def add_note(self, staff: Staff, party_id: int, text: str, sector: str | None) -> dict[str, Any]:
        """A note on the party's timeline, in ``sector`` (one of the author's; ``None``: general)."""
        async with self.db() as session:
            party = await _party(session, staff.tenant, party_id)
            if sector is not None and sector not in await _sectors_of(session, staff):
                raise invalid("sector", f"You do not belong to the sector {sector!r}.", kind="not-your-sector")
            now = datetime.now(UTC)
            entry = Entry(tenant_id=staff.tenant, party_id=party_id, at=now, kind="note", sector=sector,
                          summary=text, author=staff.actor)
            session.add(entry)
            party.dealt_with_at = now
            audit.note(session, "crm.noted", staff.actor, tenant=staff.tenant, target=f"party:{party_id}",
                       address=staff.address)
            await session.commit()
            return _entry_view(entry, Sight.WHOLE)

    async def relate(self, staff: Staff, party_id: int, other_id: int, role: str) -> dict[str, Any]:
        """The person ``party_id`` has ``role`` in the association or company ``other_id``."""
        async with self.db() as session:
            person = await _party(session, staff.tenant, party_id)
            other = await _party(session, staff.tenant, other_id, field="party")
            if person.kind != "person":
                raise invalid("id", "Only a person has a role in an association or a company.", kind="not-a-person")
            if other.kind not in LEGAL:
                raise invalid("party", "A person has a role in an association or a company, not in a person.",
                              kind="not-an-organisation")
            exists = await session.execute(select(col(Relation.id)).where(
                col(Relation.party_id) == party_id, col(Relation.other_id) == other_id, col(Relation.role) == role))
            if exists.first() is None:
                session.add(Relation(tenant_id=staff.tenant, party_id=party_id, other_id=other_id, role=role))
            person.dealt_with_at = other.dealt_with_at = datetime.now(UTC)
            audit.note(session, "crm.related", staff.actor, tenant=staff.tenant, target=f"party:{party_id}",
                       address=staff.address, detail=f"{role} of party:{other_id}")
            await session.commit()
            return await self._read(session, staff, person, audited=False)

    # -- reading ---------------------------------------------------------------------------------------

    async def find(self, staff: Staff, query: str) -> list[dict[str, Any]]:
        """The parties ``query`` finds (names, phone, e-mail, SIRET, SIREN, RNA), best first, as short items."""
        if "\x00" in query:  # no name holds one (and PostgreSQL's text refuses it)
            return []
        async with self.db() as session:
            ids = await search.find(session, staff.tenant, query, staff.region, SEARCH_LIMIT)
            if not ids:
                return []
            rows = {p.id: p for p in (await session.execute(
                select(Party).where(col(Party.id).in_(ids)))).scalars().all()}
            contacts = await _contacts(session, list(rows))
            audit.note(session, "crm.searched", staff.actor, tenant=staff.tenant, address=staff.address,
                       target=f"{len(rows)} parties", detail=" ".join(f"party:{i}" for i in ids if i in rows))
            await session.commit()
        return [_item(rows[i], contacts.get(i, [])) for i in ids if i in rows]

    async def read(self, staff: Staff, party_id: int) -> dict[str, Any]:
        """The party with its relations and its timeline as ``staff`` may see it (audited)."""
        async with self.db() as session:
            party = await _party(session, staff.tenant, party_id)
            view = await self._read(session, staff, party, audited=True)
            await session.commit()
            return view

    async def _read(self, session: AsyncSession, staff: Staff, party: Party, *, audited: bool) -> dict[str, Any]:
        reader = Reader(sectors=await _sectors_of(session, staff))
        view = await _view(session, party, reader)
        if audited:
            audit.note(session, "crm.read", staff.actor, tenant=staff.tenant, target=f"party:{party.id}",
                       address=staff.address)
        return view

    async def export(self, staff: Staff, party_id: int) -> dict[str, Any]:
        """Everything held on the party (right of access): fields, contacts and consents, relations, the whole
        timeline with every detail, the duplicates proposed (audited)."""
        async with self.db() as session:
            party = await _party(session, staff.tenant, party_id)
            view = await _view(session, party, Reader(everything=True))
            view["created_at"] = party.created_at.isoformat()
            view["updated_at"] = party.updated_at.isoformat()
            view["last_interaction_at"] = party.dealt_with_at.isoformat()
            view["purge_after"] = (party.dealt_with_at + timedelta(days=self.retention_days)).date().isoformat()
            audit.note(session, "crm.exported", staff.actor, tenant=staff.tenant, target=f"party:{party_id}",
                       address=staff.address)
            await session.commit()
            return view

    # -- duplicates ------------------------------------------------------------------------------------

    async def duplicates(self, staff: Staff) -> list[dict[str, Any]]:
        """The merge queue: pairs of parties likely one, oldest first."""
        async with self.db() as session:
            rows = (await session.execute(select(Duplicate).where(col(Duplicate.tenant_id) == staff.tenant)
                                          .order_by(col(Duplicate.found_at), col(Duplicate.id)))).scalars().all()
            ids = {i for d in rows for i in (d.party_id, d.other_id)}
            parties = {p.id: p for p in (await session.execute(
                select(Party).where(col(Party.id).in_(ids)))).scalars().all()} if ids else {}
            contacts = await _contacts(session, list(parties))
            audit.note(session, "crm.duplicates.read", staff.actor, tenant=staff.tenant, address=staff.address,
                       target=f"{len(rows)} pairs")
            await session.commit()
        return [{"id": d.id, "reason": d.reason, "found_at": d.found_at.isoformat(),
                 "parties": [_item(parties[d.party_id], contacts.get(d.party_id, [])),
                             _item(parties[d.other_id], contacts.get(d.other_id, []))]} for d in rows]

    async def dismiss(self, staff: Staff, duplicate_id: int) -> None:
        """A supervisor says the pair is two parties: it leaves the queue."""
        async with self.db() as session:
            row = await session.get(Duplicate, duplicate_id)
            if row is None or row.tenant_id != staff.tenant:
                raise UnknownField(f"No proposed duplicate {duplicate_id}.", kind="unknown-duplicate", field="id",
                                   field_message="no such pair")
            await session.delete(row)
            audit.note(session, "crm.duplicate.dismissed", staff.actor, tenant=staff.tenant, address=staff.address,
                       target=f"party:{row.party_id}", detail=f"not party:{row.other_id}")
            await session.commit()

    async def merge(self, staff: Staff, party_id: int, into_id: int) -> dict[str, Any]:
        """``party_id`` becomes part of ``into_id``: every interaction, contact, relation and tag of both is
        kept on ``into_id``; ``into_id``'s fields win, the other's fill what it lacks. Audited."""
        if party_id == into_id:
            raise invalid("into", "A party cannot be merged with itself.", kind="merge-with-itself")
        async with self.db() as session:
            gone = await _party(session, staff.tenant, party_id)
            kept = await _party(session, staff.tenant, into_id, field="into")
            if gone.kind != kept.kind:
                raise invalid("into", "Only parties of the same kind can be merged.", kind="merge-other-kind")
            for name, value in _fields(gone).items():
                if value not in (None, "", []) and getattr(kept, name) in (None, "", []):
                    setattr(kept, name, value)
            kept.tags = sorted(set(kept.tags) | set(gone.tags))
            kept.dealt_with_at = max(kept.dealt_with_at, gone.dealt_with_at)
            kept.updated_at = datetime.now(UTC)
            await session.execute(update(Entry).where(col(Entry.party_id) == party_id).values(party_id=into_id))
            held = {(c.kind, c.key) for c in (await session.execute(
                select(ContactPoint).where(col(ContactPoint.party_id) == into_id))).scalars().all()}
            for contact in (await session.execute(
                    select(ContactPoint).where(col(ContactPoint.party_id) == party_id))).scalars().all():
                if (contact.kind, contact.key) in held:
                    await session.delete(contact)
                else:
                    contact.party_id = into_id
            for relation in (await session.execute(select(Relation).where(
                    or_(col(Relation.party_id) == party_id, col(Relation.other_id) == party_id)))).scalars().all():
                await session.delete(relation)
                mine, theirs = ((into_id, relation.other_id) if relation.party_id == party_id
                                else (relation.party_id, into_id))
                if mine != theirs and (await session.execute(select(col(Relation.id)).where(
                        col(Relation.party_id) == mine, col(Relation.other_id) == theirs,
                        col(Relation.role) == relation.role))).first() is None:
                    session.add(Relation(tenant_id=staff.tenant, party_id=mine, other_id=theirs, role=relation.role))
            await session.execute(delete(Duplicate).where(or_(col(Duplicate.party_id) == party_id,
                                                              col(Duplicate.other_id) == party_id)))
            await session.flush()
            await search.forget(session, staff.tenant, [party_id])
            await session.delete(gone)
            await search.index(session, staff.tenant, into_id, _names(kept))
            audit.note(session, "crm.merged", staff.actor, tenant=staff.tenant, target=f"party:{into_id}",
                       address=staff.address, detail=f"party:{party_id} merged into party:{into_id}")
            await session.commit()
            return await self._read(session, staff, kept, audited=False)

    # -- erasing ---------------------------------------------------------------------------------------

    async def erase(self, staff: Staff, party_id: int) -> None:
        """Erasure (RGPD art. 17): the party, its contacts, relations, words, notes and timeline go; a
        deletion report keeps its number, kind and last interaction, no name, and how many records the other
        modules erased (``erasers``: the appointments that name the party or have one of its contacts). Counts
        elsewhere (the queue's history) never held the person and stay.

        The other modules erase first, each in its own transaction, before the record's: a failure there leaves
        the party in place, so that the erasure can be asked again (the other way round, the party's contacts
        would be gone and what the others hold could no longer be found)."""
        async with self.db() as session:  # read alone: no transaction held while the others write (SQLite)
            await _party(session, staff.tenant, party_id)
            contacts = (await _contacts(session, [party_id])).get(party_id, [])
        phones = [c.value for c in contacts if c.kind == "phone"]
        emails = [c.key for c in contacts if c.kind == "email"]
        elsewhere = 0
        for eraser in self.erasers:
            elsewhere += await eraser(staff.tenant, party_id, phones, emails)
        async with self.db() as session:
            party = await _party(session, staff.tenant, party_id)
            report = [{**_reported(party), "erased_elsewhere": elsewhere}]
            await _remove(session, staff.tenant, [party_id])
            session.add(Purge(tenant_id=staff.tenant, at=datetime.now(UTC), actor=staff.actor, reason="erasure",
                              parties=report))
            audit.note(session, "crm.erased", staff.actor, tenant=staff.tenant, target=f"party:{party_id}",
                       address=staff.address, detail=f"{elsewhere} records erased in other modules")
            await session.commit()

    async def purge(self, now: datetime, actor: str = "retention") -> list[dict[str, Any]]:
        """Retention: every party of every tenant with no interaction for ``retention_days`` is removed; one
        deletion report per tenant that had any (returned, and kept in ``crm_purges``)."""
        until = now - timedelta(days=self.retention_days)
        reports: list[dict[str, Any]] = []
        async with self.db() as session:
            due = (await session.execute(select(Party).where(col(Party.dealt_with_at) < until)
                                         .order_by(col(Party.tenant_id), col(Party.id)))).scalars().all()
            by_tenant: dict[str, list[Party]] = {}
            for party in due:
                if purge_due(party.dealt_with_at, now, self.retention_days):
                    by_tenant.setdefault(party.tenant_id, []).append(party)
            for tenant, parties in by_tenant.items():
                report = [_reported(p) for p in parties]
                for start in range(0, len(parties), PURGE_BATCH):
                    await _remove(session, tenant, [p.id for p in parties[start:start + PURGE_BATCH] if p.id])
                session.add(Purge(tenant_id=tenant, at=now, actor=actor, reason="retention", parties=report,
                                  until=until))
                audit.note(session, "crm.purged", actor, tenant=tenant, target=f"{len(parties)} parties",
                           detail=f"no interaction since {until.date().isoformat()}")
                reports.append({"tenant": tenant, "purged": len(parties), "until": until.isoformat(),
                                "parties": report})
            await session.commit()
        return reports

    async def purges(self, staff: Staff) -> list[dict[str, Any]]:
        """The tenant's deletion reports, newest first."""
        async with self.db() as session:
            rows = (await session.execute(select(Purge).where(col(Purge.tenant_id) == staff.tenant)
                                          .order_by(col(Purge.at).desc(), col(Purge.id).desc()))).scalars().all()
        return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "reason": r.reason,
                 "until": r.until.isoformat() if r.until else None, "parties": r.parties} for r in rows]

    # -- sectors ---------------------------------------------------------------------------------------

    async def sectors(self, tenant: str) -> list[dict[str, Any]]:
        async with self.db() as session:
            return await _sectors(session, tenant)

    async def put_sector(self, staff: Staff, sector_id: str, name: str, sealed: bool,
                         services: Sequence[tuple[str, str]], members: Sequence[str]) -> dict[str, Any]:
        """Create or replace a sector: its services (site, service) and its members (logins of the tenant)."""
        async with self.db() as session:
            logins = [m.lower() for m in members]
            users = {u.login: u for u in (await session.execute(select(User).where(
                col(User.tenant_id) == staff.tenant, col(User.login).in_(logins)))).scalars().all()}
            for i, login in enumerate(members):
                if login.lower() not in users:
                    raise invalid(f"members.{i}", f"No person with the login {login!r} in this collectivity.",
                                  kind="unknown-member")
            sites = {s for s, in (await session.execute(select(col(SiteRow.id)).where(
                col(SiteRow.tenant_id) == staff.tenant))).all()}
            for i, (site, _service) in enumerate(services):
                if site not in sites:
                    raise invalid(f"services.{i}.site", f"No site {site!r} in this collectivity.", kind="unknown-site")
            row = await session.get(Sector, (staff.tenant, sector_id))
            created = row is None
            if row is None:
                row = Sector(tenant_id=staff.tenant, id=sector_id, name=name, sealed=sealed)
                session.add(row)
            else:
                row.name, row.sealed = name, sealed
            await session.execute(delete(SectorService).where(col(SectorService.tenant_id) == staff.tenant,
                                                              col(SectorService.sector_id) == sector_id))
            pairs = list(dict.fromkeys(services))
            if pairs:  # a service belongs to one sector: taking it takes it from another
                await session.execute(delete(SectorService).where(or_(*(
                    (col(SectorService.site_id) == site) & (col(SectorService.service_id) == service)
                    for site, service in pairs))))
            await session.flush()
            for site, service in pairs:
                session.add(SectorService(site_id=site, service_id=service, tenant_id=staff.tenant,
                                          sector_id=sector_id))
            await session.execute(delete(SectorMember).where(col(SectorMember.tenant_id) == staff.tenant,
                                                             col(SectorMember.sector_id) == sector_id))
            for login in dict.fromkeys(m.lower() for m in members):
                user_id = users[login].id
                assert user_id is not None
                session.add(SectorMember(tenant_id=staff.tenant, sector_id=sector_id, user_id=user_id))
            audit.note(session, "crm.sector.created" if created else "crm.sector.changed", staff.actor,
                       tenant=staff.tenant, target=f"sector:{sector_id}", address=staff.address,
                       detail=orjson.dumps({"name": name, "sealed": sealed, "services": [f"{a}/{b}" for a, b in pairs],
                                            "members": sorted(users)}).decode())
            await session.commit()
            return next(s for s in await _sectors(session, staff.tenant) if s["id"] == sector_id)


# -- helpers (in the caller's transaction) ----------------------------------------------------------------

PERSON_FIELDS = ("first_name", "last_name", "birth_date", "language", "tags")
LEGAL_FIELDS = ("name", "rna", "siren", "siret", "activity", "language", "tags")


def _fields(party: Party) -> dict[str, Any]:
    names = PERSON_FIELDS if party.kind == "person" else LEGAL_FIELDS
    return {n: getattr(party, n) for n in names}


def _apply(party: Party, fields: dict[str, Any]) -> None:
    """Put the checked ``fields`` that belong to the party's kind on it (a SIRET gives its SIREN)."""
    for name in PERSON_FIELDS if party.kind == "person" else LEGAL_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "birth_date" and isinstance(value, str):
                value = date.fromisoformat(value)
            setattr(party, name, value)
    if party.kind != "person" and fields.get("siret"):
        party.siren = party.siret[:9] if party.siret else party.siren


FIELD_OF = {"phone": "phones", "email": "emails", "address": "address"}  # a contact point's kind -> its field


async def _set_contacts(session: AsyncSession, party: Party, fields: dict[str, Any], region: str) -> None:
    """Replace the party's phones, e-mails or address with those in ``fields`` (each kind only when given,
    the others kept); the consents given (or those held) apply to its contact points."""
    assert party.id is not None
    if not any(name in fields for name in (*FIELD_OF.values(), "consents")):
        return
    held = select(ContactPoint).where(col(ContactPoint.party_id) == party.id)
    existing = (await session.execute(held)).scalars().all()
    consents = fields.get("consents") or {
        "sms": any(c.consent_sms for c in existing), "email": any(c.consent_email for c in existing),
        "surveys": any(c.consent_surveys for c in existing)}
    wanted = [(c.kind, c.value, c.key) for c in existing if FIELD_OF[c.kind] not in fields]
    for i, raw in enumerate(fields.get("phones") or []):
        number = identifiers.phone(raw, region, field=f"phones.{i}")
        wanted.append(("phone", number, number))
    for i, raw in enumerate(fields.get("emails") or []):
        address = identifiers.email(raw, field=f"emails.{i}")
        wanted.append(("email", address, identifiers.email_key(address)))
    if fields.get("address"):
        wanted.append(("address", fields["address"], identifiers.address_key(fields["address"])))
    for contact in existing:
        await session.delete(contact)
    await session.flush()
    seen: set[tuple[str, str]] = set()
    for kind, value, key in wanted:
        if (kind, key) not in seen:
            seen.add((kind, key))
            session.add(ContactPoint(tenant_id=party.tenant_id, party_id=party.id, kind=kind, value=value, key=key,
                                     consent_sms=kind == "phone" and bool(consents.get("sms")),
                                     consent_email=kind == "email" and bool(consents.get("email")),
                                     consent_surveys=kind != "address" and bool(consents.get("surveys"))))
    await session.flush()


async def _party(session: AsyncSession, tenant: str, party_id: int, field: str = "id") -> Party:
    party = await session.get(Party, party_id)
    if party is None or party.tenant_id != tenant:
        error = unknown_party(party_id)
        error.field = field
        raise error
    return party


async def _contacts(session: AsyncSession, ids: Iterable[int]) -> dict[int, list[ContactPoint]]:
    ids = list(ids)
    out: dict[int, list[ContactPoint]] = {}
    if not ids:
        return out
    for contact in (await session.execute(select(ContactPoint).where(col(ContactPoint.party_id).in_(ids))
                                          .order_by(col(ContactPoint.id)))).scalars().all():
        out.setdefault(contact.party_id, []).append(contact)
    return out


def _contact_fields(contacts: Sequence[ContactPoint]) -> dict[str, Any]:
    addresses = [c.value for c in contacts if c.kind == "address"]
    return {
        "phones": [c.value for c in contacts if c.kind == "phone"],
        "emails": [c.value for c in contacts if c.kind == "email"],
        "address": addresses[0] if addresses else None,
        "consents": {"sms": any(c.consent_sms for c in contacts), "email": any(c.consent_email for c in contacts),
                     "surveys": any(c.consent_surveys for c in contacts)},
    }


def _base(party: Party) -> dict[str, Any]:
    view: dict[str, Any] = {"id": party.id, "kind": party.kind, "display_name": display_name(party)}
    for name in _fields(party):
        value = getattr(party, name)
        view[name] = value.isoformat() if isinstance(value, date) else value
    return view


def _item(party: Party, contacts: Sequence[ContactPoint]) -> dict[str, Any]:
    """A party as search lists it: enough to tell two namesakes apart."""
    return {**_base(party), **_contact_fields(contacts), "last_interaction_at": party.dealt_with_at.isoformat()}


def _entry_view(entry: Entry, seen: Sight) -> dict[str, Any]:
    view: dict[str, Any] = {"id": entry.id, "at": entry.at.isoformat(), "kind": entry.kind, "site": entry.site_id,
                            "service": entry.service, "sector": entry.sector}
    if seen is Sight.WHOLE:
        # An entry may name what people know it by (an appointment's code) rather than what made it.
        ref = entry.detail.get("ref") if isinstance(entry.detail, dict) else None
        view.update(summary=entry.summary, ref=str(ref or entry.source or ""), detail=entry.detail,
                    author=entry.author)
    else:
        view.update(summary="", ref="", outline=True)
    return view


async def _view(session: AsyncSession, party: Party, reader: Reader | None) -> dict[str, Any]:
    """The party whole (fields, contacts, relations) with its timeline as ``reader`` sees it (None: none)."""
    assert party.id is not None
    view = {**_base(party), **_contact_fields((await _contacts(session, [party.id])).get(party.id, []))}
    relations = (await session.execute(select(Relation).where(
        or_(col(Relation.party_id) == party.id, col(Relation.other_id) == party.id)))).scalars().all()
    others = {r.other_id if r.party_id == party.id else r.party_id for r in relations}
    named = {p.id: p for p in (await session.execute(
        select(Party).where(col(Party.id).in_(others)))).scalars().all()} if others else {}
    view["relations"] = [
        {"party": other.id, "kind": other.kind, "display_name": display_name(other), "role": r.role,
         "direction": "of" if r.party_id == party.id else "has"}
        for r in relations if (other := named.get(r.other_id if r.party_id == party.id else r.party_id))]
    if reader is None:
        view["timeline"] = []
        return view
    sealed = frozenset(s for s, in (await session.execute(select(col(Sector.id)).where(
        col(Sector.tenant_id) == party.tenant_id, col(Sector.sealed).is_(True)))).all())
    entries = (await session.execute(select(Entry).where(col(Entry.party_id) == party.id)
                                     .order_by(col(Entry.at).desc(), col(Entry.id).desc()))).scalars().all()
    timeline = []
    for entry in entries:
        seen = sight(reader, entry.sector, sealed, party.kind in LEGAL)
        if seen is not Sight.NOTHING:
            timeline.append(_entry_view(entry, seen))
    view["timeline"] = timeline
    return view


async def _sectors_of(session: AsyncSession, staff: Staff) -> frozenset[str]:
    if staff.user_id is None:
        return frozenset()
    return frozenset(s for s, in (await session.execute(select(col(SectorMember.sector_id)).where(
        col(SectorMember.tenant_id) == staff.tenant, col(SectorMember.user_id) == staff.user_id))).all())


async def _sectors(session: AsyncSession, tenant: str) -> list[dict[str, Any]]:
    sectors = (await session.execute(select(Sector).where(col(Sector.tenant_id) == tenant)
                                     .order_by(col(Sector.id)))).scalars().all()
    services = (await session.execute(
        select(SectorService).where(col(SectorService.tenant_id) == tenant)
        .order_by(col(SectorService.site_id), col(SectorService.service_id)))).scalars().all()
    members = (await session.execute(select(col(SectorMember.sector_id), col(User.login)).join(
        User, col(User.id) == SectorMember.user_id).where(col(SectorMember.tenant_id) == tenant)
        .order_by(col(User.login)))).all()
    return [{"id": s.id, "name": s.name, "sealed": s.sealed,
             "services": [{"site": x.site_id, "service": x.service_id} for x in services if x.sector_id == s.id],
             "members": [login for sector, login in members if sector == s.id]} for s in sectors]


async def _likely_duplicates(session: AsyncSession, party: Party, region: str) -> list[tuple[Party, str]]:
    """The parties of the tenant that ``party`` is likely one with, and why (``domain/duplicates.py``)."""
    assert party.id is not None
    mine = (await _contacts(session, [party.id])).get(party.id, [])
    keys = {(c.kind, c.key) for c in mine if c.kind in ("phone", "email")}
    candidates: set[int] = set()
    if keys:
        candidates |= {i for i, in (await session.execute(select(col(ContactPoint.party_id)).where(
            col(ContactPoint.tenant_id) == party.tenant_id, col(ContactPoint.party_id) != party.id,
            or_(*((col(ContactPoint.kind) == k) & (col(ContactPoint.key) == v) for k, v in keys))))).all()}
    candidates |= set(await search.find(session, party.tenant_id, _names(party), region, SEARCH_LIMIT)) - {party.id}
    identifiers_ = [c for c in (party.siren, party.rna) if c]
    if identifiers_:
        candidates |= {i for i, in (await session.execute(select(col(Party.id)).where(
            col(Party.tenant_id) == party.tenant_id, col(Party.id) != party.id,
            or_(col(Party.siren).in_(identifiers_), col(Party.rna).in_(identifiers_))))).all()}
    if not candidates:
        return []
    others = (await session.execute(select(Party).where(col(Party.id).in_(candidates), col(Party.kind) == party.kind)
                                    .order_by(col(Party.id)))).scalars().all()
    contacts = await _contacts(session, [o.id for o in others if o.id is not None])
    found: list[tuple[Party, str]] = []
    for other in others:
        theirs = {(c.kind, c.key) for c in contacts.get(other.id or 0, [])}
        ids_mine = {x for x in (party.siren, party.rna) if x}
        ids_theirs = {x for x in (other.siren, other.rna) if x}
        reason = duplicate_reason(Likeness(
            name_score=fuzz.token_sort_ratio(fold(_names(party)), fold(_names(other))),
            same_phone=any(k == "phone" and (k, v) in theirs for k, v in keys),
            same_email=any(k == "email" and (k, v) in theirs for k, v in keys),
            same_birth_date=party.birth_date is not None and party.birth_date == other.birth_date,
            same_identifier=bool(ids_mine & ids_theirs),
            different_identifier=bool(ids_mine and ids_theirs and not ids_mine & ids_theirs),
            persons=party.kind == "person"))
        if reason is not None:
            found.append((other, reason))
    return found


def _reported(party: Party) -> dict[str, Any]:
    return {"id": party.id, "kind": party.kind, "last_interaction_at": party.dealt_with_at.isoformat()}


async def _remove(session: AsyncSession, tenant: str, ids: list[int]) -> None:
    """Every row that holds something of these parties, then the parties."""
    if not ids:
        return
    await search.forget(session, tenant, ids)
    await session.execute(delete(Entry).where(col(Entry.party_id).in_(ids)))
    await session.execute(delete(ContactPoint).where(col(ContactPoint.party_id).in_(ids)))
    await session.execute(delete(Relation).where(or_(col(Relation.party_id).in_(ids),
                                                     col(Relation.other_id).in_(ids))))
    await session.execute(delete(Duplicate).where(or_(col(Duplicate.party_id).in_(ids),
                                                      col(Duplicate.other_id).in_(ids))))
    await session.execute(delete(Party).where(col(Party.id).in_(ids)))


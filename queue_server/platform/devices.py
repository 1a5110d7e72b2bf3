"""Devices (kiosks and displays) and their tokens: a pairing code exchanged for the device's own token, a
site's devices, revocation. Each change is written to the audit log; refusals name their field
(``platform/errors.py``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken
from queue_server.platform.audit import record
from queue_server.platform.errors import UnknownField
from queue_server.platform.pairing import PairingCodes
from queue_server.platform.tokens import create_token, revoke_token

DEVICE_ROLES = ("kiosk", "display")


@dataclass(frozen=True, slots=True)
class Paired:
    token: str  # shown once, to the device
    token_id: int
    site: str
    role: str


class Devices:
    def __init__(self, db: async_sessionmaker[AsyncSession], codes: PairingCodes) -> None:
        self.db, self.codes = db, codes

    async def new_code(self, *, site: str, tenant: str, role: str, name: str, by: str, address: str) -> str:
        """A single-use pairing code for a ``role`` device of ``site`` (valid ``pairing.TTL_S``), audited."""
        code = await self.codes.create({"site": site, "tenant": tenant, "role": role, "name": name, "by": by})
        async with self.db() as session:
            await record(session, "pairing.created", by, tenant=tenant, site=site, target=role, address=address,
                         detail=name)
        return code

    async def pair(self, code: str, address: str) -> Paired:
        """The device's own token for ``code`` (used up); ``UnknownField`` if unknown, used or expired."""
        grant = await self.codes.take(code)
        if grant is None:
            raise UnknownField("This pairing code is unknown, already used or expired: ask for a new one.",
                               kind="unknown-pairing-code", field="code", field_message="unknown, used or expired")
        async with self.db() as session:
            token_id, token = await create_token(session, grant["site"], grant["role"], grant["name"])
            await record(session, "device.paired", grant["by"], tenant=grant["tenant"], site=grant["site"],
                         target=f"token:{token_id}", address=address, detail=f"{grant['role']} {grant['name']}".strip())
        return Paired(token, token_id, grant["site"], grant["role"])

    async def of_site(self, site: str, *, live_screens_and_kiosks: bool = False) -> Sequence[ApiToken]:
        """The tokens of ``site`` in the order they were made (never their value); with
        ``live_screens_and_kiosks``, only its displays' and kiosks' that are not revoked."""
        query = select(ApiToken).where(ApiToken.site_id == site)  # type: ignore[arg-type]
        if live_screens_and_kiosks:
            query = query.where(ApiToken.revoked_at.is_(None), ApiToken.role.in_(DEVICE_ROLES))  # type: ignore[union-attr,attr-defined]
        async with self.db() as session:
            return (await session.execute(query.order_by(ApiToken.id))).scalars().all()  # type: ignore[arg-type]

    async def revoke(self, sites: Collection[str], device: int | None, by: str, address: str) -> ApiToken:
        """Revoke token ``device`` of one of ``sites`` (audited; nothing more if already revoked) and give it;
        ``UnknownField`` if there is no such device there."""
        async with self.db() as session:
            row = await session.get(ApiToken, device) if device is not None else None
            if row is None or row.site_id not in sites:
                raise UnknownField("No such device at this site.", kind="unknown-device", field="device",
                                   field_message="no such device at this site")
            assert row.id is not None
            if row.revoked_at is None and await revoke_token(session, row.id):
                await record(session, "token.revoked", by, tenant=row.tenant_id, site=row.site_id,
                             target=f"token:{row.id}", address=address, detail=f"{row.role} {row.name}".strip())
            return row

"""What a tenant's administrators do with people and see of their collectivity, as one service: the
``/admin`` page only parses its forms, calls these and renders. Every change is audited; a refusal is a
``UserError`` whose ``code`` the page says in its language. ``by`` names who acts, as the audit log does ("user:LOGIN").

Rules: only administrators of every site of the tenant add people, set passwords and disable accounts;
an administrator changes the roles of other people only (never their own), at the sites they
administer, and only a tenant administrator touches a role that covers every site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import ApiToken, Site, User, UserRole
from queue_server.platform.audit import Clocks, clocks_of, record
from queue_server.platform.users import (
    Person,
    UserError,
    add_user,
    describe_roles,
    normalise_login,
    people_of,
    roles_of,
    set_disabled,
    set_password,
    set_roles,
    tenant_of,
)

NO_ROLE = "none"  # what the roles form sends for "no role here" (an empty field would not be sent at all)


@dataclass(frozen=True, slots=True)
class Overview:
    """What the admin page shows of a collectivity: its people with their roles, the tokens (devices) of the
    sites the administrator administers, and each site's clock."""

    people: list[tuple[User, list[UserRole]]]
    devices: Sequence[ApiToken]
    clocks: Clocks


class People:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def sites_of(self, tenant: str) -> frozenset[str]:
        """Every site of ``tenant``."""
        async with self.db() as session:
            rows = (await session.execute(select(Site).where(Site.tenant_id == tenant))).scalars()  # type: ignore[arg-type]
            return frozenset(row.id for row in rows)

    async def overview(self, tenant: str, sites: frozenset[str]) -> Overview:
        """The tenant's people with their roles, the devices of ``sites`` and the sites' clocks (for the
        admin page)."""
        async with self.db() as session:
            people = await people_of(session, tenant)
            devices = (await session.execute(
                select(ApiToken).where(ApiToken.site_id.in_(sorted(sites)))  # type: ignore[attr-defined]
                .order_by(ApiToken.site_id, ApiToken.id)  # type: ignore[arg-type]
            )).scalars().all()
            clocks = await clocks_of(session, tenant)
        return Overview(people, devices, clocks)

    async def add(self, admin: Person, *, login: str, password: str, name: str, site: str | None, role: str,
                  by: str, address: str) -> User:
        """A new person of the admin's tenant with one role (``site`` None: every site)."""
        async with self.db() as session:
            user = await add_user(session, admin.tenant_id, login, password, name[:200], [(site, role)])
            await record(session, "user.created", by, tenant=admin.tenant_id, site=site,
                         target=user.login, address=address, detail=f"{site or '*'}:{role}")
        return user

    async def set_password(self, admin: Person, login: str, password: str, by: str, address: str) -> User:
        """A new password for ``login``: their sessions end."""
        async with self.db() as session:
            await self._of_tenant(session, admin, login)
            user = await set_password(session, login, password)
            await record(session, "user.password", by, tenant=admin.tenant_id, target=login,
                         address=address)
        return user

    async def set_enabled(self, admin: Person, login: str, enabled: bool, by: str, address: str) -> User:
        """Enable or disable the account of ``login`` (disabling ends their sessions)."""
        async with self.db() as session:
            await self._of_tenant(session, admin, login)
            user = await set_disabled(session, login, not enabled)
            await record(session, "user.enabled" if enabled else "user.disabled", by,
                         tenant=admin.tenant_id, target=login, address=address)
        return user

    async def change_roles(self, admin: Person, whole: bool, login: str, changes: dict[str | None, str],
                           by: str, address: str) -> User:
        """Apply ``changes`` (site, or None for every site → role, or ``NO_ROLE``) to ``login``'s roles; the
        other roles stay. ``whole``: the admin administers every site of the tenant."""
        async with self.db() as session:
            await self._of_tenant(session, admin, login)
            if normalise_login(login) == admin.login:
                raise UserError("Administrators do not change their own roles.", "own-roles")
            current = await roles_of(session, login)
            if None in current and not whole:
                raise UserError("Only an administrator of every site changes this person's roles.", "every-site")
            wanted = dict(current)
            for where, value in changes.items():
                if value == NO_ROLE:
                    wanted.pop(where, None)
                else:
                    wanted[where] = value
            user = await set_roles(session, login, list(wanted.items()))
            # Filed under the site when only one changed, so that its own administrators see it too.
            changed = {s for s in wanted.keys() | current.keys() if wanted.get(s) != current.get(s)}
            await record(session, "user.roles", by, tenant=admin.tenant_id,
                         site=next(iter(changed)) if len(changed) == 1 else None, target=user.login,
                         address=address, detail=describe_roles(list(wanted.items())))
        return user

    @staticmethod
    async def _of_tenant(session: AsyncSession, admin: Person, login: str) -> None:
        if await tenant_of(session, login) != admin.tenant_id:
            raise UserError("No such person in this collectivity.", "unknown-user")


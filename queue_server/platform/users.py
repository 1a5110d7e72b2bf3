"""People who log in: accounts, argon2id passwords, roles per site.

A ``Person`` is what a session stands for; ``Person.at(site)`` turns it into the ``Principal`` of
that site (the same shape a device token has), or ``None`` where the person has no role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, User, UserRole
from queue_server.platform.tokens import ROLES, Principal

PEOPLE_ROLES = ("agent", "supervisor", "admin")
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)
# Verified against when the login is unknown, so that a wrong login costs the same time as a wrong password.
_DUMMY = _hasher.hash("not a password")


class UserError(ValueError):
    """A request about users that cannot be honoured; the message says why, in English, for a person
    to read (the CLI prints it); ``code`` names the case, for pages to say it in their language."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    tenant_id: str
    login: str
    name: str
    epoch: int
    roles: dict[str | None, str] = field(default_factory=dict)  # site (None: every site) -> role

    @property
    def administers(self) -> frozenset[str] | None:
        """The sites this person administers; ``None`` for every site of the tenant."""
        if self.roles.get(None) == "admin":
            return None
        return frozenset(s for s, role in self.roles.items() if s is not None and role == "admin")

    def at(self, site_id: str) -> Principal | None:
        role = self.roles.get(site_id) or self.roles.get(None)
        if role is None:
            return None
        return Principal(0, self.tenant_id, site_id, role, self.name or self.login)


def normalise_login(login: str) -> str:
    login = login.strip().lower()
    if not 1 <= len(login) <= 200 or not login.isprintable() or " " in login:
        raise UserError("A login is 1 to 200 printable characters without spaces.", "login-format")
    return login


def check_password(password: str) -> None:
    if len(password) < 12:
        raise UserError("A password needs at least 12 characters.", "password-short")
    if len(password) > 1024:
        raise UserError("A password may not exceed 1024 characters.", "password-long")


async def _user(session: AsyncSession, login: str) -> User:
    row = (await session.execute(select(User).where(User.login == normalise_login(login)))).scalar_one_or_none()  # type: ignore[arg-type]
    if row is None:
        raise UserError(f"No user {login!r}.", "unknown-user")
    user: User = row
    return user


async def _check_roles(session: AsyncSession, tenant_id: str, roles: Sequence[tuple[str | None, str]]) -> None:
    """Refuses (``UserError``) a role people cannot have, a site outside ``tenant_id``, a wide role
    other than admin, or two roles at one site."""
    sites = {s.id for s in (await session.execute(select(Site).where(Site.tenant_id == tenant_id))).scalars()}  # type: ignore[arg-type]
    if not sites:
        raise UserError(f"No tenant {tenant_id!r} with sites.", "unknown-tenant")
    seen: set[str | None] = set()
    for site, role in roles:
        if role not in PEOPLE_ROLES:
            raise UserError(f"Unknown role {role!r}; people can be {', '.join(PEOPLE_ROLES)}.", "unknown-role")
        if site is None and role != "admin":
            raise UserError("Only an admin role may cover every site (give a site for agents and supervisors).",
                            "wide-role")
        if site is not None and site not in sites:
            raise UserError(f"No site {site!r} in tenant {tenant_id!r}.", "unknown-site")
        if site in seen:
            raise UserError(f"One role per site: {site or 'every site'} is given twice.", "duplicate-site")
        seen.add(site)


async def add_user(session: AsyncSession, tenant_id: str, login: str, password: str, name: str,
                   roles: Sequence[tuple[str | None, str]]) -> User:
    """A new user of ``tenant_id`` with ``roles`` as (site or None for every site, role) pairs."""
    login = normalise_login(login)
    check_password(password)
    if (await session.execute(select(User).where(User.login == login))).scalar_one_or_none() is not None:  # type: ignore[arg-type]
        raise UserError(f"The login {login!r} is taken.", "login-taken")
    await _check_roles(session, tenant_id, roles)
    user = User(tenant_id=tenant_id, login=login, name=name, password_hash=_hasher.hash(password),
                created_at=datetime.now(UTC))
    session.add(user)
    await session.flush()
    assert user.id is not None
    for site, role in roles:
        session.add(UserRole(user_id=user.id, site_id=site, role=role))
    await session.commit()
    return user


async def set_password(session: AsyncSession, login: str, password: str) -> User:
    """Change the password; every open session of the user ends."""
    check_password(password)
    user = await _user(session, login)
    user.password_hash = _hasher.hash(password)
    user.session_epoch += 1
    await session.commit()
    return user


async def set_disabled(session: AsyncSession, login: str, disabled: bool = True) -> User:
    """Disable (or enable again) an account; disabling ends every open session of the user."""
    user = await _user(session, login)
    user.disabled = disabled
    user.session_epoch += 1
    await session.commit()
    return user


async def set_roles(session: AsyncSession, login: str, roles: Sequence[tuple[str | None, str]]) -> User:
    """Replace every role of ``login`` with ``roles`` (as for ``add_user``); at least one is needed
    (disabling the account is how access ends). Open sessions stay open with the new rights (once the
    change is announced, store/revocations.py, or the authenticator's person cache expires)."""
    user = await _user(session, login)
    if not roles:
        raise UserError("A person needs at least one role; disable the account to take their access away.",
                        "no-role")
    await _check_roles(session, user.tenant_id, roles)
    assert user.id is not None
    await session.execute(delete(UserRole).where(UserRole.user_id == user.id))  # type: ignore[arg-type]
    for site, role in roles:
        session.add(UserRole(user_id=user.id, site_id=site, role=role))
    await session.commit()
    return user


async def roles_of(session: AsyncSession, login: str) -> dict[str | None, str]:
    """The roles of ``login``: site (``None``: every site of the tenant) -> role."""
    user = await _user(session, login)
    rows = (await session.execute(select(UserRole).where(UserRole.user_id == user.id))).scalars().all()  # type: ignore[arg-type]
    return {row.site_id: row.role for row in rows}


def describe_roles(roles: Sequence[tuple[str | None, str]]) -> str:
    """``site:role, ...`` with ``*`` for every site, sites in order: for the audit log and the CLI."""
    ordered = sorted(roles, key=lambda r: (r[0] is not None, r[0] or ""))
    return ", ".join(f"{site or '*'}:{role}" for site, role in ordered)


async def person(session: AsyncSession, user_id: int) -> Person | None:
    """The person behind a session, or ``None`` if the account is gone or disabled."""
    user = await session.get(User, user_id)
    if user is None or user.disabled:
        return None
    roles = (await session.execute(select(UserRole).where(UserRole.user_id == user_id))).scalars().all()  # type: ignore[arg-type]
    assert user.id is not None
    return Person(user.id, user.tenant_id, user.login, user.name, user.session_epoch,
                  {r.site_id: r.role for r in roles})


async def tenant_of(session: AsyncSession, login: str) -> str | None:
    """The tenant of ``login`` if it exists (to file a failed sign-in under it), else ``None``."""
    try:
        login = normalise_login(login)
    except UserError:
        return None
    user = (await session.execute(select(User).where(User.login == login))).scalar_one_or_none()  # type: ignore[arg-type]
    return user.tenant_id if user is not None else None


def _matches(stored: str, password: str) -> bool:
    """argon2 takes ~0.1 s of CPU on purpose: called in a worker thread, never on the event loop."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify(session: AsyncSession, login: str, password: str) -> Person | None:
    """The person if ``login`` and ``password`` match an enabled account; ``None`` otherwise, in
    about the same time either way. Rehashes a password stored with older parameters."""
    try:
        login = normalise_login(login)
    except UserError:
        login = ""
    user = (await session.execute(select(User).where(User.login == login))).scalar_one_or_none() if login else None  # type: ignore[arg-type]
    if not await anyio.to_thread.run_sync(_matches, user.password_hash if user else _DUMMY, password[:1024]):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await anyio.to_thread.run_sync(_hasher.hash, password)
        await session.commit()
    assert user.id is not None
    return await person(session, user.id)


__all__ = ["ROLES", "Person", "UserError", "add_user", "describe_roles", "people_of", "person", "roles_of",
           "set_disabled", "set_password", "set_roles", "verify"]


async def people_of(session: AsyncSession, tenant_id: str) -> list[tuple[User, list[UserRole]]]:
    """Every user of ``tenant_id`` with their roles, by login."""
    users = (await session.execute(
        select(User).where(User.tenant_id == tenant_id).order_by(User.login)  # type: ignore[arg-type]
    )).scalars().all()
    roles = (await session.execute(
        select(UserRole).where(UserRole.user_id.in_([u.id for u in users]))  # type: ignore[attr-defined]
    )).scalars().all() if users else []
    by_user: dict[int, list[UserRole]] = {}
    for role in roles:
        by_user.setdefault(role.user_id, []).append(role)
    return [(user, sorted(by_user.get(user.id or 0, []), key=lambda r: r.site_id or "")) for user in users]

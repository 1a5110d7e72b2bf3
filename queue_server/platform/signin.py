"""Signing in, as the sign-in page and the authenticator need it: a login and password checked, the
person behind a session looked up, each sign-in, refusal and sign-out filed in the audit log. Each
call in a session of its own; rate limits and lockouts are the page's (``platform/sessions.py``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.audit import record
from queue_server.platform.users import Person, person, tenant_of, verify


class SignIn:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def check(self, login: str, password: str) -> Person | None:
        """The person if ``login`` and ``password`` match an enabled account; ``None`` otherwise, in about
        the same time either way (``users.verify``)."""
        async with self.db() as session:
            return await verify(session, login, password)

    async def person(self, user_id: int) -> Person | None:
        """The person behind a session, or ``None`` if the account is gone or disabled."""
        async with self.db() as session:
            return await person(session, user_id)

    async def signed_in(self, who: Person, address: str) -> None:
        async with self.db() as session:
            await record(session, "login", f"user:{who.login}", tenant=who.tenant_id, address=address)

    async def refused(self, action: str, login: str, address: str) -> None:
        """A failed or locked sign-in (``action``), filed under the login's tenant when the login exists
        (the login as typed is kept only then: a mistyped password in the login field must not be)."""
        async with self.db() as session:
            tenant = await tenant_of(session, login)
            await record(session, action, "anonymous", tenant=tenant, target=login if tenant else "", address=address)

    async def signed_out(self, who: Person, address: str) -> None:
        async with self.db() as session:
            await record(session, "logout", f"user:{who.login}", tenant=who.tenant_id, address=address)

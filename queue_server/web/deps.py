"""What the shared endpoints (sign-in, administration) work with: built once in the lifespan, when every
part exists, and handed to the objects that serve the routes (never an object created empty and filled
in later). Each module has its own, holding this one (``queue_server.queue.web.deps``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.pairing import PairingCodes
from queue_server.platform.presence import Presence
from queue_server.platform.sessions import Limits, SessionStore
from queue_server.platform.signin import SignIn
from queue_server.platform.sites import Sites
from queue_server.settings import Settings
from queue_server.web.auth import Authenticator

SessionFactory = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class PlatformDeps:
    settings: Settings
    auth: Authenticator  # who is calling (tokens, sessions), revocations announced
    db: SessionFactory  # SQL sessions
    signin: SignIn  # logins and passwords checked, sign-ins and sign-outs audited
    sites: Sites  # which sites exist, their logos
    sessions: SessionStore  # people's browser sessions (Redis)
    limits: Limits  # rate limits and lockouts (Redis, shared by every process)
    codes: PairingCodes  # single-use pairing codes of devices
    presence: Presence  # which displays and kiosks are connected

"""Who is calling, and may they do this here? Bearer tokens for devices and integrations, a session
cookie for people in a browser (web/login.py opens it).

A request with a session cookie that changes anything must carry the session's CSRF token in the
``X-CSRF-Token`` header (pages get it from ``GET /api/v1/me``); a WebSocket opened with the cookie
must come with an ``Origin`` the server trusts (web/ws.py).

A token names one site and one role (an admin token covers every site of its tenant). A token of
another tenant gets 404, exactly like an unknown site, so that existence never leaks; a token of the
same tenant but the wrong site or role gets 403. Lookups are cached for ``CACHE_S`` seconds; a
revocation announced through Redis (store/revocations.py) drops the cached entry at once on every
process, so a revoked token, a new password or a disabled account takes effect within milliseconds
(within ``CACHE_S`` when no announcement came: a change made by the CLI without Redis at hand).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from urllib.parse import unquote_plus

from starlette.requests import HTTPConnection

from queue_server.platform.revocations import Kind, Revocations
from queue_server.platform.sessions import Session, SessionStore
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.domain.config import SiteConfig
from queue_server.web.errors import HTTPError

SESSION_COOKIE = "guichet_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CACHE_S = 5.0
CACHE_MAX = 10_000

ANY_ROLE = frozenset({"kiosk", "display", "agent", "supervisor", "admin"})
ISSUERS = frozenset({"kiosk", "agent", "supervisor", "admin"})
STAFF = frozenset({"agent", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})


def bearer(conn: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer``; ``?token=`` is accepted on WebSockets only."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if header and (scheme.lower() != "bearer" or not value.strip()):
        raise HTTPError(401, "Use 'Authorization: Bearer <token>'.", "bad-credentials",
                        {"WWW-Authenticate": "Bearer"})
    return value.strip() or None


def query_token(conn: HTTPConnection) -> str | None:
    """The ``token`` query parameter spelt exactly so: ``?tok%65n=`` decodes to the same name, but a
    credential is taken under its exact name only (device pages, which cannot send headers on a
    WebSocket). Logs redact every parameter whose decoded name holds "token" (cli.py)."""
    for pair in conn.scope.get("query_string", b"").split(b"&"):
        name, sep, value = pair.partition(b"=")
        if name == b"token" and sep:
            return unquote_plus(value.decode("latin-1"))
    return None


class Authenticator:
    def __init__(self, lookup: Callable[[str], Awaitable[Principal | None]],
                 sessions: SessionStore | None = None,
                 people: Callable[[int], Awaitable[Person | None]] | None = None,
                 revoked: Callable[[set[int]], Awaitable[set[int]]] | None = None,
                 revocations: Revocations | None = None) -> None:
        self._lookup = lookup
        self._revocations = revocations
        self._revoked = revoked
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self.sessions = sessions
        self._people = people
        self._people_cache: dict[int, tuple[float, Person | None]] = {}

    async def person(self, user_id: int) -> Person | None:
        now = time.monotonic()
        hit = self._people_cache.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self._people(user_id) if self._people is not None else None
        if len(self._people_cache) >= CACHE_MAX:
            self._people_cache.clear()
        self._people_cache[user_id] = (now + CACHE_S, found)
        return found

    async def announce(self, kind: Kind, ref: str | int) -> None:
        """Tell every process that a credential was taken back (a token revoked, a person's password,
        account or roles changed, a session signed out): they forget it and close its live feeds."""
        if self._revocations is not None:
            await self._revocations.tell(kind, ref)

    def forget_token(self, token_id: int) -> None:
        """Drop what is cached of token ``token_id`` (it was revoked): the next use looks it up."""
        for token, (_, principal) in tuple(self._cache.items()):
            if principal is not None and principal.token_id == token_id:
                del self._cache[token]

    def forget_person(self, user_id: int) -> None:
        """Drop what is cached of person ``user_id`` (password, account or roles changed)."""
        self._people_cache.pop(user_id, None)

    async def revoked(self, token_ids: set[int]) -> set[int]:
        """Which of ``token_ids`` are revoked (or gone), in one query per 500; those are also dropped
        from the lookup cache at once."""
        found = await self._revoked(token_ids) if self._revoked is not None else set()
        if found:
            for token, (_, principal) in tuple(self._cache.items()):
                if principal is not None and principal.token_id in found and not principal.revoked:
                    del self._cache[token]
        return found

    async def ended(self, sids: set[str]) -> set[str]:
        """Which of these session ids no longer open a session."""
        return {sid for sid in sids if await self.session_of(sid) is None}

    async def session(self, conn: HTTPConnection) -> tuple[Session, Person] | None:
        """The live session of the request's cookie and its person; ``None`` without one."""
        sid = conn.cookies.get(SESSION_COOKIE)
        return await self.session_of(sid) if sid else None

    async def session_of(self, sid: str) -> tuple[Session, Person] | None:
        if self.sessions is None:
            return None
        session = await self.sessions.get(sid)
        if session is None:
            return None
        person = await self.person(session.user_id)
        if person is None or person.epoch != session.epoch:
            return None
        return session, person

    async def caller(self, conn: HTTPConnection) -> Principal | Person:
        """Who is asking: the bearer token's principal, else the session's person (with a valid CSRF
        token if the request changes anything); 401 otherwise."""
        if bearer(conn) is not None or self.sessions is None or SESSION_COOKIE not in conn.cookies:
            return await self.require(conn)
        found = await self.session(conn)
        if found is None:
            raise HTTPError(401, "Your session has ended: sign in again.", "session-ended")
        session, person = found
        if conn.scope["type"] == "http" and conn.scope["method"] not in SAFE_METHODS:
            sent = conn.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                raise HTTPError(403, "This request needs the session's CSRF token in X-CSRF-Token.", "csrf")
        return person

    async def principal(self, token: str) -> Principal | None:
        """The principal of a live token; ``None`` if unknown or revoked."""
        found = await self._known(token)
        return None if found is None or found.revoked else found

    async def _known(self, token: str) -> Principal | None:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        if len(token) > 200:
            return None
        found = await self._lookup(token)
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[token] = (now + CACHE_S, found)
        return found

    async def refusal(self, token: str, headers: dict[str, str] | None = None) -> HTTPError:
        """The 401 for a token that opens nothing: a revoked device is told so (its page shows
        "paired device revoked"), anything else just that the token is not valid."""
        known = await self._known(token)
        if known is not None and known.revoked:
            return HTTPError(401, "This device's token has been revoked: pair the device again.", "token-revoked",
                             headers)
        return HTTPError(401, "This token is unknown or has been revoked.", "bad-credentials", headers)

    async def require(self, conn: HTTPConnection) -> Principal:
        token = bearer(conn)
        if token is None:
            raise HTTPError(401, "This endpoint needs a bearer token.", "unauthenticated",
                            {"WWW-Authenticate": "Bearer"})
        found = await self.principal(token)
        if found is None:
            raise await self.refusal(token, {"WWW-Authenticate": "Bearer"})
        return found


def authorize(caller: Principal | Person, config: SiteConfig | None, roles: frozenset[str]) -> SiteConfig:
    """Checks that ``caller`` may act with one of ``roles`` on the site; returns its configuration."""
    if config is None or config.tenant != caller.tenant_id:
        raise HTTPError(404, "No such site.", "unknown-site")
    if isinstance(caller, Person):
        found = caller.at(config.id)
        if found is None:
            raise HTTPError(403, f"You have no role at {config.id!r}.", "wrong-site")
        principal = found
    else:
        principal = caller
    if principal.site_id != config.id and principal.role != "admin":
        raise HTTPError(403, f"This token belongs to another site than {config.id!r}.", "wrong-site")
    if principal.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise HTTPError(403, f"A {principal.role} token cannot do this (allowed: {allowed}).", "wrong-role")
    return config

"""Who is calling, and may they do this here? Bearer tokens for devices and integrations.

A token names one site and one role (an admin token covers every site of its tenant). A token of
another tenant gets 404, exactly like an unknown site, so that existence never leaks; a token of the
same tenant but the wrong site or role gets 403. Lookups are cached for ``CACHE_S`` seconds:
a revoked token stops working within that delay on every process.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection

from ..db.repo import Principal
from ..domain.config import SiteConfig
from .errors import HTTPError

CACHE_S = 5.0
CACHE_MAX = 10_000

ANY_ROLE = frozenset({"kiosk", "display", "agent", "supervisor", "admin"})
ISSUERS = frozenset({"kiosk", "agent", "supervisor", "admin"})
STAFF = frozenset({"agent", "supervisor", "admin"})


def bearer(conn: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer``; ``?token=`` is accepted on WebSockets only."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if header and (scheme.lower() != "bearer" or not value.strip()):
        raise HTTPError(401, "Use 'Authorization: Bearer <token>'.", "bad-credentials",
                        {"WWW-Authenticate": "Bearer"})
    return value.strip() or None


class Authenticator:
    def __init__(self, lookup: Callable[[str], Awaitable[Principal | None]]) -> None:
        self._lookup = lookup
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, token: str) -> Principal | None:
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

    async def require(self, conn: HTTPConnection) -> Principal:
        token = bearer(conn)
        if token is None:
            raise HTTPError(401, "This endpoint needs a bearer token.", "unauthenticated",
                            {"WWW-Authenticate": "Bearer"})
        found = await self.principal(token)
        if found is None:
            raise HTTPError(401, "This token is unknown or has been revoked.", "bad-credentials",
                            {"WWW-Authenticate": "Bearer"})
        return found


def authorize(principal: Principal, config: SiteConfig | None, roles: frozenset[str]) -> SiteConfig:
    """Checks that ``principal`` may act with one of ``roles`` on the site; returns its configuration."""
    if config is None or config.tenant != principal.tenant_id:
        raise HTTPError(404, "No such site.", "unknown-site")
    if principal.site_id != config.id and principal.role != "admin":
        raise HTTPError(403, f"This token belongs to another site than {config.id!r}.", "wrong-site")
    if principal.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise HTTPError(403, f"A {principal.role} token cannot do this (allowed: {allowed}).", "wrong-role")
    return config

"""``/ws/sites/{site}``: the live feed of a site (API.md, WebSocket section).

Authentication: ``Authorization: Bearer`` from programs, ``?token=`` from device pages (spelt exactly
so; the CLI's log filter redacts it whatever its spelling; uvicorn's access log is off by default). A
browser's ``Origin`` must be this server's own or one of ``server.trusted_origins``. Refusals happen
before the handshake completes, as an HTTP problem+json answer (401, 403, 404).

Close codes: 1012 when the server shuts down (uvicorn), 1013 when the client fell too far behind
(it should reconnect with ``since``). People's pages may use their session cookie instead of a token,
from a trusted Origin only.

Served by ``queue-server`` (uvicorn with web/wsserver.py's protocol), the hub writes each frame
straight to the connection, and this endpoint only waits for the client to leave: one task per
connection. Under another ASGI server (tests' TestClient, say), a task per connection sends what the
hub queued.

A connection whose token is revoked, or whose session ends (logout, new password, disabled account),
is closed with 4001 (do not come back with it): at once on every process, when the change is announced
through Redis (store/revocations.py, ``revoke``); and every ``SWEEP_S`` seconds the open connections'
credentials are checked again in one query (tokens) and one Redis round trip (sessions), for changes
that were not announced.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from queue_server.platform.presence import Presence
from queue_server.platform.revocations import Revocation
from queue_server.platform.sessions import digest
from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person
from queue_server.queue.hub import Subscriber
from queue_server.queue.protocol import CLOSE_REVOKED
from queue_server.queue.service import QueueService, SiteEngine, Unavailable
from queue_server.queue.web.api import site_engine
from queue_server.queue.web.deps import QueueDeps
from queue_server.web.auth import ANY_ROLE, SESSION_COOKIE, Authenticator, query_token
from queue_server.web.errors import HTTPError, problem
from queue_server.web.http import plausible_id
from queue_server.web.wsserver import frames_of

log = logging.getLogger(__name__)


SWEEP_S = 5.0
DEVICE_ROLES = frozenset({"display", "kiosk"})


@dataclass(frozen=True, slots=True)
class Credential:
    """What let a connection in: a device token (by id) or a person's session (by its cookie)."""

    token_id: int | None = None
    sid: str | None = None
    user_id: int | None = None  # with ``sid``: whose session it is
    site: str = ""
    role: str = ""

    @property
    def device(self) -> bool:
        """A hall display or a kiosk (page or agent), whose presence supervisors watch."""
        return self.token_id is not None and self.role in DEVICE_ROLES


class LiveFeed:
    """The WebSocket endpoint; its collaborators arrive with ``bind`` once the lifespan made them."""

    queue: QueueService
    auth: Authenticator

    def __init__(self, deps: QueueDeps) -> None:
        self.queue, self.auth, self.presence = deps.queue, deps.platform.auth, deps.platform.presence
        self.trusted_origins = frozenset(o.rstrip("/") for o in deps.platform.settings.server.trusted_origins)
        self.credentials: dict[Subscriber, Credential] = {}
        self.connected: Counter[tuple[str, int]] = Counter()  # (site, device token id) -> connections here

    presence: Presence | None = None


    def _devices(self) -> dict[str, set[int]]:
        """The devices this process holds a connection of, by site."""
        out: dict[str, set[int]] = {}
        for site, device in self.connected:
            out.setdefault(site, set()).add(device)
        return out

    async def _arrived(self, credential: Credential) -> None:
        if not credential.device or credential.token_id is None:
            return
        self.connected[(credential.site, credential.token_id)] += 1
        if self.presence is not None:
            try:
                with anyio.move_on_after(2):  # a slow Redis must not hold the screen's feed back
                    await self.presence.seen({credential.site: [credential.token_id]})
            except Exception:  # presence is for supervisors' alerts: never a reason to refuse a display
                log.warning("could not record a device's presence", exc_info=True)

    async def _left(self, credential: Credential) -> None:
        if not credential.device or credential.token_id is None:
            return
        key = (credential.site, credential.token_id)
        self.connected[key] -= 1
        if self.connected[key] > 0:
            return  # another connection of the same device is still open here
        del self.connected[key]
        if self.presence is None:
            return
        try:
            # Also when the connection's task is being cancelled (server shutdown): shielded, briefly.
            with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                await self.presence.left(credential.site, credential.token_id)
        except Exception:
            log.warning("could not record a device's departure", exc_info=True)

    async def _origin_allowed(self, websocket: WebSocket) -> bool:
        """No Origin (not a browser), this server's own, ``server.trusted_origins``, or one of the
        websites the site's tenant declared."""
        origin = websocket.headers.get("origin")
        if origin is None:  # not a browser
            return True
        if origin.rstrip("/") in self.trusted_origins:
            return True
        site = websocket.path_params["site"]
        engine = await self.queue.engine(site) if plausible_id(site) else None
        if engine is not None and origin.rstrip("/") in {o.rstrip("/") for o in engine.config.website_origins}:
            return True
        own = websocket.headers.get("host", "")
        parts = urlsplit(origin)
        return bool(parts.netloc) and parts.netloc == own and parts.scheme in ("http", "https")

    async def sweep(self) -> int:
        """Close every connection whose token was revoked or whose session ended; how many."""
        tokens = {c.token_id for c in self.credentials.values() if c.token_id}
        sids = {c.sid for c in self.credentials.values() if c.sid}
        revoked = await self.auth.revoked(tokens) if tokens else set()
        ended = await self.auth.ended(sids) if sids else set()
        closed = 0
        for subscriber, credential in tuple(self.credentials.items()):
            if credential.token_id in revoked or credential.sid in ended:
                log.info("conn %d: credentials revoked, closing", subscriber.id)
                subscriber.drop(CLOSE_REVOKED, "revoked: pair this device again or sign in")
                closed += 1
        return closed

    async def revoke(self, revocation: Revocation) -> int:
        """Apply a revocation announced by any process: forget the cached credential, close the feeds
        it opened here (a person's only if their session no longer opens: a change of roles leaves
        it open); how many were closed."""
        doomed: list[Subscriber] = []
        if revocation.kind == "token" and revocation.ref.isdecimal():
            token_id = int(revocation.ref)
            self.auth.forget_token(token_id)
            doomed = [s for s, c in self.credentials.items() if c.token_id == token_id]
        elif revocation.kind == "session":
            doomed = [s for s, c in self.credentials.items() if c.sid and digest(c.sid) == revocation.ref]
        elif revocation.kind == "person" and revocation.ref.isdecimal():
            user_id = int(revocation.ref)
            self.auth.forget_person(user_id)
            for subscriber, credential in tuple(self.credentials.items()):
                if credential.user_id != user_id or not credential.sid:
                    continue
                if await self.auth.session_of(credential.sid) is None:
                    doomed.append(subscriber)
        for subscriber in doomed:
            log.info("conn %d: credentials revoked (announced), closing", subscriber.id)
            subscriber.drop(CLOSE_REVOKED, "revoked: pair this device again or sign in")
        return len(doomed)

    async def watch(self) -> None:
        """``sweep`` every ``SWEEP_S`` seconds, for the server's life (errors logged, never fatal)."""
        while True:
            await anyio.sleep(SWEEP_S)
            try:
                await self.sweep()
            except Exception:  # a database or Redis outage: try again next time
                log.warning("could not check the live feed's credentials", exc_info=True)
            if self.presence is not None:
                try:
                    await self.presence.seen(self._devices())
                except Exception:
                    log.warning("could not record the devices' presence", exc_info=True)

    async def _admit(self, websocket: WebSocket) -> tuple[SiteEngine, str, Credential]:
        if not await self._origin_allowed(websocket):
            raise HTTPError(403, "This page's origin is not trusted by this server.", "foreign-origin")
        token = query_token(websocket)
        caller: Principal | Person
        if token is not None:
            found = await self.auth.principal(token)
            if found is None:
                raise await self.auth.refusal(token)
            caller = found
        elif "authorization" not in websocket.headers and SESSION_COOKIE in websocket.cookies:
            # A cookie rides along with any page's WebSocket: only a page of a trusted Origin may
            # use it (checked above), and a browser always says its Origin.
            if "origin" not in websocket.headers:
                raise HTTPError(403, "A session may open the live feed only from a page (Origin).", "foreign-origin")
            caller = await self.auth.caller(websocket)
        else:
            caller = await self.auth.require(websocket)
        engine = await site_engine(self.queue, caller, websocket.path_params["site"], ANY_ROLE)
        if isinstance(caller, Principal):
            return engine, caller.role, Credential(token_id=caller.token_id, site=engine.site, role=caller.role)
        at_site = caller.at(engine.site)
        assert at_site is not None  # site_engine checked it
        return engine, at_site.role, Credential(sid=websocket.cookies[SESSION_COOKIE], user_id=caller.user_id)

    async def endpoint(self, websocket: WebSocket) -> None:
        try:
            engine, role, credential = await self._admit(websocket)
        except (HTTPError, Unavailable) as exc:
            status = exc.status if isinstance(exc, HTTPError) else 503
            detail = exc.detail if isinstance(exc, HTTPError) else "The queue store cannot be reached right now."
            kind = exc.kind if isinstance(exc, HTTPError) else "unavailable"
            await websocket.send_denial_response(problem(status, detail, kind))
            return
        await websocket.accept()
        sink = frames_of(websocket.scope)
        subscriber, first = engine.hub.subscribe(engine.state, role, websocket.query_params.get("since"), sink)
        self.credentials[subscriber] = credential
        log.info("conn %d: %s joined site %s (%d connected)", subscriber.id, role, engine.site,
                 len(engine.hub.subscribers))
        if sink is not None:
            try:
                await self._arrived(credential)
                await self._receive_until_gone(websocket)
            finally:
                engine.hub.unsubscribe(subscriber)
                self.credentials.pop(subscriber, None)
                log.info("conn %d: left site %s", subscriber.id, engine.site)
                await self._left(credential)
            return
        try:
            await self._arrived(credential)
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._send, websocket, subscriber, first)
                tg.start_soon(self._receive, websocket, tg.cancel_scope)
                await subscriber.dropped.wait()
                tg.cancel_scope.cancel()
            if subscriber.dropped.is_set():
                await websocket.close(subscriber.close_code, subscriber.close_reason)
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass
        finally:
            engine.hub.unsubscribe(subscriber)
            self.credentials.pop(subscriber, None)
            log.info("conn %d: left site %s", subscriber.id, engine.site)
            await self._left(credential)

    async def _send(self, websocket: WebSocket, subscriber: Subscriber, first: list[str]) -> None:
        for frame in first:
            await websocket.send_text(frame)
        outbox = subscriber.outbox
        while True:
            await websocket.send_text(await outbox.get())

    async def _receive(self, websocket: WebSocket, scope: anyio.CancelScope) -> None:
        try:
            await self._receive_until_gone(websocket)
        finally:
            scope.cancel()

    @staticmethod
    async def _receive_until_gone(websocket: WebSocket) -> None:
        """Clients have nothing to say yet; reading is how a disconnect (or a shed) is noticed."""
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

"""Signing in and out: ``GET/POST /login``, ``POST /logout``, and ``GET /api/v1/me`` for pages.

- The login form is protected by a double-submit token (a random value in a cookie and in the form),
  so another site cannot sign a browser in behind its back (login CSRF).
- Attempts are limited per client address (``IP_LIMIT`` a minute) and per login: after
  ``LOCK_AFTER`` failures the login is locked for ``LOCK_S``, whether it exists or not (so the lock
  says nothing about which logins exist). Counters live in Redis: they hold across processes.
- The session cookie is HttpOnly, SameSite=Lax, Secure when the page came over HTTPS; its value is
  256 random bits (store/sessions.py keeps only a hash).
"""

from __future__ import annotations

import hmac
import logging
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from queue_server.platform.sessions import IDLE_S, digest
from queue_server.web.auth import SESSION_COOKIE
from queue_server.web.deps import PlatformDeps
from queue_server.web.errors import HTTPError
from queue_server.web.http import client_address, json_response, read_form, route
from queue_server.web.i18n import COOKIE as LANG_COOKIE
from queue_server.web.i18n import negotiate, templates, translations

log = logging.getLogger(__name__)

FORM_COOKIE = "guichet_login"
IP_LIMIT = 20  # attempts per minute from one address
LOCK_AFTER = 5  # failures in a row that lock a login
LOCK_S = 15 * 60


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this server only (never another site)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) <= 500 \
            and value.isprintable():
        return value
    return "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


class Login:
    def __init__(self, deps: PlatformDeps) -> None:
        self.sessions, self.limits, self.auth, self.signin = deps.sessions, deps.limits, deps.auth, deps.signin

    def routes(self) -> list[Route]:
        return [
            route("/login", get=self.page, post=self.submit),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/api/v1/me", self.me, methods=["GET"]),
        ]

    def _render(self, request: Request, status: int = 200, error: str | None = None, login: str = "",
                next_url: str = "/") -> HTMLResponse:
        lang = negotiate(request)
        token = secrets.token_urlsafe(24)
        html = templates(lang).get_template("login.html").render(
            lang=lang, error=error, login=login, next=next_url, csrf=token)
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(FORM_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                            secure=_secure(request))
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=_secure(request))
        return response

    async def page(self, request: Request) -> Response:
        return self._render(request, next_url=_safe_next(request.query_params.get("next")))

    async def submit(self, request: Request) -> Response:
        _ = translations(negotiate(request)).gettext
        form = await read_form(request, max_fields=10)
        login, password = form.get("login", "")[:200], form.get("password", "")
        next_url = _safe_next(form.get("next"))
        sent, expected = form.get("csrf", ""), request.cookies.get(FORM_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return self._render(request, 403, _("This form has expired. Please sign in again."), login, next_url)
        address = client_address(request)
        wait = await self.limits.hit(f"login-ip:{address}", IP_LIMIT, 60)
        if wait is not None:
            response = self._render(request, 429, _("Too many attempts from this network. Try again in "
                                                    "%(seconds)s seconds.") % {"seconds": wait}, login, next_url)
            response.headers["Retry-After"] = str(wait)
            return response
        key = f"login-fail:{login.strip().lower()}"
        failures, left = await self.limits.count(key)
        if failures >= LOCK_AFTER:
            await self.signin.refused("login.locked", login, address)
            minutes = max(1, -(-left // 60))
            response = self._render(request, 429, _("Too many failed attempts for this login. Try again in "
                                                    "%(minutes)s minutes.") % {"minutes": minutes}, login, next_url)
            response.headers["Retry-After"] = str(max(1, left))
            return response
        person = await self.signin.check(login, password)
        if person is None:
            await self.limits.hit(key, LOCK_AFTER, LOCK_S)
            log.info("login failed for a login of %d characters from %s", len(login), address)
            await self.signin.refused("login.failed", login, address)
            return self._render(request, 401, _("Wrong login or password."), login, next_url)
        await self.limits.clear(key)
        sid, _session = await self.sessions.create(person.user_id, person.epoch)
        log.info("user %d signed in from %s", person.user_id, address)
        await self.signin.signed_in(person, address)
        done = RedirectResponse(next_url, status_code=303)
        done.set_cookie(SESSION_COOKIE, sid, max_age=IDLE_S, httponly=True, samesite="lax", secure=_secure(request))
        done.delete_cookie(FORM_COOKIE, path="/login")
        return done

    async def logout(self, request: Request) -> Response:
        found = await self.auth.session(request)
        if found is not None:
            form = await read_form(request, max_fields=10)
            sent = request.headers.get("x-csrf-token") or form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), found[0].csrf.encode()):
                raise HTTPError(403, "Signing out needs the session's CSRF token.", "csrf")
            await self.sessions.delete(request.cookies[SESSION_COOKIE])
            await self.auth.announce("session", digest(request.cookies[SESSION_COOKIE]))
            log.info("user %d signed out", found[1].user_id)
            await self.signin.signed_out(found[1], client_address(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def me(self, request: Request) -> Response:
        """The signed-in person; or, with a bearer token, the device or integration it stands for
        (a kiosk's printer agent learns which tickets are its own)."""
        if "authorization" in request.headers:
            principal = await self.auth.require(request)
            return json_response({"token_id": principal.token_id, "site": principal.site_id,
                                  "role": principal.role, "name": principal.name})
        found = await self.auth.session(request)
        if found is None:
            raise HTTPError(401, "Sign in first.", "unauthenticated")
        session, person = found
        roles = [{"site": site, "role": role} for site, role in person.roles.items()]
        return json_response({"login": person.login, "name": person.name, "tenant": person.tenant_id,
                              "roles": roles, "csrf_token": session.csrf})

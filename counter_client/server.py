"""Talking to the server over HTTP: who we are (a bearer token, or a person signed in with a login and
password), the site's state, and the counter's actions.

Errors, one tree::

    CounterError                 what the agent should read, in one line (str(exc))
     ├── Refused                 the server said no: a problem+json's detail (status, title, detail)
     │    └── NotAllowed         401 or 403: these credentials cannot do this here
     ├── Impossible              the client knows it cannot be done (no ticket at the counter): nothing was sent
     └── Unreachable             no connection, no answer in time, or a 5xx (``sent``: the request may
                                 have been done; else it certainly was not)

A session (``--user``) sends its CSRF token in ``X-CSRF-Token`` with every request that changes
something. When the session ends (the server answers 401: idle for 8 hours, a new password…), the
client signs in again once with the password it was given and repeats the request, which the server
had refused, so nothing happens twice. HTTP times out after ``TIMEOUT_S`` seconds.

Language: the client's own messages are in the language it is given, which it also asks of the server
(``Accept-Language``): the login form's errors are translated; the API's problem details are English
only, and are shown as they are.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

from queue_server.queue.protocol import CounterView, SnapshotView, TicketView

from .language import Gettext, gettext_of

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
SESSION_COOKIE = "guichet_session"
STAFF = frozenset({"agent", "supervisor", "admin"})
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf"[^>]*value="([^"]*)"')
_FORM_ERROR = re.compile(r'id="login-error"[^>]*>\s*(.*?)\s*<', re.S)


class CounterError(Exception):
    """Something the agent should read; ``str()`` is the message."""


class Refused(CounterError):
    """The server refused (4xx): ``detail`` says why, in its words."""

    def __init__(self, status: int, detail: str, title: str = "", kind: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.title, self.kind = status, detail, title, kind


class NotAllowed(Refused):
    """401 or 403: the token or session is not valid, or may not do this at this site."""


class Impossible(CounterError):
    """Refused by the client itself, before asking the server (there is no ticket to finish…)."""


class Unreachable(CounterError):
    """No connection, no answer in time, or a 5xx. ``sent``: the request reached the server, which may
    have done it (a timeout); else it certainly did not."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class Identity:
    """Who the credentials stand for: a token's single site and role, or a person's roles by site
    (``None``: every site of the tenant)."""

    name: str
    roles: dict[str | None, str]
    person: bool

    def sites(self) -> list[str]:
        """The sites where this identity may work at a counter (not ``None``)."""
        return sorted(site for site, role in self.roles.items() if site is not None and role in STAFF)

    def role_at(self, site: str) -> str | None:
        return self.roles.get(site) or self.roles.get(None)


def problem_of(answer: httpx.Response, _: Gettext) -> Refused:
    """The refusal an error answer stands for, in the server's words when it gave a problem+json (else
    in the language of ``_``)."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    detail, title, kind = "", "", ""
    if isinstance(body, dict):
        detail, title = str(body.get("detail") or ""), str(body.get("title") or "")
        kind = str(body.get("type") or "").rsplit("/", 1)[-1]
    if not detail:
        detail = _("the server answered {status} {reason}").format(status=answer.status_code,
                                                                     reason=answer.reason_phrase).strip()
    kind_of = NotAllowed if answer.status_code in (401, 403) else Refused
    return kind_of(answer.status_code, detail, title, kind)


class Server:
    """The server at ``base_url`` (``http(s)://host:port``), with a token or a login and password;
    ``lang`` (``fr``, ``en``): the language of the messages, the client's and the login form's."""

    def __init__(self, base_url: str, *, token: str | None = None, login: str | None = None,
                 password: str | None = None, lang: str) -> None:
        assert (token is None) != (login is None), "a token or a login, not both"
        self.base_url = base_url.rstrip("/")
        self.token, self.login, self.password = token, login, password
        self.gettext = gettext_of(lang)
        self.csrf = ""
        self.clock_offset = timedelta()  # the server's clock minus ours
        # The server's messages in the client's language, where it has them (the login form's errors).
        headers = {"Accept-Language": lang, **({"Authorization": f"Bearer {token}"} if token else {})}
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT_S, headers=headers)

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def origin(self) -> str:
        """This server's origin, which a session's WebSocket must present (``http://host:port``)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def feed_headers(self) -> dict[str, str]:
        """The headers that open the live feed: the token, or the session's cookie with our origin."""
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        return {"Cookie": f"{SESSION_COOKIE}={self.http.cookies.get(SESSION_COOKIE) or ''}", "Origin": self.origin}

    # Requests -----------------------------------------------------------------------------------------

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        _ = self.gettext
        try:
            answer = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            raise Unreachable(_("cannot reach {server} ({reason})").format(server=self.base_url,
                                                                          reason=_reason(exc, _)), sent) from None
        if answer.status_code >= 500:
            detail = problem_of(answer, _).detail
            raise Unreachable(_("the server cannot answer right now ({status}: {detail})").format(
                status=answer.status_code, detail=detail), sent=True)
        return answer

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON of a 2xx answer (``None`` for 204); ``Refused`` or ``Unreachable`` otherwise.
        A session that has ended is opened again once."""
        answer = await self._send_as_us(method, path, body)
        if answer.status_code == 401 and self.login is not None and self.password is not None:
            log.info("the session ended: signing in again")
            await self.sign_in()
            answer = await self._send_as_us(method, path, body)
        if answer.status_code >= 400:
            raise problem_of(answer, self.gettext)
        return None if answer.status_code == 204 or not answer.content else answer.json()

    async def _send_as_us(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        """With a session, a request that changes something carries its CSRF token."""
        headers = {"X-CSRF-Token": self.csrf} if self.login is not None and method != "GET" else {}
        return await self._send(method, path, json=body, headers=headers)

    # Who we are ---------------------------------------------------------------------------------------

    async def identify(self) -> Identity:
        """Sign in (a person) and say who we are; ``NotAllowed`` for wrong credentials."""
        if self.login is not None:
            return await self.sign_in()
        answer = await self._send("GET", "/api/v1/me")
        self._read_clock(answer)
        me = self._me(answer)
        return Identity(str(me.get("name") or "device"), {str(me.get("site")): str(me.get("role"))}, person=False)

    async def sign_in(self) -> Identity:
        """The login form, as a browser fills it: its cookie and CSRF field, then the session's CSRF token."""
        assert self.login is not None
        _ = self.gettext
        self.http.cookies.clear()
        page = await self._send("GET", "/login")
        found = _CSRF_INPUT.search(page.text)
        if page.status_code != 200 or found is None:
            raise Refused(page.status_code, _("{server} has no Guichet login page (GET /login answered {status}): "
                                              "check --server").format(server=self.base_url, status=page.status_code))
        form = {"login": self.login, "password": self.password or "", "csrf": unescape(found.group(1)), "next": "/"}
        answer = await self._send("POST", "/login", data=form)
        if answer.status_code != 303 or SESSION_COOKIE not in self.http.cookies:
            message = _FORM_ERROR.search(answer.text)
            detail = (unescape(message.group(1)) if message
                      else _("the login form answered {status}").format(status=answer.status_code))
            if answer.status_code == 429 and "retry-after" in answer.headers:
                detail += " " + _("(retry after {seconds} s)").format(seconds=answer.headers["retry-after"])
            raise NotAllowed(answer.status_code if answer.status_code >= 400 else 401, detail)
        me_answer = await self._send("GET", "/api/v1/me")
        self._read_clock(me_answer)
        me = self._me(me_answer)
        self.csrf = str(me.get("csrf_token") or "")
        roles: dict[str | None, str] = {}
        for entry in me.get("roles") or []:
            if isinstance(entry, dict):
                roles[entry.get("site")] = str(entry.get("role"))
        return Identity(str(me.get("name") or me.get("login") or self.login), roles, person=True)

    async def sign_out(self) -> None:
        """End the session (best effort: the server forgets it after 8 idle hours anyway)."""
        if self.login is None or SESSION_COOKIE not in self.http.cookies:
            return
        with contextlib.suppress(httpx.HTTPError):
            await self.http.post("/logout", headers={"X-CSRF-Token": self.csrf}, timeout=2.0)

    def _me(self, answer: httpx.Response) -> dict[str, Any]:
        if answer.status_code >= 400:
            raise problem_of(answer, self.gettext)
        try:
            me = answer.json()
        except ValueError:
            me = None
        if answer.status_code != 200 or not isinstance(me, dict):
            raise Refused(answer.status_code, self.gettext(
                "{server} is not a Guichet server (GET /api/v1/me answered {status}): check --server").format(
                server=self.base_url, status=answer.status_code))
        return me

    def _read_clock(self, answer: httpx.Response) -> None:
        """How far the server's clock is from ours, from the ``Date`` header (0 when within 2 s)."""
        try:
            server_now = parsedate_to_datetime(answer.headers["date"]) + timedelta(seconds=0.5)
        except (KeyError, TypeError, ValueError):
            return
        offset = server_now - datetime.now(UTC)
        self.clock_offset = offset if abs(offset) > timedelta(seconds=2) else timedelta()

    # The queue ----------------------------------------------------------------------------------------

    async def state(self, site: str) -> SnapshotView:
        return cast(SnapshotView, await self.request("GET", f"/api/v1/sites/{site}/state"))

    async def call_next(self, site: str, counter: str, services: tuple[str, ...] | None) -> TicketView | None:
        """The ticket called, or ``None`` when nobody waits (204)."""
        body = {"services": list(services)} if services else None
        return cast("TicketView | None", await self.request("POST", f"/api/v1/sites/{site}/counters/{counter}/next",
                                                           body))

    async def ticket_action(self, site: str, ticket_id: str, action: str,
                            body: dict[str, Any] | None = None) -> TicketView:
        """``action``: recall, start, finish, no-show, cancel, requeue, transfer, call."""
        return cast(TicketView, await self.request("POST", f"/api/v1/sites/{site}/tickets/{ticket_id}/{action}", body))

    async def note(self, site: str, ticket_id: str) -> str | None:
        """The note colleagues left for the ticket's agent (``None``: none). The server files each read in
        its audit log: ask once per ticket."""
        answer = await self.request("GET", f"/api/v1/sites/{site}/tickets/{ticket_id}/note")
        text = answer.get("text") if isinstance(answer, dict) else None
        return text if isinstance(text, str) else None

    async def counter_action(self, site: str, counter: str, action: str) -> CounterView:
        """``action``: open, pause, close."""
        return cast(CounterView, await self.request("POST", f"/api/v1/sites/{site}/counters/{counter}/{action}"))


def _reason(exc: httpx.HTTPError, _: Gettext) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return _("no answer in time")
    if isinstance(exc, httpx.ConnectError):
        return _("no connection: is the server running, and the address right?")
    return str(exc) or type(exc).__name__

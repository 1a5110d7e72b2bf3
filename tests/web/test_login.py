"""People in a browser: signing in and out, sessions, CSRF, lockout, and what a session may do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.users import add_user, set_disabled, set_password
from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import assert_problem, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity and limits: the same on every backend

PASSWORD = "correct horse battery"


@dataclass
class People:
    stack: Stack

    async def add(self, login: str, roles: list[tuple[str | None, str]], tenant: str = "demo") -> None:
        engine = make_engine(self.stack.settings.database_url)
        try:
            async with sessions(engine)() as session:
                await add_user(session, tenant, login, PASSWORD, login.title(), roles)
        finally:
            await engine.dispose()

    async def change(self, login: str, *, password: str | None = None, disabled: bool | None = None) -> None:
        engine = make_engine(self.stack.settings.database_url)
        try:
            async with sessions(engine)() as session:
                if password is not None:
                    await set_password(session, login, password)
                if disabled is not None:
                    await set_disabled(session, login, disabled)
        finally:
            await engine.dispose()


@pytest.fixture
async def people(stack: Stack) -> AsyncIterator[People]:
    crowd = People(stack)
    await crowd.add("anne", [("demo", "agent")])
    yield crowd


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, login: str = "anne", password: str = PASSWORD,
                  next_url: str = "/", **headers: str) -> httpx.Response:
    page = await client.get("/login", headers=headers)
    return await client.post("/login", data={"login": login, "password": password, "csrf": form_token(page),
                                             "next": next_url}, headers=headers)


async def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    me = await client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return {"X-CSRF-Token": me.json()["csrf_token"]}


async def test_the_login_page_speaks_french_first_and_english_on_request(client: httpx.AsyncClient) -> None:
    """French by default; English when the browser prefers it or the person picks it (remembered)."""
    french = await client.get("/login")
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text and "Mot de passe" in french.text and "Connexion" in french.text
    by_browser = await client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in by_browser.text and "Password" in by_browser.text
    picked = await client.get("/login?lang=en")
    assert "Password" in picked.text
    assert "Password" in (await client.get("/login")).text  # the choice is kept in a cookie


async def test_every_page_carries_security_headers(client: httpx.AsyncClient) -> None:
    """No inline script may run, pages are framed only by trusted origins, no MIME sniffing, and
    the login page is never cached."""
    for path in ("/login", "/", "/healthz", "/api/v1/sites/demo/state"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]+)", csp)
        assert script_src and "'unsafe-inline'" not in script_src.group(1) and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert (await client.get("/login")).headers["cache-control"] == "no-store"


async def test_signing_in_opens_a_session_in_an_httponly_cookie(client: httpx.AsyncClient, people: People) -> None:
    """The right password leads where the person was going, with an HttpOnly, SameSite session
    cookie; the session says who they are and gives pages its CSRF token."""
    response = await sign_in(client, next_url="/counter")
    assert response.status_code == 303 and response.headers["location"] == "/counter"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("guichet_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    me = (await client.get("/api/v1/me")).json()
    assert me["login"] == "anne" and me["tenant"] == "demo"
    assert me["roles"] == [{"site": "demo", "role": "agent"}]
    assert len(me["csrf_token"]) >= 32


async def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(client: httpx.AsyncClient,
                                                                         people: People) -> None:
    wrong = await sign_in(client, password="not the password")
    unknown = await sign_in(client, login="nobody")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.text
        assert 'role="alert"' in response.text
    assert "guichet_session" not in client.cookies
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_only_local_paths_are_followed_after_signing_in(client: httpx.AsyncClient, people: People) -> None:
    """``next`` pointing to another site is ignored: no open redirect."""
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = await sign_in(client, next_url=evil)
        assert response.headers["location"] == "/"


async def test_the_login_form_refuses_a_post_from_elsewhere(client: httpx.AsyncClient, people: People) -> None:
    """A form posted without the token of a page this server gave (login CSRF) signs nobody in."""
    response = await client.post("/login", data={"login": "anne", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403
    assert "guichet_session" not in client.cookies


async def test_five_failures_lock_the_login_even_for_the_right_password(client: httpx.AsyncClient,
                                                                        people: People) -> None:
    """After five wrong passwords the login is locked for 15 minutes (429 with Retry-After), even
    for the right one; other logins are not affected."""
    await people.add("bruno", [("demo", "agent")])
    for _ in range(5):
        assert (await sign_in(client, password="wrong password!")).status_code == 401
    locked = await sign_in(client)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert "Réessayez dans 15 minutes" in locked.text
    assert (await sign_in(client, login="bruno")).status_code == 303


async def test_too_many_attempts_from_one_address_are_slowed_down(client: httpx.AsyncClient) -> None:
    """Twenty attempts a minute from one address, whatever the logins: the 21st gets 429."""
    statuses = [(await sign_in(client, login=f"user{i}", password="wrong password!")).status_code
                for i in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


async def test_a_session_acts_only_with_its_csrf_token(client: httpx.AsyncClient, people: People,
                                                       stack: Stack) -> None:
    """A cookie alone cannot change anything (another site's page could send it); with the session's
    CSRF token the agent calls next like with a token."""
    await client.post("/api/v1/sites/demo/tickets", json={"service": "etat-civil"}, headers=stack.auth("kiosk"))
    await sign_in(client)
    refused = await client.post("/api/v1/sites/demo/counters/1/next")
    assert_problem(refused, 403)
    assert "CSRF" in refused.json()["detail"]
    forged = await client.post("/api/v1/sites/demo/counters/1/next", headers={"X-CSRF-Token": "x" * 43})
    assert_problem(forged, 403)
    called = await client.post("/api/v1/sites/demo/counters/1/next", headers=await csrf(client))
    assert called.status_code == 200 and called.json()["number"] == "A001"
    assert (await client.get("/api/v1/sites/demo/state")).status_code == 200  # reading needs no token


async def test_a_session_reaches_only_its_own_sites(client: httpx.AsyncClient, people: People,
                                                    neighbours: Neighbours) -> None:
    """An agent of ``demo`` gets 403 at another site of the same tenant and 404 at another tenant's;
    a tenant admin reaches every site of the tenant."""
    await sign_in(client)
    headers = await csrf(client)
    assert_problem(await client.post("/api/v1/sites/annexe/counters/1/next", headers=headers), 403)
    assert_problem(await client.post("/api/v1/sites/ailleurs/counters/1/next", headers=headers), 404)
    await people.add("chef", [(None, "admin")])
    client.cookies.clear()
    await sign_in(client, login="chef")
    headers = await csrf(client)
    assert (await client.post("/api/v1/sites/annexe/counters/1/next", headers=headers)).status_code == 204
    assert_problem(await client.post("/api/v1/sites/ailleurs/counters/1/next", headers=headers), 404)


async def test_signing_out_ends_the_session(client: httpx.AsyncClient, people: People) -> None:
    await sign_in(client)
    headers = await csrf(client)
    stolen = client.cookies["guichet_session"]
    assert (await client.post("/logout")).status_code == 403  # not without the CSRF token
    out = await client.post("/logout", headers=headers)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await client.get("/api/v1/me")).status_code == 401
    replay = await client.get("/api/v1/me", cookies={"guichet_session": stolen})
    assert replay.status_code == 401  # the server forgot it: a copied cookie is worth nothing


async def test_a_new_password_or_a_disabled_account_ends_open_sessions(client: httpx.AsyncClient,
                                                                       people: People) -> None:
    """Changing the password ends the sessions opened before (within the 5 s lookup cache); a
    disabled account cannot sign in."""
    await sign_in(client)
    assert (await client.get("/api/v1/me")).status_code == 200
    await people.change("anne", password="another long password")

    async def ended() -> bool:
        return (await client.get("/api/v1/me")).status_code == 401

    await eventually(ended, timeout_s=10)
    assert (await sign_in(client, password="another long password")).status_code == 303
    await people.change("anne", disabled=True)
    client.cookies.clear()
    assert (await sign_in(client, password="another long password")).status_code == 401


def test_a_sites_pages_may_be_framed_by_its_collectivitys_websites() -> None:
    """The policy a site's page sends lets the declared websites frame it, and nobody else."""
    from queue_server.web.headers import content_security_policy

    policy = content_security_policy(("https://www.ville.fr",))
    assert "frame-ancestors 'self' https://www.ville.fr" in policy and "script-src 'self';" in policy
    assert content_security_policy().endswith("frame-ancestors 'self'")


async def test_a_method_the_login_page_does_not_take_is_405_naming_both_it_takes(client: httpx.AsyncClient) -> None:
    """``PUT /login`` is refused with 405 and an Allow header listing GET, HEAD and POST."""
    refused = await client.put("/login")
    assert refused.status_code == 405
    assert sorted(m.strip() for m in refused.headers["allow"].split(",")) == ["GET", "HEAD", "POST"]

"""People signed in as a browser signs in, for the tests of the staff's API through the app (the citizen record's,
the phone desk's): the login form's token first, then the session's CSRF header."""

from __future__ import annotations

import re

import httpx


async def signed_in(transport: httpx.ASGITransport, login: str, password: str
                    ) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """A client of its own for ``login``, signed in through the login form, and the headers its requests carry."""
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    page = await http.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    done = await http.post("/login", data={"login": login, "password": password, "csrf": csrf.group(1)})
    assert done.status_code == 303, done.text
    me = await http.get("/api/v1/me")
    return http, {"X-CSRF-Token": me.json()["csrf_token"]}

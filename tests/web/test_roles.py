"""Changing the roles of a person: in the database, and from ``/admin`` by their administrators."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, sessions
from queue_server.platform.users import UserError, person, roles_of, set_roles
from tests.conftest import Stack
from tests.web.conftest import Neighbours
from tests.web.support import eventually
from tests.web.test_admin_page import admin_client
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity: the same on every backend


@asynccontextmanager
async def database(stack: Stack) -> AsyncIterator[AsyncSession]:
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def roles_of_anne(stack: Stack) -> dict[str | None, str]:
    async with database(stack) as db:
        return await roles_of(db, "anne")


async def test_set_roles_replaces_every_role_without_ending_sessions(stack: Stack, neighbours: Neighbours,
                                                                     people: People) -> None:  # noqa: F811
    """The new roles replace the old ones entirely, and the session epoch stays the same."""
    async with database(stack) as db:
        user = await set_roles(db, "Anne", [("demo", "supervisor"), ("annexe", "agent")])
        assert user.id is not None and user.session_epoch == 0
        found = await person(db, user.id)
    assert found is not None and found.roles == {"demo": "supervisor", "annexe": "agent"} and found.epoch == 0
    async with database(stack) as db:
        await set_roles(db, "anne", [(None, "admin")])
    assert await roles_of_anne(stack) == {None: "admin"}


@pytest.mark.parametrize(("login", "roles", "code"), [
    ("anne", [], "no-role"),
    ("anne", [("ailleurs", "agent")], "unknown-site"),  # a site of another tenant
    ("anne", [("nowhere", "agent")], "unknown-site"),
    ("anne", [("demo", "clerk")], "unknown-role"),
    ("anne", [(None, "supervisor")], "wide-role"),
    ("anne", [("demo", "agent"), ("demo", "admin")], "duplicate-site"),
    ("nobody", [("demo", "agent")], "unknown-user"),
])
async def test_set_roles_refuses_what_add_user_refuses_and_an_empty_list(
        stack: Stack, neighbours: Neighbours, people: People,  # noqa: F811
        login: str, roles: list[tuple[str | None, str]], code: str) -> None:
    """Each refusal is a UserError naming its case, and the person keeps the roles they had."""
    async with database(stack) as db:
        with pytest.raises(UserError) as refused:
            await set_roles(db, login, roles)
    assert refused.value.code == code
    assert await roles_of_anne(stack) == {"demo": "agent"}


def roles_form(page: str, login: str) -> dict[str, str]:
    """The fields of ``login``'s roles form on the page, as a browser sends them untouched."""
    forms = re.findall(r'<form method="post" action="/admin/people/roles".*?</form>', page, re.S)
    form = next(f for f in forms if f'name="login" value="{login}"' in f)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]+)" selected', options)
        chosen = selected or re.search(r'<option value="([^"]+)"', options)  # a browser sends the first one
        assert chosen
        fields[name] = chosen.group(1)
    return fields


async def test_an_admin_turns_an_agent_into_a_supervisor(client: httpx.AsyncClient,
                                                         people: People) -> None:  # noqa: F811
    """The page shows the new role at once, the agent's open session gets it within seconds without
    signing in again, and the audit log says who did it, from where."""
    csrf = await admin_client(client, people)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as anne:
        await sign_in(anne)
        assert (await anne.get("/api/v1/me")).json()["roles"] == [{"site": "demo", "role": "agent"}]
        form = roles_form((await client.get("/admin")).text, "anne")
        assert form == {"csrf": csrf, "login": "anne", "role:demo": "agent", "every": "none"}
        changed = await client.post("/admin/people/roles", data={**form, "role:demo": "supervisor"},
                                    follow_redirects=True)
        assert "Les rôles ont été modifiés" in html.unescape(changed.text)
        assert "demo : Superviseur" in html.unescape(changed.text)  # in words, in French

        async def supervisor() -> bool:
            me = await anne.get("/api/v1/me")
            assert me.status_code == 200  # the session stays open all along
            return bool(me.json()["roles"] == [{"site": "demo", "role": "supervisor"}])

        await eventually(supervisor, timeout_s=10)
    entries = [e for e in (await client.get("/api/v1/audit")).json() if e["action"] == "user.roles"]
    assert [(e["actor"], e["target"], e["detail"], e["site"]) for e in entries] == [
        ("user:chef", "anne", "demo:supervisor", "demo")]
    assert entries[0]["address"]


async def test_a_site_admin_gives_roles_at_their_site_only(client: httpx.AsyncClient, neighbours: Neighbours,
                                                           people: People) -> None:  # noqa: F811
    """An admin of ``demo`` may not grant a role at ``annexe`` nor on every site, nor touch an
    administrator of every site; at ``demo`` they may, and the roles elsewhere stay."""
    await people.add("chef", [(None, "admin")])
    csrf = await admin_client(client, people, login="gerant", site="demo")
    page = await client.get("/admin")
    assert 'name="role:demo"' in page.text and 'name="role:annexe"' not in page.text
    assert 'name="every"' not in page.text
    for form, says in [
        ({"login": "anne", "role:annexe": "agent"}, "Vous ne pouvez donner des rôles que sur les sites que vous"),
        ({"login": "anne", "every": "admin"}, "Seul un administrateur de tous les sites peut"),
        ({"login": "chef", "role:demo": "agent"}, "Seul un administrateur de tous les sites peut"),
    ]:
        refused = await client.post("/admin/people/roles", data={"csrf": csrf, **form}, follow_redirects=True)
        assert says in html.unescape(refused.text), form
    assert await roles_of_anne(people.stack) == {"demo": "agent"}
    async with database(people.stack) as db:
        await set_roles(db, "anne", [("demo", "agent"), ("annexe", "agent")])
    granted = await client.post("/admin/people/roles", data={"csrf": csrf, "login": "anne", "role:demo": "supervisor"},
                                follow_redirects=True)
    assert "Les rôles ont été modifiés" in html.unescape(granted.text)
    assert await roles_of_anne(people.stack) == {"demo": "supervisor", "annexe": "agent"}
    async with database(people.stack) as db:
        assert (await roles_of(db, "chef")) == {None: "admin"}


async def test_a_tenant_admin_takes_the_role_on_every_site_away(client: httpx.AsyncClient,
                                                                people: People) -> None:  # noqa: F811
    """Choosing "no role" under "every site" removes the tenant-wide admin role and keeps the role at a site."""
    await people.add("ancien", [(None, "admin"), ("demo", "agent")])
    await admin_client(client, people)
    form = roles_form((await client.get("/admin")).text, "ancien")
    assert form["every"] == "admin" and form["role:demo"] == "agent"
    changed = await client.post("/admin/people/roles", data={**form, "every": "none"}, follow_redirects=True)
    assert "Les rôles ont été modifiés" in html.unescape(changed.text)
    async with database(people.stack) as db:
        assert await roles_of(db, "ancien") == {"demo": "agent"}


async def test_the_page_refuses_to_leave_someone_without_a_role_or_to_change_ones_own(
        client: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    """Removing a person's last role is refused (disabling the account is the way), and so is an
    administrator changing their own roles."""
    csrf = await admin_client(client, people)
    emptied = await client.post("/admin/people/roles", data={"csrf": csrf, "login": "anne", "role:demo": "none",
                                                             "every": "none"}, follow_redirects=True)
    assert "Une personne a besoin d'au moins un rôle" in html.unescape(emptied.text)
    own = await client.post("/admin/people/roles", data={"csrf": csrf, "login": "chef", "role:demo": "agent",
                                                         "every": "none"}, follow_redirects=True)
    assert "Vous ne pouvez pas modifier vos propres rôles" in html.unescape(own.text)
    assert await roles_of_anne(people.stack) == {"demo": "agent"}
    async with database(people.stack) as db:
        assert (await roles_of(db, "chef")) == {None: "admin"}


async def test_a_roles_form_without_the_pages_token_changes_nothing(client: httpx.AsyncClient,
                                                                    people: People) -> None:  # noqa: F811
    """A roles form posted from another site (no CSRF token) is refused with a message."""
    await admin_client(client, people)
    forged = await client.post("/admin/people/roles", data={"login": "anne", "role:demo": "admin"},
                               follow_redirects=True)
    assert "Ce formulaire a expiré" in html.unescape(forged.text)
    assert await roles_of_anne(people.stack) == {"demo": "agent"}

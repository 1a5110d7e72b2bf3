"""``/admin``: what an administrator does in the browser, form by form."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.conftest import Stack
from tests.web.support import eventually
from tests.web.test_login import PASSWORD, People, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # identity and limits: the same on every backend


async def admin_client(client: httpx.AsyncClient, people: People, login: str = "chef",  # noqa: F811
                       site: str | None = None) -> str:
    """Sign ``login`` (admin of ``site``, or of every site) in; the page's CSRF token."""
    await people.add(login, [(site, "admin")])
    await sign_in(client, login=login)
    page = await client.get("/admin")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def test_the_page_asks_to_sign_in_and_refuses_non_admins(client: httpx.AsyncClient,
                                                               people: People) -> None:  # noqa: F811
    anonymous = await client.get("/admin")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fadmin"
    await sign_in(client)  # anne, an agent
    refused = await client.get("/admin")
    assert refused.status_code == 403 and "réservée aux administrateurs" in refused.text


async def test_an_admin_pairs_a_display_and_reads_the_code_out(client: httpx.AsyncClient, stack: Stack,
                                                               people: People) -> None:  # noqa: F811
    """The code is shown big on the page after the form, and the device exchanges it for its token."""
    csrf = await admin_client(client, people)
    made = await client.post("/admin/pairings", data={"csrf": csrf, "site": "demo", "role": "display",
                                                      "name": "Écran salle"}, follow_redirects=True)
    code = re.search(r'class="code"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})<', made.text)
    assert code, made.text
    assert "Saisissez ce code sur l'appareil dans les 10 minutes" in html.unescape(made.text)
    paired = await client.post("/api/v1/pair", json={"code": code.group(1)})
    assert paired.status_code == 201 and paired.json()["role"] == "display"
    page = await client.get("/admin")
    assert "Écran salle" in page.text


async def test_an_admin_adds_a_person_who_can_then_sign_in(client: httpx.AsyncClient,
                                                           people: People) -> None:  # noqa: F811
    csrf = await admin_client(client, people)
    short = await client.post("/admin/people", data={"csrf": csrf, "login": "bea", "password": "court",
                                                     "role": "agent", "site": "demo"}, follow_redirects=True)
    assert "au moins 12 caractères" in short.text
    added = await client.post("/admin/people", data={"csrf": csrf, "login": "bea", "name": "Béatrice",
                                                     "password": PASSWORD, "role": "supervisor", "site": "demo"},
                              follow_redirects=True)
    assert "La personne a été ajoutée." in added.text and "Béatrice" in added.text
    taken = await client.post("/admin/people", data={"csrf": csrf, "login": "bea", "password": PASSWORD,
                                                     "role": "agent", "site": "demo"}, follow_redirects=True)
    assert "déjà pris" in taken.text
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        assert (await sign_in(other, login="bea")).status_code == 303
        assert (await other.get("/api/v1/me")).json()["roles"] == [{"site": "demo", "role": "supervisor"}]
    created = [e for e in (await client.get("/api/v1/audit")).json() if e["action"] == "user.created"]
    assert [(e["actor"], e["target"], e["detail"]) for e in created] == [("user:chef", "bea", "demo:supervisor")]


async def test_a_new_password_or_disabling_ends_the_persons_sessions(client: httpx.AsyncClient,
                                                                     people: People) -> None:  # noqa: F811
    csrf = await admin_client(client, people)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as anne:
        await sign_in(anne)
        changed = await client.post("/admin/people/password", data={"csrf": csrf, "login": "anne",
                                                                    "password": "a whole new password"},
                                    follow_redirects=True)
        assert "Le mot de passe a été changé" in changed.text

        async def signed_out() -> bool:
            return (await anne.get("/api/v1/me")).status_code == 401

        await eventually(signed_out, timeout_s=10)
        assert (await sign_in(anne, password="a whole new password")).status_code == 303
        disabled = await client.post("/admin/people/disable", data={"csrf": csrf, "login": "anne"},
                                     follow_redirects=True)
        assert "Le compte a été désactivé" in disabled.text
        await eventually(signed_out, timeout_s=10)
        anne.cookies.clear()
        assert (await sign_in(anne, password="a whole new password")).status_code == 401
        enabled = await client.post("/admin/people/disable", data={"csrf": csrf, "login": "anne", "enable": "1"},
                                    follow_redirects=True)
        assert "Le compte a été réactivé." in enabled.text
        assert (await sign_in(anne, password="a whole new password")).status_code == 303


async def test_an_admin_revokes_a_device_from_the_page(client: httpx.AsyncClient, stack: Stack,
                                                       people: People) -> None:  # noqa: F811
    csrf = await admin_client(client, people)
    devices = (await client.get("/api/v1/sites/demo/devices")).json()
    kiosk = next(d for d in devices if d["role"] == "kiosk")
    revoked = await client.post("/admin/devices/revoke", data={"csrf": csrf, "device": str(kiosk["id"])},
                                follow_redirects=True)
    assert "L'appareil a été révoqué" in html.unescape(revoked.text)

    async def refused() -> bool:
        answer = await client.get("/api/v1/sites/demo/state", headers=stack.auth("kiosk"))
        return answer.status_code == 401

    await eventually(refused, timeout_s=10)


async def test_a_form_without_the_pages_token_changes_nothing(client: httpx.AsyncClient,
                                                              people: People) -> None:  # noqa: F811
    """A form posted from another site (no CSRF token) is refused with a message; nobody is added."""
    await admin_client(client, people)
    forged = await client.post("/admin/people", data={"login": "intrus", "password": PASSWORD, "role": "admin",
                                                      "site": ""}, follow_redirects=True)
    assert "Ce formulaire a expiré" in forged.text
    assert "intrus" not in (await client.get("/admin")).text


async def test_a_site_admin_manages_devices_but_not_people(client: httpx.AsyncClient,
                                                           people: People) -> None:  # noqa: F811
    csrf = await admin_client(client, people, login="gerant", site="demo")
    page = await client.get("/admin", headers={"Accept-Language": "en"})
    assert "Pair a kiosk or a display" in page.text and "Add a person" not in page.text
    refused = await client.post("/admin/people", data={"csrf": csrf, "login": "x" * 5, "password": PASSWORD,
                                                       "role": "agent", "site": "demo"}, follow_redirects=True)
    assert "Seul un administrateur de tous les sites peut gérer les personnes." in refused.text

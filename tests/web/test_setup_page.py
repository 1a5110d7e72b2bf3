"""``/admin/sites``: the setup pages form by form, over HTTP (the browser tests, tests/browser/test_setup.py,
drive them with the keyboard and check them with axe)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # pages over the configuration: one backend is enough
SITE = "/admin/sites/demo"


async def signed_in(client: httpx.AsyncClient, people: People, login: str,  # noqa: F811
                    roles: list[tuple[str | None, str]]) -> str:
    """Signs ``login`` in with ``roles``; the CSRF token of the site's page."""
    await people.add(login, roles)
    await sign_in(client, login=login)
    page = await client.get(SITE)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def config(client: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    answer = await client.get("/api/v1/sites/demo/config", headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def text(page: httpx.Response) -> str:
    return html.unescape(page.text)


async def test_the_pages_ask_to_sign_in_and_are_for_administrators_and_supervisors(
        client: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    anonymous = await client.get(SITE)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fadmin%2Fsites%2Fdemo"
    await sign_in(client)  # anne, an agent
    refused = await client.get("/admin/sites")
    assert refused.status_code == 403 and "réservée aux administrateurs et aux superviseurs" in text(refused)
    await people.add("chef", [("demo", "admin")])
    await sign_in(client, login="chef")
    assert (await client.get("/admin/sites/elsewhere")).status_code == 404
    assert (await client.post("/admin/sites", data={"new-name": "Annexe"})).status_code == 403  # not every site's
    admin = await client.get("/admin")
    assert 'href="/admin/sites"' in admin.text  # the administration page leads there


async def test_a_service_gets_hours_of_its_own_then_is_removed(client: httpx.AsyncClient, stack: Stack,
                                                               people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    form = await client.get(SITE + "?service=urbanisme")
    assert 'id="svc-name" name="svc-name" type="text" value="Urbanisme"' in form.text
    saved = await client.post(SITE + "/services", data={
        "csrf": csrf, "editing": "urbanisme", "svc-name": "Urbanisme", "svc-prefix": "C", "svc-icon": "house",
        "svc-description": "Permis", "svc-ticket-message": "", "svc-priority": "on", "svc-daily-cap": "40",
        "svc-sms-ahead": "2", "svc-alert-wait": "15", "svc-hours-mode": "own", "svc-hours-mode-was": "site",
        "svc-tue-0-start": "09:00", "svc-tue-0-end": "12:00", "svc-tue-1-start": "", "svc-tue-1-end": ""})
    assert saved.status_code == 303 and saved.headers["location"] == SITE + "?done=service-saved#done"
    service = next(s for s in (await config(client, stack))["services"] if s["id"] == "urbanisme")
    assert (service["hours"], service["daily_cap"], service["alert_wait_s"], service["icon"]) == (
        {"tue": [["09:00", "12:00"]]}, 40, 900, "house")
    page = await client.get(saved.headers["location"])
    assert "Le service a été enregistré." in text(page) and "Mardi : 09:00–12:00" in text(page)

    question = await client.get(SITE + "/services/urbanisme/remove")
    assert "Supprimer le service Urbanisme ?" in text(question)
    removed = await client.post(SITE + "/services/urbanisme/remove", data={"csrf": csrf})
    assert removed.status_code == 303 and "done=service-removed" in removed.headers["location"]
    document = await config(client, stack)
    assert "urbanisme" not in [s["id"] for s in document["services"]]
    assert all("urbanisme" not in k["services"] for k in document["counters"])


async def test_a_counter_is_added_with_the_next_number_changed_and_removed(
        client: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    none = await client.post(SITE + "/counters", data={"csrf": csrf, "ctr-name": "Accueil"})
    assert none.status_code == 422 and "Choisissez au moins un service." in text(none)
    assert 'value="Accueil"' in none.text  # what was typed is kept
    added = await client.post(SITE + "/counters", content=f"csrf={csrf}&ctr-name=Accueil&ctr-id="
                              "&ctr-services=etat-civil&ctr-services=passeports",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert added.status_code == 303, added.text
    counter = next(k for k in (await config(client, stack))["counters"] if k["name"] == "Accueil")
    assert counter == {"id": "5", "name": "Accueil", "services": ["etat-civil", "passeports"]}
    changed = await client.post(SITE + "/counters", data={"csrf": csrf, "editing": "5", "ctr-name": "Accueil (rez)",
                                                          "ctr-services": "passeports"})
    assert changed.status_code == 303
    assert {k["id"]: k["name"] for k in (await config(client, stack))["counters"]}["5"] == "Accueil (rez)"
    assert (await client.post(SITE + "/counters/5/remove", data={"csrf": csrf})).status_code == 303
    assert "5" not in [k["id"] for k in (await config(client, stack))["counters"]]

    opened = await client.post("/api/v1/sites/demo/counters/2/open", headers=stack.auth("agent"))
    assert opened.status_code == 200, opened.text
    busy = await client.post(SITE + "/counters/2/remove", data={"csrf": csrf})
    assert busy.status_code == 409 and "Ce guichet est ouvert, ou en pause avec un agent" in text(busy)
    assert "2" in [k["id"] for k in (await config(client, stack))["counters"]]


async def test_closures_are_said_in_words_and_removed(client: httpx.AsyncClient, stack: Stack,
                                                      people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    for first, last, reason in (("2026-08-03", "2026-08-07", "Inventaire"), ("2026-07-14", "", ""),
                                ("2026-12-24", "2027-01-02", "Fêtes")):
        added = await client.post(SITE + "/closures", data={"csrf": csrf, "cls-from": first, "cls-to": last,
                                                            "cls-reason": reason})
        assert added.status_code == 303, added.text
    page = text(await client.get(SITE))
    for said in ("du 3 au 7 août 2026", "le 14 juillet 2026", "du 24 décembre 2026 au 2 janvier 2027"):
        assert said in page
    backwards = await client.post(SITE + "/closures", data={"csrf": csrf, "cls-from": "2026-09-10",
                                                            "cls-to": "2026-09-01"})
    assert backwards.status_code == 422 and "La fermeture se termine avant de commencer" in text(backwards)
    assert (await client.post(SITE + "/closures/2026-08-03/2026-08-07/remove", data={"csrf": csrf})).status_code == 303
    assert [k["from"] for k in (await config(client, stack))["hours"]["closures"]] == ["2026-07-14", "2026-12-24"]
    assert "on 14 July 2026" in text(await client.get(SITE + "?lang=en"))


async def test_settings_are_saved_and_an_expired_form_saves_nothing(client: httpx.AsyncClient, stack: Stack,
                                                                    people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    fields = ("csrf={csrf}&set-name=Mairie+de+D%C3%A9moville&set-address=1+place+de+la+Mairie"
              "&set-timezone=Indian%2FReunion&set-languages=fr&set-languages=es&set-colour-main=%23123456"
              "&set-colour-main-pick=%23000091&set-colour-accent=%23e1000f&set-colour-accent-pick=%23aa0000"
              "&set-kiosk-languages=fr&set-kiosk-languages=ar&set-kiosk-idle=45")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    expired = await client.post(SITE + "/settings", content=fields.format(csrf="stale"), headers=form,
                                follow_redirects=True)
    assert "Ce formulaire a expiré" in text(expired)
    assert (await config(client, stack))["site"]["timezone"] == "Europe/Paris"
    saved = await client.post(SITE + "/settings", content=fields.format(csrf=csrf), headers=form)
    assert saved.status_code == 303, saved.text
    site = (await config(client, stack))["site"]
    assert (site["timezone"], site["languages"], site["colours"], site["kiosk"]) == (
        "Indian/Reunion", ["fr", "es"], ["#123456", "#aa0000"], {"languages": ["fr", "ar"], "idle_s": 45})
    assert site["address"] == "1 place de la Mairie"


async def test_a_collectivity_administrator_creates_a_site(client: httpx.AsyncClient, stack: Stack,
                                                           people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chief", [(None, "admin")])
    listed = text(await client.get("/admin/sites"))
    assert "Créer un site" in listed and "Mairie de Démoville" in listed
    created = await client.post("/admin/sites", data={"csrf": csrf, "new-name": "Mairie annexe", "new-id": "",
                                                      "new-timezone": "America/Cayenne", "new-address": ""})
    assert created.status_code == 303 and created.headers["location"] == (
        "/admin/sites/mairie-annexe?done=site-created#done")
    page = text(await client.get("/admin/sites/mairie-annexe"))
    assert "Mairie annexe" in page and "08:30" in page  # a town hall's usual hours
    taken = await client.post("/admin/sites", data={"csrf": csrf, "new-name": "Autre", "new-id": "demo",
                                                    "new-timezone": "Europe/Paris"})
    assert taken.status_code == 422 and "Cet identifiant est déjà celui d’un site" in text(taken)
    assert 'value="Autre"' in taken.text

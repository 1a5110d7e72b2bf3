"""``/admin/sites``: the setup pages form by form, over HTTP (the browser tests, tests/browser/test_setup.py,
drive them with the keyboard and check them with axe)."""

from __future__ import annotations

import hashlib
import html
import io
import re
from typing import Any

import httpx
import pytest
from PIL import Image

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


@pytest.mark.parametrize(("zone", "holidays", "phone"), [
    ("Indian/Reunion", "FR-974", "RE"), ("America/Guadeloupe", "FR-971", "GP"), ("Europe/Paris", "FR", "FR"),
    ("Pacific/Marquesas", "FR-PF", "PF"), ("Europe/Brussels", "FR", "FR"),
])
async def test_a_new_site_takes_the_regions_of_its_time_zone(client: httpx.AsyncClient, people: People,  # noqa: F811
                                                             zone: str, holidays: str, phone: str) -> None:
    csrf = await signed_in(client, people, "chief", [(None, "admin")])
    created = await client.post("/admin/sites", data={"csrf": csrf, "new-name": "Annexe", "new-id": "annexe",
                                                      "new-timezone": zone, "new-address": ""})
    assert created.status_code == 303, created.text
    answer = await client.get("/api/v1/sites/annexe/config")
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["hours"]["public_holidays"], document["site"]["region"]) == (holidays, phone)


async def test_the_phone_region_is_chosen_in_the_settings(client: httpx.AsyncClient, stack: Stack,
                                                          people: People) -> None:  # noqa: F811
    """The settings offer France's regions by name with their calling code; the one chosen is saved; one not in
    the list (a forged form) is refused next to the field, and nothing is saved."""
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    page = text(await client.get(SITE))
    assert '<option value="RE">La Réunion (+262)</option>' in page
    assert '<option value="FR" selected>France métropolitaine (+33)</option>' in page
    fields = {"csrf": csrf, "set-name": "Mairie de Démoville", "set-address": "", "set-timezone": "Indian/Reunion",
              "set-region": "RE", "set-languages": "fr", "set-colour-main": "#000091", "set-colour-accent": "#e1000f",
              "set-kiosk-languages": "fr", "set-kiosk-idle": ""}
    saved = await client.post(SITE + "/settings", data=fields)
    assert saved.status_code == 303, saved.text
    assert (await config(client, stack))["site"]["region"] == "RE"
    before = await config(client, stack)
    refused = await client.post(SITE + "/settings?lang=en", data={**fields, "set-region": "ZZ",
                                                                  "set-name": "Autre nom"},
                                headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert re.search(r'id="set-region-error">.*Choose a region from the list', refused.text), refused.text
    assert await config(client, stack) == before


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 60), (0, 53, 122)).save(out, "PNG")
    return out.getvalue()


async def test_a_logo_is_uploaded_shown_and_removed(client: httpx.AsyncClient, stack: Stack,
                                                    people: People) -> None:  # noqa: F811
    """A PNG sent with the settings' logo form becomes the site's logo at once (the kiosks' snapshot names it);
    the page shows it; "Remove the logo" asks first, then removes it."""
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    assert "No logo: the screens show the site's name alone." in text(await client.get(SITE + "?lang=en"))
    data = png()
    saved = await client.post(SITE + "/logo", data={"csrf": csrf}, files={"logo-file": ("blason.png", data,
                                                                                        "image/png")})
    assert saved.status_code == 303 and saved.headers["location"] == SITE + "?done=logo#done", saved.text
    url = f"/sites/demo/logo?v={hashlib.sha256(data).hexdigest()[:12]}"
    state = (await client.get("/api/v1/sites/demo/state", headers=stack.auth("kiosk"))).json()
    assert state["logo"] == url and (await client.get(url)).content == data
    assert f'<img src="{url}"' in (await client.get(saved.headers["location"])).text
    question = await client.get(SITE + "/logo/remove")
    assert question.status_code == 200 and "<h1 id=\"confirm-title\">Remove the logo?</h1>" in text(question)
    removed = await client.post(SITE + "/logo/remove", data={"csrf": csrf})
    assert removed.status_code == 303 and "done=logo-removed" in removed.headers["location"]
    assert (await client.get("/api/v1/sites/demo/state", headers=stack.auth("kiosk"))).json()["logo"] is None


@pytest.mark.parametrize(("name", "content", "says"), [
    ("blason.png", b"Ceci est un texte, pas une image.\n", "This file is not a PNG or JPEG image"),
    ("blason.png", b"\x89PNG" + bytes(600 * 1024), "This file weighs more than 512 KiB"),
    ("blason.gif", "gif", "This file is a GIF image: save the logo as a PNG or a JPEG"),
    ("", b"", "Choose a PNG or JPEG file."),
])
async def test_a_file_that_is_no_logo_is_refused_on_its_field(client: httpx.AsyncClient, stack: Stack,
                                                              people: People,  # noqa: F811
                                                              name: str, content: bytes | str, says: str) -> None:
    """A text file renamed .png, a file over 512 KiB, a GIF, no file at all: the page comes back (422) with the
    message next to the file field, and the site has no logo."""
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    if content == "gif":
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        content = out.getvalue()
    assert isinstance(content, bytes)
    await client.get(SITE + "?lang=en")  # the new messages are checked in English (the French catalog follows)
    refused = await client.post(SITE + "/logo", data={"csrf": csrf},
                                files={"logo-file": (name, content, "image/png")})
    assert refused.status_code == 422, refused.text
    error = re.search(r'<p class="field-error" id="logo-file-error">(.*?)</p>', refused.text)
    assert error and says in html.unescape(error.group(1)), refused.text
    assert 'aria-describedby="logo-file-hint logo-file-error" aria-invalid="true"' in refused.text
    assert (await config(client, stack))["site"]["logo"] is None


async def test_removing_the_only_service_of_a_counter_is_announced_then_refused(
        client: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    headers = stack.auth("admin")
    assert (await client.put("/api/v1/sites/demo/services/social", json={"name": "Action sociale", "prefix": "S"},
                             headers=headers)).status_code == 201
    assert (await client.put("/api/v1/sites/demo/counters/9", json={"name": "Bureau 9", "services": ["social"]},
                             headers=headers)).status_code == 201
    await client.get(SITE + "?lang=en")
    question = text(await client.get(SITE + "/services/social/remove"))
    assert "Counters serving only this service: Bureau 9." in question
    refused = await client.post(SITE + "/services/social/remove", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "Counters would be left serving no service: Bureau 9." in text(refused)
    assert "social" in [s["id"] for s in (await config(client, stack))["services"]]


async def test_a_services_outcomes_are_typed_one_per_line(client: httpx.AsyncClient, stack: Stack,
                                                          people: People) -> None:  # noqa: F811
    """The service form keeps its outcomes one per line (blank lines and repeats dropped) and shows them again;
    ten are refused next to the field."""
    csrf = await signed_in(client, people, "chef", [("demo", "admin")])
    fields = {"csrf": csrf, "editing": "etat-civil", "svc-name": "État civil", "svc-prefix": "A",
              "svc-icon": "family", "svc-sms-ahead": "3", "svc-alert-wait": "20", "svc-hours-mode": "site",
              "svc-hours-mode-was": "site"}
    saved = await client.post(SITE + "/services", data={
        **fields,
        "svc-outcomes": "Dossier complet\r\n\r\n  Pièce   manquante \r\nDossier complet\r\nRenseignement donné"})
    assert saved.status_code == 303, saved.text
    service = next(s for s in (await config(client, stack))["services"] if s["id"] == "etat-civil")
    assert service["outcomes"] == ["Dossier complet", "Pièce manquante", "Renseignement donné"]
    form = await client.get(SITE + "?service=etat-civil")
    assert "Dossier complet\nPièce manquante\nRenseignement donné</textarea>" in text(form)
    refused = await client.post(SITE + "/services", data={
        **fields, "svc-outcomes": "\n".join(f"Issue {n}" for n in range(10))})
    assert refused.status_code == 422
    assert 'id="svc-outcomes-error"' in refused.text

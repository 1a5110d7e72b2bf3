"""The citizen record's pages (/crm) over HTTP, in French: each page for the roles it is for, refusals (other
roles, devices, another collectivity, unknown records), forms refused with their values kept and nothing saved,
reads audited as the API's, the note form's warning, the right of access's page holding everything."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_skeleton

from queue_server.crm.tables import Entry
from queue_server.db.engine import make_engine, sessions
from tests.crm.conftest import Crm

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # pages call the service the API suite runs on both

ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "birth_date": "1980-04-02", "phones": ["06 12 34 56 78"],
        "emails": ["anne.lefevre@example.fr"], "address": "3 rue des Lilas, 75011 Paris",
        "consents": {"sms": True, "email": False, "surveys": True}}
WARNING = ("N'écrivez ni donnée de santé, ni opinion, ni information sensible : "
           "seulement ce qui sert à traiter la demande.")


def text(response: httpx.Response) -> str:
    """The page as read: entities decoded, tags and runs of white space made one space."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


async def page(crm: Crm, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A page as ``who`` (a person's login) asks for it in a browser: their session cookie, French."""
    http, headers = await crm.person(who)
    return await http.request(method, path, headers={"Accept-Language": "fr-FR,fr;q=0.9"}, **kwargs)


async def post(crm: Crm, who: str, path: str, data: dict[str, Any]) -> httpx.Response:
    """A form posted by ``who`` with their session's CSRF token."""
    _, headers = await crm.person(who)
    return await page(crm, who, "POST", path, data={"csrf": headers["X-CSRF-Token"], **data})


async def sectors(crm: Crm) -> None:
    """État civil (anne), urbanisme (bruno) and a sealed social action sector (claire)."""
    for sector, name, sealed, member in (("etat-civil", "État civil", False, "anne"),
                                         ("urbanisme", "Urbanisme", False, "bruno"),
                                         ("social", "Action sociale", True, "claire")):
        done = await crm.call("alain", "PUT", f"sectors/{sector}", json={
            "name": name, "sealed": sealed, "members": [member],
            "services": [{"site": "demo", "service": sector}] if sector != "social" else []})
        assert done.status_code == 200, done.text


async def test_the_search_finds_as_staff_type_and_tells_namesakes_apart_with_masked_contacts(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    await crm.create(first_name="Anne", last_name="Lefèvre", birth_date="1992-11-30")
    empty = await page(crm, "anne", "GET", "/crm")
    assert empty.status_code == 200 and empty.headers["cache-control"] == "no-store"
    shown = text(empty)
    assert '<html lang="fr">' in empty.text and 'href="/crm" aria-current="page"' in empty.text
    for words in ("Rechercher une personne, une association, une entreprise", "Nouvelle fiche", "Citoyens",
                  "Un nom, un numéro de téléphone, une adresse e-mail, un numéro SIRET ou RNA."):
        assert words in shown, words
    found = await page(crm, "anne", "GET", "/crm", params={"q": "lefevre"})
    shown = text(found)
    assert "2 fiches trouvées" in shown
    assert shown.count("Anne Lefèvre") == 2 and f'href="/crm/{party["id"]}"' in found.text
    today = format_skeleton("MMMMd", datetime.now(ZoneInfo("Europe/Paris")), locale="fr")
    for words in ("Personne", "Naissance : 2 avril 1980", "Naissance : 30 novembre 1992", "06 •• •• 56 78",
                  "a•••@example.fr", f"Dernier contact : {today}"):
        assert words in shown, words
    assert "06 12 34 56 78" not in shown and "anne.lefevre@example.fr" not in shown
    assert "Aucune fiche ne correspond à cette recherche." in text(
        await page(crm, "anne", "GET", "/crm", params={"q": "zzzz"}))
    searched = await crm.audit("crm.searched")
    assert searched and f"party:{party['id']}" in searched[0].detail
    english = await page(crm, "anne", "GET", "/crm", params={"lang": "en"})
    assert "Search for a person, an association, a company" in text(english) and '<html lang="en">' in english.text


async def test_a_card_read_is_audited_and_offers_each_role_its_actions(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    await crm.call("anne", "POST", f"parties/{party['id']}/notes", json={"text": "A demandé un acte de naissance."})
    card = await page(crm, "bruno", "GET", f"/crm/{party['id']}")
    assert card.status_code == 200
    shown = text(card)
    for words in ("Anne Lefèvre", "Personne", "Naissance : 2 avril 1980", "06 12 34 56 78", "anne.lefevre@example.fr",
                  "3 rue des Lilas, 75011 Paris", "Historique", "Note", "A demandé un acte de naissance.", "par anne",
                  WARNING, "Général", "Modifier", "Ajouter une relation", "SMS : oui", "E-mails : non"):
        assert words in shown, words
    assert 'aria-describedby="f-text-warning"' in card.text
    assert "Exporter" not in shown and "Effacer la fiche" not in shown
    assert [(r.actor, r.target) for r in await crm.audit("crm.read")] == [("user:bruno", f"party:{party['id']}")]
    supervisor = text(await page(crm, "sophie", "GET", f"/crm/{party['id']}"))
    assert "Exporter (droit d'accès)" in supervisor and "Effacer la fiche" not in supervisor
    admin = text(await page(crm, "alain", "GET", f"/crm/{party['id']}"))
    assert "Exporter (droit d'accès)" in admin and "Effacer la fiche" in admin


async def test_the_timeline_shows_other_sectors_in_outline_and_hides_sealed_ones(crm: Crm) -> None:
    await sectors(crm)
    party = await crm.create(**ANNE)
    path = f"parties/{party['id']}"
    for who, sector, note in (("anne", "etat-civil", "Acte de mariage demandé."),
                              ("claire", "social", "Aide au logement en cours.")):
        assert (await crm.call(who, "POST", f"{path}/notes", json={"text": note, "sector": sector})).status_code == 201
    now = datetime.now(UTC)
    at = datetime(now.year, 3, 12, 10, 0, tzinfo=UTC)
    engine = make_engine(crm.stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add(Entry(tenant_id="demo", party_id=party["id"], at=at, kind="visit", sector="urbanisme",
                              site_id="demo", service="urbanisme", summary="Dépôt d'un permis de construire."))
            await session.commit()
    finally:
        await engine.dispose()
    seen_by_anne = text(await page(crm, "anne", "GET", f"/crm/{party['id']}"))
    assert "Visite au service Urbanisme le 12 mars" in seen_by_anne and "détails réservés au secteur" in seen_by_anne
    assert "Dépôt d'un permis" not in seen_by_anne and "Acte de mariage demandé." in seen_by_anne
    assert "Aide au logement" not in seen_by_anne and "Action sociale" not in seen_by_anne
    seen_by_bruno = await page(crm, "bruno", "GET", f"/crm/{party['id']}")
    shown = text(seen_by_bruno)
    assert "Dépôt d'un permis de construire." in shown and "Note dans le secteur État civil le" in shown
    assert "Acte de mariage" not in shown
    options = re.findall(r'<option value="([^"]*)"', seen_by_bruno.text.split('id="f-sector"')[1].split("</select>")[0])
    assert options == ["", "urbanisme"]  # General and his own sector, no other


async def test_a_note_is_added_and_a_refused_one_keeps_its_text_and_saves_nothing(crm: Crm) -> None:
    await sectors(crm)
    party = await crm.create(**ANNE)
    done = await post(crm, "bruno", f"/crm/{party['id']}/notes", {"text": "Rappeler lundi.", "sector": "urbanisme"})
    assert done.status_code == 303 and done.headers["location"] == f"/crm/{party['id']}?done=noted#timeline"
    shown = text(await page(crm, "bruno", "GET", done.headers["location"]))
    assert "La note a été ajoutée à l'historique." in shown and "Rappeler lundi." in shown
    empty = await post(crm, "bruno", f"/crm/{party['id']}/notes", {"text": "   ", "sector": ""})
    assert empty.status_code == 422 and "Écrivez la note." in text(empty)
    foreign = await post(crm, "bruno", f"/crm/{party['id']}/notes", {"text": "Dossier social.", "sector": "social"})
    assert foreign.status_code == 422
    assert "Choisissez l'un de vos secteurs, ou « Général »." in text(foreign)
    assert ">Dossier social.</textarea>" in foreign.text and 'id="error-summary"' in foreign.text
    timeline = (await crm.call("sophie", "GET", f"parties/{party['id']}/export")).json()["timeline"]
    assert [e["summary"] for e in timeline] == ["Rappeler lundi."]
    expired = await page(crm, "bruno", "POST", f"/crm/{party['id']}/notes", data={"csrf": "x", "text": "Bonjour."})
    assert expired.status_code == 403


async def test_the_new_record_form_informs_the_person_and_refuses_mistakes_keeping_what_was_typed(crm: Crm) -> None:
    form = await page(crm, "anne", "GET", "/crm/new")
    shown = text(form)
    for words in ("Nouvelle fiche", "Information de la personne (RGPD, art. 13)", "Responsable du traitement",
                  "Mairie de Démoville", "L'accueil et le suivi de vos demandes.", "Une mission d'intérêt public",
                  "Les services de la mairie concernés", "2 ans après le dernier contact",
                  "Accès, rectification, effacement et opposition", "délégué à la protection des données",
                  "SMS", "E-mails", "Enquêtes de satisfaction"):
        assert words in shown, words
    assert re.findall(r'name="consent" value="\w+"( checked)?', form.text) == ["", "", ""]  # unticked
    refused = await post(crm, "anne", "/crm/new", {
        "kind": "person", "first_name": "Anne", "last_name": " ", "birth_date": "31/02/1980", "phone-0": "06 12",
        "phone-1": "01 02 03 04", "email-0": "anne@", "consent": "sms"})
    assert refused.status_code == 422
    shown = text(refused)
    for words in ("Vérifiez le formulaire : rien n'a été enregistré", "Nom — Indiquez le nom.",
                  "Date de naissance — Écrivez la date de naissance sous la forme jour/mois/année",
                  "Téléphone — Ce numéro de téléphone n'est pas valide", "E-mail — Cette adresse e-mail n'est pas"):
        assert words in shown, words
    assert 'value="Anne"' in refused.text and 'value="06 12"' in refused.text and 'value="31/02/1980"' in refused.text
    assert 'value="sms" checked' in refused.text
    assert 'aria-describedby="f-last_name-error" aria-invalid="true"' in refused.text
    assert await crm.find("anne") == []
    # What only the service tells (a number of the right shape that is none; a SIRET's key) is said the same way.
    for fields, field, words in (
            ({"kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "phone-0": "", "phone-1": "01 02 03 04"},
             "phone-1", "Ce numéro de téléphone n'est pas valide"),
            ({"kind": "company", "name": "Boulangerie", "siret": "732 829 320 00075"}, "siret",
             "son dernier chiffre ne correspond pas aux autres")):
        refused = await post(crm, "anne", "/crm/new", fields)
        assert refused.status_code == 422 and words in text(refused)
        assert f'id="f-{field}-error"' in refused.text
    assert await crm.find("anne") == [] and await crm.find("boulangerie") == []


async def test_a_new_record_opens_its_card_with_the_likely_duplicates(crm: Crm) -> None:
    first = await crm.create(**ANNE)
    made = await post(crm, "anne", "/crm/new", {
        "kind": "person", "first_name": "Anne", "last_name": "Lefevre", "phone-0": "+33 6 12 34 56 78",
        "email-0": "", "address": "", "language": "fr", "tags": "Élue, commerçante", "consent": ["sms", "email"]})
    assert made.status_code == 201
    shown = text(made)
    assert "La fiche a été créée." in shown and "Cette fiche ressemble à une autre" in shown
    assert f'<a href="/crm/{first["id"]}">Anne Lefèvre</a>' in made.text and "même téléphone" in shown
    second = re.search(r'data-address="/crm/(\d+)"', made.text)
    assert second is not None
    view = (await crm.call("anne", "GET", f"parties/{second.group(1)}")).json()
    assert view["phones"] == ["+33612345678"] and view["tags"] == ["elue", "commercante"]
    assert view["consents"] == {"sms": True, "email": False, "surveys": False}  # no e-mail to consent for


async def test_rectification_uses_the_same_checks_and_keeps_what_is_not_changed(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    form = await page(crm, "anne", "GET", f"/crm/{party['id']}/edit")
    assert form.status_code == 200
    assert 'value="02/04/1980"' in form.text and 'value="06 12 34 56 78"' in form.text
    assert 'value="sms" checked' in form.text and 'value="email">' in form.text
    fields = {"kind": "person", "first_name": "Anne", "last_name": "Lefèvre-Martin", "birth_date": "02/04/1980",
              "phone-0": "06 12 34 56 78", "phone-1": "", "email-0": "pas-une-adresse", "address": ANNE["address"],
              "language": "fr", "tags": "", "consent": ["sms", "surveys"]}
    refused = await post(crm, "anne", f"/crm/{party['id']}/edit", fields)
    assert refused.status_code == 422 and "Cette adresse e-mail n'est pas valide" in text(refused)
    assert 'value="Lefèvre-Martin"' in refused.text
    assert (await crm.call("anne", "GET", f"parties/{party['id']}")).json()["display_name"] == "Anne Lefèvre"
    done = await post(crm, "anne", f"/crm/{party['id']}/edit", {**fields, "email-0": "anne@example.fr"})
    assert done.status_code == 303
    view = (await crm.call("anne", "GET", f"parties/{party['id']}")).json()
    assert view["display_name"] == "Anne Lefèvre-Martin" and view["emails"] == ["anne@example.fr"]
    assert view["phones"] == ["+33612345678"] and view["consents"] == {"sms": True, "email": False, "surveys": True}
    assert "La fiche a été rectifiée." in text(await page(crm, "anne", "GET", done.headers["location"]))


async def test_a_person_is_given_a_role_in_an_association(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    club = await crm.create(kind="association", name="Les Amis du Vieux Moulin", rna="W751234567")
    await crm.create(first_name="Moulin", last_name="Robert")  # a person is no choice here
    chooser = await page(crm, "anne", "GET", f"/crm/{party['id']}/relation", params={"q": "moulin"})
    assert chooser.status_code == 200
    assert re.findall(r'name="party" id="party-(\d+)"', chooser.text) == [str(club["id"])]
    done = await post(crm, "anne", f"/crm/{party['id']}/relation", {"party": club["id"], "role": "president"})
    assert done.status_code == 303
    shown = text(await page(crm, "anne", "GET", f"/crm/{party['id']}"))
    assert "Les Amis du Vieux Moulin Association Rôle : Présidence" in shown
    refused = await post(crm, "anne", f"/crm/{party['id']}/relation", {"party": party["id"], "role": "president"})
    assert refused.status_code == 422 and "Choisissez une association ou une entreprise." in text(refused)


async def test_the_right_of_access_page_holds_everything_and_only_supervisors_open_it(crm: Crm) -> None:
    await sectors(crm)
    party = await crm.create(**ANNE, tags=["elue"])
    club = await crm.create(kind="association", name="Les Amis du Vieux Moulin")
    await crm.call("anne", "POST", f"parties/{party['id']}/relations", json={"party": club["id"], "role": "treasurer"})
    await crm.call("claire", "POST", f"parties/{party['id']}/notes",
                   json={"text": "Aide au logement en cours.", "sector": "social"})
    assert (await page(crm, "anne", "GET", f"/crm/{party['id']}/export")).status_code == 403
    exported = await page(crm, "sophie", "GET", f"/crm/{party['id']}/export")
    assert exported.status_code == 200
    shown = text(exported)
    for words in ("Toutes les données détenues sur Anne Lefèvre", "Droit d'accès (RGPD, art. 15)",
                  "Mairie de Démoville", "Anne", "Lefèvre", "2 avril 1980", "français", "elue", "06 12 34 56 78",
                  "anne.lefevre@example.fr", "3 rue des Lilas, 75011 Paris", "SMS : consentement donné",
                  "E-mails : pas de consentement", "Les Amis du Vieux Moulin", "Trésorerie",
                  "Aide au logement en cours.", "Action sociale", "par claire",
                  "Effacée, sans nouveau contact, après le", "Télécharger (JSON)"):
        assert words in shown, words
    assert f'href="/api/v1/tenants/demo/parties/{party["id"]}/export"' in exported.text
    assert [r.actor for r in await crm.audit("crm.exported")] == ["user:sophie"]


async def test_an_administrator_erases_a_record_through_a_confirmation(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    for who in ("anne", "sophie"):  # the page and the action alike, even forged
        assert (await page(crm, who, "GET", f"/crm/{party['id']}/erase")).status_code == 403
        assert (await post(crm, who, f"/crm/{party['id']}/erase", {})).status_code == 403
    confirm = await page(crm, "alain", "GET", f"/crm/{party['id']}/erase")
    shown = text(confirm)
    for words in ("Effacer la fiche « Anne Lefèvre » ?", "1 numéro de téléphone", "1 adresse e-mail",
                  "l'adresse postale", "tout l'historique", "Un rapport de suppression garde son numéro"):
        assert words in shown, words
    done = await post(crm, "alain", f"/crm/{party['id']}/erase", {})
    assert done.status_code == 303 and done.headers["location"] == "/crm?done=erased"
    assert "La fiche a été effacée" in text(await page(crm, "alain", "GET", done.headers["location"]))
    gone = await page(crm, "anne", "GET", f"/crm/{party['id']}")
    assert gone.status_code == 404 and "Fiche introuvable" in text(gone)


async def test_supervisors_merge_or_dismiss_likely_duplicates(crm: Crm) -> None:
    first = await crm.create(**ANNE)
    await crm.call("anne", "POST", f"parties/{first['id']}/notes", json={"text": "Première visite."})
    second = await crm.create(first_name="Anne", last_name="Lefevre", phones=["+33 6 12 34 56 78"])
    await crm.call("anne", "POST", f"parties/{second['id']}/notes", json={"text": "Deuxième visite."})
    await crm.create(first_name="Paul", last_name="Durand", emails=["p.durand@example.fr"])
    await crm.create(first_name="Pierre", last_name="Durand", emails=["p.durand@example.fr"])
    assert (await page(crm, "anne", "GET", "/crm/duplicates")).status_code == 403
    listed = await page(crm, "sophie", "GET", "/crm/duplicates")
    shown = text(listed)
    assert "Doublons probables" in shown and "même téléphone" in shown and "même e-mail" in shown
    assert shown.count("Fusionner dans celle-ci") == 4 and "Ce sont deux fiches différentes" in shown
    pairs = [int(p) for p in dict.fromkeys(re.findall(r"/crm/duplicates/(\d+)/merge", listed.text))]
    confirm = await page(crm, "sophie", "GET", f"/crm/duplicates/{pairs[0]}/merge", params={"into": first["id"]})
    assert "Fusionner ces deux fiches ?" in text(confirm)
    assert (await post(crm, "anne", f"/crm/duplicates/{pairs[0]}/merge", {"into": first["id"]})).status_code == 403
    merged = await post(crm, "sophie", f"/crm/duplicates/{pairs[0]}/merge", {"into": first["id"]})
    assert merged.status_code == 303 and merged.headers["location"] == f"/crm/duplicates?done=merged&into={first['id']}"
    timeline = (await crm.call("anne", "GET", f"parties/{first['id']}")).json()["timeline"]
    assert [e["summary"] for e in timeline] == ["Deuxième visite.", "Première visite."]
    assert (await crm.call("anne", "GET", f"parties/{second['id']}")).status_code == 404
    dismissed = await post(crm, "sophie", f"/crm/duplicates/{pairs[1]}/dismiss", {})
    assert dismissed.status_code == 303
    after = text(await page(crm, "sophie", "GET", dismissed.headers["location"]))
    assert "ce sont deux fiches différentes" in after and "Aucun doublon probable à examiner." in after


async def test_devices_strangers_and_unknown_records_get_nothing(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    neighbour = await crm.call("other-tenant", "POST", "/api/v1/tenants/voisine/parties",
                               json={"kind": "person", "first_name": "Jean", "last_name": "Voisin"})
    assert neighbour.status_code == 201
    anonymous = httpx.AsyncClient(transport=crm.transport, base_url="http://testserver")
    try:
        for device in ("kiosk", "display", "agent"):  # a token opens no page: the sign-in page, nothing shown
            for path in ("/crm", f"/crm/{party['id']}", "/crm/duplicates"):
                answer = await anonymous.get(path, headers=crm.stack.auth(device))
                assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
                assert "Lef" not in answer.text
    finally:
        await anonymous.aclose()
    for path in (f"/crm/{neighbour.json()['id']}", "/crm/999999", "/crm/abc", f"/crm/{party['id']}x",
                 f"/crm/{neighbour.json()['id']}/edit"):
        missing = await page(crm, "anne", "GET", path)
        assert missing.status_code == 404 and "Fiche introuvable" in text(missing), path
        assert "Voisin" not in missing.text
    assert (await crm.audit("crm.read")) == []

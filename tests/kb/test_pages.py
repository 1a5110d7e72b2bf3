"""The knowledge base's pages over HTTP: the staff's search page, a sheet's page (a partner's marked with its owner
and the local note), the versions' difference, the editor for supervisors only, the agent page's panel; the public
FAQ, framed only by the collectivity's declared websites, drafts and agents-only sheets never on it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Tenant
from tests.conftest import Stack
from tests.kb.support import Kb, running
from tests.web.test_login import PASSWORD, People, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def kb(stack: Stack) -> AsyncIterator[Kb]:
    async for running_kb in running(stack):
        people = People(stack)
        await people.add("lea", [("demo", "agent")])
        await people.add("paul", [("demo", "supervisor")])
        yield running_kb


async def signed_in(kb: Kb, login: str) -> None:
    kb.http.cookies.clear()
    answer = await sign_in(kb.http, login, PASSWORD)
    assert answer.status_code == 303, answer.text


def text_of(page: str) -> str:
    """What a person reads of ``page``: no tags, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def partners_with_a_shared_sheet(kb: Kb) -> dict[str, object]:
    await kb.partners("agglo", "demo")
    await kb.partners("demo", "agglo")
    return await kb.write("agglo", title="Collecte des déchets", body="Bac gris le **lundi**.", shared=True,
                          audience="agents", owner_service="Direction de l'environnement")


async def test_an_agent_finds_sheets_with_their_owner_marked(kb: Kb) -> None:
    """The page's search shows each sheet found with its excerpt, the words found marked, a partner's marked with
    its owner; the navigation names the page."""
    await partners_with_a_shared_sheet(kb)
    await kb.write(title="Perte du passeport", body="Faites une déclaration de perte.")
    await signed_in(kb, "lea")
    page = await kb.http.get("/connaissances", params={"q": "dechets"})
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and 'href="/connaissances" aria-current="page"' in page.text
    assert "1 fiche trouvée" in page.text and "Partagée par Démoville Agglomération" in page.text
    assert "<mark>" in page.text or "Collecte des déchets" in page.text
    lost = await kb.http.get("/connaissances", params={"q": "passeports perdus"})
    assert "Perte du passeport" in lost.text and "<mark>perte</mark>" in lost.text


async def test_a_partners_sheet_page_is_read_only_with_the_local_note(kb: Kb) -> None:
    """Démoville's agent reads the agglomeration's sheet: its owner said, no "Change", the local note above."""
    shared = await partners_with_a_shared_sheet(kb)
    answer = await kb.http.put(f"/api/v1/tenants/demo/kb/sheets/{shared['id']}/note",
                               json={"body": "Chez nous : bacs **jaunes** le mercredi."},
                               headers=kb.auth("demo", "supervisor"))
    assert answer.status_code == 200
    await signed_in(kb, "lea")
    page = await kb.http.get(f"/connaissances/{shared['id']}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Lecture seule : fiche de Démoville Agglomération." in text
    assert "Note locale" in text and "<strong>jaunes</strong>" in page.text and "<strong>lundi</strong>" in page.text
    assert "Modifier la fiche" not in text and "Direction de l'environnement" in text


async def test_a_sheet_shows_its_facts_versions_and_what_changed(kb: Kb) -> None:
    """A sheet of one's own: status, audience, review date, its versions; the difference page marks what was
    removed and added, in words too."""
    sheet = await kb.write(title="Carte d'identité", body="Valable 10 ans.", review_by="2026-01-31",
                           owner_service="Service passeports", links={"motifs": ["passeport"]})
    await kb.write(sheet=sheet["id"], title="Carte d'identité", body="Valable 15 ans.", review_by="2026-01-31",
                   owner_service="Service passeports", links={"motifs": ["passeport"]})
    await signed_in(kb, "paul")
    page = await kb.http.get(f"/connaissances/{sheet['id']}")
    text = text_of(page.text)
    for said in ("Publiée", "Public", "31 janvier 2026", "À revoir", "Service passeports", "passeport", "Version 2",
                 "Version 1", "Modifier la fiche"):
        assert said in text, said
    diff = await kb.http.get(f"/connaissances/{sheet['id']}/versions", params={"from": "1", "to": "2"})
    assert diff.status_code == 200
    assert re.search(r"<del><span class=\"visually-hidden\">\[supprimé : </span>10<span", diff.text)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[ajouté : </span>15<span", diff.text)


async def test_the_editor_is_for_supervisors(kb: Kb) -> None:
    """An agent gets a 403 page; a supervisor the editor, with the sheet's text and its preview."""
    sheet = await kb.write(title="Recensement", body="## Qui\n\nLes jeunes de 16 ans.")
    await signed_in(kb, "lea")
    refused = await kb.http.get(f"/connaissances/{sheet['id']}/modifier")
    assert refused.status_code == 403
    assert (await kb.http.get("/connaissances/nouvelle")).status_code == 403
    await signed_in(kb, "paul")
    editor = await kb.http.get(f"/connaissances/{sheet['id']}/modifier")
    assert editor.status_code == 200
    assert "## Qui" in editor.text and "<h2>Qui</h2>" in editor.text and "Enregistrer la fiche" in editor.text
    assert (await kb.http.get("/connaissances/nouvelle")).status_code == 200


async def test_the_panel_of_the_agent_page_speaks_the_agents_language(kb: Kb) -> None:
    """The piece the agent page puts in: a dialog naming the agent's collectivity, in French."""
    await signed_in(kb, "lea")
    panel = await kb.http.get("/connaissances/panneau")
    assert panel.status_code == 200
    assert '<dialog id="kb-panel"' in panel.text and 'data-tenant="demo"' in panel.text
    assert "Chercher dans les fiches" in panel.text
    kb.http.cookies.clear()
    assert (await kb.http.get("/connaissances/panneau")).status_code == 303  # to the sign-in page


async def test_the_faq_shows_published_public_sheets_only(kb: Kb) -> None:
    """Anyone's FAQ: the published public sheets by title, found by the search with the words marked; a draft and
    an agents-only sheet neither listed nor readable."""
    public = await kb.write(title="Perte du passeport", body="Faites une **déclaration** de perte.")
    draft = await kb.write(title="Mariage", body="Brouillon.", status="draft")
    agents = await kb.write(title="Procédure interne", body="Registre.", audience="agents")
    kb.http.cookies.clear()
    faq = await kb.http.get("/faq", params={"tenant": "demo"})
    assert faq.status_code == 200
    assert "Questions fréquentes" in faq.text and "Perte du passeport" in faq.text
    assert "Mariage" not in faq.text and "Procédure interne" not in faq.text
    found = await kb.http.get("/faq", params={"tenant": "demo", "q": "passeports perdus"})
    assert "1 réponse trouvée" in found.text and "<mark>perte</mark>" in found.text
    one = await kb.http.get(f"/faq/{public['id']}", params={"tenant": "demo"})
    assert one.status_code == 200 and "<strong>déclaration</strong>" in one.text
    for hidden in (draft, agents):
        assert (await kb.http.get(f"/faq/{hidden['id']}", params={"tenant": "demo"})).status_code == 404
    assert (await kb.http.get("/faq", params={"tenant": "nowhere"})).status_code == 404


async def test_the_faq_speaks_the_citizens_languages(kb: Kb) -> None:
    """French first; Spanish and Arabic (right to left) on request, each with the switch to the others."""
    spanish = await kb.http.get("/faq", params={"tenant": "demo", "lang": "es"})
    assert '<html lang="es" dir="ltr">' in spanish.text and "Preguntas frecuentes" in spanish.text
    arabic = await kb.http.get("/faq", params={"tenant": "demo", "lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert 'hreflang="fr"' in arabic.text and "Français" in arabic.text


async def test_the_faq_is_framed_by_the_declared_websites_only(kb: Kb, stack: Stack) -> None:
    """Its Content-Security-Policy names the collectivity's websites as the only others that may frame it."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            tenant = await session.get(Tenant, "demo")
            assert tenant is not None
            tenant.website_origins = ["https://www.demoville.fr"]
            session.add(tenant)
            await session.commit()
    finally:
        await engine.dispose()
    faq = await kb.http.get("/faq", params={"tenant": "demo", "embed": "1"})
    assert "frame-ancestors 'self' https://www.demoville.fr" in faq.headers["content-security-policy"]
    assert 'class="embed"' in faq.text and "site-header" not in faq.text
    script = await kb.http.get("/embed.js")
    assert '"faq"' in script.text and '"kb"' in script.text and "/faq" in script.text

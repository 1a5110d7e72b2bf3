"""The knowledge base in chromium: an agent searches with the keyboard alone and opens a sheet the agglomeration
shares, marked with its owner; the same search one key away on the agent page (K), beside the ticket; a supervisor
writes a sheet with its preview and reads what changed; the public FAQ, on a phone and in the widget of the city's
website. Axe-clean, nothing spilling, screenshots at a desk's 1366×768 and the FAQ at a phone's 390×844."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import Site, Tenant
from queue_server.platform.tokens import create_token
from queue_server.settings import load_settings
from tests.browser.conftest import Hall
from tests.browser.looks import DESK, PHONE, overflowing, shoot
from tests.browser.test_booking_widget import city_website, declare_origins, no_violations

WASTE = ("Les déchets ménagers sont collectés par **l'agglomération**.\n\n"
         "| Bac | Collecte |\n|:--|:--|\n| Ordures ménagères (bac gris) | lundi et jeudi |\n"
         "| Emballages (bac jaune) | mercredi |\n\n## Encombrants\n\n"
         "Sur rendez-vous, un passage gratuit par trimestre.")
PASSPORT = ("Si votre passeport a été **perdu**, faites une déclaration de perte, puis demandez-en un nouveau.\n\n"
            "## Refaire le passeport\n\n1. Pré-demande en ligne.\n2. Rendez-vous au service Passeports.\n"
            "3. Apportez une photo d'identité et un timbre fiscal.")


def run(coroutine: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, coroutine).result()


async def _agglomeration(hall: Hall) -> dict[str, str]:
    """The hall's agglomeration, a collectivity of its own (one site), and its supervisor's and admin's tokens."""
    tenant = f"{hall.site}-agglo"
    engine = make_engine(load_settings(server={"data_dir": hall.data_dir}).database_url)
    try:
        async with sessions(engine)() as session:
            session.add(Tenant(id=tenant, name="Démoville Agglomération"))
            await session.flush()
            session.add(Site(id=tenant, tenant_id=tenant, name="Accueil de l'agglomération"))
            await session.commit()
            return {role: (await create_token(session, tenant, role, role))[1] for role in ("supervisor", "admin")}
    finally:
        await engine.dispose()


def api(hall: Hall, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, hall.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs)


def sheet(hall: Hall, tenant: str, token: str, **fields: Any) -> dict[str, Any]:
    body = {"audience": "public", "status": "published", "shared": False, **fields}
    made = api(hall, "POST", f"/api/v1/tenants/{tenant}/kb/sheets", token, json=body)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def partners(hall: Hall) -> dict[str, str]:
    """The hall's collectivity and its agglomeration, partners both ways; the agglomeration's sheets on waste
    (shared) and on its own duty roster (not shared); the town hall's own on lost passports. The agglomeration's
    tokens."""
    agglo = f"{hall.site}-agglo"
    tokens = run(_agglomeration(hall))
    for tenant, token, other in ((hall.site, hall.tokens["admin"], agglo), (agglo, tokens["admin"], hall.site)):
        named = api(hall, "PUT", f"/api/v1/tenants/{tenant}/kb/partners", token, json={"tenants": [other]})
        assert named.status_code == 200, named.text
    sheet(hall, agglo, tokens["supervisor"], title="Collecte des déchets et encombrants", body=WASTE, shared=True,
          owner_service="Direction de l'environnement")
    sheet(hall, agglo, tokens["supervisor"], title="Astreinte des déchets", body="Tableau de roulement.",
          audience="agents")
    sheet(hall, hall.site, hall.tokens["supervisor"], title="Perte du passeport", body=PASSPORT,
          owner_service="Service passeports", review_by="2027-06-30")
    return tokens


def test_an_agent_finds_a_shared_sheet_with_the_keyboard(page: Page, hall: Hall) -> None:
    """Léa presses /, types "dechets": the agglomeration's sheet shows while she types, marked with its owner (its
    sheet that is not shared never); ↓ then Enter opens it, read only, its owner said."""
    partners(hall)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/connaissances")
    expect(page.locator("nav.pages a[aria-current=page]")).to_have_text("Connaissances")
    no_violations(page)
    page.keyboard.press("/")
    expect(page.locator("#kb-q")).to_be_focused()
    page.keyboard.type("dechets")
    hits = page.locator("#kb-results li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Collecte des déchets et encombrants")
    expect(hits.first.locator(".mark.owner")).to_have_text("Partagée par Démoville Agglomération")
    expect(hits.first.locator("mark").first).to_have_text(re.compile("déchets", re.I))
    expect(page.locator("#kb-count")).to_have_text("1 fiche trouvée")
    no_violations(page)
    shoot(page, "kb-search")
    assert overflowing(page, scrolls=True, root="main") == []
    page.keyboard.press("ArrowDown")
    expect(page.locator("#kb-results a.hit-title").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/connaissances/[A-Za-z0-9_-]{16}$"))
    expect(page.locator("h1")).to_have_text("Collecte des déchets et encombrants")
    expect(page.locator("#owner")).to_have_text("Lecture seule : fiche de Démoville Agglomération.")
    expect(page.locator(".sheet-text table")).to_be_visible()
    expect(page.get_by_role("link", name="Modifier la fiche")).to_have_count(0)
    no_violations(page)
    shoot(page, "kb-sheet-partner")
    assert overflowing(page, scrolls=True, root="main") == []
    page.goto(f"{hall.url}/connaissances?q=passeports+perdus")
    expect(page.locator("#kb-results li")).to_have_count(1)
    expect(page.locator("#kb-results li").first).to_contain_text("Perte du passeport")


def test_the_agent_page_opens_the_knowledge_base_with_k(page: Page, hall: Hall) -> None:
    """On the agent page K opens the panel at the side; "passeports perdus" finds the sheet, Enter reads it in the
    panel, Back returns to the results, Esc closes it and the page's keys work again."""
    partners(hall)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "agent", "/counter")
    expect(page.locator("#kb-open")).to_be_visible()  # the panel is ready
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("k")
    panel = page.locator("#kb-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#kb-panel-q")).to_be_focused()
    page.keyboard.type("passeports perdus")
    expect(page.locator("#kb-panel-results li")).to_have_count(1)
    no_violations(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#kb-panel-sheet-title")).to_have_text("Perte du passeport")
    expect(page.locator("#kb-panel-text h2")).to_have_text("Refaire le passeport")
    box = panel.bounding_box()
    assert box is not None and box["x"] > DESK[0] / 3  # at the side: the ticket stays in view
    no_violations(page)
    shoot(page, "kb-counter-panel")
    page.locator("#kb-panel-back").click()
    expect(page.locator("#kb-panel-results li")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.keyboard.press("k")
    expect(panel).to_be_visible()
    page.locator("#kb-panel-q").fill("dechets")
    expect(page.locator("#kb-panel-results li .mark.owner")).to_have_text("Partagée par Démoville Agglomération")
    page.locator("#kb-panel-results button").first.click()
    expect(page.locator("#kb-panel-owner")).to_have_text("Lecture seule : fiche de Démoville Agglomération.")


def test_a_supervisor_writes_a_sheet_and_reads_what_changed(page: Page, hall: Hall) -> None:
    """Paul writes a new sheet, the preview following his Markdown; saved, it opens; he changes a word, and the
    versions' page shows the word removed and the word added."""
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    hall.sign_in(page, "supervisor", "/connaissances/nouvelle")
    page.locator("#f-title").fill("Recensement citoyen")
    page.locator("#f-owner_service").fill("Accueil")
    page.locator("#f-status").select_option("published")
    page.locator("#f-audience-public").check()
    page.locator("#f-body").fill("## Qui\n\nTout jeune Français de **16 ans**.")
    expect(page.locator("#preview h2")).to_have_text("Qui")
    expect(page.locator("#preview strong")).to_have_text("16 ans")
    no_violations(page)
    shoot(page, "kb-editor")
    assert overflowing(page, scrolls=True, root="main") == []
    page.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_url(re.compile(r"/connaissances/[A-Za-z0-9_-]{16}$"))
    expect(page.locator("h1")).to_have_text("Recensement citoyen")
    page.get_by_role("link", name="Modifier la fiche").click()
    page.locator("#f-body").fill("## Qui\n\nTout jeune Français de **16 ans**, dans les trois mois.")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_url(re.compile(r"/connaissances/[A-Za-z0-9_-]{16}$"))
    page.get_by_role("link", name=re.compile("Ce qui a changé")).first.click()
    expect(page.locator(".diff-body ins")).to_contain_text(", dans les trois mois")
    no_violations(page)
    shoot(page, "kb-versions")
    assert overflowing(page, scrolls=True, root="main") == []
    page.goto(f"{hall.url}/connaissances/nouvelle")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.locator("#summary")).to_be_focused()
    expect(page.locator("#f-title-error")).to_have_text("Donnez un titre à la fiche (200 caractères au plus).")


def test_the_faq_on_a_phone_and_in_the_city_website(browser: Browser, hall: Hall) -> None:
    """Anyone's FAQ on a phone: the questions, the search while typing, an answer; in Spanish the page around it;
    framed by the city's declared website, it sizes its frame."""
    partners(hall)
    sheet(hall, hall.site, hall.tokens["supervisor"], title="Mariage : dossier", body="Brouillon.", status="draft")
    page = browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="fr-FR")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{hall.url}/faq?tenant={hall.site}")
    expect(page.locator("h1")).to_have_text("Questions fréquentes")
    expect(page.locator(".faq-list li")).to_have_count(1)  # the draft and the agglomeration's are not here
    no_violations(page)
    shoot(page, "kb-faq", full_page=True)
    assert overflowing(page, scrolls=True) == []
    page.locator("#faq-q").fill("passeports perdus")
    expect(page.locator("#faq-results li")).to_have_count(1)
    expect(page.locator("#faq-count")).to_have_text("1 réponse trouvée")
    shoot(page, "kb-faq-search", full_page=True)
    page.locator("#faq-results a").click()
    expect(page.locator("article.answer h1")).to_have_text("Perte du passeport")
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "kb-faq-answer", full_page=True)
    page.goto(f"{hall.url}/faq?tenant={hall.site}&lang=es")
    expect(page.locator("h1")).to_have_text("Preguntas frecuentes")
    no_violations(page)
    page.goto(f"{hall.url}/faq?tenant={hall.site}&lang=ar&q=passeport")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#faq-results li")).to_have_count(1)
    no_violations(page)
    assert overflowing(page, scrolls=True) == []
    shoot(page, "kb-faq-ar", full_page=True)
    page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
    page.goto(f"{hall.url}/faq?tenant={hall.site}")
    shoot(page, "kb-faq")
    html = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Ville de Démoville</title></head>'
            f'<body><main><h1>Vos questions</h1><script src="{hall.url}/embed.js" data-widget="faq" '
            f'data-tenant="{hall.site}" async></script></main></body></html>')
    with city_website(html) as origin:
        declare_origins(hall, origin)
        with page.expect_response(lambda r: "/faq?" in r.url) as framed:
            page.goto(origin)
        assert f"frame-ancestors 'self' {origin}" in framed.value.headers["content-security-policy"]
        assert page.locator("iframe.guichet-widget").get_attribute("title") == "Questions fréquentes"
        widget = page.frame_locator("iframe.guichet-widget")
        expect(widget.locator(".faq-list li")).to_have_count(1)
        page.wait_for_function("() => document.querySelector('iframe').style.height !== '480px'")
        shoot(page, "kb-faq-widget", full_page=True)
    assert errors == []

"""API.md "Knowledge base" end to end over HTTP, on every storage stack, with the server's clock fixed on Monday
16 March 2026, 10:00 in Paris: sheets written by supervisors and read by whom they are for (drafts and agents-only
sheets never public), every change a version with its author and a difference that reads, what is due for review,
the preview of Markdown, refusals that name their field."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Stack
from tests.kb.support import Kb, running

pytestmark = pytest.mark.anyio
BASE = "/api/v1/tenants/demo/kb"
PASSPORT = ("Si votre passeport a été **perdu**, faites une déclaration de perte.\n\n"
            "## Refaire le passeport\n\nPrenez rendez-vous au service Passeports.")


@pytest.fixture
async def kb(stack: Stack) -> AsyncIterator[Kb]:
    async for running_kb in running(stack):
        yield running_kb


async def test_a_supervisor_writes_a_sheet_that_reads_as_written(kb: Kb) -> None:
    """A new sheet is version 1 with every field given; its Markdown also comes as HTML, its headings under the
    page's title, a script written in it shown as text."""
    sheet = await kb.write(title="Perte du passeport", body=PASSPORT + "\n\n<script>alert(1)</script>",
                           audience="public", status="published", shared=False, review_by="2026-09-30",
                           owner_service="Service passeports",
                           links={"services": ["passeports"], "motifs": ["passeport"], "categories": ["etat-civil"]})
    assert sheet["version"] == 1 and sheet["tenant"] == "demo" and sheet["tenant_name"] == "Mairie de Démoville"
    assert (sheet["review_by"], sheet["owner_service"]) == ("2026-09-30", "Service passeports")
    assert sheet["links"] == {"services": ["passeports"], "motifs": ["passeport"], "categories": ["etat-civil"]}
    assert "<strong>perdu</strong>" in sheet["html"] and "<h2>Refaire le passeport</h2>" in sheet["html"]
    assert "<script>" not in sheet["html"] and "&lt;script&gt;" in sheet["html"]
    read = await kb.http.get(f"{BASE}/sheets/{sheet['id']}", headers=kb.auth("demo", "agent"))
    assert read.status_code == 200
    assert {k: read.json()[k] for k in ("title", "body", "status", "audience", "updated_by")} == {
        "title": "Perte du passeport", "body": PASSPORT + "\n\n<script>alert(1)</script>", "status": "published",
        "audience": "public", "updated_by": f"token:{read.json()['updated_by'].split(':')[1]}"}


async def test_only_supervisors_and_administrators_write(kb: Kb) -> None:
    """An agent's sheet is a 403; another collectivity's supervisor writing here is a 404, as if there were none."""
    body = {"title": "Fiche", "body": "Texte.", "audience": "public", "status": "published", "shared": False}
    agent = await kb.http.post(f"{BASE}/sheets", json=body, headers=kb.auth("demo", "agent"))
    assert agent.status_code == 403 and agent.json()["type"] == "/problems/wrong-role"
    other = await kb.http.post(f"{BASE}/sheets", json=body, headers=kb.auth("agglo", "supervisor"))
    assert other.status_code == 404 and other.json()["type"] == "/problems/unknown-tenant"
    admin = await kb.http.post(f"{BASE}/sheets", json=body, headers=kb.auth("demo", "admin"))
    assert admin.status_code == 201


async def test_a_refused_sheet_names_its_field(kb: Kb) -> None:
    """A blank title, an unknown audience or status, a link that is no id: 422 naming each field."""
    body = {"title": "  ", "body": "x", "audience": "everyone", "status": "live", "shared": False,
            "links": {"services": ["Not An Id"]}}
    answer = await kb.http.post(f"{BASE}/sheets", json=body, headers=kb.auth("demo", "supervisor"))
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"title", "audience", "status", "links.services.0"}


async def test_drafts_and_agents_only_sheets_are_never_public(kb: Kb) -> None:
    """Anyone reads and finds the published public sheets only; a draft or an agents-only sheet is a 404 to them,
    and is not found."""
    public = await kb.write(title="Recensement citoyen", body="Se faire recenser à 16 ans.")
    draft = await kb.write(title="Recensement : brouillon", body="Recensement à revoir.", status="draft")
    agents = await kb.write(title="Recensement : procédure interne", body="Recensement, registre.",
                            audience="agents")
    assert (await kb.http.get(f"{BASE}/sheets/{public['id']}")).status_code == 200
    for hidden in (draft, agents):
        answer = await kb.http.get(f"{BASE}/sheets/{hidden['id']}")
        assert answer.status_code == 404 and answer.json()["type"] == "/problems/unknown-sheet"
    assert await kb.found("demo", "recensement") == ["Recensement citoyen"]
    listed = await kb.http.get(f"{BASE}/sheets")
    assert [item["title"] for item in listed.json()["items"]] == ["Recensement citoyen"]
    # Through another collectivity's path, none of them is anyone's.
    assert (await kb.http.get(f"/api/v1/tenants/agglo/kb/sheets/{public['id']}")).status_code == 404


async def test_agents_read_the_published_and_editors_the_drafts_too(kb: Kb) -> None:
    """An agent finds published sheets of either audience, not the draft; a supervisor finds the draft too,
    with its status."""
    await kb.write(title="Recensement citoyen", body="Se faire recenser.")
    await kb.write(title="Recensement : procédure interne", body="Registre.", audience="agents")
    draft = await kb.write(title="Recensement : brouillon", body="À revoir.", status="draft")
    assert sorted(await kb.found("demo", "recensement", kb.auth("demo", "agent"))) == [
        "Recensement : procédure interne", "Recensement citoyen"]
    answer = await kb.http.get(f"{BASE}/search", params={"q": "recensement"}, headers=kb.auth("demo", "supervisor"))
    statuses = {item["title"]: item["status"] for item in answer.json()["items"]}
    assert statuses["Recensement : brouillon"] == "draft" and len(statuses) == 3
    assert (await kb.http.get(f"{BASE}/sheets/{draft['id']}", headers=kb.auth("demo", "agent"))).status_code == 404
    assert (await kb.http.get(f"{BASE}/sheets/{draft['id']}",
                              headers=kb.auth("demo", "supervisor"))).status_code == 200


async def test_every_change_is_a_version_with_its_author(kb: Kb) -> None:
    """Two changes make versions 2 and 3; the history lists 3, 2, 1 with who and when, and each reads as it was."""
    sheet = await kb.write(title="Acte de naissance", body="Délivré par la mairie.", status="draft")
    await kb.write(sheet=sheet["id"], title="Acte de naissance", body="Délivré gratuitement par la mairie.",
                   status="draft")
    third = await kb.write(sheet=sheet["id"], title="Acte de naissance (copie et extrait)",
                           body="Délivré gratuitement par la mairie du lieu de naissance.")
    assert third["version"] == 3 and third["status"] == "published"
    history = await kb.http.get(f"{BASE}/sheets/{sheet['id']}/versions", headers=kb.auth("demo", "agent"))
    assert history.status_code == 200
    items = history.json()["items"]
    assert [v["number"] for v in items] == [3, 2, 1]
    assert {v["author"] for v in items} == {third["updated_by"]} and all(v["at"].endswith("Z") for v in items)
    first = await kb.http.get(f"{BASE}/sheets/{sheet['id']}/versions/1", headers=kb.auth("demo", "agent"))
    assert (first.json()["body"], first.json()["status"]) == ("Délivré par la mairie.", "draft")
    missing = await kb.http.get(f"{BASE}/sheets/{sheet['id']}/versions/4", headers=kb.auth("demo", "agent"))
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/unknown-version"
    # The history is its collectivity's staff's.
    assert (await kb.http.get(f"{BASE}/sheets/{sheet['id']}/versions")).status_code == 404


async def test_a_difference_reads_as_words_removed_and_added(kb: Kb) -> None:
    """From version 1 to 2: the word changed in the body is removed then added, the rest the same."""
    sheet = await kb.write(title="Carte d'identité", body="Valable 10 ans.\nGratuite.")
    await kb.write(sheet=sheet["id"], title="Carte d'identité", body="Valable 15 ans.\nGratuite.")
    answer = await kb.http.get(f"{BASE}/sheets/{sheet['id']}/diff", params={"from": "1", "to": "2"},
                               headers=kb.auth("demo", "agent"))
    assert answer.status_code == 200
    diff = answer.json()
    assert (diff["from"]["number"], diff["to"]["number"]) == (1, 2)
    assert diff["title"] == [{"kind": "same", "text": "Carte d'identité"}]
    assert diff["body"] == [{"kind": "same", "text": "Valable "}, {"kind": "removed", "text": "10"},
                            {"kind": "added", "text": "15"}, {"kind": "same", "text": " ans.\nGratuite."}]
    wrong = await kb.http.get(f"{BASE}/sheets/{sheet['id']}/diff", params={"from": "x", "to": "2"},
                              headers=kb.auth("demo", "agent"))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "from"


async def test_a_change_of_another_collectivity_or_of_no_sheet_is_a_404(kb: Kb) -> None:
    """The agglomeration's supervisor cannot change a sheet of Démoville through its own path."""
    sheet = await kb.write(title="Fiche")
    body = {"title": "Autre", "body": "x", "audience": "public", "status": "published", "shared": False}
    answer = await kb.http.put(f"/api/v1/tenants/agglo/kb/sheets/{sheet['id']}", json=body,
                               headers=kb.auth("agglo", "supervisor"))
    assert answer.status_code == 404 and answer.json()["type"] == "/problems/unknown-sheet"
    none = await kb.http.put(f"{BASE}/sheets/nothing", json=body, headers=kb.auth("demo", "supervisor"))
    assert none.status_code == 404


async def test_sheets_due_for_review_are_listed_for_supervisors(kb: Kb) -> None:
    """A review date reached (today counts) lists the sheet; a later one, none or an archived sheet does not."""
    await kb.write(title="Décès", review_by="2026-01-15", owner_service="État civil")
    await kb.write(title="Aujourd'hui", review_by="2026-03-16")
    await kb.write(title="Plus tard", review_by="2026-03-17")
    await kb.write(title="Archivée", review_by="2025-01-01", status="archived")
    await kb.write(title="Sans date")
    answer = await kb.http.get(f"{BASE}/review", headers=kb.auth("demo", "supervisor"))
    assert [(s["title"], s["owner_service"]) for s in answer.json()["items"]] == [
        ("Décès", "État civil"), ("Aujourd'hui", None)]
    assert (await kb.http.get(f"{BASE}/review", headers=kb.auth("demo", "agent"))).status_code == 403


async def test_the_preview_is_the_sanitised_html(kb: Kb) -> None:
    """What the editor shows beside the text: the page's HTML of it, no link to a script."""
    answer = await kb.http.post(f"{BASE}/preview", json={"body": "# Titre\n\n[lien](javascript:alert(1)) *ok*"},
                                headers=kb.auth("demo", "supervisor"))
    assert answer.status_code == 200
    assert answer.json()["html"].startswith("<h2>Titre</h2>")
    assert "javascript" not in answer.json()["html"].replace("[lien](javascript:alert(1))", "")
    assert "<em>ok</em>" in answer.json()["html"]

"""The knowledge base's search in French over HTTP, on every storage stack (``GET …/kb/search?q=``): stems and
folded accents, the town hall's words of one meaning ("passeports perdus" finds "Perte du passeport"), the title
before the body, sheets with every word before those with some, excerpts with the words found marked, kept current
as sheets change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Stack
from tests.kb.support import Kb, running

pytestmark = pytest.mark.anyio
BASE = "/api/v1/tenants/demo/kb"


@pytest.fixture
async def kb(stack: Stack) -> AsyncIterator[Kb]:
    async for running_kb in running(stack):
        yield running_kb


async def items(kb: Kb, q: str, role: str | None = "agent") -> list[dict[str, Any]]:
    answer = await kb.http.get(f"{BASE}/search", params={"q": q}, headers=kb.auth("demo", role) if role else {})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]  # type: ignore[no-any-return]


async def test_passeports_perdus_finds_perte_du_passeport(kb: Kb) -> None:
    """API.md's example: "perdus" and "perte" stem apart, and are words of one meaning; typed without accents or
    with a capital, while typing or not."""
    await kb.write(title="Perte du passeport", body="Faites une déclaration de perte, puis refaites-le.")
    await kb.write(title="Carte d'identité", body="Renouvellement tous les quinze ans.")
    for q in ("passeports perdus", "passeports perdus ", "Passeport PERDU", "passeport égaré", "perte passeport"):
        assert await kb.found("demo", q) == ["Perte du passeport"], q


async def test_stems_and_accents_are_folded(kb: Kb) -> None:
    """Plural for singular, no accent for an accent, a verb for its noun, the word being typed."""
    await kb.write(title="Inscription à l'école", body="Après un déménagement, inscrire l'enfant en mairie.")
    await kb.write(title="Élections", body="Les bureaux de vote ouvrent à 8 heures.")
    assert await kb.found("demo", "ecoles ") == ["Inscription à l'école"]
    assert await kb.found("demo", "demenager") == ["Inscription à l'école"]
    assert await kb.found("demo", "ELECTION") == ["Élections"]
    assert await kb.found("demo", "bure") == ["Élections"]  # being typed
    assert await kb.found("demo", "xylophone") == []


async def test_equivalences_find_the_other_words(kb: Kb) -> None:
    """"né à l'étranger" finds a sheet about a birth abroad; "voter" the electoral rolls; "décédé" a death."""
    await kb.write(title="Acte de naissance", body="Pour une naissance à l'étranger, écrire au service central.")
    await kb.write(title="Listes électorales", body="S'inscrire avant le scrutin.")
    await kb.write(title="Déclaration de décès", body="Dans les 24 heures.")
    assert await kb.found("demo", "né étranger ") == ["Acte de naissance"]
    assert await kb.found("demo", "voter") == ["Listes électorales"]
    assert await kb.found("demo", "proche décédé") == ["Déclaration de décès"]


async def test_a_title_ranks_before_a_body(kb: Kb) -> None:
    """"passeport" is one sheet's title and a word of the other's text: the title first."""
    await kb.write(title="Carte d'identité", body="Si vous avez un passeport valide, la carte n'est pas exigée.")
    await kb.write(title="Passeport", body="Pré-demande en ligne, puis rendez-vous.")
    assert await kb.found("demo", "passeport ") == ["Passeport", "Carte d'identité"]


async def test_every_word_first_then_the_most_words(kb: Kb) -> None:
    """With no sheet holding every word, those holding the most come first, marked partial; with one holding
    every word, only those that do."""
    await kb.write(title="Passeport", body="Pré-demande en ligne et rendez-vous en mairie.")
    await kb.write(title="Rendez-vous", body="Prendre rendez-vous en ligne.")
    await kb.write(title="Horaires", body="La mairie ouvre à 8 h 30.")
    found = await items(kb, "passeport rendez-vous horaires ")
    titles = [f["title"] for f in found]
    assert titles[0] == "Passeport" and sorted(titles[1:]) == ["Horaires", "Rendez-vous"]  # two words, then one
    assert all(f["partial"] for f in found)
    complete = await items(kb, "passeport rendez-vous ")
    assert [(f["title"], f["partial"]) for f in complete] == [("Passeport", False)]


async def test_results_carry_an_excerpt_with_the_words_found(kb: Kb) -> None:
    """Each item: id, title, excerpt (plain text, no Markdown marks), its owner; the words found marked."""
    sheet = await kb.write(title="Perte du passeport", body="En cas de **perte**, faites une [déclaration](https://x.fr).")
    [item] = await items(kb, "perdu")
    assert (item["id"], item["tenant"], item["tenant_name"]) == (sheet["id"], "demo", "Mairie de Démoville")
    assert item["excerpt"] == "En cas de perte, faites une déclaration."
    assert {"text": "perte", "hit": True} in item["excerpt_spans"]


async def test_the_search_follows_each_change(kb: Kb) -> None:
    """A new title is found at once and the old one no more; a sheet archived leaves the agents' search, a sheet
    made agents-only leaves the public's."""
    sheet = await kb.write(title="Salle des fêtes", body="Réservation.")
    await kb.write(sheet=sheet["id"], title="Location de salles", body="Réservation.")
    assert await kb.found("demo", "fetes ", kb.auth("demo", "agent")) == []
    assert await kb.found("demo", "location") == ["Location de salles"]
    await kb.write(sheet=sheet["id"], title="Location de salles", body="Réservation.", audience="agents")
    assert await kb.found("demo", "location") == []
    assert await kb.found("demo", "location", kb.auth("demo", "agent")) == ["Location de salles"]
    await kb.write(sheet=sheet["id"], title="Location de salles", body="Réservation.", status="archived")
    assert await kb.found("demo", "location", kb.auth("demo", "agent")) == []
    assert await kb.found("demo", "location", kb.auth("demo", "supervisor")) == ["Location de salles"]


async def test_a_query_too_long_is_refused_naming_q(kb: Kb) -> None:
    """More than 200 characters: 422 naming q; no words at all: nothing found."""
    answer = await kb.http.get(f"{BASE}/search", params={"q": "x" * 201})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "q"
    assert await kb.found("demo", " — ") == []
    unknown = await kb.http.get("/api/v1/tenants/nowhere/kb/search", params={"q": "x"})
    assert unknown.status_code == 404

"""Sheets shared between collectivities (mutualisation) over HTTP, on every storage stack: a collectivity's shared
published sheets are found and read by a partner's staff only once both named each other, marked with their owner,
read only; the reader's collectivity adds a local note on top that its own staff read and the owner never does;
nothing of a non-partner is visible either way (404, never 403)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Stack
from tests.kb.support import Kb, running

pytestmark = pytest.mark.anyio
DEMO, AGGLO = "/api/v1/tenants/demo/kb", "/api/v1/tenants/agglo/kb"


@pytest.fixture
async def kb(stack: Stack) -> AsyncIterator[Kb]:
    async for running_kb in running(stack):
        yield running_kb


async def agglo_sheets(kb: Kb) -> tuple[dict[str, object], dict[str, object]]:
    """The agglomeration's shared sheet on waste and its own sheet on on-call duty (not shared), both for agents
    (a public sheet is anyone's through its collectivity's path)."""
    shared = await kb.write("agglo", title="Collecte des déchets", body="Bac gris le lundi, encombrants sur "
                            "rendez-vous.", shared=True, audience="agents")
    own = await kb.write("agglo", title="Astreinte des déchets", body="Tableau de roulement.", audience="agents")
    return shared, own


async def test_shared_sheets_are_found_only_once_both_named_each_other(kb: Kb) -> None:
    """The agglomeration names Démoville: nothing yet; Démoville names it back: its agents find the shared sheet,
    with its owner, never the one that is not shared."""
    shared, _own = await agglo_sheets(kb)
    named = await kb.partners("agglo", "demo")
    assert named == {"tenants": ["demo"], "mutual": []}
    agent = kb.auth("demo", "agent")
    assert await kb.found("demo", "dechets", agent) == []
    assert (await kb.http.get(f"{AGGLO}/sheets/{shared['id']}", headers=agent)).status_code == 404
    assert await kb.partners("demo", "agglo") == {"tenants": ["agglo"], "mutual": ["agglo"]}
    answer = await kb.http.get(f"{DEMO}/search", params={"q": "dechets"}, headers=agent)
    [item] = answer.json()["items"]
    assert (item["title"], item["tenant"], item["tenant_name"]) == (
        "Collecte des déchets", "agglo", "Démoville Agglomération")


async def test_a_partner_reads_a_shared_sheet_through_either_path_read_only(kb: Kb) -> None:
    """Démoville's agent reads the agglomeration's shared sheet through the agglomeration's path or its own;
    Démoville's supervisor cannot change it; the one that is not shared is a 404."""
    shared, own = await agglo_sheets(kb)
    await kb.partners("agglo", "demo")
    await kb.partners("demo", "agglo")
    agent = kb.auth("demo", "agent")
    for path in (f"{AGGLO}/sheets/{shared['id']}", f"{DEMO}/sheets/{shared['id']}"):
        answer = await kb.http.get(path, headers=agent)
        assert answer.status_code == 200, path
        assert (answer.json()["tenant"], answer.json()["note"]) == ("agglo", None)
        assert "updated_by" not in answer.json()  # the agglomeration's people are its own business
    assert (await kb.http.get(f"{DEMO}/sheets/{own['id']}", headers=agent)).status_code == 404
    change = await kb.http.put(f"{DEMO}/sheets/{shared['id']}", json={
        "title": "x", "body": "x", "audience": "public", "status": "published", "shared": True},
        headers=kb.auth("demo", "supervisor"))
    assert change.status_code == 404
    history = await kb.http.get(f"{DEMO}/sheets/{shared['id']}/versions", headers=agent)
    assert history.status_code == 404


async def test_sharing_goes_both_ways(kb: Kb) -> None:
    """Démoville's shared sheets are found by the agglomeration's agents too; its sheets that are not shared,
    not."""
    await kb.partners("agglo", "demo")
    await kb.partners("demo", "agglo")
    await kb.write(title="Perte du passeport", body="Déclaration de perte.", shared=True)
    await kb.write(title="Perte des clés", body="Objets trouvés.")
    assert await kb.found("agglo", "perte", kb.auth("agglo", "agent")) == ["Perte du passeport"]


async def test_a_non_partner_sees_nothing_either_way(kb: Kb) -> None:
    """Voisine names Démoville, which does not name it: neither finds nor reads the other's shared sheets (404)."""
    voisine = await kb.write("voisine", title="Salle des fêtes de Voisine", body="Réservation.", shared=True)
    demo = await kb.write(title="Salle des fêtes de Démoville", body="Réservation.", shared=True, audience="agents")
    await kb.partners("voisine", "demo")
    assert await kb.found("demo", "salle", kb.auth("demo", "agent")) == ["Salle des fêtes de Démoville"]
    assert await kb.found("voisine", "salle", kb.auth("voisine", "agent")) == ["Salle des fêtes de Voisine"]
    for path, role_of in ((f"/api/v1/tenants/voisine/kb/sheets/{demo['id']}", "voisine"),
                          (f"{DEMO}/sheets/{demo['id']}", "voisine")):
        answer = await kb.http.get(path, headers=kb.auth(role_of, "agent"))
        assert answer.status_code == 404 and answer.json()["type"] == "/problems/unknown-sheet"
    read = await kb.http.get(f"{DEMO}/sheets/{voisine['id']}", headers=kb.auth("demo", "agent"))
    assert read.status_code == 404
    # A public sheet stays anyone's, partner or not, through its own collectivity.
    public = await kb.http.get(f"/api/v1/tenants/voisine/kb/sheets/{voisine['id']}", headers=kb.auth("demo", "agent"))
    assert public.status_code == 200 and "note" not in public.json()


async def test_a_local_note_sits_on_top_for_the_reader_only(kb: Kb) -> None:
    """Démoville's supervisor adds a note on the agglomeration's sheet: Démoville's agents read it with the sheet;
    the agglomeration never does; an agent may not write it; removing it leaves the sheet bare again."""
    shared, _own = await agglo_sheets(kb)
    await kb.partners("agglo", "demo")
    await kb.partners("demo", "agglo")
    note = {"body": "À Démoville, les encombrants se déposent aussi aux services techniques."}
    refused = await kb.http.put(f"{DEMO}/sheets/{shared['id']}/note", json=note, headers=kb.auth("demo", "agent"))
    assert refused.status_code == 403
    put = await kb.http.put(f"{DEMO}/sheets/{shared['id']}/note", json=note, headers=kb.auth("demo", "supervisor"))
    assert put.status_code == 200 and put.json()["body"] == note["body"]
    read = await kb.http.get(f"{DEMO}/sheets/{shared['id']}", headers=kb.auth("demo", "agent"))
    assert read.json()["note"]["body"] == note["body"] and "<p>" in read.json()["note"]["html"]
    owner = await kb.http.get(f"{AGGLO}/sheets/{shared['id']}", headers=kb.auth("agglo", "agent"))
    assert "note" not in owner.json()
    gone = await kb.http.delete(f"{DEMO}/sheets/{shared['id']}/note", headers=kb.auth("demo", "supervisor"))
    assert gone.status_code == 204
    again = await kb.http.get(f"{DEMO}/sheets/{shared['id']}", headers=kb.auth("demo", "agent"))
    assert again.json()["note"] is None


async def test_a_note_goes_on_a_partners_sheet_only(kb: Kb) -> None:
    """A note on the collectivity's own sheet is refused (422 own-sheet); on a non-partner's, a 404."""
    own = await kb.write(title="Fiche")
    voisine = await kb.write("voisine", title="Voisine", shared=True)
    answer = await kb.http.put(f"{DEMO}/sheets/{own['id']}/note", json={"body": "x"},
                               headers=kb.auth("demo", "supervisor"))
    assert answer.status_code == 422 and answer.json()["type"] == "/problems/own-sheet"
    answer = await kb.http.put(f"{DEMO}/sheets/{voisine['id']}/note", json={"body": "x"},
                               headers=kb.auth("demo", "supervisor"))
    assert answer.status_code == 404


async def test_partners_are_named_by_administrators(kb: Kb) -> None:
    """A supervisor may not name partners (403); naming itself is refused naming the field; the list replaces
    the last one, and reads back."""
    refused = await kb.http.put(f"{DEMO}/partners", json={"tenants": ["agglo"]}, headers=kb.auth("demo", "supervisor"))
    assert refused.status_code == 403
    itself = await kb.http.put(f"{DEMO}/partners", json={"tenants": ["agglo", "demo"]},
                               headers=kb.auth("demo", "admin"))
    assert itself.status_code == 422 and itself.json()["errors"][0]["field"] == "tenants[1]"
    await kb.partners("demo", "agglo", "voisine")
    await kb.partners("demo", "voisine")
    read = await kb.http.get(f"{DEMO}/partners", headers=kb.auth("demo", "admin"))
    assert read.json() == {"tenants": ["voisine"], "mutual": []}

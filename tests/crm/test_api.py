"""The citizen record's API end to end over HTTP (API.md "Citizen record (CRM)"), on SQLite and PostgreSQL:
create, search as staff type, read with the timeline, rectify, note, relate, export, merge, erase; audit entries
for every read; another collectivity's parties unknown; what each role may do; sealed sectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from queue_server.crm.service import Record
from queue_server.crm.tables import ContactPoint, Party, Word, WordKey
from queue_server.db.engine import make_engine, sessions
from tests.crm.conftest import Crm
from tests.web.support import eventually

pytestmark = pytest.mark.anyio

ANNE = {"first_name": "Anne", "last_name": "Lefèvre", "birth_date": "1980-04-02", "phones": ["06 12 34 56 78"],
        "emails": ["anne.lefevre@example.fr"], "address": "3 rue des Lilas, 75011 Paris",
        "consents": {"sms": True, "email": False, "surveys": True}}


async def test_a_person_is_created_and_found_as_staff_type(crm: Crm) -> None:
    """A new person is found by their name without accents or case, in any order, with one typo, while typing,
    by their phone number in any format and by their exact e-mail address."""
    created = await crm.create(**ANNE)
    assert created["display_name"] == "Anne Lefèvre" and created["kind"] == "person"
    assert created["phones"] == ["+33612345678"] and created["emails"] == ["anne.lefevre@example.fr"]
    assert created["consents"] == {"sms": True, "email": False, "surveys": True}
    await crm.create(first_name="Bernard", last_name="Lefort")
    for query in ("lefevre", "LEFÈVRE anne", "anne lefevre", "lefebvre", "lefe", "+33 6 12 34 56 78",
                  "0612345678", "06.12.34.56.78", "Anne.Lefevre@example.fr"):
        assert await crm.find(query) == ["Anne Lefèvre"], query
    assert await crm.find("lfevbre anne") == []  # two typos in one word
    assert await crm.find("anne.lefevre@example") == []  # an e-mail is found whole


async def test_associations_and_companies_are_found_by_name_siret_and_rna(crm: Crm) -> None:
    await crm.create(kind="association", name="Les Amis du Vieux Moulin", rna="W751234567")
    await crm.create(kind="company", name="Boulangerie Martin", siret="73282932000074", activity="boulangerie")
    assert await crm.find("W751234567") == ["Les Amis du Vieux Moulin"]
    assert await crm.find("vieux moulin") == ["Les Amis du Vieux Moulin"]
    assert await crm.find("732 829 320 00074") == ["Boulangerie Martin"]
    assert await crm.find("732829320") == ["Boulangerie Martin"]  # its SIREN


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
@pytest.mark.parametrize(("body", "field"), [
    ({"emails": ["anne@"]}, "emails.0"),
    ({"phones": ["06 12"]}, "phones.0"),
    ({"phones": ["01 02 03 04"]}, "phones.0"),  # the shape of a number, but none
    ({"birth_date": "2990-01-01"}, "birth_date"),
    ({"first_name": "   "}, "first_name"),
])
async def test_invalid_values_are_refused_naming_their_field_and_nothing_is_kept(
        crm: Crm, body: dict[str, object], field: str) -> None:
    response = await crm.call("anne", "POST", "parties", json={"kind": "person", **ANNE, **body})
    assert response.status_code == 422, response.text
    problem = response.json()
    named = [e["field"] for e in problem.get("errors", [])] or [problem.get("field")]
    assert field in named, problem
    assert await crm.find("lefevre") == []


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "association", "name": "Club", "rna": "W12345"}, "rna"),
    ({"kind": "company", "name": "Société", "siret": "73282932000075"}, "siret"),  # a wrong key
    ({"kind": "company", "name": "Société", "siret": "7328293200007"}, "siret"),
    ({"kind": "club", "name": "Société"}, "kind"),
])
async def test_invalid_identifiers_are_refused_naming_their_field(crm: Crm, body: dict[str, object],
                                                                  field: str) -> None:
    response = await crm.call("anne", "POST", "parties", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert field in [e["field"] for e in problem.get("errors", [])] + [problem.get("field")], problem


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
async def test_every_read_of_a_record_is_audited_and_a_search_names_no_one_in_the_log(crm: Crm) -> None:
    """Reading a party writes who read which record; a search writes the numbers it showed, never the words."""
    party = await crm.create(**ANNE)
    assert (await crm.call("bruno", "GET", f"parties/{party['id']}")).status_code == 200
    await crm.find("lefevre", who="bruno")
    reads = await crm.audit("crm.read")
    assert [(r.actor, r.target) for r in reads] == [("user:bruno", f"party:{party['id']}")]
    searches = await crm.audit("crm.searched")
    assert searches and f"party:{party['id']}" in searches[-1].detail
    assert "lefevre" not in (searches[-1].detail + searches[-1].target).lower()


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
async def test_another_collectivity_sees_none_of_it(crm: Crm) -> None:
    """Another collectivity's staff: the tenant is unknown to them, and so is the party by its number."""
    party = await crm.create(**ANNE)
    assert (await crm.call("other-tenant", "GET", f"parties/{party['id']}")).status_code == 404
    assert (await crm.call("other-tenant", "GET", "parties", params={"q": "lefevre"})).status_code == 404
    mine = await crm.call("other-tenant", "GET", f"/api/v1/tenants/voisine/parties/{party['id']}")
    assert mine.status_code == 404
    found = await crm.call("other-tenant", "GET", "/api/v1/tenants/voisine/parties", params={"q": "lefevre"})
    assert found.status_code == 200 and found.json()["items"] == []


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
async def test_what_each_role_may_do(crm: Crm) -> None:
    """Devices that are not staff get nothing; agents read and add; supervisors export and merge; admins erase."""
    party = await crm.create(**ANNE)
    path = f"parties/{party['id']}"
    for device in ("kiosk", "display"):
        assert (await crm.call(device, "GET", path)).status_code == 403
        assert (await crm.call(device, "POST", "parties", json={"kind": "person", **ANNE})).status_code == 403
    assert (await crm.call("agent", "GET", path)).status_code == 200  # a counter's staff token
    assert (await crm.call("anne", "GET", f"{path}/export")).status_code == 403
    assert (await crm.call("sophie", "GET", f"{path}/export")).status_code == 200
    assert (await crm.call("sophie", "DELETE", path)).status_code == 403
    assert (await crm.call("alain", "DELETE", path)).status_code == 204


async def test_rectification_changes_the_fields_given_and_keeps_the_others(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    changed = await crm.call("anne", "PATCH", f"parties/{party['id']}",
                             json={"last_name": "Lefèvre-Martin", "phones": ["07 98 76 54 32"]})
    assert changed.status_code == 200, changed.text
    view = changed.json()
    assert view["display_name"] == "Anne Lefèvre-Martin" and view["phones"] == ["+33798765432"]
    assert view["emails"] == ["anne.lefevre@example.fr"] and view["consents"]["sms"] is True
    assert await crm.find("martin") == ["Anne Lefèvre-Martin"]
    assert await crm.find("0612345678") == []
    refused = await crm.call("anne", "PATCH", f"parties/{party['id']}", json={"emails": ["not-an-address"]})
    assert refused.status_code == 422
    assert (await crm.call("anne", "GET", f"parties/{party['id']}")).json()["emails"] == ["anne.lefevre@example.fr"]


@pytest.mark.one_stack  # the rule is the service's, whatever the storage
async def test_the_export_holds_everything_kept_on_the_party(crm: Crm) -> None:
    """Right of access: fields, contacts and consents, relations, every note whatever its sector, and the date
    after which the record is purged; the export is audited."""
    party = await crm.create(**ANNE)
    club = await crm.create(kind="association", name="Les Amis du Vieux Moulin", rna="W751234567")
    assert (await crm.call("anne", "POST", f"parties/{party['id']}/relations",
                           json={"party": club["id"], "role": "president"})).status_code == 201
    assert (await crm.call("anne", "POST", f"parties/{party['id']}/notes",
                           json={"text": "A demandé un acte de naissance."})).status_code == 201
    exported = await crm.call("sophie", "GET", f"parties/{party['id']}/export")
    assert exported.status_code == 200
    document = exported.json()
    assert document["phones"] == ["+33612345678"] and document["birth_date"] == "1980-04-02"
    assert document["relations"] == [{"party": club["id"], "kind": "association", "role": "president",
                                      "display_name": "Les Amis du Vieux Moulin", "direction": "of"}]
    assert [e["summary"] for e in document["timeline"]] == ["A demandé un acte de naissance."]
    assert document["purge_after"] > datetime.now(UTC).date().isoformat()
    assert [r.target for r in await crm.audit("crm.exported")] == [f"party:{party['id']}"]


async def test_erasure_removes_the_person_everywhere_and_reports_it_without_a_name(crm: Crm) -> None:
    party = await crm.create(**ANNE)
    await crm.call("anne", "POST", f"parties/{party['id']}/notes", json={"text": "Dossier complet."})
    assert (await crm.call("alain", "DELETE", f"parties/{party['id']}")).status_code == 204
    assert (await crm.call("anne", "GET", f"parties/{party['id']}")).status_code == 404
    assert await crm.find("lefevre") == [] and await crm.find("0612345678") == []
    engine = make_engine(crm.stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            assert (await session.execute(select(Word).where(Word.word == "lefevre"))).first() is None  # type: ignore[arg-type]
            assert (await session.execute(select(WordKey).where(WordKey.word == "lefevre"))).first() is None  # type: ignore[arg-type]
            assert (await session.execute(select(ContactPoint))).first() is None
    finally:
        await engine.dispose()
    reports = (await crm.call("alain", "GET", "purges")).json()["items"]
    assert reports[0]["reason"] == "erasure" and reports[0]["parties"][0]["id"] == party["id"]
    assert "Lef" not in str(reports)


async def test_likely_duplicates_are_proposed_and_a_merge_keeps_both_timelines(crm: Crm) -> None:
    first = await crm.create(**ANNE)
    await crm.call("anne", "POST", f"parties/{first['id']}/notes", json={"text": "Première visite."})
    second = await crm.create(first_name="Anne", last_name="Lefevre", phones=["+33 6 12 34 56 78"])
    assert second["likely_duplicates"] == [{"id": first["id"], "display_name": "Anne Lefèvre", "reason": "phone"}]
    await crm.call("anne", "POST", f"parties/{second['id']}/notes", json={"text": "Deuxième visite."})
    queue = await crm.call("sophie", "GET", "duplicates")
    assert [[p["id"] for p in pair["parties"]] for pair in queue.json()["items"]] == [[second["id"], first["id"]]]
    assert (await crm.call("sophie", "POST", f"parties/{second['id']}/merge",
                           json={"into": second["id"]})).status_code == 422
    merged = await crm.call("sophie", "POST", f"parties/{second['id']}/merge", json={"into": first["id"]})
    assert merged.status_code == 200, merged.text
    assert [e["summary"] for e in merged.json()["timeline"]] == ["Deuxième visite.", "Première visite."]
    assert (await crm.call("anne", "GET", f"parties/{second['id']}")).status_code == 404
    assert (await crm.call("sophie", "GET", "duplicates")).json()["items"] == []
    assert [r.detail for r in await crm.audit("crm.merged")] == [
        f"party:{second['id']} merged into party:{first['id']}"]
    assert await crm.find("lefevre") == ["Anne Lefèvre"]


async def test_sealed_sectors_hide_their_entries_and_other_sectors_show_an_outline(crm: Crm) -> None:
    """An urbanisme agent sees a social-action note of a person not at all, and an état-civil note as its kind,
    date and sector only; the authors see theirs whole; an association's record is whole to everyone."""
    for sector, name, sealed, member in (("etat-civil", "État civil", False, "anne"),
                                         ("urbanisme", "Urbanisme", False, "bruno"),
                                         ("social", "Action sociale", True, "claire")):
        done = await crm.call("alain", "PUT", f"sectors/{sector}", json={
            "name": name, "sealed": sealed, "members": [member],
            "services": [{"site": "demo", "service": sector}] if sector != "social" else []})
        assert done.status_code == 200, done.text
    party = await crm.create(**ANNE)
    path = f"parties/{party['id']}"
    for who, sector, text in (("anne", "etat-civil", "Acte de mariage demandé."),
                              ("claire", "social", "Aide au logement en cours.")):
        assert (await crm.call(who, "POST", f"{path}/notes", json={"text": text, "sector": sector})).status_code == 201
    refused = await crm.call("bruno", "POST", f"{path}/notes", json={"text": "x", "sector": "social"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "sector"
    seen_by_bruno = (await crm.call("bruno", "GET", path)).json()["timeline"]
    assert [(e["kind"], e["sector"], e["summary"], e.get("outline")) for e in seen_by_bruno] == [
        ("note", "etat-civil", "", True)]
    seen_by_claire = (await crm.call("claire", "GET", path)).json()["timeline"]
    assert [e["summary"] for e in seen_by_claire] == ["Aide au logement en cours.", ""]
    seen_by_anne = (await crm.call("anne", "GET", path)).json()["timeline"]
    assert [e["summary"] for e in seen_by_anne] == ["Acte de mariage demandé."]


async def test_the_retention_job_purges_exactly_the_parties_past_their_date_and_reports_them(crm: Crm) -> None:
    old = await crm.create(first_name="Odile", last_name="Ancienne")
    recent = await crm.create(**ANNE)
    now = datetime.now(UTC)
    engine = make_engine(crm.stack.settings.database_url)
    try:
        factory = sessions(engine)
        async with factory() as session:
            await session.execute(update(Party).where(Party.id == old["id"])  # type: ignore[arg-type]
                                  .values(dealt_with_at=now - timedelta(days=731)))
            await session.execute(update(Party).where(Party.id == recent["id"])  # type: ignore[arg-type]
                                  .values(dealt_with_at=now - timedelta(days=729)))
            await session.commit()
        reports = await Record(factory, 730).purge(now)
    finally:
        await engine.dispose()
    assert [(r["tenant"], r["purged"], [p["id"] for p in r["parties"]]) for r in reports] == [
        ("demo", 1, [old["id"]])]
    assert (await crm.call("anne", "GET", f"parties/{old['id']}")).status_code == 404
    assert (await crm.call("anne", "GET", f"parties/{recent['id']}")).status_code == 200
    listed = (await crm.call("alain", "GET", "purges")).json()["items"]
    assert listed[0]["reason"] == "retention" and [p["id"] for p in listed[0]["parties"]] == [old["id"]]


async def test_a_linked_visit_reaches_the_timeline_by_sector_and_erasure_keeps_the_counts(crm: Crm) -> None:
    """A ticket given at reception for a known person, served at a counter, is a visit on their timeline: whole
    (service, wait, agent) to the état-civil agent, kind, date and service only to an urbanisme agent. Erased,
    the person is gone, and the day's report still counts the visit."""
    for sector, member in (("etat-civil", "anne"), ("urbanisme", "bruno")):
        await crm.call("alain", "PUT", f"sectors/{sector}", json={
            "name": sector.title(), "members": [member], "services": [{"site": "demo", "service": sector}]})
    party = await crm.create(**ANNE)
    site = "/api/v1/sites/demo"
    issued = await crm.call("anne", "POST", f"{site}/tickets", json={"service": "etat-civil", "party": party["id"]})
    assert issued.status_code == 201, issued.text
    assert (await crm.call("agent", "POST", f"{site}/counters/1/open")).status_code == 200
    called = await crm.call("agent", "POST", f"{site}/counters/1/next", json={"services": ["etat-civil"]})
    assert called.json()["id"] == issued.json()["id"] and called.json()["party"] == party["id"]
    for action in ("start", "finish"):
        assert (await crm.call("agent", "POST", f"{site}/tickets/{called.json()['id']}/{action}")).status_code == 200

    async def served() -> bool:
        timeline = (await crm.call("anne", "GET", f"parties/{party['id']}")).json()["timeline"]
        return bool(timeline) and timeline[0]["summary"] == "served"

    await eventually(served)
    visit = (await crm.call("anne", "GET", f"parties/{party['id']}")).json()["timeline"][0]
    assert (visit["kind"], visit["service"], visit["sector"]) == ("visit", "etat-civil", "etat-civil")
    assert visit["detail"]["ticket"] == issued.json()["number"] and visit["detail"]["wait_s"] >= 0
    outline = (await crm.call("bruno", "GET", f"parties/{party['id']}")).json()["timeline"]
    assert [(e["kind"], e["service"], e["summary"], e.get("outline"), "detail" in e) for e in outline] == [
        ("visit", "etat-civil", "", True, False)]

    assert (await crm.call("alain", "DELETE", f"parties/{party['id']}")).status_code == 204
    assert (await crm.call("anne", "GET", f"parties/{party['id']}")).status_code == 404
    assert await crm.find("lefevre") == []
    today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()  # the site's day

    async def counted() -> bool:
        report = await crm.call("sophie", "GET", f"{site}/reports", params={"date": today, "by": "service"})
        groups = {g["key"]: g for g in report.json()["groups"]}
        return "etat-civil" in groups and groups["etat-civil"]["served"] == 1

    await eventually(counted)


@pytest.mark.parametrize("body", [
    {"kind": "person", "first_name": "An\u0000ne", "last_name": "Lefèvre"},
    {"kind": "company", "name": "Boulangerie", "activity": "pain\u0000"},
])
async def test_a_nul_character_is_refused_as_invalid_not_a_server_error(crm: Crm, body: dict[str, str]) -> None:
    """PostgreSQL's text holds no NUL: a name or an activity with one is a 422, and a search for one finds nothing."""
    response = await crm.call("anne", "POST", "parties", json=body)
    assert response.status_code == 422, response.text
    assert (await crm.call("anne", "GET", "parties", params={"q": "Lef\u0000"})).status_code == 422

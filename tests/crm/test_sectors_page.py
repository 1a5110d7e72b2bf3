"""/crm/sectors over HTTP, in English (its French comes with the next catalogue merge): an administrator
creates a sector whose member then reads its notes whole while another agent sees them in outline; a refused
form keeps its values and saves nothing; the staff read the list without a form and may not post one. And the
demo's citizen record (crm/seed.py): made once, found."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from queue_server.crm.seed import seed_record
from queue_server.crm.service import Record, Staff
from queue_server.db.engine import make_engine, sessions
from tests.conftest import Stack
from tests.crm.conftest import Crm
from tests.crm.test_pages import page, text

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def en(crm: Crm, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A page as ``who`` asks for it in English."""
    http, _headers = await crm.person(who)
    return await http.request(method, path, headers={"Accept-Language": "en"}, **kwargs)


async def post(crm: Crm, who: str, data: dict[str, Any]) -> httpx.Response:
    """The sectors' form posted by ``who`` with their session's CSRF token."""
    _, headers = await crm.person(who)
    return await en(crm, who, "POST", "/crm/sectors", data={"csrf": headers["X-CSRF-Token"], **data})


async def test_an_administrator_makes_a_sector_whose_member_reads_its_notes_whole(crm: Crm) -> None:
    form = await en(crm, "alain", "GET", "/crm/sectors")
    assert form.status_code == 200 and 'action="/crm/sectors"' in form.text
    shown = text(form)
    for words in ("Sectors", "New sector", "Mairie de Démoville", "État civil", "Anne (anne)"):
        assert words in shown, words
    assert 'href="/crm/sectors"' in (await en(crm, "alain", "GET", "/crm")).text
    done = await post(crm, "alain", {"new": "1", "id": "etat-civil", "name": "État civil",
                                                     "service": "demo/etat-civil", "member": "anne"})
    assert done.status_code == 303 and done.headers["location"] == "/crm/sectors?done=sector"
    listed = text(await en(crm, "alain", "GET", "/crm/sectors?done=sector"))
    assert "The sector was saved." in listed
    assert "Mairie de Démoville · État civil" in listed and "Anne" in listed
    assert [a.target for a in await crm.audit("crm.sector.created")] == ["sector:etat-civil"]

    party = await crm.create(first_name="Paul", last_name="Martin")
    note = await crm.call("anne", "POST", f"parties/{party['id']}/notes",
                          json={"text": "Acte de naissance demandé.", "sector": "etat-civil"})
    assert note.status_code == 201, note.text
    assert "Acte de naissance demandé." in text(await page(crm, "anne", "GET", f"/crm/{party['id']}"))
    seen_by_bruno = text(await page(crm, "bruno", "GET", f"/crm/{party['id']}"))
    assert "Note dans le secteur État civil le" in seen_by_bruno and "Acte de naissance" not in seen_by_bruno

    sealed = await post(crm, "alain", {"new": "0", "id": "etat-civil", "name": "État civil",
                                                       "sealed": "1", "member": ["anne", "bruno"]})
    assert sealed.status_code == 303
    listed = text(await en(crm, "alain", "GET", "/crm/sectors"))
    assert "Sealed sector: its entries are invisible outside the sector" in listed
    assert "Acte de naissance demandé." in text(await page(crm, "bruno", "GET", f"/crm/{party['id']}"))


async def test_a_refused_sector_keeps_its_values_and_saves_nothing(crm: Crm) -> None:
    refused = await post(crm, "alain", {"new": "1", "id": "État Civil", "name": "  ",
                                                        "sealed": "1", "service": ["demo/urbanisme", "demo/nope"],
                                                        "member": ["bruno", "nobody"]})
    assert refused.status_code == 422
    shown = text(refused)
    for words in ("The sector was not saved", "Choose among the services listed.",
                  "Choose among the people listed.", "Give the sector a name.",
                  "Use lower-case letters, digits and dashes only"):
        assert words in shown, words
    assert 'value="État Civil"' in refused.text and re.search(r'name="sealed" value="1"[^>]*checked', refused.text)
    assert re.search(r'value="demo/urbanisme" checked', refused.text)
    assert re.search(r'value="bruno" checked', refused.text)
    assert 'aria-invalid="true"' in refused.text and 'id="error-summary"' in refused.text
    assert (await crm.call("alain", "GET", "sectors")).json()["items"] == []
    assert await crm.audit("crm.sector.created") == []


async def test_the_staff_read_the_sectors_without_a_form_and_may_not_post_one(crm: Crm) -> None:
    assert (await crm.call("alain", "PUT", "sectors/social", json={
        "name": "Action sociale", "sealed": True, "members": ["claire"], "services": []})).status_code == 200
    read = await en(crm, "bruno", "GET", "/crm/sectors")
    assert read.status_code == 200 and "<form method=\"post\" action=\"/crm/sectors\"" not in read.text
    shown = text(read)
    assert "Action sociale" in shown and "Claire" in shown and "Change" not in shown
    assert 'href="/crm/sectors"' not in (await en(crm, "bruno", "GET", "/crm")).text
    refused = await post(crm, "sophie", {"new": "1", "id": "x", "name": "X"})
    assert refused.status_code == 403
    assert [s["id"] for s in (await crm.call("alain", "GET", "sectors")).json()["items"]] == ["social"]


async def test_the_demo_record_is_seeded_once_and_its_parties_are_found(stack: Stack) -> None:
    engine = make_engine(stack.settings.database_url)
    try:
        record = Record(sessions(engine), 730)
        assert await seed_record(record) is True
        assert await seed_record(record) is False
        staff = Staff(tenant="demo", actor="test", role="agent")
        found = [p["display_name"] for p in await record.find(staff, "anne lefevre")]
        assert sorted(found) == ["Anne Lefebvre", "Anne Lefèvre"]
        assert [p["display_name"] for p in await record.find(staff, "W751234567")] == ["Les Amis du Vieux Moulin"]
        assert [p["display_name"] for p in await record.find(staff, "73282932000074")] == ["Boulangerie du Centre"]
        assert [p["display_name"] for p in await record.find(staff, "06 12 34 56 78")] == ["Anne Lefèvre"]
        sectors = {s["id"]: s for s in await record.sectors("demo")}
        assert sorted(sectors) == ["etat-civil", "social", "urbanisme"]
        assert sectors["social"]["sealed"] and sectors["social"]["name"] == "Action sociale"
        assert [x["service"] for x in sectors["etat-civil"]["services"]] == ["etat-civil", "passeports"]
        assert len(await record.find(staff, "moulin")) == 1  # nothing twice
    finally:
        await engine.dispose()

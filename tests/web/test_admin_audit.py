"""``/admin/audit`` and the device list of ``/admin``, as an administrator reads them: the audit log
narrowed by period (each entry on its site's clock), site, who and what, a page at a time; dates in
French on the site's clock; configuration changes as "field: before → after"; the devices connected now."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime

import anyio
import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import AuditEntry, Site
from tests.conftest import Stack
from tests.system.servers import free_port
from tests.web.conftest import Neighbours
from tests.web.support import assert_problem, eventually
from tests.web.test_admin_page import admin_client
from tests.web.test_login import People, people, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


def entry(at: str, site: str | None, action: str, actor: str, tenant: str = "demo", **fields: str) -> AuditEntry:
    return AuditEntry(at=datetime.fromisoformat(at), tenant_id=tenant, site_id=site, action=action, actor=actor,
                      **fields)


async def file(stack: Stack, *entries: AuditEntry) -> list[int]:
    """Writes ``entries`` to the audit log as the code does (one transaction); their ids."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            session.add_all(entries)
            await session.commit()
            return [e.id or 0 for e in entries]
    finally:
        await engine.dispose()


async def set_timezone(stack: Stack, site: str, zone: str) -> None:
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            row = await session.get(Site, site)
            assert row is not None
            row.timezone = zone
            session.add(row)
            await session.commit()
    finally:
        await engine.dispose()


def shown(page: httpx.Response) -> dict[int, str]:
    """The entries a page of /admin/audit shows, in order: id -> the row's text as read on the screen."""
    rows = re.findall(r'<tr data-entry="(\d+)">(.*?)</tr>', page.text, re.S)
    return {int(number): " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for number, row in rows}


def link(page: httpx.Response, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page.text)
    return html.unescape(found.group(1)) if found else None


async def test_filters_narrow_the_log_each_entry_on_its_sites_clock(
        client: httpx.AsyncClient, stack: Stack, people: People, neighbours: Neighbours) -> None:  # noqa: F811
    """An administrator of every site reads their collectivity's entries (never another's), each time in
    French on its site's clock (Paris, La Réunion), and narrows them to a day, a site, a person, an action;
    the CSV and the JSON follow the same filters."""
    await admin_client(client, people)  # chef, administrator of every site of demo's collectivity
    await set_timezone(stack, "annexe", "Indian/Reunion")
    note, late, early, revoked, elsewhere, failed = await file(
        stack,
        entry("2026-07-01T12:00:00+00:00", "demo", "note.read", "user:anne", target="ticket:A042",
              address="192.0.2.10"),
        entry("2026-06-30T21:30:00+00:00", "demo", "login", "user:anne"),  # 23:30 on 30 June in Paris
        entry("2026-06-30T22:30:00+00:00", "demo", "logout", "user:chef"),  # 00:30 on 1 July in Paris
        entry("2026-06-30T21:00:00+00:00", "annexe", "token.revoked", "cli", target="token:999"),  # 01:00 on 1 July
        entry("2026-07-01T12:00:00+00:00", "ailleurs", "login", "user:anne", tenant="autre", target="not-yours"),
        entry("2026-07-02T08:00:00+00:00", None, "login.failed", "anonymous", target="anne"),
    )
    everything = shown(await client.get("/admin/audit"))
    assert {note, late, early, revoked, failed} <= everything.keys() and elsewhere not in everything
    assert list(everything) == sorted(everything, reverse=True)  # newest first
    assert "1 juil. 2026" in everything[note] and "14:00" in everything[note]  # Paris in summer: UTC+2
    assert "12:00" not in everything[note] and "2026-07-01" not in everything[note]  # never UTC, never ISO
    assert "30 juin 2026" in everything[late] and "23:30" in everything[late]
    assert "1 juil. 2026" in everything[revoked] and "01:00" in everything[revoked]  # La Réunion: UTC+4
    assert "Anne" in everything[note] and "anne" in everything[note] and "192.0.2.10" in everything[note]
    assert "ticket A042" in everything[note]

    async def narrowed(**params: str) -> set[int]:
        page = await client.get("/admin/audit", params=params)
        assert page.status_code == 200, page.text
        return set(shown(page))

    assert await narrowed(**{"from": "01/07/2026", "to": "2026-07-01"}) == {note, early, revoked}
    assert await narrowed(**{"from": "02/07/2026"}) >= {failed} and not await narrowed(
        **{"from": "02/07/2026"}) & {note, late, early, revoked}
    assert await narrowed(site="annexe") == {revoked}
    assert await narrowed(who="user:anne") == {note, late}
    assert await narrowed(action="note.read") == {note}
    assert await narrowed(**{"from": "1/7/2026", "site": "demo", "who": "user:chef"}) == {early}

    day = await client.get("/admin/audit", params={"from": "01/07/2026", "to": "01/07/2026", "site": "demo"})
    found = re.search(r'href="(/api/v1/audit\.csv\?[^"]+)"', day.text)
    assert found
    spreadsheet = await client.get(html.unescape(found.group(1)))
    lines = list(csv.reader(io.StringIO(spreadsheet.text.removeprefix("\ufeff")), delimiter=";"))
    assert [(line[0], line[3]) for line in lines[1:]] == [("01/07/2026 14:00:00", "note.read"),
                                                          ("01/07/2026 00:30:00", "logout")]
    as_json = await client.get("/api/v1/audit", params={"from": "2026-07-01", "to": "2026-07-01"})
    assert sorted(e["action"] for e in as_json.json()) == ["logout", "note.read", "token.revoked"]
    for odd in ("nul\x00byte", "x" * 1000, "'; DROP TABLE audit_log; --", "\u202eevil"):
        for name in ("site", "who", "action"):
            assert (await client.get("/api/v1/audit", params={name: odd})).json() == [], (name, odd)
            assert (await client.get("/admin/audit", params={name: odd})).status_code in (200, 422), (name, odd)


async def test_a_site_administrator_reads_only_their_sites_entries(
        client: httpx.AsyncClient, stack: Stack, people: People, neighbours: Neighbours) -> None:  # noqa: F811
    """The administrator of demo never sees the entries of annexe (same collectivity), of no site, or of
    another collectivity, not even by asking for annexe by name."""
    await admin_client(client, people, login="gerant", site="demo")
    mine, annexe, tenant_wide, elsewhere = await file(
        stack,
        entry("2026-07-01T12:00:00+00:00", "demo", "token.revoked", "user:chef", target="token:1"),
        entry("2026-07-01T12:00:00+00:00", "annexe", "token.revoked", "user:chef", target="token:2"),
        entry("2026-07-01T12:00:00+00:00", None, "user.password", "user:chef", target="anne"),
        entry("2026-07-01T12:00:00+00:00", "ailleurs", "token.revoked", "cli", tenant="autre"),
    )
    page = await client.get("/admin/audit")
    assert mine in shown(page) and not {annexe, tenant_wide, elsewhere} & shown(page).keys()
    assert '<option>annexe</option>' not in page.text
    asked = await client.get("/admin/audit", params={"site": "annexe", "lang": "en"})
    assert asked.status_code == 422 and "Choose one of your sites." in asked.text
    assert not {annexe, tenant_wide, elsewhere} & shown(asked).keys()
    through_the_api = await client.get("/api/v1/audit", params={"site": "annexe"})
    assert through_the_api.status_code == 200 and through_the_api.json() == []


async def test_pages_of_fifty_stay_the_same_while_entries_arrive(
        client: httpx.AsyncClient, stack: Stack, people: People) -> None:  # noqa: F811
    """Newest first, 50 a page; the filters follow the links; new entries do not shift the older pages,
    and "newer" from the second page gives the first page back."""
    await admin_client(client, people)
    filed = await file(stack, *[entry(f"2026-07-01T08:{i // 2:02d}:00+00:00", "demo",
                                      "login" if i % 2 else "logout", "user:anne") for i in range(120)])
    logins = sorted((n for i, n in enumerate(filed) if i % 2), reverse=True)  # 60, newest first
    first = await client.get("/admin/audit", params={"action": "login", "who": "user:anne"})
    assert list(shown(first)) == logins[:50] and link(first, "prev") is None
    older = link(first, "next")
    assert older and "action=login" in older and "who=user%3Aanne" in older
    second = await client.get(older)
    assert list(shown(second)) == logins[50:]
    assert link(second, "next") is None
    await file(stack, *[entry("2026-07-01T09:00:00+00:00", "demo", "login", "user:anne") for _ in range(5)])
    newer = link(second, "prev")
    assert newer
    assert list(shown(await client.get(newer))) == logins[:50]  # the same page, not shifted by the 5 new ones
    latest = await client.get("/admin/audit", params={"action": "login", "who": "user:anne"})
    assert len(shown(latest)) == 50 and list(shown(latest))[5:] == logins[:45]


async def test_a_configuration_change_reads_as_before_and_after(client: httpx.AsyncClient, stack: Stack,
                                                                people: People) -> None:  # noqa: F811
    """A service renamed and capped through the API: its entry says who (the token by its name and kind),
    what, and each field as "before → after", never the JSON it is stored as. No pairing code, token or
    password reaches the log, on the page or in its CSV."""
    csrf = await admin_client(client, people)
    code = (await client.post("/api/v1/sites/demo/pairings", json={"role": "kiosk", "name": "Borne hall"},
                              headers=stack.auth("admin"))).json()["code"]
    token = (await client.post("/api/v1/pair", json={"code": code})).json()["token"]
    new_password = "a secret nobody reads"
    await client.post("/admin/people/password", data={"csrf": csrf, "login": "anne", "password": new_password})
    changed = await client.put("/api/v1/sites/demo/services/etat-civil", json={"name": "État civil et famille",
                                                                               "daily_cap": 40},
                               headers=stack.auth("admin"))
    assert changed.status_code == 200, changed.text
    page = await client.get("/admin/audit", params={"action": "config.service", "lang": "en"})
    [row] = shown(page).values()
    assert "Service etat-civil, Name: État civil → État civil et famille" in row
    assert "Service etat-civil, Tickets per day: — → 40" in row
    assert "admin Administrator token" in row and "Configuration changed: service" in row
    assert '"before"' not in page.text and "&#34;before&#34;" not in page.text
    french = shown(await client.get("/admin/audit", params={"action": "config.service"}))
    assert "État civil → État civil et famille" in next(iter(french.values()))
    everything = (await client.get("/admin/audit")).text + (await client.get("/api/v1/audit.csv")).text
    assert "Borne hall" in everything and "user.password" in everything  # the entries are there
    assert code not in everything and token not in everything and new_password not in everything


@pytest.mark.one_stack
async def test_a_mistaken_day_is_said_next_to_its_field(client: httpx.AsyncClient, people: People) -> None:  # noqa: F811
    await admin_client(client, people)
    page = await client.get("/admin/audit", params={"from": "31/02/2026", "to": "demain", "lang": "en"})
    assert page.status_code == 422
    for field in ("from", "to"):
        assert re.search(rf'id="f-{field}-error">.*Write a day as day/month/year, for example 01/07/2026\.', page.text)
        assert re.search(rf'id="f-{field}"[^>]*aria-describedby="period-hint f-{field}-error" aria-invalid="true"',
                         page.text)
    assert 'value="31/02/2026"' in page.text  # what was typed stays, to be corrected
    backwards = await client.get("/admin/audit", params={"from": "02/07/2026", "to": "01/07/2026", "lang": "en"})
    assert backwards.status_code == 422 and "The end of the period is before its start." in backwards.text
    assert_problem(await client.get("/api/v1/audit", params={"from": "31/02/2026"}), 422)


@pytest.fixture
async def served(stack: Stack) -> AsyncIterator[str]:
    """The whole app on a real uvicorn server with the live feed's protocol, as ``queue-server serve`` runs it
    (for real WebSocket clients); its URL."""
    from queue_server.web.app import create_app
    from queue_server.web.wsserver import FramesProtocol

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(stack.settings), host="127.0.0.1", port=port, lifespan="on",
                                           log_config=None, ws=FramesProtocol.sized(0), ws_per_message_deflate=False))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve)
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True


async def test_a_device_is_online_while_its_live_feed_is_open(served: str, stack: Stack,
                                                              people: People) -> None:  # noqa: F811
    """The display shows "En ligne" while a real WebSocket client of it is connected, then "Hors ligne" since
    a time in French; the kiosk, never connected, "Hors ligne, jamais connecté"; kinds and roles in words."""
    async with httpx.AsyncClient(base_url=served) as client:
        await admin_client(client, people)
        devices = (await client.get("/api/v1/sites/demo/devices")).json()
        display = next(d["id"] for d in devices if d["role"] == "display")
        kiosk = next(d["id"] for d in devices if d["role"] == "kiosk")

        async def connection(device: int, lang: str = "fr") -> str:
            page = await client.get("/admin", params={"lang": lang})
            row = re.search(rf'<tr data-device="{device}">(.*?)</tr>', page.text, re.S)
            assert row, page.text
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())

        never = await connection(kiosk)
        assert "Borne" in never and "Hors ligne Jamais connecté" in never
        url = served.replace("http://", "ws://") + "/ws/sites/demo"
        async with connect(url, additional_headers=stack.auth("display")) as feed:
            await feed.recv()  # the snapshot: the feed is open

            async def online() -> bool:
                return "En ligne" in await connection(display)

            await eventually(online, timeout_s=10)
            assert "Écran de salle" in await connection(display)

        async def offline() -> bool:
            return "Hors ligne" in await connection(display)

        await eventually(offline, timeout_s=10)
        assert re.search(r"Hors ligne .*\d{1,2} [a-zéû]+\.? 20\d\d .*\d\d:\d\d", await connection(display))
        english = await client.get("/admin", params={"lang": "en"})
        assert "Agent token" in english.text and "Administrator of every site" in english.text
        assert "demo: Agent" in english.text  # anne

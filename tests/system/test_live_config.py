"""A configuration changed through one server process is applied by every process within 2 seconds,
without a restart, and reaches the screens on their live feed (a logo uploaded from /admin/sites, the languages
calls are announced in); `queue-server config export` then
`config import` gives the same configuration back, and an import is applied by the running servers."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest
from PIL import Image

from queue_server.client import LiveFeedClient
from queue_server.db.engine import make_engine, sessions
from queue_server.platform.users import add_user
from queue_server.settings import load_settings
from tests.system.servers import QUEUE_SERVER, ServerProcess, seed_site, server

pytestmark = pytest.mark.anyio
SERVICES = ("etat-civil", "passeports")
ROLES = ("kiosk", "display", "agent", "admin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


async def issue(url: str, tokens: dict[str, str], service: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        return await http.post("/api/v1/sites/hall/tickets", json={"service": service},
                               headers=auth(tokens, "kiosk"))


async def test_a_change_made_through_one_process_applies_on_the_other_within_two_seconds(
        tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    """A service added through A takes a kiosk's ticket through B within 2 s, and a display following B
    gets the new service on its feed; hours that close the site now are refused (409) by both, saying
    when it opens again; a counter renamed through B shows renamed on A's state; a logo uploaded from A's
    /admin/sites is B's within 2 s (its snapshot names it, B serves it, B's display is told), and a call made
    through B after A changed the languages is announced in them."""
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    tokens = await seed_site(db_url, "hall", 2, SERVICES, ROLES)
    env = {"QUEUE_REDIS_URL": redis_url, "QUEUE_REDIS_KEY_PREFIX": key_prefix,
           "QUEUE_REDIS_CHECK_PERSISTENCE": "false", "QUEUE_DATABASE_URL": db_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    messages: list[dict[str, Any]] = []
    with server(tmp_path / "a", env, name="a") as a, server(tmp_path / "b", env, name="b") as b:
        assert (await issue(b.url, tokens, "etat-civil")).status_code == 201  # B follows the site already
        display = LiveFeedClient(b.url, "hall", tokens["display"], messages.append)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(display.run)
            with anyio.fail_after(10):
                while not messages:
                    await anyio.sleep(0.01)
            async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
                added = await http.put("/api/v1/sites/hall/services/urbanisme", json={"name": "Urbanisme",
                                                                                     "prefix": "U"},
                                       headers=auth(tokens, "admin"))
                assert added.status_code == 201, added.text
            started = time.monotonic()
            with anyio.fail_after(2):
                while (answer := await issue(b.url, tokens, "urbanisme")).status_code != 201:
                    assert answer.status_code == 404, answer.text
            assert answer.json()["number"] == "U001" and time.monotonic() - started < 2
            configured = [m for m in messages if m["type"] == "site.configured"]
            assert [s["name"] for s in configured[-1]["data"]["services"]] == ["etat-civil", "passeports",
                                                                                 "Urbanisme"]
            assert "queue" not in configured[-1]["data"]  # a display gets the public view

            tomorrow = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)).date()
            hours = {"weekly": {WEEKDAYS[tomorrow.weekday()]: [["09:00", "12:00"]]}, "public_holidays": None}
            await put(a, tokens, "/hours", hours)
            for process in (a, b):
                with anyio.fail_after(2):
                    while (refused := await issue(process.url, tokens, "etat-civil")).status_code != 409:
                        assert refused.status_code == 201, refused.text
                problem = refused.json()
                assert problem["type"] == "/problems/service-closed"
                assert problem["opens_at_local"] == f"{tomorrow.isoformat()}T09:00+01:00"

            await put(b, tokens, "/counters/1", {"name": "Accueil", "services": ["etat-civil", "urbanisme"]})
            with anyio.fail_after(2):
                while await counter_name(a, tokens, "1") != "Accueil":
                    await anyio.sleep(0.02)

            logo = png()
            url = f"/sites/hall/logo?v={hashlib.sha256(logo).hexdigest()[:12]}"
            await upload_logo(a, db_url, logo)
            started = time.monotonic()
            async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
                with anyio.fail_after(2):
                    while (await http.get("/api/v1/sites/hall/state", headers=auth(tokens, "kiosk"))).json()[
                            "logo"] != url:
                        await anyio.sleep(0.02)
                served = await http.get(url)
            assert served.content == logo and time.monotonic() - started < 2
            assert [m for m in messages if m["type"] == "site.configured"][-1]["data"]["logo"] == url

            await put(a, tokens, "", {"languages": ["fr", "en"]})
            async with httpx.AsyncClient(base_url=b.url, timeout=10, headers=auth(tokens, "agent")) as http:
                issued = await http.post("/api/v1/sites/hall/tickets", json={"service": "etat-civil"})
                assert issued.status_code == 201, issued.text  # staff issue tickets outside the hours too
                called = await http.post("/api/v1/sites/hall/counters/1/next")
                assert called.status_code == 200, called.text
            with anyio.fail_after(2):
                while not (calls := [m for m in messages if m["type"] == "ticket.called"]):
                    await anyio.sleep(0.02)
            assert [x["lang"] for x in calls[-1]["data"]["announcements"]] == ["fr", "en"]
            tasks.cancel_scope.cancel()
        assert display.connections == 1  # the display followed every change without reconnecting


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 60), (0, 53, 122)).save(out, "PNG")
    return out.getvalue()


async def upload_logo(process: ServerProcess, db_url: str, logo: bytes) -> None:
    """An administrator of the site signs in on ``process`` and sends ``logo`` with the settings' logo form."""
    engine = make_engine(load_settings(database={"url": db_url}).database_url)
    try:
        async with sessions(engine)() as session:
            await add_user(session, "hall", "chef", "correct horse battery", "Chef", [("hall", "admin")])
    finally:
        await engine.dispose()
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as browser:
        login = await browser.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token, login.text
        signed = await browser.post("/login", data={"login": "chef", "password": "correct horse battery",
                                                    "csrf": token.group(1)})
        assert signed.status_code == 303, signed.text
        page = await browser.get("/admin/sites/hall")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text
        sent = await browser.post("/admin/sites/hall/logo", data={"csrf": token.group(1)},
                                  files={"logo-file": ("blason.png", logo, "image/png")})
        assert sent.status_code == 303 and sent.headers["location"].endswith("?done=logo#done"), sent.text


async def put(process: ServerProcess, tokens: dict[str, str], path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as http:
        answer = await http.put("/api/v1/sites/hall" + path, json=body, headers=auth(tokens, "admin"))
    assert answer.status_code in (200, 201), answer.text


async def counter_name(process: ServerProcess, tokens: dict[str, str], counter: str) -> str:
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as http:
        state = (await http.get("/api/v1/sites/hall/state", headers=auth(tokens, "agent"))).json()
    return str(next(c["name"] for c in state["counters"] if c["id"] == counter))


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QUEUE_SERVER, *args, "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=60)


async def test_export_then_import_gives_the_same_configuration_and_a_running_server_applies_it(
        tmp_path: Path) -> None:
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "hall", 2, SERVICES, ROLES)
    with server(tmp_path) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=10, headers=auth(tokens, "admin")) as http:
            for path, body in (
                ("/services/etat-civil", {"name": "État civil", "description": "Actes", "hours":
                                          {"sat": [["09:00", "12:00"]]}, "daily_cap": 80}),
                ("/hours", {"weekly": {"mon": [["08:30", "12:00"], ["13:30", "17:00"]]},
                            "closures": [{"from": "2026-08-03", "to": "2026-08-07", "reason": "Travaux"}],
                            "public_holidays": "FR-57"}),
                ("", {"address": "1 place de la Mairie, 57000 Metz", "colours": ["#003366", "#ffcc00"],
                      "region": "RE"}),
            ):
                assert (await http.put("/api/v1/sites/hall" + path, json=body)).status_code == 200
            before = (await http.get("/api/v1/sites/hall/config")).json()
            exported = cli("config", "export", "hall", str(tmp_path / "hall.toml"), data_dir=tmp_path)
            assert exported.returncode == 0, exported.stderr
            text = (tmp_path / "hall.toml").read_text()
            assert 'timezone = "Europe/Paris"' in text and 'public_holidays = "FR-57"' in text
            assert 'region = "RE"' in text
            imported = cli("config", "import", str(tmp_path / "hall.toml"), data_dir=tmp_path)
            assert imported.returncode == 0 and "(it was the same)" in imported.stdout, imported.stderr
            assert (await http.get("/api/v1/sites/hall/config")).json() == before

            # An edited file, imported while the server runs: applied at once (the counter is renamed).
            (tmp_path / "hall.toml").write_text(text.replace('name = "1"', 'name = "Accueil"'))
            imported = cli("config", "import", str(tmp_path / "hall.toml"), data_dir=tmp_path)
            assert imported.returncode == 0, imported.stderr
            with anyio.fail_after(2):
                while await counter_name(running, tokens, "1") != "Accueil":
                    await anyio.sleep(0.02)


def test_a_wrong_file_is_refused_with_a_readable_message(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[site]\nid = "hall"\nname = "Hall"\n[hours]\npublic_holidays = "FR-99"\n')
    (tmp_path / "broken.toml").write_text("[site\n")
    for file, says in (("bad.toml", "FR-99"), ("broken.toml", "not a valid TOML file"), ("none.toml", "no file")):
        run = cli("config", "import", str(tmp_path / file), data_dir=tmp_path)
        assert run.returncode == 2 and says in run.stderr and "Traceback" not in run.stderr, run.stderr
    nothing = cli("config", "export", "hall", "-", data_dir=tmp_path)  # nothing was half saved
    assert nothing.returncode == 2 and "no site 'hall'" in nothing.stderr, nothing.stderr

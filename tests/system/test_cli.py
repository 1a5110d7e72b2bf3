"""The `queue-server` command as an operator uses it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.system.servers import QUEUE_SERVER, free_port, seed_site, server, wait_ready

pytestmark = pytest.mark.anyio


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QUEUE_SERVER, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def poll(predicate, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


async def test_token_created_while_the_server_runs_works_then_revoked_is_refused(tmp_path: Path) -> None:
    """`token create` prints one token alone on stdout, usable at once; after `token revoke` the
    running server refuses it (401) within seconds."""
    await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "k", 1, ("etat-civil",))
    with server(tmp_path) as running:
        created = cli("token", "create", "--site", "k", "--role", "agent", "--name", "desk 1",
                      "--data-dir", str(tmp_path))
        assert created.returncode == 0, created.stderr
        lines = created.stdout.splitlines()
        assert len(lines) == 1 and lines[0].startswith("gq_") and len(lines[0]) > 40
        token = lines[0]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{running.url}/api/v1/sites/k/state", headers=headers).status_code == 200
        listed = cli("token", "list", "--data-dir", str(tmp_path))
        assert token not in listed.stdout and "desk 1" in listed.stdout
        token_id = next(line.split("\t")[0] for line in listed.stdout.splitlines() if "desk 1" in line)
        revoked = cli("token", "revoke", token_id, "--data-dir", str(tmp_path))
        assert revoked.returncode == 0, revoked.stderr
        assert poll(lambda: httpx.get(f"{running.url}/api/v1/sites/k/state", headers=headers).status_code == 401)


def test_token_create_explains_a_wrong_site_or_role(tmp_path: Path) -> None:
    """An unknown role or site gives a readable message and a non-zero exit, no traceback."""
    bad_role = cli("token", "create", "--site", "demo", "--role", "janitor", "--data-dir", str(tmp_path))
    assert bad_role.returncode != 0 and "unknown role 'janitor'" in bad_role.stderr
    assert "Traceback" not in bad_role.stderr
    bad_site = cli("token", "create", "--site", "nowhere", "--role", "agent", "--data-dir", str(tmp_path))
    assert bad_site.returncode != 0 and "no site 'nowhere'" in bad_site.stderr
    assert "Traceback" not in bad_site.stderr and bad_site.stdout == ""


async def test_serve_stops_its_valkey_on_exit_and_finds_its_data_again(tmp_path: Path) -> None:
    """A stopped server leaves no Valkey behind, and the next start has every ticket."""
    tokens = await seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "k", 1, ("etat-civil",))
    headers = {"Authorization": f"Bearer {tokens['kiosk']}"}
    with server(tmp_path, name="first") as first:
        ticket = httpx.post(f"{first.url}/api/v1/sites/k/tickets", json={"service": "etat-civil"},
                            headers=headers).json()
        valkey_pid = int((tmp_path / "valkey" / "valkey.pid").read_text())
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled

    def gone() -> bool:
        try:
            os.kill(valkey_pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{valkey_pid}/stat").read_text().split()[2] == "Z"

    assert poll(gone)
    with server(tmp_path, name="second") as second:
        again = httpx.get(f"{second.url}/api/v1/sites/k/tickets/{ticket['id']}")
        assert again.status_code == 200 and again.json()["number"] == "A001"
        nxt = httpx.post(f"{second.url}/api/v1/sites/k/tickets", json={"service": "etat-civil"}, headers=headers)
        assert nxt.json()["number"] == "A002"


async def test_serve_refuses_a_redis_that_could_lose_queue_state(tmp_path: Path) -> None:
    """An external Redis without an append-only file, or that evicts keys, is refused at start with
    a message naming the setting to change."""
    from queue_server.store.embedded import _find_binary  # the same binary, run unsafely on purpose

    sock = tmp_path / "unsafe.sock"
    unsafe = subprocess.Popen([str(_find_binary()), "--port", "0", "--unixsocket", str(sock), "--save", "",
                               "--appendonly", "no", "--maxmemory-policy", "allkeys-lru", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert poll(sock.exists)
        result = subprocess.run(
            [QUEUE_SERVER, "serve", "--port", "0", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "QUEUE_REDIS_URL": f"unix://{sock}"},
        )
        assert result.returncode != 0
        assert "appendonly" in result.stderr and "noeviction" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        unsafe.terminate()
        unsafe.wait(10)


def test_user_commands_manage_who_signs_in(tmp_path: Path) -> None:
    """`user add`, `passwd` and `disable` do what they say, and refuse clearly what they cannot do."""
    import asyncio

    asyncio.run(seed_site(f"sqlite:///{tmp_path / 'guichet.sqlite3'}", "mairie", 1, ("etat-civil",)))
    base = ["--data-dir", str(tmp_path), "--password-stdin"]

    def run(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([QUEUE_SERVER, "user", *args], input=password + "\n", capture_output=True,
                              text=True, timeout=60)

    added = run("add", "Anne@Mairie.fr", "--tenant", "mairie", "--role", "mairie:agent", "--name", "Anne", *base,
                password="correct horse battery")
    assert added.returncode == 0 and "anne@mairie.fr created" in added.stdout
    for args, password, says in [
        (("add", "anne@mairie.fr", "--tenant", "mairie", "--role", "mairie:agent"), "another long one", "is taken"),
        (("add", "bob", "--tenant", "mairie", "--role", "mairie:agent"), "short", "at least 12 characters"),
        (("add", "bob", "--tenant", "mairie", "--role", "mairie:clerk"), "long enough pass", "Unknown role 'clerk'"),
        (("add", "bob", "--tenant", "mairie", "--role", "ailleurs:agent"), "long enough pass", "No site 'ailleurs'"),
        (("add", "bob", "--tenant", "mairie", "--role", "agent"), "long enough pass", "Only an admin role"),
        (("passwd", "nobody"), "long enough pass", "No user 'nobody'"),
    ]:
        refused = run(*args, *base, password=password)
        assert refused.returncode == 2 and says in refused.stderr and "Traceback" not in refused.stderr, refused
    assert run("passwd", "anne@mairie.fr", *base, password="a brand new password").returncode == 0
    disabled = run("disable", "anne@mairie.fr", "--data-dir", str(tmp_path))
    assert disabled.returncode == 0 and "disabled" in disabled.stdout


def test_user_roles_replaces_the_roles_audited_and_refuses_clearly(tmp_path: Path) -> None:
    """`user roles` replaces every role of a person and writes it to the audit log; an unknown
    login, role or site (another tenant's included), or no role at all, is refused without a traceback."""
    import asyncio
    import sqlite3
    from contextlib import closing

    database = tmp_path / "guichet.sqlite3"
    asyncio.run(seed_site(f"sqlite:///{database}", "mairie", 1, ("etat-civil",)))
    asyncio.run(seed_site(f"sqlite:///{database}", "ailleurs", 1, ("etat-civil",)))
    base = ["--data-dir", str(tmp_path)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([QUEUE_SERVER, "user", *args, *base], input="correct horse battery\n",
                              capture_output=True, text=True, timeout=60)

    assert run("add", "anne", "--tenant", "mairie", "--role", "mairie:agent", "--password-stdin").returncode == 0
    changed = run("roles", "Anne", "--role", "mairie:supervisor", "--role", "admin")
    assert changed.returncode == 0, changed.stderr
    assert "roles of anne: *:admin, mairie:supervisor" in changed.stdout
    for args, says in [
        (("roles", "nobody", "--role", "mairie:agent"), "No user 'nobody'"),
        (("roles", "anne", "--role", "mairie:clerk"), "Unknown role 'clerk'"),
        (("roles", "anne", "--role", "ailleurs:agent"), "No site 'ailleurs' in tenant 'mairie'"),
        (("roles", "anne", "--role", "agent"), "Only an admin role"),
        (("roles", "anne", "--role", ":agent"), "write SITE:ROLE"),
        (("roles", "anne"), "Missing option '--role'"),
    ]:
        refused = run(*args)
        assert refused.returncode == 2 and says in refused.stderr and "Traceback" not in refused.stderr, refused
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT tenant_id, actor, target, detail FROM audit_log "
                          "WHERE action = 'user.roles'").fetchall()
        roles = db.execute("SELECT site_id, role FROM user_roles JOIN users ON users.id = user_id "
                           "WHERE login = 'anne' ORDER BY role").fetchall()
    assert rows == [("mairie", "cli", "anne", "*:admin, mairie:supervisor")]
    assert roles == [(None, "admin"), ("mairie", "supervisor")]


async def test_the_demo_has_people_who_can_sign_in(tmp_path: Path) -> None:
    """`queue-server demo` prints a login and password per role, shows them on the start page, and
    they sign in; a second start keeps the same passwords."""
    seen = []
    for run in range(2):
        port = free_port()
        log_path = tmp_path / f"demo{run}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([QUEUE_SERVER, "demo", "--port", str(port), "--data-dir", str(tmp_path)],
                                       stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process, log_path)
            people = json.loads((tmp_path / "demo-people.json").read_text())
            assert set(people) == {"demo-agent", "demo-supervisor", "demo-admin"}
            assert f"demo-agent: {people['demo-agent']}" in log_path.read_text()
            async with httpx.AsyncClient(base_url=url) as http:
                assert people["demo-agent"] in (await http.get("/")).text
                page = await http.get("/login")
                token = page.text.split('name="csrf" value="')[1].split('"')[0]
                signed = await http.post("/login", data={"login": "demo-agent", "password": people["demo-agent"],
                                                         "csrf": token})
                assert signed.status_code == 303
                assert (await http.get("/api/v1/me")).json()["roles"] == [{"site": "demo", "role": "agent"}]
            seen.append(people)
        finally:
            process.terminate()
            process.wait(30)
    assert seen[0] == seen[1]


def test_site_logo_sets_and_removes_the_logo_audited(tmp_path: Path) -> None:
    """`site logo SITE FILE` stores a PNG as the site's logo, `site logo SITE --remove` removes it, and
    both are written to the audit log with the logo before and after."""
    import asyncio
    import io
    import sqlite3
    from contextlib import closing

    from PIL import Image

    database = tmp_path / "guichet.sqlite3"
    asyncio.run(seed_site(f"sqlite:///{database}", "mairie", 1, ("etat-civil",)))
    logo = tmp_path / "logo.png"
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 70, 160)).save(out, "PNG")
    logo.write_bytes(out.getvalue())
    added = cli("site", "logo", "mairie", str(logo), "--data-dir", str(tmp_path))
    assert added.returncode == 0, added.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT content_type, data FROM site_logos WHERE site_id = 'mairie'").fetchall() == [
            ("image/png", logo.read_bytes())]
    removed = cli("site", "logo", "mairie", "--remove", "--data-dir", str(tmp_path))
    assert removed.returncode == 0, removed.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM site_logos").fetchone() == (0,)
        audited = db.execute("SELECT tenant_id, site_id, actor, detail FROM audit_log WHERE action = 'site.logo' "
                             "ORDER BY id").fetchall()
    assert [row[:3] for row in audited] == [("mairie", "mairie", "cli")] * 2
    added_detail, removed_detail = json.loads(audited[0][3]), json.loads(audited[1][3])
    assert added_detail["content_type"] == "image/png" and added_detail["bytes"] == len(logo.read_bytes())
    assert added_detail["site"]["before"]["logo"] is None
    assert added_detail["site"]["after"]["logo"].startswith("/sites/mairie/logo?v=")
    assert removed_detail["site"]["after"]["logo"] is None


def test_site_logo_refuses_what_is_not_a_logo_in_one_line(tmp_path: Path) -> None:
    """A missing file, a text file, a GIF, a file over 512 KiB or an unknown site is refused with one
    readable line and exit status 2, and no logo is stored."""
    import asyncio
    import io
    import sqlite3
    from contextlib import closing

    from PIL import Image

    database = tmp_path / "guichet.sqlite3"
    asyncio.run(seed_site(f"sqlite:///{database}", "mairie", 1, ("etat-civil",)))
    (tmp_path / "notes.txt").write_text("not a logo\n")
    (tmp_path / "huge.png").write_bytes(b"\x89PNG" + bytes(600 * 1024))
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    (tmp_path / "logo.gif").write_bytes(gif.getvalue())
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")
    (tmp_path / "logo.png").write_bytes(png.getvalue())
    for site, file, says in [
        ("mairie", "missing.png", "cannot read"),
        ("mairie", "notes.txt", "is not a PNG or JPEG image"),
        ("mairie", "logo.gif", "is a GIF image"),
        ("mairie", "huge.png", "512 KiB at most"),
        ("nowhere", "logo.png", "no site 'nowhere'"),
    ]:
        refused = cli("site", "logo", site, str(tmp_path / file), "--data-dir", str(tmp_path))
        assert refused.returncode == 2 and says in refused.stderr, (file, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr, refused.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM site_logos").fetchone() == (0,)

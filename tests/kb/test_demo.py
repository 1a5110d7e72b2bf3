"""The demo's knowledge base (API.md "Knowledge base", Demo), as ``queue-server demo`` seeds it, twice (it is
idempotent): Démoville's own sheets, the agglomeration's shared with it both ways, Voisine partner of nobody, and
``queue-server token create --site agglo --role supervisor`` a token of the agglomeration."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from queue_server.cli.demo import _seed_demo, _seed_demo_knowledge
from queue_server.settings import load_settings
from tests.system.servers import QUEUE_SERVER, server

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


async def test_the_demo_has_three_collectivities_and_their_sheets(tmp_path: Path) -> None:
    """An agglomeration's supervisor token from the CLI; Démoville's agents find "passeports perdus" and the
    agglomeration's waste sheet with its owner, never Voisine's; anyone reads Démoville's FAQ, not its draft."""
    settings = load_settings(server={"data_dir": tmp_path})
    for _ in range(2):
        tokens = await _seed_demo(settings)
        await _seed_demo_knowledge(settings)
    made = subprocess.run([QUEUE_SERVER, "token", "create", "--site", "agglo", "--role", "supervisor", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    agglo = made.stdout.strip()
    with server(tmp_path) as process:
        async with httpx.AsyncClient(base_url=process.url, timeout=10) as http:
            demo_agent = {"Authorization": f"Bearer {tokens['agent']}"}
            found = (await http.get("/api/v1/tenants/demo/kb/search", params={"q": "passeports perdus"},
                                    headers=demo_agent)).json()["items"]
            assert found[0]["title"] == "Perte du passeport"
            waste = (await http.get("/api/v1/tenants/demo/kb/search", params={"q": "encombrants"},
                                    headers=demo_agent)).json()["items"]
            assert waste[0]["title"] == "Collecte des déchets et encombrants"
            assert {s["tenant_name"] for s in waste} == {"Démoville Agglomération"}
            hall = (await http.get("/api/v1/tenants/demo/kb/search", params={"q": "salle fetes"},
                                   headers=demo_agent)).json()["items"]
            assert hall == []  # Voisine's, shared with nobody who named it back
            mine = await http.get("/api/v1/tenants/agglo/kb/sheets", headers={"Authorization": f"Bearer {agglo}"})
            assert len(mine.json()["items"]) == 5
            partners = await http.get("/api/v1/tenants/agglo/kb/partners",
                                      headers={"Authorization": f"Bearer {tokens['admin']}"})
            assert partners.status_code == 404  # another collectivity's admin
            faq = (await http.get("/faq", params={"tenant": "demo"})).text
            assert "Perte du passeport" in faq and "Mariage" not in faq and "Remise d" not in faq

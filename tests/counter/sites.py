"""A site of its own on a real ``queue-server serve`` process, for the counter client's tests: each test
gets a tenant with services ``etat-civil`` (A), ``passeports`` (B), ``urbanisme`` (C) and counters 1 and
2, so that ticket numbers start at A001 and tests never see each other's queues."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.system.servers import ServerProcess, seed_site

SERVICES = ("etat-civil", "passeports", "urbanisme")
ROLES = ("kiosk", "agent", "supervisor")
TIMEOUT_S = 10.0
# The server's access log is on, so that tests can count the requests a client made.
ACCESS_LOG = {"QUEUE_SERVER_ACCESS_LOG": "true"}


@dataclass
class Site:
    """A fresh site on the shared server, with a kiosk's, an agent's and a supervisor's token."""

    server: ServerProcess
    id: str
    tokens: dict[str, str]
    data_dir: Path

    @classmethod
    def create(cls, server: ServerProcess, data_dir: Path, name: str | None = None) -> Site:
        name = name or f"c{uuid.uuid4().hex[:10]}"
        tokens = asyncio.run(seed_site(f"sqlite:///{data_dir / 'guichet.sqlite3'}", name, 2, SERVICES, ROLES))
        return cls(server, name, tokens, data_dir)

    def auth(self, role: str = "agent") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def issue(self, service: str = "etat-civil") -> dict[str, Any]:
        answer = httpx.post(f"{self.server.url}/api/v1/sites/{self.id}/tickets", json={"service": service},
                            headers=self.auth("kiosk"), timeout=TIMEOUT_S)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def get(self, path: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.server.url}/api/v1/sites/{self.id}{path}", headers=self.auth(), timeout=TIMEOUT_S)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """An agent's request (a colleague at another counter); its JSON answer, if any."""
        answer = httpx.request(method, f"{self.server.url}/api/v1/sites/{self.id}{path}", json=body,
                               headers=self.auth(), timeout=TIMEOUT_S)
        assert answer.status_code in (200, 201, 204), answer.text
        return answer.json() if answer.content else None

    def counter(self, counter_id: str) -> dict[str, Any]:
        """The counter as the server's state shows it."""
        return next(c for c in self.get("/state")["counters"] if c["id"] == counter_id)

    def state_requests(self) -> int:
        """How many times ``GET /state`` of this site was asked so far (the server's access log)."""
        wanted = f'"GET /api/v1/sites/{self.id}/state '
        return sum(wanted in line for line in self.server.log.read_text().splitlines())

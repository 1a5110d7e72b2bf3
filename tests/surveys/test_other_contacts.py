"""Invitations after the other kinds of contact, through their modules' streams: a request closed invites its sender
by e-mail (an SMTP server started by the test), an appointment done (its ``appointment.done`` event, as booking
writes it) by SMS; each once, whatever the events read twice."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from tests.outbox.support import eventually
from tests.requests.support import put_categories
from tests.surveys.conftest import Town

pytestmark = pytest.mark.anyio
LINK = re.compile(r"/s/([A-Za-z0-9_-]{16,43})(?![A-Za-z0-9_-])")
REQUESTS = "/api/v1/tenants/demo/requests"


def _surveys(town: Town) -> list[dict[str, str]]:
    return [sms for sms in town.sms.accepted if LINK.search(sms["text"])]


def _invited_by_mail(town: Town) -> list[Any]:
    """The survey invitations the SMTP server accepted (the request's acknowledgement aside)."""
    return [mail for mail in town.mail.received if LINK.search(mail.get_body(("plain",)).get_content())]


async def test_a_closed_request_invites_its_sender_once(town: Town) -> None:
    """Filed with an e-mail and a phone, closed, reopened and closed again: one e-mail (the sender's address goes
    first for a request), whose survey is about the request's category, filed under the collectivity's first
    site."""
    await put_categories(town.stack.settings)
    await _group_ready(town, "requests")
    filed = await town.http.post(REQUESTS, headers=town.stack.auth("agent"), json={
        "category": "voirie", "subject": "Trottoir", "body": "Le trottoir est abîmé.", "channel": "counter",
        "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr",
                   "phone": "06 12 34 56 78"}})
    assert filed.status_code == 201, filed.text
    for wanted in ("closed", "in_progress", "closed"):
        changed = await town.http.post(f"{REQUESTS}/{filed.json()['id']}/status", json={"status": wanted},
                                       headers=town.stack.auth("agent"))
        assert changed.status_code == 200, changed.text
    await eventually(lambda: len(_invited_by_mail(town)) == 1)
    await eventually(lambda: town.app.state.contacts_ended.invited == 1)
    [mail] = _invited_by_mail(town)
    assert mail["To"] == "anne@example.fr" and "demande" in mail["Subject"]
    token = LINK.search(mail.get_body(("plain",)).get_content()).group(1)  # type: ignore[union-attr]
    assert _surveys(town) == []
    survey = (await town.http.get(f"/api/v1/surveys/{token}")).json()
    assert (survey["kind"], survey["site"]["id"], survey["service"]["id"]) == ("request", "demo", "voirie")


async def test_an_appointment_done_invites_by_sms(town: Town) -> None:
    """An ``appointment.done`` on the booking stream (its fields as booking/events.py writes them), read twice:
    one invitation, about the appointment's site and service."""
    await _group_ready(town, "booking")
    redis = Redis.from_url(town.stack.settings.redis.url)
    try:
        data: dict[str, Any] = {
            "id": "rdv-1", "code": "ABCD-1234", "tenant": "demo", "site": "demo", "motif": "passeport",
            "service": "passeports", "start": "2026-03-16T09:00:00Z", "status": "done", "party": None,
            "phone": "+33698765432", "email": None, "at": town.clock.now.isoformat(), "kind": "done"}
        key = f"{town.stack.settings.redis.key_prefix}booking"
        for _ in range(2):
            await redis.xadd(key, {"t": "appointment.done", "d": orjson.dumps(data)})
    finally:
        await redis.aclose()
    await eventually(lambda: len(_surveys(town)) == 1)
    [sms] = _surveys(town)
    assert sms["to"] == "+33698765432" and "rendez-vous" in sms["text"]
    token = LINK.search(sms["text"]).group(1)  # type: ignore[union-attr]
    survey = (await town.http.get(f"/api/v1/surveys/{token}")).json()
    assert (survey["kind"], survey["service"]["id"]) == ("appointment", "passeports")


async def _group_ready(town: Town, stream: str) -> None:
    """Wait for the surveys' group on ``stream``: it starts at the stream's end, earlier entries are not theirs."""
    key = f"{town.stack.settings.redis.key_prefix}{stream}"
    redis = Redis.from_url(town.stack.settings.redis.url)

    async def ready() -> bool:
        return bool(await redis.exists(key)) and any(
            g["name"] in (b"surveys", "surveys") for g in await redis.xinfo_groups(key))

    try:
        await eventually(ready)
    finally:
        await redis.aclose()

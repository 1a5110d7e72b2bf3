"""Calls on the citizen record's timeline, through the real app on every stack (real Redis): each call logged and
each callback done is an event on the ``phone`` stream (never the note, the caller's name nor a number); the CRM,
following that stream, puts a call that names a party on that party's timeline, "Appel — État civil (répondu)",
linking to the call's page, once however many times the event is delivered, and the callback done after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import orjson
import pytest
from redis.asyncio import Redis

from queue_server.i18n import translations
from tests.phone.conftest import BASE, Desk

pytestmark = pytest.mark.anyio
_ = translations("fr").gettext


@pytest.fixture
async def now(desk: Desk) -> AsyncIterator[datetime]:
    """The server's clock on the real time: the citizen record dates its parties by it (a call dated before its
    caller's record was made would be another party's, whose number SQLite gave again)."""
    desk.clock.now = datetime.now(UTC)
    yield desk.clock.now


def later(now: datetime) -> str:
    """A callback's time: three hours on."""
    return (now + timedelta(hours=3)).isoformat().replace("+00:00", "Z")


async def calls_on(desk: Desk, party: int, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The party's call entries, oldest first, once ``until`` holds of them (10 s at most)."""
    with anyio.fail_after(10):
        while True:
            answer = await desk.call("lea", "GET", f"{BASE}/parties/{party}")
            assert answer.status_code == 200, answer.text
            entries = [e for e in reversed(answer.json()["timeline"]) if e["kind"] == "call"]
            if until(entries):
                return entries
            await anyio.sleep(0.05)


async def stream(desk: Desk) -> list[tuple[bytes, dict[bytes, bytes]]]:
    client = Redis.from_url(desk.stack.settings.redis.url)
    try:
        return list(await client.xrange(f"{desk.stack.settings.redis.key_prefix}phone"))
    finally:
        await client.aclose()


async def test_a_partys_call_is_on_its_timeline_once_even_delivered_twice(desk: Desk, now: datetime) -> None:
    """Anne calls about état civil: her timeline shows "Appel — État civil (répondu)" at the call's start, linking to
    the call's page; the event written again on the stream (a process that died before knowing it was) and read
    again from the start by the group (a crash before the acknowledgement) write nothing more."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    call = await desk.log(party=anne["id"])
    [entry] = await calls_on(desk, anne["id"], lambda found: len(found) == 1)
    assert entry["summary"] == _("Call — {reason} (answered)").format(reason="État civil")
    assert entry["detail"]["link"] == f"/phone/appels/{call['id']}"
    assert entry["at"].replace("+00:00", "Z").startswith(call["started_at"][:19])

    [(_id, fields)] = await stream(desk)
    client = Redis.from_url(desk.stack.settings.redis.url)
    try:
        await client.xadd(f"{desk.stack.settings.redis.key_prefix}phone", fields)  # the same event, again
    finally:
        await client.aclose()
    other = await desk.log(party=anne["id"], reason="voirie", outcome="request")
    found = await calls_on(desk, anne["id"], lambda found: len(found) >= 2)
    assert [e["summary"] for e in found] == [
        _("Call — {reason} (answered)").format(reason="État civil"),
        _("Call — {reason} (request created)").format(reason="Voirie et propreté")]
    assert found[1]["detail"]["link"] == f"/phone/appels/{other['id']}"
    timeline = desk.app.state.call_timeline
    await timeline.record(timeline.stream, await stream(desk))
    again = await calls_on(desk, anne["id"], lambda found: True)
    assert [e["id"] for e in again] == [e["id"] for e in found]


async def test_a_callback_done_follows_its_call_on_the_timeline(desk: Desk, now: datetime) -> None:
    """Anne's call ended with a callback to do, later done and she was reached: two entries, "Appel — Urbanisme
    (rappel à faire)" then "Rappel — Urbanisme (joint)", both linking to the call."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    call = await desk.log(party=anne["id"], reason="urbanisme", outcome="callback",
                          callback={"due_at": later(now), "phone": "0612345678"})
    done = await desk.call("hugo", "POST", f"callbacks/{call['callback']['id']}/done", json={"outcome": "reached"})
    assert done.status_code == 200, done.text
    found = await calls_on(desk, anne["id"], lambda found: len(found) == 2)
    assert [e["summary"] for e in found] == [
        _("Call — {reason} (callback to do)").format(reason="Urbanisme"),
        _("Callback — {reason} (reached)").format(reason="Urbanisme")]
    assert {e["detail"]["link"] for e in found} == {f"/phone/appels/{call['id']}"}


async def test_the_events_carry_the_party_and_never_the_note_the_name_nor_the_number(desk: Desk,
                                                                                     now: datetime) -> None:
    """A call with a note and a callback to Anne's number, then the callback done: two events, ``call.logged`` and
    ``callback.done``, with the call's id, party, reason and outcome; her name, the note and the number are in
    none. An anonymous call names no party, and is on nobody's timeline."""
    anne = await desk.party(first_name="Anne", last_name="Lefèvre", phones=["0612345678"])
    call = await desk.log(party=anne["id"], note="Son fils Paul a perdu son passeport", outcome="callback",
                          callback={"due_at": later(now), "phone": "0612345678", "note": "Le soir"})
    await desk.call("lea", "POST", f"callbacks/{call['callback']['id']}/done", json={"outcome": "message_left"})
    await desk.log(reason="dechets")
    events = [(fields[b"t"].decode(), fields[b"d"]) for _id, fields in await stream(desk)]
    assert [kind for kind, _data in events] == ["call.logged", "callback.done", "call.logged"]
    for _kind, raw in events:
        for secret in (b"Lef", b"Anne", b"passeport", b"soir", b"612345678"):
            assert secret not in raw, (secret, raw)
    logged, done, anonymous = (orjson.loads(raw) for _kind, raw in events)
    assert (logged["id"], logged["party"], logged["reason"], logged["outcome"]) == (
        call["id"], anne["id"], "etat-civil", "callback")
    assert (done["callback"], done["callback_outcome"]) == (call["callback"]["id"], "message_left")
    assert anonymous["party"] is None
    found = await calls_on(desk, anne["id"], lambda found: len(found) == 2)
    assert all("dechets" not in str(e["detail"]) for e in found)


async def test_a_call_about_a_service_of_a_sealed_sector_is_seen_by_that_sector_only(desk: Desk,
                                                                                   now: datetime) -> None:
    """Urbanisme is a sealed sector of Hugo's: Anne's call transferred to urbanisme, and her call promising a callback
    by the urbanisme service, are filed under it (Hugo reads them; Léa, in no sector, does not see them); her call
    answered without a service stays general, seen by both."""
    made = await desk.call("alain", "PUT", f"{BASE}/sectors/urbanisme", json={
        "name": "Urbanisme", "sealed": True, "members": ["hugo"],
        "services": [{"site": "demo", "service": "urbanisme"}]})
    assert made.status_code == 200, made.text
    anne = await desk.party(first_name="Anne", last_name="Lefèvre")
    await desk.log(party=anne["id"], reason="urbanisme", outcome="transferred", service="urbanisme")
    await desk.log(party=anne["id"], reason="urbanisme", outcome="callback",
                   callback={"due_at": later(now), "phone": "0612345678", "service": "urbanisme"})
    await desk.log(party=anne["id"], reason="voirie")

    async def entries(who: str) -> list[tuple[str | None, str]]:
        answer = await desk.call(who, "GET", f"{BASE}/parties/{anne['id']}")
        assert answer.status_code == 200, answer.text
        return [(e["sector"], e["summary"]) for e in reversed(answer.json()["timeline"]) if e["kind"] == "call"]

    await calls_on(desk, anne["id"], lambda found: len(found) >= 1)  # Léa sees the general one once written
    with anyio.fail_after(10):
        while len(await entries("hugo")) < 3:
            await anyio.sleep(0.05)
    assert await entries("hugo") == [
        ("urbanisme", _("Call — {reason} (transferred to {service})").format(reason="Urbanisme",
                                                                             service="Urbanisme")),
        ("urbanisme", _("Call — {reason} (callback to do)").format(reason="Urbanisme")),
        (None, _("Call — {reason} (answered)").format(reason="Voirie et propreté"))]
    assert await entries("lea") == [(None, _("Call — {reason} (answered)").format(reason="Voirie et propreté"))]

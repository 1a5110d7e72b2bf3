"""The issue's proof, through the whole app with real parts: a visit served with a phone left at the kiosk sends
one invitation by SMS (through the real outbox worker, to an HTTP endpoint started by the test); the citizen's answer
is recorded once; the link expires after 14 days; the same phone is not invited again within 30 days; the results
count the answer; and the number is nowhere in the database once the outbox's own retention has passed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from queue_server.db.engine import make_engine, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.outbox import purge
from tests.outbox.support import eventually
from tests.surveys.conftest import Town
from tests.web.support import assert_problem, visit_entries

pytestmark = pytest.mark.anyio
PHONE, E164 = "06 12 34 56 78", "+33612345678"
LINK = re.compile(r"/s/([A-Za-z0-9_-]{16,43})(?![A-Za-z0-9_-])")


def _surveys(town: Town) -> list[dict[str, str]]:
    """The survey invitations the SMS endpoint accepted (the queue's "your turn is near" ones aside)."""
    return [sms for sms in town.sms.accepted if LINK.search(sms["text"])]


async def _invitation(town: Town) -> str:
    """The token of the one survey SMS the endpoint received."""
    await eventually(lambda: len(_surveys(town)) == 1)
    [sms] = _surveys(town)
    assert sms["to"] == E164
    found = LINK.search(sms["text"])
    assert found, sms["text"]
    return found.group(1)


async def test_a_served_visit_with_a_phone_gets_one_survey_answered_once(town: Town) -> None:
    """The SMS links to /s/{token}; the survey names the service; the answer is 201, a second one 409; the results
    count it, with the number typed in the comment masked."""
    await town.serve(PHONE)
    token = await _invitation(town)
    [sms] = _surveys(town)
    assert "État civil" in sms["text"] and f"/s/{token}/stop" in sms["text"]
    survey = await town.http.get(f"/api/v1/surveys/{token}")
    assert survey.status_code == 200, survey.text
    assert survey.json()["service"] == {"id": "etat-civil", "name": "État civil"}
    assert [q["id"] for q in survey.json()["questions"]] == ["score", "comment"]
    answer = await town.http.post(f"/api/v1/surveys/{token}",
                                  json={"score": 4, "comment": "Très bien, rappelez-moi au 07 98 76 54 32"})
    assert answer.status_code == 201, answer.text
    again = await town.http.post(f"/api/v1/surveys/{token}", json={"score": 1})
    assert_problem(again, 409)
    results = await town.http.get("/api/v1/sites/demo/surveys/results", headers=town.stack.auth("supervisor"))
    assert results.status_code == 200, results.text
    [service] = results.json()["services"]
    assert (service["service"], service["answers"], service["mean"]) == ("etat-civil", 1, 4.0)
    assert service["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert service["comments"] == ["Très bien, rappelez-moi au [numéro masqué]"]
    assert service["response_rate"] == 1.0


async def test_a_survey_link_is_gone_after_14_days(town: Town) -> None:
    """Moving the server's clock 14 days on makes the survey answer 410, to reading and to answering."""
    await town.serve(PHONE)
    token = await _invitation(town)
    town.clock.now += timedelta(days=14, seconds=1)
    assert_problem(await town.http.get(f"/api/v1/surveys/{token}"), 410)
    assert_problem(await town.http.post(f"/api/v1/surveys/{token}", json={"score": 5}), 410)


async def test_the_same_phone_is_not_invited_again_within_30_days(town: Town) -> None:
    """A second visit of the same phone, served 10 days later, sends nothing: the endpoint still has one SMS once
    the archiver has dealt with the visit (its number deleted)."""
    first = await town.serve(PHONE)
    await _invitation(town)
    town.clock.now += timedelta(days=10)
    second = await town.serve(PHONE)
    await eventually(lambda: _gone(town, second["id"]))
    async with town.app.state.outbox.sessions() as session:  # the outbox holds no message for it either
        keys = (await session.exec(select(OutboxMessage.key).where(
            col(OutboxMessage.key).startswith("survey:")))).all()
    assert keys == [f"survey:visit:{first['id']}"]
    assert len(_surveys(town)) == 1


async def test_no_show_and_cancelled_visits_are_not_invited(town: Town) -> None:
    """A visit that ended without being served (no-show, cancelled) invites nobody."""
    for end in ("no-show", "cancel"):
        ticket = await town.serve(PHONE, end=end)
        await eventually(lambda ticket=ticket: _gone(town, ticket["id"]))
    served = await town.serve("06 98 76 54 32")
    await eventually(lambda: len(_surveys(town)) == 1)
    assert _surveys(town)[0]["to"] == "+33698765432", served


async def test_the_phone_is_nowhere_in_the_database_once_the_outbox_forgot_it(town: Town) -> None:
    """After the survey's SMS went and the answer was recorded, the number is only in the outbox's row (which keeps
    it two days, platform/outbox.py), and in no table at all once the outbox's purge ran."""
    await town.serve(PHONE)
    token = await _invitation(town)
    answered = await town.http.post(f"/api/v1/surveys/{token}", json={"score": 2, "comment": "Attente"})
    assert answered.status_code == 201
    assert await visit_entries(town.stack, "phones") == {}
    digits = E164.removeprefix("+33")
    assert await town.texts_holding(digits) == {"outbox"}
    engine = make_engine(town.stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            await purge(session, datetime.now(UTC) + timedelta(days=3))
    finally:
        await engine.dispose()
    assert await town.texts_holding(digits) == set()


async def _gone(town: Town, ticket_id: str) -> bool:
    return ticket_id not in await visit_entries(town.stack, "phones")

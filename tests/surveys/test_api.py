"""The surveys over HTTP: the survey's questions, answers refused naming their field, the citizen's page without
JavaScript, refusing surveys, campaigns, the results (JSON, CSV, the supervisors' page) and the retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from queue_server.surveys.service import new_token
from tests.phone.conftest import PASSWORD, _people_and_neighbour
from tests.surveys.conftest import Town
from tests.web.support import assert_problem

pytestmark = pytest.mark.anyio
CAMPAIGNS = "/api/v1/tenants/demo/surveys/campaigns"
RESULTS = "/api/v1/sites/demo/surveys/results"


async def invited(town: Town, source: str = "visit:t1", contact: str = "+33612345678", service: str = "etat-civil",
                  lang: str = "fr") -> str:
    """An invitation written by the surveys' service as after a visit ended now; its token."""
    surveys = town.app.state.surveys
    assert await surveys.invite(source=source, kind="visit", site="demo", service=service, channel="sms",
                                contact=contact, ended_at=town.clock.now, lang=lang)
    return str(await surveys.token_of(source))


async def test_a_survey_refuses_a_bad_answer_naming_the_field(town: Town) -> None:
    """A score out of 1..5, a comment that is no text, an answer to no question: 422 naming the field; an unknown
    token 404. None of them uses the survey up."""
    token = await invited(town)
    for body, field in (({"score": 6}, "score"), ({"score": "5"}, "score"), ({}, "score"),
                        ({"score": 3, "comment": 12}, "comment"), ({"score": 3, "answers": {"q": "x"}}, "answers.q")):
        problem = assert_problem(await town.http.post(f"/api/v1/surveys/{token}", json=body), 422, body)
        assert problem["errors"][0]["field"] == field, problem
    assert_problem(await town.http.get("/api/v1/surveys/unknown-token-of-22-chars"), 404)
    assert_problem(await town.http.get("/api/v1/surveys/x"), 404)
    assert (await town.http.post(f"/api/v1/surveys/{token}", json={"score": 3})).status_code == 201


async def test_the_page_answers_without_javascript(town: Town) -> None:
    """/s/{token} shows five faces with their words; a plain form POST records the answer and thanks; the page says
    'already answered' afterwards; an unknown token is a page that says so (404)."""
    token = await invited(town)
    page = await town.http.get(f"/s/{token}?lang=en")
    assert page.status_code == 200
    assert page.text.count('type="radio" name="score"') == 5
    for words in ("Very dissatisfied", "Neither satisfied nor dissatisfied", "Very satisfied"):
        assert words in page.text
    missing = await town.http.post(f"/s/{token}?lang=en", data={"comment": "Rien"})
    assert missing.status_code == 422 and "Choose a face first." in missing.text
    done = await town.http.post(f"/s/{token}?lang=en", data={"score": "5", "comment": "Merci"})
    assert done.status_code == 200 and "Thank you for your answer" in done.text
    again = await town.http.get(f"/s/{token}?lang=en")
    assert again.status_code == 409 and "already been answered" in again.text
    unknown = await town.http.get("/s/aaaaaaaaaaaaaaaaaaaaaaaa?lang=en")
    assert unknown.status_code == 404 and "does not lead to any survey" in unknown.text


async def test_the_page_is_in_the_invitations_language_and_arabic_reads_right_to_left(town: Town) -> None:
    token = await invited(town, lang="ar")
    page = await town.http.get(f"/s/{token}")
    assert '<html lang="ar" dir="rtl">' in page.text


async def test_the_expired_page_says_so(town: Town) -> None:
    token = await invited(town)
    town.clock.now += timedelta(days=15)
    page = await town.http.get(f"/s/{token}?lang=en")
    assert page.status_code == 410 and "no longer be used" in page.text


async def test_refusing_surveys_stops_the_next_invitations(town: Town) -> None:
    """The stop link asks first (a GET changes nothing), then records the refusal: 31 days later the same number is
    not invited, another one is."""
    token = await invited(town)
    ask = await town.http.get(f"/s/{token}/stop?lang=en")
    assert ask.status_code == 200 and 'method="post"' in ask.text
    assert (await town.http.post(f"/s/{token}/stop?lang=en")).status_code == 200
    town.clock.now += timedelta(days=31)
    surveys = town.app.state.surveys
    assert not await surveys.invite(source="visit:t2", kind="visit", site="demo", service="etat-civil",
                                    channel="sms", contact="+33612345678", ended_at=town.clock.now)
    assert await surveys.invite(source="visit:t3", kind="visit", site="demo", service="etat-civil",
                                channel="sms", contact="+33698765432", ended_at=town.clock.now)
    assert (await town.http.post(f"/api/v1/surveys/{token}/refusal")).status_code == 204


async def test_a_campaign_adds_its_questions_to_the_surveys_of_its_period(town: Town) -> None:
    """A supervisor's campaign for état civil this month: its survey asks its questions, a choice must be one
    offered; an agent may not create one (403); a period backwards is 422 naming 'last'."""
    today = town.clock.now.date()
    body: dict[str, Any] = {"name": "Accueil", "first": today.isoformat(),
                            "last": (today + timedelta(days=30)).isoformat(), "services": ["etat-civil"],
                            "questions": [{"id": "attente", "kind": "choice", "label": "L'attente ?",
                                           "choices": ["Courte", "Longue"]},
                                          {"id": "idee", "kind": "text", "label": "Une idée ?"}]}
    assert_problem(await town.http.post(CAMPAIGNS, json=body, headers=town.stack.auth("agent")), 403)
    backwards = {**body, "last": (today - timedelta(days=1)).isoformat()}
    problem = assert_problem(await town.http.post(CAMPAIGNS, json=backwards, headers=town.stack.auth("supervisor")),
                             422)
    assert problem["errors"][0]["field"] == "last"
    created = await town.http.post(CAMPAIGNS, json=body, headers=town.stack.auth("supervisor"))
    assert created.status_code == 201, created.text
    listed = await town.http.get(CAMPAIGNS, headers=town.stack.auth("supervisor"))
    assert [c["name"] for c in listed.json()["items"]] == ["Accueil"]
    token = await invited(town)
    other = await invited(town, source="visit:t9", contact="+33698765432", service="passeports")
    survey = (await town.http.get(f"/api/v1/surveys/{token}")).json()
    assert [q["id"] for q in survey["questions"]] == ["score", "comment", "attente", "idee"]
    assert [q["id"] for q in (await town.http.get(f"/api/v1/surveys/{other}")).json()["questions"]] == [
        "score", "comment"]
    wrong = await town.http.post(f"/api/v1/surveys/{token}", json={"score": 3, "answers": {"attente": "Moyenne"}})
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "answers.attente"
    right = await town.http.post(f"/api/v1/surveys/{token}", json={"score": 3, "answers": {"attente": "Longue"}})
    assert right.status_code == 201
    gone = await town.http.delete(f"{CAMPAIGNS}/{created.json()['id']}", headers=town.stack.auth("admin"))
    assert gone.status_code == 204


async def test_results_are_for_supervisors_with_a_french_csv(town: Town) -> None:
    """Agents get 403; a period backwards 422 invalid-range naming 'to'; a kind filter; the CSV is French (';',
    decimal comma)."""
    for n, score in enumerate((5, 4, 4)):
        token = await invited(town, source=f"visit:r{n}", contact=f"+3361234567{n}")
        assert (await town.http.post(f"/api/v1/surveys/{token}", json={"score": score})).status_code == 201
    assert_problem(await town.http.get(RESULTS, headers=town.stack.auth("agent")), 403)
    today = town.clock.now.date()
    problem = assert_problem(await town.http.get(
        RESULTS, params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()},
        headers=town.stack.auth("supervisor")), 422)
    assert problem["type"] == "/problems/invalid-range" and problem["errors"][0]["field"] == "to"
    found = (await town.http.get(RESULTS, params={"kind": "visit"}, headers=town.stack.auth("admin"))).json()
    assert (found["total"]["answers"], found["total"]["mean"]) == (3, 4.33)
    assert found["trend"][-1]["answers"] == 3
    assert (await town.http.get(RESULTS, params={"kind": "request"},
                                headers=town.stack.auth("admin"))).json()["services"] == []
    csv = await town.http.get(RESULTS + ".csv", headers=town.stack.auth("supervisor"))
    assert csv.status_code == 200
    assert "État civil;3;3;100;4,33;0;0;0;2;1" in csv.text, csv.text


async def test_the_supervisors_page_shows_the_figures_the_chart_and_the_alert(town: Town) -> None:
    """/enquetes for a signed-in supervisor: the service's figures, the SVG chart and, under 3 with 5 answers over
    the last 7 days, the alert band; an agent gets a 403 page."""
    await _people_and_neighbour(town.stack)
    for n, score in enumerate((1, 2, 2, 3, 1)):
        token = await invited(town, source=f"visit:a{n}", contact=f"+3361234560{n}")
        assert (await town.http.post(f"/api/v1/surveys/{token}", json={"score": score,
                                                                       "comment": f"Avis {n}"})).status_code == 201
    sophie = await _signed_in(town, "sophie")
    page = await sophie.get("/enquetes?lang=en")
    assert page.status_code == 200, page.text
    assert "Services to watch" in page.text and "État civil: mean score 1.8 over the last 7 days" in page.text
    assert '<svg class="chart"' in page.text and "Avis 4" in page.text
    assert 'href="/enquetes" aria-current="page"' in page.text
    lea = await _signed_in(town, "lea")
    assert (await lea.get("/enquetes?lang=en")).status_code == 403


async def test_answers_are_purged_after_the_retention_with_a_report(town: Town) -> None:
    token = await invited(town)
    assert (await town.http.post(f"/api/v1/surveys/{token}", json={"score": 4})).status_code == 201
    retention = town.app.state.surveys_retention
    [report] = await retention.purge(town.clock.now + timedelta(days=731))
    assert (report["tenant"], report["answers"], report["invitations"]) == ("demo", 1, 1)
    purges = await town.http.get("/api/v1/tenants/demo/surveys/purges", headers=town.stack.auth("admin"))
    assert purges.json()["items"][0]["answers"] == 1
    assert (await town.http.get(RESULTS, headers=town.stack.auth("admin"))).json()["services"] == []


def test_a_token_is_letters_and_digits_that_a_phone_links_whole() -> None:
    """32 letters and digits: nothing a phone's link detection could leave out at the end of the link."""
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 32 and t.isascii() and t.isalnum() for t in tokens)


async def _signed_in(town: Town, login: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=town.app), base_url="http://testserver")
    page = await http.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    done = await http.post("/login", data={"login": login, "password": PASSWORD, "csrf": csrf.group(1)})
    assert done.status_code == 303, done.text
    return http


async def test_a_survey_holder_is_limited_per_address(town: Town) -> None:
    """Beyond 120 requests a minute from one address (the page's and the API's together): 429 with Retry-After."""
    token = await invited(town)
    for _ in range(120):
        assert (await town.http.get(f"/api/v1/surveys/{token}")).status_code == 200
    limited = assert_problem(await town.http.get(f"/s/{token}"), 429)
    assert limited["type"] == "/problems/rate-limited"


async def test_the_kiosk_takes_one_touch_answers_of_its_own_site_only(town: Town) -> None:
    """The demo site's kiosk gives a 4 and a 2 (201 each): the results count them as kind "kiosk", under no service,
    named "Avis donnés à la borne"; an agent's token, or a score of 6, are refused (403, 422 naming score); a
    twenty-first answer within a minute from one kiosk is 429."""
    path = "/api/v1/sites/demo/surveys/kiosk"
    for score in (4, 2):
        answer = await town.http.post(path, json={"score": score}, headers=town.stack.auth("kiosk"))
        assert answer.status_code == 201, answer.text
    assert_problem(await town.http.post(path, json={"score": 4}, headers=town.stack.auth("agent")), 403)
    problem = assert_problem(await town.http.post(path, json={"score": 6}, headers=town.stack.auth("kiosk")), 422)
    assert problem["errors"][0]["field"] == "score"
    found = (await town.http.get(RESULTS, params={"kind": "kiosk"}, headers=town.stack.auth("supervisor"))).json()
    assert [(s["service"], s["name"], s["answers"], s["mean"]) for s in found["services"]] == [
        ("", "Avis donnés à la borne", 2, 3.0)]
    statuses = [(await town.http.post(path, json={"score": 5}, headers=town.stack.auth("kiosk"))).status_code
                for _ in range(19)]
    assert statuses[:17] == [201] * 17 and statuses[-1] == 429  # 2 + 1 refused (422) + 17 = 20 counted

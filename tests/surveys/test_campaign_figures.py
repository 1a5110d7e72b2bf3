"""What a campaign's questions were answered: the count of each answer of a choice question, the texts of a text
question (masked as comments are), in the results (JSON and /enquetes) of a period; and the campaigns' page for
supervisors."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from queue_server.surveys.domain.campaigns import Campaign, CampaignAnswer, Question, tally
from tests.phone.conftest import _people_and_neighbour
from tests.surveys.conftest import Town
from tests.surveys.test_api import CAMPAIGNS, RESULTS, _signed_in, invited

CHOICE = Question("attente", "choice", "L'attente ?", ("Courte", "Longue"))
TEXT = Question("idee", "text", "Une idée ?")
APRIL = Campaign("c1", "Accueil", date(2026, 4, 1), date(2026, 4, 30), (), (CHOICE, TEXT))


def test_a_campaign_counts_each_choice_and_keeps_the_texts_newest_first() -> None:
    """Three answers: each choice's count in the order offered, the question left out not counted, the texts
    masked, the newest day first."""
    answers = [CampaignAnswer("c1", date(2026, 4, 2), {"attente": "Longue", "idee": "appelez le 06 11 22 33 44"}),
               CampaignAnswer("c1", date(2026, 4, 5), {"attente": "Longue", "idee": "Des chaises"}),
               CampaignAnswer("c1", date(2026, 4, 3), {"attente": "Courte"}),
               CampaignAnswer("other", date(2026, 4, 3), {"attente": "Courte"})]
    [figures] = tally([APRIL], answers, date(2026, 4, 1), date(2026, 4, 30))
    choice, text = figures.questions
    assert figures.answers == 3
    assert (choice.answered, choice.counts) == (3, (("Courte", 1), ("Longue", 2)))
    assert (text.answered, text.texts) == (2, ("Des chaises", "appelez le [numéro masqué]"))


def test_a_campaign_outside_the_period_without_answers_is_left_out() -> None:
    """A campaign that covers no day of the period and has no answer in it is not shown; one that does, even
    without answers, is (with zeros)."""
    assert tally([APRIL], [], date(2026, 5, 1), date(2026, 5, 31)) == []
    [empty] = tally([APRIL], [], date(2026, 4, 20), date(2026, 5, 20))
    assert empty.answers == 0 and empty.questions[0].counts == (("Courte", 0), ("Longue", 0))
    [late] = tally([APRIL], [CampaignAnswer("c1", date(2026, 5, 2), {"idee": "Bien"})], date(2026, 5, 1),
                   date(2026, 5, 31))
    assert late.questions[1].texts == ("Bien",)


pytestmark = pytest.mark.anyio


async def _campaign(town: Town) -> dict[str, Any]:
    today = town.clock.now.date()
    body = {"name": "Accueil", "first": (today - timedelta(days=1)).isoformat(),
            "last": (today + timedelta(days=30)).isoformat(), "services": ["etat-civil"],
            "questions": [{"id": "attente", "kind": "choice", "label": "L'attente ?", "choices": ["Courte", "Longue"]},
                          {"id": "idee", "kind": "text", "label": "Une idée ?"}]}
    created = await town.http.post(CAMPAIGNS, json=body, headers=town.stack.auth("supervisor"))
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _answered(town: Town) -> None:
    """Three surveys of the campaign answered: Longue twice, Courte once, two ideas (one with a phone number)."""
    given = ({"attente": "Longue", "idee": "Des chaises, merci"}, {"attente": "Courte"},
             {"attente": "Longue", "idee": "Rappelez-moi au 06 11 22 33 44"})
    for n, answers in enumerate(given):
        token = await invited(town, source=f"visit:c{n}", contact=f"+3361234561{n}")
        sent = await town.http.post(f"/api/v1/surveys/{token}", json={"score": 4, "answers": answers})
        assert sent.status_code == 201, sent.text


async def test_the_results_count_each_answer_of_a_campaigns_questions(town: Town) -> None:
    """The results' ``campaigns``: the campaign's answers in the period, per choice the count of each answer, per
    text question its texts masked as comments are; a period before the campaign has none."""
    campaign = await _campaign(town)
    await _answered(town)
    found = (await town.http.get(RESULTS, headers=town.stack.auth("supervisor"))).json()
    [figures] = found["campaigns"]
    assert (figures["id"], figures["name"], figures["answers"]) == (campaign["id"], "Accueil", 3)
    choice, text = figures["questions"]
    assert choice["choices"] == [{"choice": "Courte", "count": 1}, {"choice": "Longue", "count": 2}]
    assert choice["answered"] == 3
    assert sorted(text["texts"]) == ["Des chaises, merci", "Rappelez-moi au [numéro masqué]"]
    long_ago = town.clock.now.date() - timedelta(days=100)
    before = (await town.http.get(RESULTS, params={"from": long_ago.isoformat(),
                                                   "to": (long_ago + timedelta(days=5)).isoformat()},
                                  headers=town.stack.auth("supervisor"))).json()
    assert before["campaigns"] == []


async def test_the_text_answers_are_stored_masked(town: Town) -> None:
    """A phone number typed in a campaign's text answer is in no table."""
    await _campaign(town)
    await _answered(town)
    assert await town.texts_holding("06 11 22 33 44") == set()


async def test_the_supervisors_page_shows_each_campaigns_answers(town: Town) -> None:
    """/enquetes: the campaign's table of answers with their share, the texts; a link to the campaigns' page."""
    await _people_and_neighbour(town.stack)
    await _campaign(town)
    await _answered(town)
    sophie = await _signed_in(town, "sophie")
    page = await sophie.get("/enquetes?lang=en")
    assert page.status_code == 200, page.text
    assert "Campaigns' questions" in page.text and "<caption>L&#39;attente ?</caption>" in page.text
    assert re.search(r"<th scope=\"row\">Longue</th><td class=\"number\">2</td>", page.text)
    assert "67 %" in page.text and "Rappelez-moi au [numéro masqué]" in page.text
    assert 'href="/enquetes/campagnes"' in page.text


async def test_the_campaigns_page_lists_them_for_supervisors_only(town: Town) -> None:
    """/enquetes/campagnes: the campaign with its period in words, its services' names, its questions and whether it
    is current; the form's services; an agent gets a 403 page, someone signed out the sign-in page."""
    await _people_and_neighbour(town.stack)
    await _campaign(town)
    sophie = await _signed_in(town, "sophie")
    page = await sophie.get("/enquetes/campagnes?lang=en")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h3 id=\"c-1\">Accueil</h3>" in text and "Current" in text
    yesterday = town.clock.now.date() - timedelta(days=1)
    assert f"From {yesterday.strftime('%B')} {yesterday.day}, {yesterday.year}" in text
    assert "<dd>État civil</dd>" in text and "a choice among: Courte / Longue" in text
    assert 'id="service-passeports"' in text and 'href="/enquetes" aria-current="page"' in text
    lea = await _signed_in(town, "lea")
    assert (await lea.get("/enquetes/campagnes?lang=en")).status_code == 403
    signed_out = await town.http.get("/enquetes/campagnes")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")

"""The surveys' pure rules: when an invitation goes (delay, quiet hours on the site's clock), who may be invited,
how long a link lives, what a comment keeps, campaigns' questions and the results' arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from queue_server.surveys.domain.campaigns import (
    Campaign,
    CampaignAnswer,
    Question,
    active,
    check_campaign,
    checked_answers,
    tally,
)
from queue_server.surveys.domain.errors import Refused
from queue_server.surveys.domain.invitations import (
    QuietHours,
    due_at,
    expired,
    expires_at,
    may_invite,
    quiet_hours,
)
from queue_server.surveys.domain.masking import masked
from queue_server.surveys.domain.results import Answer, alerts, check_score, grain_of, summarise, trend

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
NIGHT = QuietHours(time(20), time(9))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


# When ----------------------------------------------------------------------------------------------------


def test_an_invitation_waits_the_delay_outside_quiet_hours() -> None:
    """A visit ended at 10:00 in Paris is invited an hour later."""
    assert due_at(paris(2026, 3, 16, 10, 0), 3600, NIGHT, PARIS) == paris(2026, 3, 16, 11, 0)


def test_an_invitation_due_in_the_evening_waits_for_the_morning() -> None:
    """Due at 20:30 (a visit ended at 19:30), it goes at 09:00 the next day, on the site's clock."""
    assert due_at(paris(2026, 3, 16, 19, 30), 3600, NIGHT, PARIS) == paris(2026, 3, 17, 9, 0)


def test_an_invitation_due_after_midnight_waits_until_nine_the_same_day() -> None:
    assert due_at(paris(2026, 3, 17, 1, 0), 0, NIGHT, PARIS) == paris(2026, 3, 17, 9, 0)


def test_quiet_hours_are_the_sites_own_clock() -> None:
    """16:30 UTC is 20:30 at La Réunion (quiet) and 17:30 in Paris (not)."""
    moment = datetime(2026, 3, 16, 16, 30, tzinfo=UTC)
    assert due_at(moment, 0, NIGHT, PARIS) == moment
    assert due_at(moment, 0, NIGHT, REUNION) == datetime(2026, 3, 17, 9, 0, tzinfo=REUNION)


def test_quiet_hours_within_a_day_and_none() -> None:
    """Quiet hours that do not span midnight hold between them; equal bounds, or none, hold nothing."""
    lunch = QuietHours(time(12), time(14))
    assert due_at(paris(2026, 3, 16, 12, 30), 0, lunch, PARIS) == paris(2026, 3, 16, 14, 0)
    assert due_at(paris(2026, 3, 16, 14, 0), 0, lunch, PARIS) == paris(2026, 3, 16, 14, 0)
    assert not QuietHours(time(9), time(9)).holds(time(9))
    assert due_at(paris(2026, 3, 16, 23, 0), 0, None, PARIS) == paris(2026, 3, 16, 23, 0)


def test_quiet_hours_are_read_from_the_settings() -> None:
    assert quiet_hours(["20:00", "09:00"]) == NIGHT
    assert quiet_hours([]) is None
    with pytest.raises(ValueError):
        quiet_hours(["20:00"])


def test_a_link_lives_14_days() -> None:
    sent = paris(2026, 3, 16, 11, 0)
    assert expires_at(sent) == paris(2026, 3, 30, 11, 0)
    assert not expired(expires_at(sent), paris(2026, 3, 30, 10, 59))
    assert expired(expires_at(sent), paris(2026, 3, 30, 11, 0))


def test_a_contact_is_invited_once_in_30_days_and_never_after_refusing() -> None:
    now = paris(2026, 4, 20, 11, 0)
    assert may_invite(None, False, now, 30)
    assert not may_invite(paris(2026, 3, 22, 11, 0), False, now, 30)
    assert may_invite(paris(2026, 3, 21, 11, 0), False, now, 30)
    assert not may_invite(None, True, now, 30)


# Comments ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "kept"), [
    ("Appelez-moi au 06 12 34 56 78 svp", "Appelez-moi au [numéro masqué] svp"),
    ("mon numéro: +33 6 12 34 56 78.", "mon numéro: [numéro masqué]."),
    ("tel 06.12.34.56.78 ou 0612345678", "tel [numéro masqué] ou [numéro masqué]"),
    ("écrivez à anne.lefevre+mairie@exemple.fr merci", "écrivez à [adresse masquée] merci"),
    ("attendu 2 heures, dossier 1234567", "attendu 2 heures, dossier 1234567"),
    ("venu le 12/03/2026 à 10 h", "venu le 12/03/2026 à 10 h"),
])
def test_a_comment_loses_its_phone_numbers_and_addresses(typed: str, kept: str) -> None:
    assert masked(typed) == kept


# Campaigns -----------------------------------------------------------------------------------------------

CHOICE = Question("accueil", "choice", "L'accueil ?", ("Bien", "Moyen"))
TEXT = Question("idee", "text", "Une idée ?")


def test_a_campaign_covers_its_period_and_services() -> None:
    """The latest campaign covering the day and the service is the invitation's; none outside."""
    spring = Campaign("a", "Printemps", date(2026, 3, 1), date(2026, 5, 31), (), (CHOICE,))
    passports = Campaign("b", "Passeports", date(2026, 4, 1), date(2026, 4, 30), ("passeports",), (TEXT,))
    assert active([spring, passports], date(2026, 4, 10), "passeports") == passports
    assert active([spring, passports], date(2026, 4, 10), "etat-civil") == spring
    assert active([spring, passports], date(2026, 6, 1), "etat-civil") is None


@pytest.mark.parametrize(("first", "last", "questions", "field"), [
    (date(2026, 4, 2), date(2026, 4, 1), (TEXT,), "last"),
    (date(2026, 4, 1), date(2026, 4, 1), (TEXT, TEXT), "questions[1].id"),
    (date(2026, 4, 1), date(2026, 4, 1), (Question("q", "choice", "?", ("Oui",)),), "questions[0].choices"),
    (date(2026, 4, 1), date(2026, 4, 1), (Question("q", "choice", "?", ("Oui", "Oui")),), "questions[0].choices"),
    (date(2026, 4, 1), date(2026, 4, 1), (Question("q", "text", "?", ("Oui",)),), "questions[0].choices"),
])
def test_a_campaign_that_makes_no_sense_is_refused(first: date, last: date, questions: tuple[Question, ...],
                                                   field: str) -> None:
    with pytest.raises(Refused) as refused:
        check_campaign(first, last, questions)
    assert (refused.value.kind, refused.value.field) == ("invalid-campaign", field)


def test_a_sound_campaign_passes() -> None:
    check_campaign(date(2026, 4, 1), date(2026, 4, 30), (CHOICE, TEXT))


def test_answers_keep_what_was_asked() -> None:
    """Texts are stripped, empty answers left out; a question not asked, a choice not offered or a text too long
    is refused, naming answers.{id}."""
    assert checked_answers((CHOICE, TEXT), {"accueil": "Bien", "idee": "  Des chaises "}) == {
        "accueil": "Bien", "idee": "Des chaises"}
    assert checked_answers((CHOICE, TEXT), {"idee": "   "}) == {}
    for answers, field in (({"x": "1"}, "answers.x"), ({"accueil": "Mal"}, "answers.accueil"),
                           ({"idee": "a" * 501}, "answers.idee")):
        with pytest.raises(Refused) as refused:
            checked_answers((CHOICE, TEXT), answers)
        assert refused.value.field == field


# Results -------------------------------------------------------------------------------------------------

D1, D2, D3 = date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 18)


def test_a_score_is_one_to_five() -> None:
    assert check_score(5) == 5
    with pytest.raises(Refused) as refused:
        check_score(0)
    assert refused.value.field == "score"


def test_results_per_service() -> None:
    """Answers, mean, distribution, comments newest first and the response rate (invited answers over invitations
    sent); a kiosk's answer counts in the mean but not in the rate; a service with invitations and no answer is
    listed with no mean."""
    answers = [Answer("ec", D1, 5, "Parfait"), Answer("ec", D2, 2, ""), Answer("ec", D3, 4, "Bien"),
               Answer("ec", D3, 1, invited=False), Answer("pp", D1, 3)]
    ec, pp, ur = summarise(answers, {"ec": 4, "pp": 0, "ur": 2, "zz": 0})
    assert (ec.service, ec.answers, ec.invitations, ec.response_rate, ec.mean) == ("ec", 4, 4, 0.75, 3.0)
    assert ec.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert ec.comments == ["Bien", "Parfait"]
    assert (pp.response_rate, pp.mean) == (None, 3.0)
    assert (ur.answers, ur.mean, ur.response_rate) == (0, None, 0.0)


def test_the_trend_per_day_and_per_week() -> None:
    answers = [Answer("ec", D1, 5), Answer("ec", D1, 3), Answer("ec", D3, 2)]
    assert [(p.start, p.answers, p.mean) for p in trend(answers, D1, D3, "day")] == [
        (D1, 2, 4.0), (D2, 0, None), (D3, 1, 2.0)]
    [week] = trend(answers, D2, D3, "week")
    assert (week.start, week.answers, week.mean) == (D1, 3, 3.33)
    assert grain_of(D1, date(2026, 4, 15)) == "day"
    assert grain_of(D1, date(2026, 4, 16)) == "week"


def test_a_service_under_the_threshold_over_7_days_with_enough_answers_is_in_alert() -> None:
    """An old answer, or too few answers, raise no alert."""
    today = date(2026, 3, 20)
    answers = [Answer("ec", date(2026, 3, 13), 1)] + [Answer("ec", today, s) for s in (2, 3, 2)] + [
        Answer("pp", today, 1), Answer("ur", today, 5), Answer("ur", today, 5), Answer("ur", today, 4)]
    assert alerts(answers, today, 3.0, 3) == {"ec": 2.33}


def test_a_campaigns_figures_count_each_choice_and_list_the_texts_masked_newest_first() -> None:
    """Spring's campaign, answered three times in March: "Longue" twice, "Courte" once, a choice no longer offered
    not counted; its text question's answers newest first, a number masked; a question left out is not answered.
    A campaign of another period without answers in this one is left out; one of this period without answers is
    listed with nothing counted."""
    wait = Question("attente", "choice", "L'attente ?", ("Courte", "Longue"))
    idea = Question("idee", "text", "Une idée ?")
    spring = Campaign("c1", "Printemps", date(2026, 3, 1), date(2026, 3, 31), (), (wait, idea))
    summer = Campaign("c2", "Été", date(2026, 7, 1), date(2026, 7, 31), (), (wait,))
    quiet = Campaign("c3", "Calme", date(2026, 3, 10), date(2026, 4, 10), ("etat-civil",), (idea,))
    answers = [CampaignAnswer("c1", date(2026, 3, 2), {"attente": "Longue", "idee": "Des chaises"}),
               CampaignAnswer("c1", date(2026, 3, 9), {"attente": "Courte", "idee": "Rappelez le 06 12 34 56 78"}),
               CampaignAnswer("c1", date(2026, 3, 5), {"attente": "Longue"}),
               CampaignAnswer("c1", date(2026, 3, 6), {"attente": "Moyenne"})]
    [spring_figures, quiet_figures] = tally([spring, summer, quiet], answers, date(2026, 3, 1), date(2026, 3, 31))
    assert (spring_figures.campaign, spring_figures.answers) == (spring, 4)
    choice, text = spring_figures.questions
    assert (choice.answered, choice.counts, choice.texts) == (3, (("Courte", 1), ("Longue", 2)), ())
    assert (text.answered, text.counts) == (2, ())
    assert text.texts == (masked("Rappelez le 06 12 34 56 78"), "Des chaises") and "06 12" not in text.texts[0]
    assert (quiet_figures.campaign, quiet_figures.answers, quiet_figures.questions[0].answered) == (quiet, 0, 0)

"""A campaign: a few questions of the collectivity's own (a choice among offered answers, or a short text) asked
with the score, to the invitations of a period (local days, both included) and of some services (none named: all).
An answer names questions by their id; a choice must be one offered; every question may be left out; a text answer is
kept with its phone numbers and e-mail addresses masked, as a comment is. ``tally`` counts what a campaign's questions
were answered in a period: per choice question the answers per choice, per text question the texts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from queue_server.surveys.domain.errors import Refused
from queue_server.surveys.domain.masking import masked

QuestionKind = Literal["choice", "text"]
MAX_QUESTIONS = 5
MAX_CHOICES = 8
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: QuestionKind
    label: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    first: date
    last: date
    services: tuple[str, ...]  # empty: every service
    questions: tuple[Question, ...]

    def covers(self, day: date, service: str) -> bool:
        return self.first <= day <= self.last and (not self.services or service in self.services)


def check_campaign(first: date, last: date, questions: Sequence[Question]) -> None:
    """``Refused("invalid-campaign")`` naming the field when the period ends before it starts, a question id comes
    twice, a choice question offers fewer than two answers (or the same twice), or a text question offers any."""
    if last < first:
        raise Refused("invalid-campaign", "last", "the campaign ends before it starts")
    seen: set[str] = set()
    for n, question in enumerate(questions):
        if question.id in seen:
            raise Refused("invalid-campaign", f"questions[{n}].id", "two questions with one id")
        seen.add(question.id)
        if question.kind == "choice" and (len(question.choices) < 2
                                          or len(set(question.choices)) != len(question.choices)):
            raise Refused("invalid-campaign", f"questions[{n}].choices", "a choice needs two different answers")
        if question.kind == "text" and question.choices:
            raise Refused("invalid-campaign", f"questions[{n}].choices", "a text question offers no answers")


def active(campaigns: Sequence[Campaign], day: date, service: str) -> Campaign | None:
    """The campaign an invitation of ``service`` on ``day`` carries: the one that started last among those that
    cover it."""
    covering = [c for c in campaigns if c.covers(day, service)]
    return max(covering, key=lambda c: (c.first, c.id)) if covering else None


def checked_answers(questions: Sequence[Question], answers: Mapping[str, str]) -> dict[str, str]:
    """``answers`` kept as given (texts stripped and masked, empty ones left out); ``Refused("invalid-answer")``
    naming ``answers.{id}`` for a question not asked, a choice not offered or a text too long (before masking)."""
    by_id = {q.id: q for q in questions}
    kept: dict[str, str] = {}
    for key, value in answers.items():
        question = by_id.get(key)
        if question is None:
            raise Refused("invalid-answer", f"answers.{key}", "no such question in this survey")
        value = value.strip()
        if not value:
            continue
        if question.kind == "choice" and value not in question.choices:
            raise Refused("invalid-answer", f"answers.{key}", "not one of the answers offered")
        if question.kind == "text" and len(value) > MAX_TEXT:
            raise Refused("invalid-answer", f"answers.{key}", f"{MAX_TEXT} characters at most")
        kept[key] = masked(value) if question.kind == "text" else value
    return kept


@dataclass(frozen=True, slots=True)
class CampaignAnswer:
    """The campaign's part of one answer, as the figures read it: the local day and the answers by question id."""

    campaign: str
    day: date
    answers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class QuestionFigures:
    question: Question
    answered: int  # the answers that answered it (a question may be left out)
    counts: tuple[tuple[str, int], ...]  # a choice question's answers in the order offered, each with its count
    texts: tuple[str, ...]  # a text question's answers, masked, the newest day first


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    campaign: Campaign
    answers: int  # the surveys answered that carried its questions
    questions: tuple[QuestionFigures, ...]


def tally(campaigns: Sequence[Campaign], answers: Iterable[CampaignAnswer], first: date, last: date
          ) -> list[CampaignFigures]:
    """The figures of each of ``campaigns`` (in their order) that covers a day of ``first`` to ``last`` or has an
    answer among ``answers`` (those of that period). A choice no longer offered is not counted (campaigns are
    never edited); texts are masked again, for answers stored before text answers were."""
    by_campaign: dict[str, list[CampaignAnswer]] = {}
    for answer in answers:
        by_campaign.setdefault(answer.campaign, []).append(answer)
    out = []
    for campaign in campaigns:
        found = sorted(by_campaign.get(campaign.id, []), key=lambda a: a.day, reverse=True)
        if not found and (campaign.last < first or campaign.first > last):
            continue
        questions = []
        for question in campaign.questions:
            given = [a.answers[question.id] for a in found if a.answers.get(question.id)]
            counts = tuple((choice, given.count(choice)) for choice in question.choices)
            texts = tuple(masked(text) for text in given) if question.kind == "text" else ()
            questions.append(QuestionFigures(question, sum(n for _, n in counts) if counts else len(texts),
                                             counts, texts))
        out.append(CampaignFigures(campaign, len(found), tuple(questions)))
    return out

"""What the answers say, per service: how many, the response rate (answers to invitations over the invitations sent
in the period), the mean score, the distribution 1..5, the comments, the trend per day or ISO week, and the alert of a
service whose mean over the last ``ALERT_DAYS`` days is below a threshold with at least a minimum of answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from queue_server.surveys.domain.errors import Refused

SCORES = (1, 2, 3, 4, 5)
ALERT_DAYS = 7
Grain = Literal["day", "week"]


def check_score(score: int) -> int:
    if score not in SCORES:
        raise Refused("invalid-answer", "score", "a score from 1 to 5")
    return score


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as the results read it: never anything about who gave it."""

    service: str
    day: date
    score: int
    comment: str = ""
    invited: bool = True  # False: an anonymous answer at the kiosk, which no invitation asked for


@dataclass(frozen=True, slots=True)
class Point:
    start: date  # the day, or the Monday of the week
    answers: int
    mean: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    service: str
    answers: int
    invitations: int
    response_rate: float | None  # None: no invitation sent in the period
    mean: float | None
    distribution: dict[int, int]
    comments: list[str] = field(default_factory=list)


def mean(scores: Sequence[int]) -> float | None:
    return round(sum(scores) / len(scores), 2) if scores else None


def summarise(answers: Iterable[Answer], invitations: Mapping[str, int]) -> list[Summary]:
    """One summary per service that had answers or invitations, by service id; comments newest day first.
    ``invitations``: the invitations sent in the period, per service."""
    by_service: dict[str, list[Answer]] = {}
    for answer in answers:
        by_service.setdefault(answer.service, []).append(answer)
    out = []
    for service in sorted(set(by_service) | {s for s, n in invitations.items() if n}):
        found = by_service.get(service, [])
        sent = invitations.get(service, 0)
        invited = sum(1 for a in found if a.invited)
        out.append(Summary(
            service=service, answers=len(found), invitations=sent,
            response_rate=round(min(invited, sent) / sent, 4) if sent else None,
            mean=mean([a.score for a in found]),
            distribution={s: sum(1 for a in found if a.score == s) for s in SCORES},
            comments=[a.comment for a in sorted(found, key=lambda a: a.day, reverse=True) if a.comment]))
    return out


def trend(answers: Iterable[Answer], first: date, last: date, grain: Grain) -> list[Point]:
    """The answers and mean score of each day (or ISO week, from its Monday) from ``first`` to ``last``, empty ones
    included."""
    def start(day: date) -> date:
        return day if grain == "day" else day - timedelta(days=day.weekday())

    scores: dict[date, list[int]] = {}
    for answer in answers:
        scores.setdefault(start(answer.day), []).append(answer.score)
    points, step = [], timedelta(days=1 if grain == "day" else 7)
    moment = start(first)
    while moment <= last:
        found = scores.get(moment, [])
        points.append(Point(moment, len(found), mean(found)))
        moment += step
    return points


def grain_of(first: date, last: date) -> Grain:
    """Days for a period of up to 31 days, weeks beyond."""
    return "day" if (last - first).days < 31 else "week"


def alerts(answers: Iterable[Answer], today: date, below: float, minimum: int) -> dict[str, float]:
    """The services whose mean over the ``ALERT_DAYS`` days ending ``today`` is below ``below``, with at least
    ``minimum`` answers then: service -> that mean."""
    since = today - timedelta(days=ALERT_DAYS - 1)
    recent: dict[str, list[int]] = {}
    for answer in answers:
        if since <= answer.day <= today:
            recent.setdefault(answer.service, []).append(answer.score)
    out = {}
    for service, scores in sorted(recent.items()):
        value = round(sum(scores) / len(scores), 2)  # never empty: a service is there for its answers
        if len(scores) >= minimum and value < below:
            out[service] = value
    return out

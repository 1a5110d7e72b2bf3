"""A report's period read from its query string, ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (local days), as the modules'
reports take it (the requests', the phone desk's, the surveys'): each day given whole, ``to`` today by default,
``from`` the report's own default, the period forwards and no longer than the report allows. A refusal is a
``BadQuery`` naming its field, which the API says as a 422 problem and the pages next to the form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta

from queue_server.web.errors import HTTPError

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
PRESETS = ("week", "month", "custom")  # the pages' choice of period: this week, this month, days of one's own


class BadQuery(ValueError):
    """A query's value refused: ``invalid-query`` (not a day, a value no schema allows), ``invalid-range`` (days
    that make no period)."""

    def __init__(self, field: str, message: str, kind: str = "invalid-query") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.kind = kind


def query_day(value: str, field: str) -> date:
    """The day ``value`` (YYYY-MM-DD, nothing else); ``BadQuery`` naming ``field`` otherwise."""
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery(field, f"{field} must be a day as YYYY-MM-DD, such as 2026-03-01.") from None


def first_of_month(last: date) -> date:
    return last.replace(day=1)


def parse_period(params: Mapping[str, str], today: date, *, max_days: int,
                 default_first: Callable[[date], date] = first_of_month) -> tuple[date, date]:
    """``(from, to)`` of ``params``: ``to`` today, ``from`` ``default_first(to)`` when left out; ``BadQuery`` for a
    day that is not one, ``to`` before ``from``, or more than ``max_days`` days."""
    last = query_day(params["to"], "to") if params.get("to") else today
    first = query_day(params["from"], "from") if params.get("from") else default_first(last)
    if last < first:
        raise BadQuery("to", "to must not come before from.", "invalid-range")
    if (last - first).days >= max_days:
        raise BadQuery("to", f"a period of {max_days} days at most.", "invalid-range")
    return first, last


def not_empty(params: Mapping[str, str], names: Iterable[str]) -> None:
    """The API's rule: a value given empty (``?from=``) is no value left out (the pages' forms are lenient with
    it); ``BadQuery`` naming the first such field."""
    for name in names:
        if name in params and not params[name]:
            raise BadQuery(name, f"{name} is empty: give a value or leave it out.")


def refused(bad: BadQuery) -> HTTPError:
    """The 422 problem of ``bad``, naming its field."""
    return HTTPError(422, bad.message, bad.kind, extra={"errors": [{"field": bad.field, "message": bad.message}]})


def with_preset(params: Mapping[str, str], today: date) -> tuple[str, dict[str, str]]:
    """The page's period (``?period=week|month|custom``, this month otherwise) and its query with ``from`` and
    ``to`` set for this week or this month (``custom`` keeps the days given)."""
    chosen = params.get("period", "month")
    chosen = chosen if chosen in PRESETS else "month"
    query = dict(params)
    if chosen == "week":
        query.update({"from": (today - timedelta(days=today.weekday())).isoformat(), "to": today.isoformat()})
    elif chosen == "month":
        query.update({"from": today.replace(day=1).isoformat(), "to": today.isoformat()})
    return chosen, query


def form_error(bad: BadQuery, gettext: Callable[[str], str], **messages: str) -> dict[str, str]:
    """What a report's page says next to the field ``bad`` names: the days' own words, or ``messages[field]``."""
    said = {"from": gettext("The first day is not a valid date."),
            "to": gettext("The last day must be a valid date, after the first, within a year of it."), **messages}
    return {"field": bad.field, "message": said[bad.field]}

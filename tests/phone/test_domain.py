"""The phone desk's pure rules: a call's start from its end and duration, when a callback may be promised and when it
is overdue, the lists' order, the reasons' list, and the figures' buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_server.phone.domain import callbacks, calls, reasons, stats
from queue_server.phone.domain.errors import Refused

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
PARIS = ZoneInfo("Europe/Paris")


# Calls ----------------------------------------------------------------------------------------------------


def test_a_call_began_its_duration_before_it_ended() -> None:
    """Two minutes long, ended at 10:00: it began at 9:58; a call of no time began when it ended."""
    assert calls.started_at(NOW, 120) == NOW - timedelta(minutes=2)
    assert calls.started_at(NOW, 0) == NOW


@pytest.mark.parametrize("seconds", [-1, calls.MAX_DURATION_S + 1])
def test_no_call_lasts_less_than_nothing_or_more_than_four_hours(seconds: int) -> None:
    """A duration below zero or beyond four hours is no call's."""
    with pytest.raises(ValueError):
        calls.started_at(NOW, seconds)


def test_a_mean_duration_is_to_a_tenth_of_a_second_and_none_without_calls() -> None:
    """60, 90 and 100 s: 83.3 s; no call: no mean."""
    assert calls.mean_seconds([60, 90, 100]) == 83.3
    assert calls.mean_seconds([]) is None


# Callbacks ------------------------------------------------------------------------------------------------


def test_a_callback_is_promised_from_an_hour_ago_to_three_months_ahead() -> None:
    """Half an hour ago (the agent took their time), tomorrow and 92 days on are fine."""
    for due in (NOW - timedelta(minutes=30), NOW + timedelta(days=1), NOW + timedelta(days=92)):
        assert callbacks.check_due(due, NOW) == due


@pytest.mark.parametrize("due", [NOW - timedelta(hours=2), NOW + timedelta(days=93)])
def test_a_callback_for_a_time_gone_or_too_far_is_refused(due: datetime) -> None:
    """Two hours ago, or 93 days on: refused, naming the callback's time."""
    with pytest.raises(Refused) as refused:
        callbacks.check_due(due, NOW)
    assert (refused.value.kind, refused.value.field) == ("invalid-due-time", "callback.due_at")


def test_a_callback_is_overdue_once_its_time_passed_and_until_it_is_done() -> None:
    """Due at 9:59, still to do at 10:00: overdue; done, or due at 10:00 sharp: not."""
    assert callbacks.overdue("todo", NOW - timedelta(minutes=1), NOW)
    assert not callbacks.overdue("done", NOW - timedelta(minutes=1), NOW)
    assert not callbacks.overdue("todo", NOW, NOW)


def test_a_callback_is_done_once() -> None:
    """Marking one done that is still to do is fine; one done already is refused (409)."""
    callbacks.check_done("todo")
    with pytest.raises(Refused) as refused:
        callbacks.check_done("done")
    assert refused.value.kind == "already-done"


def test_lists_show_the_overdue_first_then_those_to_do_then_those_done() -> None:
    """Listed by agent, the overdue come first (longest overdue on top), then those to do by their time, then those
    done; two due at once keep their ids' order."""
    items = [("tomorrow", NOW + timedelta(days=1), "todo", 1), ("done", NOW - timedelta(days=3), "done", 2),
             ("late", NOW - timedelta(hours=1), "todo", 3), ("later", NOW + timedelta(hours=2), "todo", 5),
             ("very late", NOW - timedelta(days=1), "todo", 4), ("later too", NOW + timedelta(hours=2), "todo", 4)]
    found = callbacks.ordered(items, NOW, due=lambda i: i[1], status=lambda i: i[2], key=lambda i: i[3])
    assert [i[0] for i in found] == ["very late", "late", "later too", "later", "tomorrow", "done"]
    assert callbacks.ordered([], NOW, due=lambda i: NOW, status=lambda i: "todo") == []


# Reasons --------------------------------------------------------------------------------------------------


def test_a_collectivity_starts_with_the_usual_reasons() -> None:
    """État civil, urbanisme, déchets, voirie ... autre, each id once."""
    ids = [r.id for r in reasons.DEFAULTS]
    assert ids[:4] == ["etat-civil", "urbanisme", "dechets", "voirie"] and ids[-1] == "autre"
    assert reasons.check(reasons.DEFAULTS) == list(reasons.DEFAULTS)


def test_a_reason_is_in_the_list_once() -> None:
    """The second reason of one id is refused, by its place in the list."""
    with pytest.raises(Refused) as refused:
        reasons.check([reasons.Reason("voirie", "Voirie"), reasons.Reason("autre", "Autre"),
                       reasons.Reason("voirie", "Routes")])
    assert (refused.value.kind, refused.value.field) == ("duplicate-reason", "reasons[2].id")


# Figures --------------------------------------------------------------------------------------------------


def _call(reason: str, outcome: calls.Outcome, at: datetime, seconds: int,
          callback: stats.CallbackFacts | None = None, name: str = "") -> stats.CallFacts:
    return stats.CallFacts(reason, name or reason.title(), outcome, at, seconds, callback)


def test_the_figures_count_the_periods_calls_per_reason_hour_and_outcome() -> None:
    """Three calls on Monday (two about voirie at 9 and 10 in Paris, one about état civil at 14), one on the Sunday
    before (left out): per reason most first, with each one's outcomes and mean; per local hour; the callbacks
    asked, done, overdue and still to come."""
    rows = [
        _call("voirie", "answered", datetime(2026, 3, 16, 8, 10, tzinfo=UTC), 60),
        _call("voirie", "callback", datetime(2026, 3, 16, 9, 5, tzinfo=UTC), 120,
              stats.CallbackFacts("todo", NOW - timedelta(minutes=5))),
        _call("etat-civil", "callback", datetime(2026, 3, 16, 13, 0, tzinfo=UTC), 30,
              stats.CallbackFacts("done", NOW - timedelta(hours=1))),
        _call("urbanisme", "transferred", datetime(2026, 3, 15, 9, 0, tzinfo=UTC), 999),
        _call("voirie", "callback", datetime(2026, 3, 16, 9, 30, tzinfo=UTC), 90,
              stats.CallbackFacts("todo", NOW + timedelta(hours=3))),
    ]
    report = stats.summarise(rows, date(2026, 3, 16), date(2026, 3, 16), PARIS, NOW, {"voirie": "Voirie et propreté"})
    assert report.total.calls == 4 and report.total.mean_duration_s == 75.0
    assert report.total.outcomes == {"answered": 1, "transferred": 0, "callback": 3, "appointment": 0, "request": 0}
    assert [(g.key, g.label, g.figures.calls) for g in report.reasons] == [
        ("voirie", "Voirie et propreté", 3), ("etat-civil", "Etat-Civil", 1)]
    assert report.reasons[0].figures.outcomes["callback"] == 2
    assert report.hours[9] == 1 and report.hours[10] == 2 and report.hours[14] == 1 and sum(report.hours) == 4
    assert report.callbacks == stats.Callbacks(asked=3, done=1, overdue=1, pending=1)


def test_a_period_without_calls_has_zeros_and_no_mean() -> None:
    """Nothing logged: no call, no mean duration, every outcome at 0, no reason, every hour at 0."""
    report = stats.summarise([], date(2026, 3, 1), date(2026, 3, 16), PARIS, NOW, {})
    assert (report.total.calls, report.total.mean_duration_s, report.reasons) == (0, None, [])
    assert set(report.total.outcomes.values()) == {0} and report.hours == [0] * 24


def test_a_chart_shows_the_day_and_any_hour_that_had_calls() -> None:
    """A town hall's day, 8 to 18, at least; a call at 7 or at 20 widens it."""
    quiet = [0] * 24
    assert stats.hours_shown(quiet) == range(8, 19)
    early_and_late = [0] * 24
    early_and_late[7] = early_and_late[20] = 1
    assert stats.hours_shown(early_and_late) == range(7, 21)

"""An appointment's statuses and the actions each allows; the citizen's deadline for changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from queue_server.booking.domain.errors import Refused
from queue_server.booking.domain.motifs import Motif
from queue_server.booking.domain.status import ACTIONS, STATUSES, Action, Status, after, allowed, can_citizen_change

EXPECTED: dict[tuple[Status, Action], Status] = {
    ("booked", "cancel"): "cancelled",
    ("booked", "move"): "booked",
    ("booked", "check_in"): "checked_in",
    ("booked", "no_show"): "no_show",
    ("checked_in", "finish"): "done",
    ("checked_in", "no_show"): "no_show",
}
PAIRS = [(s, a) for s in STATUSES for a in ACTIONS]


def test_the_statuses_and_actions_are_those_of_the_api() -> None:
    assert set(STATUSES) == set(get_args(Status)) == {"booked", "cancelled", "checked_in", "done", "no_show"}
    assert set(ACTIONS) == set(get_args(Action)) == {"cancel", "move", "check_in", "finish", "no_show"}


@pytest.mark.parametrize(("status", "action"), PAIRS)
def test_each_action_is_allowed_from_its_statuses_only(status: Status, action: Action) -> None:
    """``allowed`` and ``after`` agree with the table: the allowed actions lead where it says, the rest refuse."""
    assert allowed(status, action) is ((status, action) in EXPECTED)
    if (status, action) in EXPECTED:
        assert after(status, action) == EXPECTED[(status, action)]
    else:
        with pytest.raises(Refused) as refused:
            after(status, action)
        assert refused.value.kind == "wrong-status" and status in refused.value.detail


@pytest.mark.parametrize("final", ["cancelled", "done", "no_show"])
def test_final_statuses_allow_nothing(final: Status) -> None:
    assert not any(allowed(final, action) for action in ACTIONS)


def test_a_citizen_may_change_until_the_cutoff() -> None:
    """With a 24-hour cutoff: yes a day and a minute before, yes exactly a day before, no an hour before."""
    motif = Motif("m", "mairie", "etat-civil", "Mariage", 30, cancel_cutoff_min=24 * 60)
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert can_citizen_change(motif, start, start - timedelta(days=1, minutes=1))
    assert can_citizen_change(motif, start, start - timedelta(days=1))
    assert not can_citizen_change(motif, start, start - timedelta(hours=1))


def test_without_a_cutoff_a_citizen_may_change_until_the_start_only() -> None:
    motif = Motif("m", "mairie", "etat-civil", "Mariage", 30)
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert can_citizen_change(motif, start, start)
    assert not can_citizen_change(motif, start, start + timedelta(minutes=1))

"""A visit on a timeline, followed through its ticket's events (crm/domain/visits.py): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from queue_server.crm.domain.visits import OUTCOMES, Visit

ISSUED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return ISSUED + timedelta(minutes=n)


def test_a_visit_served_says_how_long_the_person_waited_and_was_served() -> None:
    """Called 12 minutes after the issue, started a minute later, finished 8 minutes after that: served, a wait of
    720 s, 480 s served, at counter 3 by Anne."""
    visit = Visit("A042", "etat-civil", ISSUED).called(minutes(12), "3", "Anne").started(minutes(13))
    visit = visit.finished(minutes(21))
    assert (visit.summary, visit.wait_s, visit.served_s, visit.counter, visit.agent_name) == (
        "served", 720, 480, "3", "Anne")
    assert visit.detail() == {
        "ticket": "A042", "status": "done", "issued_at": "2026-03-10T09:00:00.000000Z",
        "called_at": "2026-03-10T09:12:00.000000Z", "started_at": "2026-03-10T09:13:00.000000Z",
        "finished_at": "2026-03-10T09:21:00.000000Z", "wait_s": 720, "served_s": 480, "counter": "3",
        "agent_name": "Anne", "transfers": 0}


def test_a_visit_never_started_is_served_from_its_call() -> None:
    """An agent who finishes without pressing start served the person from the call."""
    visit = Visit("A001", "etat-civil", ISSUED).called(minutes(2), "1", "").finished(minutes(5))
    assert (visit.served_s, visit.agent_name) == (180, None)


def test_outcomes_other_than_served_have_no_time_served() -> None:
    called = Visit("A001", "etat-civil", ISSUED).called(minutes(2), "1", "Anne")
    assert (called.no_show(minutes(4)).summary, called.no_show(minutes(4)).served_s) == ("no_show", None)
    assert (called.cancelled(minutes(4)).summary, called.cancelled(minutes(4)).wait_s) == ("cancelled", 120)
    assert Visit("A001", "etat-civil", ISSUED).summary == "waiting"


def test_a_transfer_and_a_requeue_wait_again() -> None:
    """A transfer forgets the call, the counter and the agent and counts itself; a no-show put back likewise."""
    moved = Visit("A001", "etat-civil", ISSUED).called(minutes(2), "1", "Anne").started(minutes(3))
    moved = moved.transferred("urbanisme")
    assert (moved.service, moved.summary, moved.counter, moved.agent_name, moved.wait_s, moved.transfers) == (
        "urbanisme", "waiting", None, None, None, 1)
    back = Visit("A001", "etat-civil", ISSUED).called(minutes(2), "1", "Anne").no_show(minutes(4)).requeued()
    assert (back.summary, back.called_at, back.finished_at, back.counter) == ("waiting", None, None, None)


def test_an_entry_whose_detail_lacks_fields_reads_with_defaults() -> None:
    """What an entry's detail does not say takes its default (the entry's time for the issue)."""
    assert Visit.from_entry("etat-civil", ISSUED, {}) == Visit("", "etat-civil", ISSUED)
    odd = Visit.from_entry("etat-civil", ISSUED, {"counter": 3, "agent_name": ["x"], "transfers": "2"})
    assert (odd.counter, odd.agent_name, odd.transfers) == (None, None, 0)


STEPS = st.lists(st.one_of(
    st.tuples(st.just("called"), st.integers(0, 600), st.sampled_from(["1", "2"]), st.sampled_from(["", "Anne"])),
    st.tuples(st.sampled_from(["started", "finished", "no_show", "cancelled"]), st.integers(0, 600)),
    st.tuples(st.just("requeued")),
    st.tuples(st.just("transferred"), st.sampled_from(["etat-civil", "urbanisme"])),
), max_size=12)


@given(steps=STEPS)
def test_whatever_happens_the_entry_reads_back_as_the_visit(steps: list[tuple[object, ...]]) -> None:
    """After any events, the visit reads back from its entry's detail as it was, its outcome is one of the
    timeline's words, a wait is never negative and only a served visit has a time served."""
    visit, now = Visit("A001", "etat-civil", ISSUED), ISSUED
    for kind, *args in steps:
        if kind in ("called", "started", "finished", "no_show", "cancelled"):
            now += timedelta(seconds=int(args[0]))  # type: ignore[call-overload]
            visit = getattr(visit, str(kind))(now, *args[1:])
        else:
            visit = getattr(visit, str(kind))(*args)
        assert Visit.from_entry(visit.service, ISSUED, visit.detail()) == visit
        assert visit.summary in OUTCOMES.values()
        assert visit.wait_s is None or visit.wait_s >= 0
        assert (visit.served_s is not None) == (visit.status == "done" and visit.finished_at is not None)

"""The slot engine: the grid, the hours, closures, notice and horizon, buffers, desks, clock changes, zones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.booking.domain.motifs import GRANULE_MIN, DurationRule, Motif
from queue_server.booking.domain.slots import (
    Held,
    Opening,
    Refused,
    Slot,
    check_start,
    free_desks,
    granules,
    held_span,
    slots,
)

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ((510, 720), (810, 1020))  # 08:30–12:00, 13:30–17:00
SITE = Opening("Europe/Paris", weekly=dict.fromkeys(range(5), WEEKDAYS))
MONDAY, FRIDAY = date(2027, 3, 1), date(2027, 3, 5)
NOW = datetime(2027, 2, 20, 9, tzinfo=UTC)  # a Saturday, well before: notice and horizon play no part
SPRING, AUTUMN = date(2027, 3, 28), date(2027, 10, 31)  # the Sundays the clocks change in France


def motif(duration: int = 30, **changes: object) -> Motif:
    return replace(Motif("m", "mairie", "etat-civil", "Rendez-vous", duration), **changes)  # type: ignore[arg-type]


def at(day: date, hhmm: str, zone: ZoneInfo = PARIS) -> datetime:
    """The aware datetime of wall time ``hhmm`` on ``day`` in ``zone`` (its first occurrence)."""
    return datetime.combine(day, time.fromisoformat(hhmm), zone)


def walls(found: Sequence[Slot], zone: ZoneInfo = PARIS) -> list[str]:
    """The slots' starts on the wall clock, "HH:MM"."""
    return [f"{s.start.astimezone(zone):%H:%M}" for s in found]


def test_the_grid_starts_at_each_span_and_steps_by_duration_and_buffers() -> None:
    """Without a step of its own a motif's starts are its duration plus buffers apart, from each span's start."""
    found = slots(motif(25, buffer_after_min=5), SITE, [], MONDAY, MONDAY, NOW)
    assert walls(found) == ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                            "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    assert all(s.end - s.start == timedelta(minutes=25) and s.start.tzinfo is UTC for s in found)
    assert {(s.free, s.desks) for s in found} == {(1, (1,))}


def test_a_step_of_its_own_overlaps_the_starts() -> None:
    """A 30-minute motif stepping by 15 minutes offers a start every quarter of an hour that still fits."""
    found = slots(motif(30, step_min=15), SITE, [], MONDAY, MONDAY, NOW)
    assert walls(found)[:3] == ["08:30", "08:45", "09:00"]
    assert walls(found)[11:14] == ["11:15", "11:30", "13:30"]


def test_a_slot_does_not_cross_the_lunch_break() -> None:
    """A 45-minute motif ends its morning at 11:30: a start at 11:30 would end after noon."""
    found = slots(motif(45), SITE, [], MONDAY, MONDAY, NOW)
    assert walls(found) == ["08:30", "09:15", "10:00", "10:45", "13:30", "14:15", "15:00", "15:45"]
    assert all(s.end.astimezone(PARIS).time() <= time(12) for s in found if s.start.astimezone(PARIS).hour < 12)


def test_weekends_are_skipped_when_the_week_has_no_saturday_or_sunday() -> None:
    """From Friday to Monday, the slots are Friday's and Monday's."""
    found = slots(motif(), SITE, [], FRIDAY, FRIDAY + timedelta(days=3), NOW)
    assert {s.start.astimezone(PARIS).date() for s in found} == {FRIDAY, FRIDAY + timedelta(days=3)}


def test_closures_and_public_holidays_offer_nothing() -> None:
    """A day closed for an inventory and Easter Monday are skipped; the days around them are not."""
    closed = Opening(SITE.zone, SITE.weekly, {date(2027, 3, 2): "Inventaire", date(2027, 3, 29): "Lundi de Pâques"})
    days = {s.start.astimezone(PARIS).date() for s in slots(motif(), closed, [], MONDAY, date(2027, 3, 31), NOW)}
    assert date(2027, 3, 2) not in days and date(2027, 3, 29) not in days
    assert {MONDAY, date(2027, 3, 3), date(2027, 3, 30)} <= days


def test_a_motif_with_hours_of_its_own_ignores_the_sites() -> None:
    """Urbanisme receives on Tuesday mornings only, whatever the site's hours."""
    own = motif(60, hours={1: ((540, 720),)})
    found = slots(own, SITE, [], MONDAY, FRIDAY, NOW)
    assert [f"{s.start.astimezone(PARIS):%a %H:%M}" for s in found] == ["Tue 09:00", "Tue 10:00", "Tue 11:00"]


def test_a_site_without_hours_is_open_all_day_every_day() -> None:
    """``weekly=None``: a Sunday offers slots from midnight to the last hour."""
    found = slots(motif(60), Opening("Europe/Paris"), [], date(2027, 3, 7), date(2027, 3, 7), NOW)
    assert walls(found) == [f"{h:02d}:00" for h in range(24)]


def test_no_slot_is_offered_sooner_than_the_minimum_notice() -> None:
    """Two hours' notice at 08:10 on Monday: the first slot is 10:30."""
    now = at(MONDAY, "08:10")
    found = slots(motif(min_notice_min=120), SITE, [], MONDAY, MONDAY, now)
    assert walls(found)[0] == "10:30"


def test_a_start_exactly_at_the_notice_is_offered() -> None:
    """The notice is a minimum: a start exactly that far ahead is fine."""
    found = slots(motif(min_notice_min=90), SITE, [], MONDAY, MONDAY, at(MONDAY, "08:30"))
    assert walls(found)[0] == "10:00"


def test_no_slot_is_offered_beyond_the_horizon() -> None:
    """A 3-day horizon from Monday 10:00: Thursday's slots stop at 10:00, Friday has none."""
    now = at(MONDAY, "10:00")
    found = slots(motif(horizon_days=3, min_notice_min=0), SITE, [], MONDAY, FRIDAY, now)
    assert max(s.start for s in found) == at(date(2027, 3, 4), "10:00")
    assert min(s.start for s in found) == now


def test_a_range_before_now_or_inverted_is_empty() -> None:
    """Days already past, or a last day before the first, give no slot."""
    assert slots(motif(), SITE, [], MONDAY, FRIDAY, at(date(2027, 3, 8), "08:00")) == []
    assert slots(motif(), SITE, [], FRIDAY, MONDAY, NOW) == []


def test_with_two_desks_and_one_place_held_one_desk_stays_free() -> None:
    """Capacity 2 and desk 1 held at 09:00: the 09:00 slot has one place left, on desk 2."""
    start = at(MONDAY, "09:00")
    held = [Held(1, start, start + timedelta(minutes=30))]
    found = {s.start: s for s in slots(motif(capacity=2), SITE, held, MONDAY, MONDAY, NOW)}
    assert (found[start].free, found[start].desks) == (1, (2,))
    assert found[at(MONDAY, "09:30")].desks == (1, 2)


def test_a_slot_whose_every_desk_is_held_is_not_offered() -> None:
    """Both desks held at 09:00: no 09:00 slot."""
    start = at(MONDAY, "09:00")
    held = [Held(desk, start, start + timedelta(minutes=30)) for desk in (1, 2)]
    assert start not in {s.start for s in slots(motif(capacity=2), SITE, held, MONDAY, MONDAY, NOW)}


def test_buffers_keep_the_desk_before_and_after() -> None:
    """10 minutes before and 5 after: a place held 10:00–10:30 takes the 09:30 and 10:30 starts, not 09:00 or 11:00."""
    buffered = motif(30, step_min=30, buffer_before_min=10, buffer_after_min=5)
    held = [Held(1, at(MONDAY, "10:00"), at(MONDAY, "10:30"))]
    starts = walls(slots(buffered, SITE, held, MONDAY, MONDAY, NOW))
    assert "09:00" in starts and "11:00" in starts
    assert "09:30" not in starts and "10:00" not in starts and "10:30" not in starts


def test_the_held_span_includes_the_buffers() -> None:
    """What a desk holds runs from the buffer before to the buffer after."""
    start = at(MONDAY, "10:00")
    assert held_span(motif(30, buffer_before_min=10, buffer_after_min=5), start, 40) == (
        at(MONDAY, "09:50"), at(MONDAY, "10:45"))


def test_places_on_a_desk_beyond_the_capacity_or_empty_are_ignored() -> None:
    """A place on desk 3 of a 2-desk motif, or one ending where it starts, holds nothing."""
    start = at(MONDAY, "09:00")
    held = [Held(3, start, start + timedelta(minutes=30)), Held(1, start, start)]
    assert free_desks(motif(capacity=2), held, start, 30) == (1, 2)


def test_free_desks_looks_at_the_held_span_only() -> None:
    """A place ending when the held span starts leaves the desk free; one a second longer takes it."""
    held = [Held(1, at(MONDAY, "09:00"), at(MONDAY, "09:50")), Held(2, at(MONDAY, "09:00"), at(MONDAY, "09:50:01"))]
    assert free_desks(motif(capacity=2, buffer_before_min=10), held, at(MONDAY, "10:00"), 30) == (1,)


def test_the_duration_rule_lengthens_the_slots() -> None:
    """15 minutes and 10 per extra person: three people get 35-minute slots, which fit less often."""
    family = motif(15, step_min=15, duration_rule=DurationRule("people", 10))
    duration = family.duration_for({"people": 3})
    assert duration == 35
    found = slots(family, SITE, [], MONDAY, MONDAY, NOW, duration_min=duration)
    assert all(s.end - s.start == timedelta(minutes=35) for s in found)
    assert walls(found)[-1] == "16:15" and "11:30" not in walls(found)
    assert walls(slots(family, SITE, [], MONDAY, MONDAY, NOW))[-1] == "16:45"


@pytest.mark.parametrize("answer", [None, 1, 0, True, "3", 2.0])
def test_a_missing_or_invalid_count_counts_as_one_person(answer: object) -> None:
    """Only a whole number above one lengthens the appointment."""
    family = motif(15, duration_rule=DurationRule("people", 10))
    answers = {} if answer is None else {"people": answer}
    assert family.duration_for(answers) == 15
    assert motif(15).duration_for({"people": 4}) == 15


def test_a_duration_or_step_that_is_not_positive_is_refused() -> None:
    """A zero step would lay the grid forever; a zero duration means nothing."""
    with pytest.raises(ValueError, match="positive"):
        slots(motif(30, step_min=0), SITE, [], MONDAY, MONDAY, NOW)
    with pytest.raises(ValueError, match="positive"):
        check_start(motif(), SITE, at(MONDAY, "09:00"), NOW, 0)


def test_naive_datetimes_are_refused() -> None:
    """A naive time would be read on the server's clock: it is an error."""
    with pytest.raises(ValueError, match="naive"):
        slots(motif(), SITE, [], MONDAY, MONDAY, datetime(2027, 2, 20, 9))
    with pytest.raises(ValueError, match="naive"):
        free_desks(motif(), [Held(1, datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10))], at(MONDAY, "09:00"), 30)


# Clock changes (Europe/Paris: 2027-03-28 02:00 -> 03:00, 2027-10-31 03:00 -> 02:00).
NIGHT = {6: ((60, 240),)}  # Sundays 01:00–04:00, across the change


def test_the_spring_gap_offers_no_slot_and_03_00_is_01_00_utc() -> None:
    """On the spring Sunday the wall clock skips 02:xx: no slot then, and 03:00 local is 01:00 UTC."""
    found = slots(motif(30, hours=NIGHT), SITE, [], SPRING, SPRING, NOW)
    assert walls(found) == ["01:00", "01:30", "03:00", "03:30"]
    assert found[2].start == datetime(2027, 3, 28, 1, tzinfo=UTC)
    assert found[1].end == found[2].start  # 01:30 + 30 real minutes is 03:00


def test_durations_are_real_minutes_across_the_spring_gap() -> None:
    """An hour from 01:30 ends at 03:30 on the wall clock, and the last hour-long start is 03:00."""
    found = slots(motif(60, step_min=30, hours=NIGHT), SITE, [], SPRING, SPRING, NOW)
    assert walls(found) == ["01:00", "01:30", "03:00"]
    assert found[1].end.astimezone(PARIS).time() == time(3, 30)


def test_the_autumn_hour_that_repeats_offers_its_slots_once() -> None:
    """On the autumn Sunday 02:30 happens twice: one slot, at its first occurrence (00:30 UTC)."""
    found = slots(motif(30, hours=NIGHT), SITE, [], AUTUMN, AUTUMN, datetime(2027, 10, 1, tzinfo=UTC))
    assert walls(found) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert [s.start for s in found].count(datetime(2027, 10, 31, 0, 30, tzinfo=UTC)) == 1
    assert found[4].start - found[3].start == timedelta(hours=1, minutes=30)  # the second 02:xx offers nothing


def test_the_autumn_span_is_an_hour_longer_in_real_time() -> None:
    """01:00–04:00 lasts four real hours that Sunday: a 3h30 appointment fits from 01:00 (UTC), ending 03:30 local."""
    found = slots(motif(210, step_min=30, hours=NIGHT), SITE, [], AUTUMN, AUTUMN, datetime(2027, 10, 1, tzinfo=UTC))
    assert walls(found) == ["01:00", "01:30"]
    assert found[0].end.astimezone(PARIS).time() == time(3, 30)


def test_an_always_open_site_has_23_hours_in_spring_and_24_starts_in_autumn() -> None:
    """Hourly starts on the wall clock: 02:00 is missing in spring; in autumn the repeated 02:00 offers one."""
    always = Opening("Europe/Paris")
    assert len(slots(motif(60), always, [], SPRING, SPRING, NOW)) == 23
    found = slots(motif(60), always, [], AUTUMN, AUTUMN, datetime(2027, 10, 1, tzinfo=UTC))
    assert walls(found) == [f"{h:02d}:00" for h in range(24)]


def test_other_zones_lay_slots_on_their_own_wall_clock() -> None:
    """08:30 is 11:30 UTC in Cayenne and 04:30 UTC in Réunion, on that local Monday."""
    for zone, utc in [("America/Cayenne", "11:30"), ("Indian/Reunion", "04:30")]:
        found = slots(motif(), Opening(zone, SITE.weekly), [], MONDAY, MONDAY, NOW)
        assert walls(found, ZoneInfo(zone))[0] == "08:30"
        assert found[0].start == datetime.combine(MONDAY, time.fromisoformat(utc), UTC)


def test_the_days_asked_for_are_the_sites_days() -> None:
    """In Réunion (UTC+4) Monday's first hour starts on Sunday 20:00 UTC, and Monday 23:00 ends the day."""
    found = slots(motif(60), Opening("Indian/Reunion"), [], MONDAY, MONDAY, NOW)
    assert found[0].start == datetime(2027, 2, 28, 20, tzinfo=UTC)
    assert found[-1].start == datetime(2027, 3, 1, 19, tzinfo=UTC) and len(found) == 24


# check_start: what may be booked at all.

def refusal(start: datetime, m: Motif | None = None, opening: Opening = SITE, now: datetime = NOW,
            duration: int = 30) -> Refused:
    with pytest.raises(Refused) as caught:
        check_start(m or motif(), opening, start, now, duration)
    return caught.value


def test_a_start_on_the_grid_passes() -> None:
    """Monday 09:00 for a 30-minute motif is bookable: nothing is raised."""
    check_start(motif(), SITE, at(MONDAY, "09:00"), NOW, 30)


def test_a_closed_day_is_refused_with_its_reason() -> None:
    """Easter Monday: "closed", and the detail names it."""
    holiday = date(2027, 3, 29)
    refused = refusal(at(holiday, "09:00"), opening=Opening(SITE.zone, SITE.weekly, {holiday: "Lundi de Pâques"}))
    assert refused.kind == "closed" and "Lundi de Pâques" in refused.detail and str(refused) == refused.detail


@pytest.mark.parametrize("start", [
    at(MONDAY, "12:00"),  # the lunch break
    at(MONDAY, "11:45"),  # would end after noon
    at(MONDAY, "09:10"),  # off the grid
    at(MONDAY, "09:00") + timedelta(seconds=30),  # off the grid by seconds
    at(date(2027, 3, 6), "09:00"),  # a Saturday
])
def test_a_start_outside_the_grid_or_the_hours_is_refused(start: datetime) -> None:
    assert refusal(start).kind == "outside-hours"


def test_the_second_occurrence_of_a_repeated_hour_is_refused() -> None:
    """02:30 on the autumn Sunday, the second time (01:30 UTC): the grid offers only the first."""
    night = motif(30, hours=NIGHT)
    now = datetime(2027, 10, 1, tzinfo=UTC)
    check_start(night, SITE, datetime(2027, 10, 31, 0, 30, tzinfo=UTC), now, 30)
    assert refusal(datetime(2027, 10, 31, 1, 30, tzinfo=UTC), night, now=now).kind == "outside-hours"


def test_a_start_may_be_given_on_the_sites_wall_clock() -> None:
    """02:30 in Paris on the autumn Sunday (its first occurrence) is the same start as 00:30 UTC."""
    check_start(motif(30, hours=NIGHT), SITE, at(AUTUMN, "02:30"), datetime(2027, 10, 1, tzinfo=UTC), 30)


def test_a_longer_duration_that_no_longer_fits_is_refused() -> None:
    """11:30 fits 30 minutes before noon, not 45."""
    check_start(motif(), SITE, at(MONDAY, "11:30"), NOW, 30)
    assert refusal(at(MONDAY, "11:30"), duration=45).kind == "outside-hours"


def test_too_soon_and_too_far_are_refused() -> None:
    """With two hours' notice and a 3-day horizon from Monday 08:00: 09:30 is too soon, Thursday 09:00 too far."""
    m = motif(min_notice_min=120, horizon_days=3)
    now = at(MONDAY, "08:00")
    assert refusal(at(MONDAY, "09:30"), m, now=now).kind == "too-soon"
    assert refusal(at(date(2027, 3, 4), "09:00"), m, now=now).kind == "too-far"
    check_start(m, SITE, at(MONDAY, "10:00"), now, 30)
    check_start(m, SITE, at(date(2027, 3, 4), "08:30"), at(MONDAY, "08:30"), 30)  # the horizon itself


# granules: what a desk holds, one row each.

def test_granules_cover_the_span_on_the_epochs_marks() -> None:
    """10:02–10:13 is held as the granules of 10:00, 10:05 and 10:10, in UTC."""
    marks = granules(at(MONDAY, "10:02"), at(MONDAY, "10:13"))
    assert marks == [at(MONDAY, hhmm).astimezone(UTC) for hhmm in ("10:00", "10:05", "10:10")]
    assert all(m.tzinfo is UTC for m in marks)


def test_a_span_on_the_marks_holds_exactly_its_granules() -> None:
    """A 20-minute appointment on the grid is four granules; an empty span none."""
    assert len(granules(at(MONDAY, "10:00"), at(MONDAY, "10:20"))) == 20 // GRANULE_MIN
    assert granules(at(MONDAY, "10:00"), at(MONDAY, "10:00")) == []


# Properties, against a brute-force reading of the rules.

def overlapping(held: Sequence[Held], desk: int, low: datetime, high: datetime) -> bool:
    return any(h.desk == desk and h.start < high and h.end > low for h in held)


zones = st.sampled_from(["Europe/Paris", "America/Cayenne", "Indian/Reunion", "America/New_York"])
days = st.sampled_from([MONDAY, SPRING - timedelta(days=1), AUTUMN - timedelta(days=1), date(2027, 3, 13)])
motifs = st.builds(
    lambda duration, step, capacity, before, after, notice: motif(
        duration, step_min=step, capacity=capacity, buffer_before_min=before, buffer_after_min=after,
        min_notice_min=notice),
    st.sampled_from([10, 15, 20, 30, 45, 60]), st.sampled_from([None, 5, 15, 30]), st.integers(1, 3),
    st.sampled_from([0, 5, 10]), st.sampled_from([0, 5, 15]), st.sampled_from([0, 120]))


@st.composite
def places(draw: st.DrawFn, first: date) -> list[Held]:
    base = datetime.combine(first, time(), UTC)
    out = []
    for _ in range(draw(st.integers(0, 30))):
        start = base + timedelta(minutes=5 * draw(st.integers(0, 2 * 24 * 12)))
        out.append(Held(draw(st.integers(1, 3)), start, start + timedelta(minutes=5 * draw(st.integers(1, 18)))))
    return out


@settings(deadline=None)
@given(motifs, zones, days, st.booleans(), st.data())
def test_slots_are_exactly_the_free_grid_starts(m: Motif, zone: str, first: date, always: bool,
                                                data: st.DataObject) -> None:
    """Every slot's desks are those no place overlaps, at least one and at most the capacity; each start
    passes check_start; no free start of the grid is left out; starts ascend within the days asked for."""
    opening = Opening(zone, None if always else {d: WEEKDAYS for d in range(6)}, {first + timedelta(days=1): "Fermé"})
    held = data.draw(places(first))
    now = datetime.combine(first, time(6), UTC)
    last = first + timedelta(days=2)
    grid = slots(m, opening, [], first, last, now)
    found = slots(m, opening, held, first, last, now)
    expected = []
    for slot in grid:
        low, high = held_span(m, slot.start, m.duration_min)
        free = tuple(d for d in range(1, m.capacity + 1) if not overlapping(held, d, low, high))
        if free:
            expected.append(Slot(slot.start, slot.end, len(free), free))
    assert found == expected
    for slot in found:
        assert 1 <= slot.free == len(slot.desks) <= m.capacity
        assert first <= slot.start.astimezone(ZoneInfo(zone)).date() <= last
    for slot in found[::max(1, len(found) // 8)]:  # a sample: each check lays its day's grid again
        check_start(m, opening, slot.start.astimezone(ZoneInfo(zone)), now, m.duration_min)
        assert slot.desks == free_desks(m, held, slot.start, m.duration_min)
    assert [s.start for s in found] == sorted({s.start for s in found})

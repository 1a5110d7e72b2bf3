"""Public holidays by region and weekly hours as administrators write them (platform/calendar.py)."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.platform.calendar import check_region, public_holidays, weekly_hours, weekly_text
from queue_server.platform.errors import InvalidField

YEAR = range(2026, 2027)


def test_christmas_easter_monday_and_whit_monday_are_holidays_everywhere_in_france() -> None:
    for region in ("FR", "FR-57", "FR-974"):
        days = dict(public_holidays(region, YEAR))
        assert days[date(2026, 12, 25)] == "Noël"
        assert days[date(2026, 4, 6)] == "Lundi de Pâques"
        assert days[date(2026, 5, 25)] == "Lundi de Pentecôte"


def test_saint_stephen_and_good_friday_close_alsace_moselle_only() -> None:
    for region in ("FR-57", "FR-67", "FR-68"):
        days = dict(public_holidays(region, YEAR))
        assert days[date(2026, 12, 26)] == "Saint-Étienne" and date(2026, 4, 3) in days
    assert date(2026, 12, 26) not in dict(public_holidays("FR", YEAR))
    assert public_holidays(None, YEAR) == ()


def test_la_reunion_has_its_abolition_of_slavery_day() -> None:
    assert date(2026, 12, 20) in dict(public_holidays("FR-974", YEAR))


def test_an_unknown_region_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidField) as refused:
        check_region("FR-99")
    assert refused.value.field == "public_holidays" and "FR-99" in refused.value.field_message


def test_weekly_hours_read_and_write_back() -> None:
    text = {"mon": [["08:30", "12:00"], ["13:30", "17:00"]], "sat": [["09:00", "24:00"]]}
    hours = weekly_hours(text, "weekly")
    assert hours == {0: ((510, 720), (810, 1020)), 5: ((540, 1440),)}
    assert weekly_text(hours) == text
    assert weekly_hours(None, "weekly") is None


@pytest.mark.parametrize(("value", "field", "says"), [
    ({"mon": [["12:00", "08:30"]]}, "weekly.mon[0]", "must end after it starts"),
    ({"mon": [["08:00", "12:00"], ["11:00", "14:00"]]}, "weekly.mon", "overlap"),
    ({"lun": [["08:00", "12:00"]]}, "weekly.lun", "Unknown day"),
    ({"tue": [["8h30", "12:00"]]}, "weekly.tue[0]", "HH:MM"),
    ({"tue": [["24:00", "24:00"]]}, "weekly.tue[0]", "must end after it starts"),
    ({"tue": [["08:00"]]}, "weekly.tue[0]", "[start, end]"),
    ("always", "weekly", "object of days"),
])
def test_bad_hours_are_refused_naming_the_day_and_range(value: object, field: str, says: str) -> None:
    with pytest.raises(InvalidField) as refused:
        weekly_hours(value, "weekly")
    assert refused.value.field == field and says in refused.value.field_message

"""The surveys' settings: config.example.toml documents ``[surveys]`` with its defaults, ``QUEUE_SURVEYS_*``
overrides them (the delay, the quiet hours as JSON), and quiet hours that are no pair of times are refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from queue_server.settings import SurveysSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_surveys_section_is_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """An hour's delay, quiet from 20:00 to 09:00, one invitation in 30 days, an alert under 3 with 5 answers."""
    with open(ROOT / "config.example.toml", "rb") as f:
        documented = tomllib.load(f)["surveys"]
    assert SurveysSettings(**documented) == SurveysSettings()
    defaults = SurveysSettings()
    assert (defaults.delay_s, defaults.quiet_hours, defaults.min_days_between, defaults.alert_below) == (
        3600, ("20:00", "09:00"), 30, 3.0)
    monkeypatch.setenv("QUEUE_SURVEYS_DELAY_S", "0")
    monkeypatch.setenv("QUEUE_SURVEYS_QUIET_HOURS", "[]")
    settings = load_settings(ROOT / "config.example.toml")
    assert (settings.surveys.delay_s, settings.surveys.quiet_hours) == (0, ())


@pytest.mark.parametrize("quiet", [("20:00",), ("20h", "09:00"), ("24:00", "09:00")])
def test_quiet_hours_are_two_local_times(quiet: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError):
        SurveysSettings(quiet_hours=quiet)

"""The phone desk's settings: config.example.toml documents ``[phone]`` with its defaults (two years' retention, a
purge a day), and ``QUEUE_PHONE_*`` overrides them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from queue_server.settings import PhoneSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_phone_section_is_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """[phone] in config.example.toml: 730 days, every 86400 s, the defaults; the environment overrides them."""
    with open(ROOT / "config.example.toml", "rb") as f:
        documented = tomllib.load(f)["phone"]
    assert PhoneSettings(**documented) == PhoneSettings()
    assert (PhoneSettings().retention_days, PhoneSettings().purge_every_s) == (730, 86_400)
    monkeypatch.setenv("QUEUE_PHONE_RETENTION_DAYS", "365")
    assert load_settings(ROOT / "config.example.toml").phone.retention_days == 365


def test_a_retention_shorter_than_a_month_is_refused() -> None:
    """Calls kept less than 30 days could not be followed up: refused at start."""
    with pytest.raises(ValidationError):
        PhoneSettings(retention_days=7)

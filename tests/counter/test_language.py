"""The counter client's language: French unless ``--lang``, ``QUEUE_COUNTER_LANG`` or an English locale
say otherwise; ``--help`` and the options' errors already speak it."""

from __future__ import annotations

import pytest

from counter_client.language import choose
from counter_client.settings import OptionError, parse


@pytest.mark.parametrize(("argv", "environ", "lang"), [
    ([], {}, "fr"),
    ([], {"LANG": "C.UTF-8"}, "fr"),
    ([], {"LANG": "fr_FR.UTF-8"}, "fr"),
    ([], {"LANG": "en_GB.UTF-8"}, "en"),
    ([], {"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
    ([], {"LC_MESSAGES": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
    ([], {"QUEUE_COUNTER_LANG": "en", "LANG": "fr_FR.UTF-8"}, "en"),
    (["--lang", "fr"], {"QUEUE_COUNTER_LANG": "en", "LANG": "en_US.UTF-8"}, "fr"),
    (["--counter", "1", "--lang=en"], {"LANG": "fr_FR.UTF-8"}, "en"),
    (["--lang", "de"], {"LANG": "en_US.UTF-8"}, "en"),
])
def test_the_language_is_the_options_then_the_environments_then_french(argv: list[str], environ: dict[str, str],
                                                                       lang: str) -> None:
    """``--lang`` wins over ``QUEUE_COUNTER_LANG``, which wins over the locale; French when none says."""
    assert choose(argv, environ) == lang


def test_help_is_in_french_by_default(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` without ``--lang`` in a French locale describes the options and keys in French."""
    for name in ("LC_ALL", "LC_MESSAGES", "QUEUE_COUNTER_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with pytest.raises(SystemExit):
        parse(["--help"])
    shown = capsys.readouterr().out
    assert "afficher cette aide et quitter" in shown and "appeler le suivant" in shown


def test_an_option_error_speaks_the_language_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong option is explained in French by default, in English with ``--lang en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "QUEUE_COUNTER_LANG", "QUEUE_COUNTER_SERVER"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(OptionError, match="est obligatoire"):
        parse(["--counter", "1", "--token", "t"])
    with pytest.raises(OptionError, match="is required"):
        parse(["--counter", "1", "--token", "t", "--lang", "en"])

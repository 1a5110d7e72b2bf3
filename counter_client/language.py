"""The language the counter client speaks: French unless told otherwise.

``--lang fr|en``, else ``QUEUE_COUNTER_LANG``, else the locale (the first of ``LC_ALL``,
``LC_MESSAGES`` and ``LANG`` that is set: English when it starts with ``en``), else French. The
messages themselves are the project's catalogs (``queue_server.i18n``): English in the code, French in
``queue_server/locale/fr``. Every function that writes for the agent is given a ``Gettext``; nothing
here is read at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from queue_server.i18n import translations

Gettext = Callable[[str], str]
LANGUAGES = ("fr", "en")  # the first is the default
DEFAULT = LANGUAGES[0]
ENVIRONMENT = "QUEUE_COUNTER_LANG"


def from_locale(environ: Mapping[str, str]) -> str:
    """English when the locale that governs messages is an English one, else French."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT
    return DEFAULT


def choose(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of the command line ``argv`` (``--lang en`` or ``--lang=en``) or of the environment;
    read before the options themselves, whose help and errors speak it. A value that is no language
    is left to the options' own check."""
    wanted: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            wanted = argv[i + 1]
        elif arg.startswith("--lang="):
            wanted = arg.partition("=")[2]
    if wanted in LANGUAGES:
        return wanted
    if environ.get(ENVIRONMENT) in LANGUAGES:
        return environ[ENVIRONMENT]
    return from_locale(environ)


def gettext_of(lang: str) -> Gettext:
    """The messages in ``lang`` (``en``: as written in the code)."""
    return translations(lang).gettext

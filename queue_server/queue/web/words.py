"""How the queue's pages say a wait, in every language of the catalogs (``domain/estimate.py`` ``shown_wait``
decides which words; ``Live.waitWords`` in ``static/live.js`` picks them in the page)."""

from __future__ import annotations

from typing import Any

from queue_server.i18n import plural_forms, translations
from queue_server.queue.domain.estimate import shown_wait


def wait_words(lang: str) -> dict[str, Any]:
    """The words of a wait estimate in ``lang``, for a page's script: one message per kind of
    ``ShownWait``, "about" in each plural category of the language (``{n}``: the minutes)."""
    _ = translations(lang).gettext
    return {
        "unknown": _("not known yet"),
        "none": _("no wait"),
        "under": _("less than 5 min"),
        "about": plural_forms(lang, "about {n} minute", "about {n} minutes"),
        "over": _("more than an hour"),
    }


def say_wait(lang: str, seconds: int | None) -> str:
    """An estimate in words, as the pages say it ("about 15 minutes", "no wait")."""
    shown = shown_wait(seconds)
    if shown.kind != "about":
        return str(wait_words(lang)[shown.kind])
    return translations(lang).ngettext("about {n} minute", "about {n} minutes", shown.minutes).replace(
        "{n}", str(shown.minutes))


def problem_words(lang: str) -> dict[str, str]:
    """The queue's refusals in words, by their problem ``type`` (``web/errors.py``: the domain error's class), for
    staff pages whose script shows a refusal: the server's ``detail`` is written in English for integrators."""
    _ = translations(lang).gettext
    return {
        "/problems/not-found": _("This ticket, counter or service no longer exists. The page is up to date again."),
        "/problems/conflict": _("Someone else changed this in the meantime. The page is up to date again."),
        "/problems/invalid-transition": _("Not possible for this ticket now (it may have been called, served or "
                                          "cancelled elsewhere): nothing was done."),
        "/problems/service-closed": _("This service is closed now."),
        "/problems/service-busy": _("People still wait in this service."),
        "/problems/counter-busy": _("This counter is in use."),
        "/problems/counter-without-service": _("A counter must serve at least one service."),
        "/problems/prefix-taken": _("Another service already uses this letter."),
        "/problems/daily-cap-reached": _("This service has given all its tickets for today."),
        "/problems/not-a-choice": _("This choice is not offered here."),
        "/problems/invalid": _("This was refused: check what you typed."),
    }

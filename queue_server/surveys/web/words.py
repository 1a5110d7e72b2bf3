"""The surveys' words, in the page's language: the five scores, the kinds of contact, what the survey page's script
writes."""

from __future__ import annotations

from queue_server.i18n import translations


def score_words(lang: str) -> dict[int, str]:
    _ = translations(lang).gettext
    return {1: _("Very dissatisfied"), 2: _("Dissatisfied"), 3: _("Neither satisfied nor dissatisfied"),
            4: _("Satisfied"), 5: _("Very satisfied")}


def kind_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"visit": _("Visits"), "appointment": _("Appointments"), "request": _("Requests"),
            "kiosk": _("At the kiosk")}


def page_strings(lang: str) -> dict[str, str]:
    """What the survey page's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {"need_score": _("Choose a face first."), "failed": _("It could not be sent. Try again."),
            "sending": _("Sending…")}

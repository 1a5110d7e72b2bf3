"""The pages say an estimate as the server does: ``Live.waitWords`` in the browser gives, for every wait and
in every language of the citizens, the words of ``words.say_wait`` (domain/estimate.py ``shown_wait``)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from queue_server.i18n import CITIZEN_LANGUAGES
from queue_server.queue.web.words import say_wait, wait_words
from tests.browser.conftest import Hall

WAITS = [None, 0, 1, 60, 299, 300, 449, 450, 600, 899, 1500, 2700, 3299, 3300, 3599, 3600, 7200]


@pytest.mark.parametrize("lang", CITIZEN_LANGUAGES)
def test_the_pages_say_a_wait_in_the_words_of_the_server(hall: Hall, page: Page, lang: str) -> None:
    """In French, English, Spanish and Arabic, each wait reads the same in the page as on the server."""
    page.set_content(f'<!doctype html><html lang="{lang}"><head><title>w</title></head><body></body></html>')
    page.add_script_tag(url=f"{hall.url}/static/live.js")
    said = page.evaluate("([waits, words]) => waits.map((s) => Live.waitWords(s, words))",
                         [WAITS, json.loads(json.dumps(wait_words(lang)))])
    assert said == [say_wait(lang, s) for s in WAITS]
    if lang == "ar":
        assert "حوالي 10 دقائق" in said and "حوالي 25 دقيقة" in said  # 3–10: few; 11–99: many

"""The CRM's pure rules: folding names, typo keys, who sees which timeline entry, duplicates, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from queue_server.crm.domain.duplicates import NAME_CLOSE, Likeness, duplicate_reason
from queue_server.crm.domain.privacy import Reader, Sight, purge_due, sight
from queue_server.crm.domain.text import MAX_WORD, TYPO_MIN_LENGTH, digits, fold, typo_keys, words


@pytest.mark.parametrize("typed", ["Lefèvre", "LEFÈVRE", "lefevre", "  Lefevre ", "LÉFÈVRE"])
def test_accents_case_and_spaces_are_folded_away(typed: str) -> None:
    """However a name is typed, it folds to the same word."""
    assert fold(typed) == "lefevre"


def test_ligatures_and_punctuation_fold_to_plain_words() -> None:
    """Œ, æ, ß become two letters; apostrophes and hyphens separate words."""
    assert words("Cœur-de-Lion d'Ærø STRAßE") == ["coeur", "de", "lion", "d", "aero", "strasse"]


def test_words_are_listed_once_in_order_and_cut_to_their_maximum() -> None:
    """A repeated word counts once; an absurdly long one is cut."""
    assert words("Anne anne ANNE Marie") == ["anne", "marie"]
    assert words("x" * 100) == ["x" * MAX_WORD]


def test_digits_keeps_only_ascii_digits() -> None:
    assert digits("06 12.34-56 78") == "0612345678"
    assert digits("٣") == ""


def test_a_short_word_is_its_only_key() -> None:
    """Short words are found only as typed: "li" shares no key with "le"."""
    assert typo_keys("li") == {"li"}
    assert typo_keys("le") & typo_keys("li") == set()


lowercase_words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=TYPO_MIN_LENGTH, max_size=12)


@given(lowercase_words, st.data())
def test_words_one_typo_apart_always_share_a_key(word: str, data: st.DataObject) -> None:
    """A letter added, removed, replaced or two neighbours swapped: the two words meet on a key."""
    i = data.draw(st.integers(0, len(word) - 1))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    typo = data.draw(st.sampled_from([
        word[:i] + word[i + 1:], word[:i] + letter + word[i:], word[:i] + letter + word[i + 1:],
        word[:i] + word[i + 1:i + 2] + word[i:i + 1] + word[i + 2:]]))
    assert OSA.distance(word, typo) <= 1
    if len(typo) >= TYPO_MIN_LENGTH:
        assert typo_keys(word) & typo_keys(typo)


@pytest.mark.parametrize(("sector", "sealed", "legal", "seen"), [
    (None, frozenset(), False, Sight.WHOLE),  # a general entry
    ("etat-civil", frozenset(), False, Sight.WHOLE),  # the reader's own sector
    ("urbanisme", frozenset(), False, Sight.OUTLINE),  # another sector: kind, date, service
    ("social", frozenset({"social"}), False, Sight.NOTHING),  # a sealed sector not theirs
    ("social", frozenset({"social"}), True, Sight.WHOLE),  # an association's record is whole
])
def test_a_reader_sees_their_sectors_whole_others_in_outline_and_sealed_ones_not_at_all(
        sector: str | None, sealed: frozenset[str], legal: bool, seen: Sight) -> None:
    reader = Reader(sectors=frozenset({"etat-civil"}))
    assert sight(reader, sector, sealed, legal) is seen


def test_a_member_of_a_sealed_sector_and_the_right_of_access_see_it_whole() -> None:
    sealed = frozenset({"social"})
    assert sight(Reader(sectors=frozenset({"social"})), "social", sealed, False) is Sight.WHOLE
    assert sight(Reader(everything=True), "social", sealed, False) is Sight.WHOLE


def test_a_party_is_purged_only_once_past_its_retention() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    assert not purge_due(now - timedelta(days=730), now, 730)
    assert purge_due(now - timedelta(days=730, seconds=1), now, 730)
    assert not purge_due(now - timedelta(days=10), now, 730)


@pytest.mark.parametrize(("likeness", "reason"), [
    (Likeness(name_score=10, same_identifier=True, persons=False), "identifier"),
    (Likeness(name_score=10, same_phone=True), "phone"),
    (Likeness(name_score=10, same_email=True), "email"),
    (Likeness(name_score=NAME_CLOSE, same_birth_date=True), "name-and-birth-date"),
    (Likeness(name_score=NAME_CLOSE), None),  # namesakes with no birth date in common are two people
    (Likeness(name_score=NAME_CLOSE - 1, same_birth_date=True), None),
    (Likeness(name_score=95, persons=False), "name"),
    (Likeness(name_score=95, persons=False, different_identifier=True), None),
])
def test_what_makes_two_parties_likely_one(likeness: Likeness, reason: str | None) -> None:
    assert duplicate_reason(likeness) == reason

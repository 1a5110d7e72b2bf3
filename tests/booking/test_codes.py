"""Appointment codes: an alphabet without look-alikes, and what a citizen types read leniently."""

from __future__ import annotations

import random
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.booking.domain.codes import ALPHABET, CODE_LENGTH, new_code, normal_code


def test_the_alphabet_keeps_one_character_of_each_look_alike_group() -> None:
    """Digits and capitals, each once, 28 to 31 of them, without O, Q, I, L or U."""
    assert 28 <= len(ALPHABET) <= 31 and len(set(ALPHABET)) == len(ALPHABET)
    assert all(c.isdigit() or c.isupper() for c in ALPHABET) and ALPHABET.isascii()
    assert not set("OQILU") & set(ALPHABET)


def test_a_new_code_is_six_characters_of_the_alphabet_drawn_by_the_caller() -> None:
    """The caller's ``choice`` draws each character: with a seeded one, the same code each time."""
    code = new_code(secrets.choice)
    assert len(code) == CODE_LENGTH == 6 and set(code) <= set(ALPHABET)
    assert new_code(random.Random(7).choice) == new_code(random.Random(7).choice)


@pytest.mark.parametrize(("typed", "code"), [
    ("K7M4PX", "K7M4PX"),
    ("k7m-4px", "K7M4PX"),
    (" k7m 4px ", "K7M4PX"),
    ("K7M\u20134PX", "K7M4PX"),  # an en dash, as some keyboards put one
    ("oQ0-iL1", "000111"),  # O and Q read as 0, I and L as 1
    ("uvuvuv", "VVVVVV"),  # U read as V
])
def test_what_a_citizen_types_reads_as_the_code(typed: str, code: str | None) -> None:
    assert normal_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7M4P", "K7M4PXA", "K7M4P!", "K7M4PÉ", "K7M4P٣"])
def test_text_that_cannot_be_a_code_reads_as_none(typed: str) -> None:
    """Another length, punctuation, an accented letter or a non-ASCII digit: not a code."""
    assert normal_code(typed) is None


@given(st.randoms(use_true_random=False), st.sampled_from(["", "-", " "]), st.booleans())
def test_a_code_as_printed_lower_or_grouped_reads_back_as_itself(rng: random.Random, sep: str, lower: bool) -> None:
    code = new_code(rng.choice)
    typed = code[:3] + sep + code[3:]
    assert normal_code(typed.lower() if lower else typed) == code


@given(st.text(max_size=10))
def test_whatever_is_typed_reads_as_nothing_or_a_code_of_the_alphabet(typed: str) -> None:
    code = normal_code(typed)
    assert code is None or (len(code) == CODE_LENGTH and set(code) <= set(ALPHABET))

"""Appointment codes: what a citizen reads in an SMS or an e-mail and types (or scans) at the kiosk.

Six characters from 31 (about 887 million codes): the digits and the capital letters, without the letters
that pass for another character, O and Q (read as 0), I and L (read as 1), U (read as V). What a citizen
types is read leniently: any case, spaces and dashes ignored, a look-alike taken for the character kept.
Uniqueness is the caller's to ensure (draw again on a collision).
"""

from __future__ import annotations

from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPRSTVWXYZ"
CODE_LENGTH = 6
_IGNORED = " \t-\u2010\u2011\u2012\u2013\u2014_."  # spaces, hyphens and dashes, underscores, dots
_LOOK_ALIKES = {"O": "0", "Q": "0", "I": "1", "L": "1", "U": "V"}
_READ = str.maketrans({**{c.lower(): c for c in ALPHABET if c.isalpha()},
                       **_LOOK_ALIKES, **{k.lower(): v for k, v in _LOOK_ALIKES.items()},
                       **dict.fromkeys(_IGNORED)})
_KEPT = frozenset(ALPHABET)


def new_code(choice: Callable[[str], str]) -> str:
    """A fresh code; ``choice`` picks one character of a string (``secrets.choice``: codes must not be guessed)."""
    return "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str) -> str | None:
    """The code ``text`` spells, as stored ("k7m-4px" -> "K7M4PX", "o1" -> "01"); ``None`` when it cannot be one
    (another length, a character outside the alphabet)."""
    code = text.translate(_READ)
    if len(code) != CODE_LENGTH or not _KEPT.issuperset(code):
        return None
    return code

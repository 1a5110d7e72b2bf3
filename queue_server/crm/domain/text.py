"""How the record's names and texts are folded for search: without accents, case or punctuation, so
that "Lefèvre", "LEFEVRE" and "lefevre" meet; and the keys that find a word with one typo.

A typo is one edit: a letter added, removed, replaced, or two neighbours swapped. A word of four letters
or more is found with one typo, a shorter one only as typed ("Li" must not find "Le", "Lo" and "Lu").
The keys are those of the symmetric-deletion method: a word and each of its forms with one letter
removed. Two words one edit apart always share a key; a few pairs two edits apart do too ("abcd" and
"bcda" share "bcd"), so the candidates a key finds are checked exactly afterwards."""

from __future__ import annotations

import unicodedata

TYPO_MIN_LENGTH = 4  # shorter words are matched as typed only
MAX_WORD = 40  # longer "words" are cut: nobody types them, and their keys would be many

# Letters that NFKD does not take apart.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o",
                            "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i"})


def fold(text: str) -> str:
    """``text`` lower case, without accents, every run of what is not a letter or a digit one space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    out: list[str] = []
    space = True
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if char.isalnum():
            out.append(char.lower())
            space = False
        elif not space:
            out.append(" ")
            space = True
    return "".join(out).strip()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, each cut to ``MAX_WORD`` characters, without repeats."""
    seen: dict[str, None] = {}
    for word in fold(text).split():
        seen.setdefault(word[:MAX_WORD])
    return list(seen)


def typo_keys(word: str) -> set[str]:
    """The keys under which ``word`` is filed and looked up: itself, and for a word of
    ``TYPO_MIN_LENGTH`` letters or more, each form with one letter removed."""
    if len(word) < TYPO_MIN_LENGTH:
        return {word}
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def digits(text: str) -> str:
    """The ASCII digits of ``text`` (a phone number, a SIRET typed with spaces)."""
    return "".join(c for c in text if "0" <= c <= "9")

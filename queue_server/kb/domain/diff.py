"""What changed from one version of a sheet to another, in pieces a person reads: the text that stayed, the text
removed and the text added, in the new text's order (a change reads as the words removed, then those that replace
them).

Lines first, then words within the lines that changed (``difflib``, no junk heuristics: a sheet's words are all
meaningful), so that a paragraph rewritten reads as a paragraph and a word changed in a long one as that word. White
space and punctuation are pieces of their own, so that a comma added is a comma added. Plain text: the page
escapes it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["same", "removed", "added"]
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Piece:
    kind: Kind
    text: str


def _opcodes(old: Sequence[str], new: Sequence[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(None, old, new, autojunk=False).get_opcodes()


def _words(old: str, new: str) -> Iterable[Piece]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            yield Piece("same", "".join(a[i1:i2]))
            continue
        if i2 > i1:
            yield Piece("removed", "".join(a[i1:i2]))
        if j2 > j1:
            yield Piece("added", "".join(b[j1:j2]))


def diff(old: str, new: str) -> tuple[Piece, ...]:
    """The pieces that make ``old`` into ``new``; joined, the "same" and "removed" ones are ``old``, the "same" and
    "added" ones ``new``. Adjacent pieces of one kind are one piece."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
        elif tag == "delete":
            pieces.append(Piece("removed", "".join(a[i1:i2])))
        elif tag == "insert":
            pieces.append(Piece("added", "".join(b[j1:j2])))
        else:
            pieces.extend(_words("".join(a[i1:i2]), "".join(b[j1:j2])))
    return tuple(_merged(pieces))


def _merged(pieces: Iterable[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if out and out[-1].kind == piece.kind:
            out[-1] = Piece(piece.kind, out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def changed(pieces: Iterable[Piece]) -> bool:
    """Whether anything was removed or added."""
    return any(piece.kind != "same" for piece in pieces)

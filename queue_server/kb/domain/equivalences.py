"""French words of one meaning at the town hall, which a search also looks for: "passeports perdus" finds "Perte du
passeport" although "perdus" and "perte" stem apart (``perdus``, ``pert``), "né à l'étranger" finds "Acte de
naissance".

A small built-in list, for the questions people ask a town hall (lost and stolen papers, births, marriages, deaths,
moving house, elections, waste, transport); each group's words are written with their accents (the search stems them
as it stems the sheets) and found by any of their forms, accented or not. Not done: phrases ("carte grise"), a
collectivity's own list, spelling mistakes.

"né" is found only with its accent: "ne" without one is the negation ("je ne trouve pas")."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

GROUPS: tuple[tuple[str, ...], ...] = (
    ("perdu", "perdus", "perdue", "perdues", "perte", "pertes", "perdre", "égaré", "égarés", "égarée", "égarées",
     "égarer"),
    ("vol", "vols", "volé", "volés", "volée", "volées", "voler", "dérobé", "dérobée"),
    ("né", "née", "nés", "nées", "naissance", "naissances", "naître"),
    ("marié", "mariés", "mariée", "mariées", "mariage", "mariages", "marier", "épouser"),
    ("décès", "décédé", "décédée", "décédés", "décédées", "décéder", "mort", "morte", "morts"),
    ("déménager", "déménagé", "déménagée", "déménagement", "déménagements", "emménager", "emménagement"),
    ("divorce", "divorcé", "divorcée", "divorcer", "divorces"),
    ("voter", "vote", "votes", "électoral", "électorale", "électorales", "élection", "élections", "électeur",
     "électeurs"),
    ("poubelle", "poubelles", "déchets", "ordures", "encombrants"),
    ("bus", "autobus", "tram", "tramway", "transport", "transports"),
    ("cni", "identité"),
    ("recensement", "recenser", "recensé", "recensée"),
    ("inscription", "inscriptions", "inscrire", "inscrit", "inscrite", "inscrits"),
)
# Forms that are another word once their accents are gone.
ACCENT_NEEDED = frozenset({"ne", "nes"})


def fold(word: str) -> str:
    """``word`` lower-cased, without accents ("Décès" is "deces")."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tables(groups: Iterable[tuple[str, ...]]) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    exact: dict[str, tuple[str, ...]] = {}
    folded: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for word in group:
            exact[unicodedata.normalize("NFC", word)] = group
            if fold(word) not in ACCENT_NEEDED:
                folded[fold(word)] = group
    return exact, folded


_EXACT, _FOLDED = _tables(GROUPS)


def equivalents(word: str) -> tuple[str, ...]:
    """The other words of ``word``'s meaning (as written, accented), or none: "perdus" gives "perte", "perdu"…;
    "Décès" and "deces" give "décédé"…"""
    lowered = unicodedata.normalize("NFC", word.lower())
    group = _EXACT.get(lowered) or _FOLDED.get(fold(lowered), ())
    return tuple(other for other in group if other != lowered)

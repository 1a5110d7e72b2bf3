"""Finding a party as staff type: by name (accents, case and word order ignored, the last word as a prefix
while it is typed, one typo forgiven), by phone number, e-mail address, SIRET, SIREN or RNA number.

The only code that reads or writes ``crm_words`` (each party's folded words) and ``crm_word_keys`` (the
typo keys of the words in use, ``domain/text.py``). ``index`` and ``forget`` keep both in step with the
parties' names in the caller's transaction; ``find`` answers a query with party ids, best first.

What a query is, in this order: containing "@", an e-mail address, compared whole (``identifiers.email_key``;
a part of an address finds nothing); 14 digits (spaces and dots allowed), a SIRET, which also finds the
company of its SIREN; 9 digits, a SIREN (never a phone number without its leading 0); ``W`` and 9 digits,
an RNA number; digits and phone punctuation that ``identifiers.phone_or_none`` reads as a number of the
site's region ("06 12 34 56 78", "+33 6…", "0033…", "06.12…"), a phone number; anything else, names.

Names: every word of the query must match a word of the party, in any order, either exactly, or for the
last word as a prefix (from 2 letters; from 1 when other words narrow the search), or within one typo (a
letter added, removed, replaced, two neighbours swapped: ``rapidfuzz``'s OSA distance) when the typed
word and the party's both have 4 letters or more. Parties whose words all match exactly come first,
then those that need the prefix, then those that need a typo; within each, the most recently dealt with.
Two query words may match the same word of a party ("jean jeanne" finds "Jeanne Roy").

How it stays fast (200,000 persons: ``bench/crm_search.py``): three statements for most names. One
reads the typo candidates of the query words from ``crm_word_keys`` through their keys (at most
``TYPO_WORDS`` kept per word). One counts, up to ``COUNTED``, the postings of each word a query word
may match (itself, its prefix range, its typo candidates). The last finds the parties: the query word
with the fewest postings leads, each of its postings is probed for the other query words in the
indexes (the primary key for listed words, ``ix_crm_words_party_word`` for a prefix), and only the
parties that have them all are read, ranked by tier then recency. A query of one word whose exact
matches are enough is answered from those; one with ``MANY`` postings or more (a 2-letter prefix, the
commonest first names) runs tier by tier, walking the parties from the most recently dealt with
(``ix_crm_parties_tenant_dealt``), among the ``RECENT`` latest, until ``limit`` match; if fewer do, its
postings are looked up. The work of a query is thus bounded by the postings of its rarest word (up to
a few thousand probes of an index), or by ``RECENT`` steps of the walk.

Limits: at most ``MAX_WORDS`` query words are used (the first ones); only the last one is a prefix
("lef anne" finds nothing); a typo is one edit of one word, so a name typed in two pieces ("le fevre")
or glued ("annelefevre") is not found; a word cut at 40 letters (``text.MAX_WORD``) is matched on
those 40; a query of several very common words ("marie martin") costs the postings of the rarer one.

Consistency: on PostgreSQL, the writers of a word's postings meet on the row of its own key (locked
``FOR UPDATE``, in key order) before deciding whether to add or forget its keys, so that two
transactions indexing and forgetting parties of one name at once leave the keys of the words in use, and
of those only. SQLite runs one writer at a time."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from rapidfuzz.distance import OSA
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.crm import identifiers
from queue_server.crm.domain.text import TYPO_MIN_LENGTH, digits, typo_keys, words
from queue_server.crm.tables import ContactPoint, Party, Word, WordKey

MAX_WORDS = 8  # query words used, the first ones
PREFIX_MIN = 2  # letters from which a lone query word is also a prefix (1 with other words)
TYPO_WORDS = 32  # words within one typo kept per query word, in alphabetical order
MANY = 2000  # postings from which a lone query word's parties are found by walking the recent parties
COUNTED = 10_000  # postings counted at most per piece, to choose the query word that leads
RECENT = 5000  # parties the walk looks at (the most recently dealt with) before the lookup takes over
CHUNK = 500  # values per IN list when indexing

_WORDS: sa.Table = Word.__table__  # type: ignore[attr-defined]
_KEYS: sa.Table = WordKey.__table__  # type: ignore[attr-defined]
_PARTIES: sa.Table = Party.__table__  # type: ignore[attr-defined]
_CONTACTS: sa.Table = ContactPoint.__table__  # type: ignore[attr-defined]
_LEAD = _WORDS.alias("lead")  # the postings that lead a lookup; the probes of the others name the table itself

_PHONE = re.compile(r"\+?[0-9 .()/-]+")
_SEPARATORS = re.compile(r"[ .]")
_DIGITS = re.compile(r"[0-9]+")

T = TypeVar("T")


# Indexing -------------------------------------------------------------------------------------------------

async def index(session: AsyncSession, tenant: str, party_id: int, names: str) -> None:
    """File party ``party_id`` of ``tenant`` under the words of ``names`` (``text.words``: its first and
    last names, or an association's or company's name), in place of those it had. Does not commit."""
    await index_many(session, tenant, {party_id: names})


async def forget(session: AsyncSession, tenant: str, party_ids: Collection[int]) -> None:
    """Remove the words of these parties of ``tenant``, and the typo keys of those no other party of the
    tenant uses (an erased person's surname does not stay in the vocabulary). Does not commit."""
    await index_many(session, tenant, dict.fromkeys(party_ids, ""))


async def index_many(session: AsyncSession, tenant: str, names: Mapping[int, str]) -> None:
    """``index`` for many parties of ``tenant`` at once (an import, a migration): a few statements per
    ``CHUNK`` parties and per ``CHUNK`` words, whatever their number. Does not commit.

    The typo keys of a word are added when its first party is filed and removed with its last one;
    a word whose keys went missing (a database edited by hand) gets them back when a party is filed
    under it again."""
    if not names:
        return
    wanted = {party: set(words(text)) for party, text in names.items()}
    had: dict[int, set[str]] = defaultdict(set)
    for parties in _chunks(list(wanted), CHUNK):
        rows = await session.execute(sa.select(_WORDS.c.party_id, _WORDS.c.word).where(
            _WORDS.c.tenant_id == tenant, _WORDS.c.party_id.in_(parties)))
        for party, word in rows:
            had[party].add(word)
    added = [(party, word) for party, now in wanted.items() for word in sorted(now - had[party])]
    removed = [(party, word) for party, now in wanted.items() for word in sorted(had[party] - now)]
    if removed:
        await session.execute(
            _WORDS.delete().where(_WORDS.c.tenant_id == tenant, _WORDS.c.party_id == sa.bindparam("p"),
                                  _WORDS.c.word == sa.bindparam("w")),
            [{"p": party, "w": word} for party, word in removed])
    if added:
        await session.execute(_WORDS.insert(), [{"tenant_id": tenant, "word": word, "party_id": party}
                                                for party, word in added])
    touched = {word for _, word in added} | {word for _, word in removed}
    if not touched:
        return
    # Every writer of these words' postings waits here for the others (PostgreSQL), so that the
    # decisions below see their postings committed; in key order, so that two of them never deadlock.
    known: set[str] = set()
    for chunk in _chunks(sorted(touched), CHUNK):
        rows = await session.execute(
            sa.select(_KEYS.c.word).where(_KEYS.c.tenant_id == tenant, _KEYS.c.key.in_(chunk),
                                          _KEYS.c.key == _KEYS.c.word)
            .order_by(_KEYS.c.key).with_for_update())
        known.update(rows.scalars())
    in_use = {word for _, word in added}
    gone = sorted((touched - in_use) - await _used(session, tenant, touched - in_use))
    new = sorted(in_use - known)
    if new:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        await session.execute(insert(_KEYS).on_conflict_do_nothing(),
                              [{"tenant_id": tenant, "key": key, "word": word}
                               for word in new for key in sorted(typo_keys(word))])
    if gone:
        await session.execute(
            _KEYS.delete().where(_KEYS.c.tenant_id == tenant, _KEYS.c.key == sa.bindparam("k"),
                                 _KEYS.c.word == sa.bindparam("w")),
            [{"k": key, "w": word} for word in gone for key in sorted(typo_keys(word))])


async def _used(session: AsyncSession, tenant: str, candidates: Iterable[str]) -> set[str]:
    """Those of ``candidates`` that some party of ``tenant`` is filed under (one index probe each)."""
    used: set[str] = set()
    for chunk in _chunks(sorted(candidates), CHUNK // 2):
        probes = [sa.exists().where(_WORDS.c.tenant_id == tenant, _WORDS.c.word == word).label(f"w{i}")
                  for i, word in enumerate(chunk)]
        row = (await session.execute(sa.select(*probes))).one()
        used.update(word for word, present in zip(chunk, row, strict=True) if present)
    return used


def _chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# Finding --------------------------------------------------------------------------------------------------

async def find(session: AsyncSession, tenant: str, query: str, region: str, limit: int = 20) -> list[int]:
    """The ids of ``tenant``'s parties that ``query`` finds, best first, ``limit`` at most (see the
    module's docstring for what a query may be). ``region`` reads phone numbers typed without their
    country code ("FR"; "RE", "GP"... overseas)."""
    text = query.strip()
    if limit <= 0 or not text:
        return []
    if "@" in text:
        return await _by_contact(session, tenant, "email", identifiers.email_key(text), limit)
    compact = _SEPARATORS.sub("", text)
    if _DIGITS.fullmatch(compact) and len(compact) == 14:
        return await _by_siret(session, tenant, compact, limit)
    if _DIGITS.fullmatch(compact) and len(compact) == 9:
        return await _by_identifier(session, tenant, _PARTIES.c.siren, compact, limit)
    if identifiers.RNA.fullmatch(compact.upper()):
        return await _by_identifier(session, tenant, _PARTIES.c.rna, compact.upper(), limit)
    if _PHONE.fullmatch(text) and len(digits(text)) >= 4:
        number = identifiers.phone_or_none(text, region)
        if number is not None:
            return await _by_contact(session, tenant, "phone", number, limit)
    return await _by_names(session, tenant, words(text)[:MAX_WORDS], limit)


def _recent_first(statement: sa.Select[Any]) -> sa.Select[Any]:
    return statement.order_by(_PARTIES.c.dealt_with_at.desc(), _PARTIES.c.id.desc())


async def _ids(session: AsyncSession, statement: sa.Select[Any]) -> list[int]:
    return list((await session.execute(statement)).scalars())


async def _by_contact(session: AsyncSession, tenant: str, kind: str, key: str, limit: int) -> list[int]:
    # The contact points' tenant is their parties'. Naming it for the parties too would lead SQLite to walk
    # all the tenant's parties in order of recency (ix_crm_parties_tenant_dealt) rather than look up a few.
    owners = sa.select(_CONTACTS.c.party_id).where(_CONTACTS.c.tenant_id == tenant, _CONTACTS.c.kind == kind,
                                                   _CONTACTS.c.key == key)
    return await _ids(session, _recent_first(sa.select(_PARTIES.c.id).where(_PARTIES.c.id.in_(owners))).limit(limit))


async def _by_identifier(session: AsyncSession, tenant: str, column: sa.Column[Any], value: str,
                         limit: int) -> list[int]:
    return await _ids(session, _recent_first(sa.select(_PARTIES.c.id).where(
        _PARTIES.c.tenant_id == tenant, column == value)).limit(limit))


async def _by_siret(session: AsyncSession, tenant: str, siret: str, limit: int) -> list[int]:
    """The establishment of ``siret`` first, then the parties of its SIREN (the company)."""
    matches = sa.union_all(
        sa.select(_PARTIES.c.id).where(_PARTIES.c.tenant_id == tenant, _PARTIES.c.siret == siret),
        sa.select(_PARTIES.c.id).where(_PARTIES.c.tenant_id == tenant, _PARTIES.c.siren == siret[:9]))
    exact = sa.case((_PARTIES.c.siret == siret, 0), else_=1)
    return await _ids(session, sa.select(_PARTIES.c.id).where(_PARTIES.c.id.in_(matches)).order_by(
        exact, _PARTIES.c.dealt_with_at.desc(), _PARTIES.c.id.desc()).limit(limit))


@dataclass(frozen=True, slots=True)
class _Piece:
    """Postings of some words: those listed, or those from ``low`` (included) to ``high`` (excluded)."""

    listed: tuple[str, ...] = ()
    low: str = ""
    high: str = ""

    def where(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
        if self.high:
            return sa.and_(column >= self.low, column < self.high)
        return column.in_(self.listed) if len(self.listed) > 1 else column == self.listed[0]


_Term = tuple[_Piece, ...]  # what one query word matches in one tier: the union of these postings


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with ``prefix`` (byte order of UTF-8 is the
    order of code points, which both engines compare words by)."""
    head, last = prefix[:-1], ord(prefix[-1])
    if last == 0x10FFFF:
        return _after_prefix(head) if head else "\U0010ffff"
    following = last + 1 if last + 1 not in range(0xD800, 0xE000) else 0xE000
    return head + chr(following)


async def _by_names(session: AsyncSession, tenant: str, typed: list[str], limit: int) -> list[int]:
    if not typed:
        return []
    last = typed[-1]
    prefixed = len(last) >= (PREFIX_MIN if len(typed) == 1 else 1)
    near = await _typos(session, tenant, typed, prefixed)
    exact: list[_Term] = [(_Piece((word,)),) for word in typed]
    begun = exact[:-1] + [(_Piece(low=last, high=_after_prefix(last)),)] if prefixed else exact
    loose = [term + ((_Piece(tuple(close)),) if close else ()) for term, close in zip(begun, near, strict=True)]
    tiers = [exact] + [tier for tier, before in ((begun, exact), (loose, begun)) if tier != before]
    counts = await _count(session, tenant, {piece for term in loose for piece in term} | {exact[-1][0]})
    sizes = [[sum(counts[piece] for piece in term) for term in tier] for tier in tiers]
    if min(sizes[-1]) == 0:
        return []  # a word of the query matches no word at all
    if len(typed) > 1:
        return await _join(session, tenant, tiers, sizes[-1], [], limit)
    # One word: its exact postings may be enough; if not and all its postings are few, one lookup ranks them
    # all; if they are many, each tier runs on its own, the most common ones walking the recent parties.
    if sizes[0][0] >= limit:
        return await _tier(session, tenant, exact[0], sizes[0][0], [], limit)
    if sizes[-1][0] < MANY:
        return await _join(session, tenant, tiers, sizes[-1], [], limit)
    found: list[int] = []
    for tier, size in zip(tiers, sizes, strict=True):
        if size[0]:
            found += await _tier(session, tenant, tier[0], size[0], found, limit - len(found))
        if len(found) >= limit:
            break
    return found


async def _count(session: AsyncSession, tenant: str, pieces: Collection[_Piece]) -> dict[_Piece, int]:
    """Each piece's number of postings, counted up to ``COUNTED`` (one statement)."""
    ordered = sorted(pieces, key=lambda p: (p.listed, p.low))
    capped = [sa.select(sa.func.count()).select_from(
        sa.select(sa.literal(1).label("one")).where(_WORDS.c.tenant_id == tenant, piece.where(_WORDS.c.word))
        .limit(COUNTED).subquery()).scalar_subquery().label(f"n{i}") for i, piece in enumerate(ordered)]
    row = (await session.execute(sa.select(*capped))).one()
    return dict(zip(ordered, (int(n) for n in row), strict=True))


async def _typos(session: AsyncSession, tenant: str, typed: list[str], prefixed: bool) -> list[list[str]]:
    """For each query word, the tenant's words one typo away (both of 4 letters or more), without the
    word itself nor, for a last word taken as a prefix, the words it starts."""
    keys = {word: typo_keys(word) for word in typed if len(word) >= TYPO_MIN_LENGTH}
    if not keys:
        return [[] for _ in typed]
    rows = await session.execute(sa.select(_KEYS.c.key, _KEYS.c.word).where(
        _KEYS.c.tenant_id == tenant, _KEYS.c.key.in_(sorted({key for each in keys.values() for key in each}))))
    by_key: dict[str, set[str]] = defaultdict(set)
    for key, word in rows:
        by_key[key].add(word)
    near: list[list[str]] = []
    for i, word in enumerate(typed):
        starts = prefixed and i == len(typed) - 1
        candidates = {other for key in keys.get(word, ()) for other in by_key[key]
                      if len(other) >= TYPO_MIN_LENGTH and other != word and not (starts and other.startswith(word))}
        near.append(sorted(c for c in candidates if OSA.distance(word, c) <= 1)[:TYPO_WORDS])
    return near


def _has(tenant: str, term: _Term, party: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """The party has a word of ``term``: for listed words, a probe of the primary key (tenant, word,
    party) per word, whose successive probes of one word fall on neighbouring pages; for a prefix, a
    probe of ``ix_crm_words_party_word`` (the party's few words). From the indexes alone."""
    probes = []
    for piece in term:
        tenant_of = [] if piece.high else [_WORDS.c.tenant_id == tenant]
        probes.append(sa.select(sa.literal_column("1")).where(
            *tenant_of, piece.where(_WORDS.c.word), _WORDS.c.party_id == party).exists())
    return probes[0] if len(probes) == 1 else sa.or_(*probes)


async def _join(session: AsyncSession, tenant: str, tiers: list[list[_Term]], sizes: list[int],
                found: list[int], wanted: int) -> list[int]:
    """Up to ``wanted`` parties not in ``found`` with a word of each term of the last (widest) tier, those
    of an earlier tier first, then the most recent. The postings of the term with the fewest lead, each
    checked for the other terms in ``ix_crm_words_party_word``; only the parties found are read."""
    widest = tiers[-1]
    order = sorted(range(len(widest)), key=lambda i: sizes[i])
    others = [widest[i] for i in order[1:]]
    parts = [sa.select(_LEAD.c.party_id).where(_LEAD.c.tenant_id == tenant, piece.where(_LEAD.c.word),
                                               *(_has(tenant, term, _LEAD.c.party_id) for term in others))
             for piece in widest[order[0]]]
    matching = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    level: sa.ColumnElement[int] = sa.literal(0)
    if len(tiers) > 1:
        level = sa.case(*((sa.and_(*(_has(tenant, term, _PARTIES.c.id) for term in tier)), n)
                          for n, tier in enumerate(tiers[:-1])), else_=len(tiers) - 1)
    statement = sa.select(_PARTIES.c.id).where(_PARTIES.c.id.in_(matching), *_not_in(found))
    return await _ids(session, statement.order_by(level, _PARTIES.c.dealt_with_at.desc(), _PARTIES.c.id.desc())
                      .limit(wanted))


async def _tier(session: AsyncSession, tenant: str, term: _Term, size: int, found: list[int],
                wanted: int) -> list[int]:
    """Up to ``wanted`` parties not in ``found`` with a word of ``term``, the most recent first. A term of
    ``MANY`` postings or more walks the ``RECENT`` latest parties; if fewer than ``wanted`` are among
    them, or the term has fewer postings, its postings are looked up."""
    if size >= MANY:
        floor = (sa.select(_PARTIES.c.dealt_with_at).where(_PARTIES.c.tenant_id == tenant)
                 .order_by(_PARTIES.c.dealt_with_at.desc()).offset(RECENT - 1).limit(1).scalar_subquery())
        walked = await _ids(session, _recent_first(sa.select(_PARTIES.c.id).where(
            _PARTIES.c.tenant_id == tenant, _PARTIES.c.dealt_with_at >= floor, _has(tenant, term, _PARTIES.c.id),
            *_not_in(found))).limit(wanted))
        if len(walked) == wanted:
            return walked
    return await _join(session, tenant, [[term]], [size], found, wanted)


def _not_in(found: list[int]) -> list[sa.ColumnElement[bool]]:
    return [_PARTIES.c.id.not_in(found)] if found else []

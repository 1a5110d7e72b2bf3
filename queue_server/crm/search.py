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
reads, from ``crm_word_keys``, the words one typo away from each query word (through their keys) and
the words the last one starts (its own key is a word's; up to ``PREFIX_WORDS`` are listed, beyond
that a range of words stands for them). One counts, up to a bound, the postings of each query
word's words. The last finds the parties: the query word with the fewest postings leads, each of its
parties is checked for the other query words in the indexes, and only the parties that have them
all are read (one primary-key lookup each), ranked by tier then recency. A query of one word whose
exact matches are enough is answered from those; one with ``MANY`` postings or more (a 2-letter
prefix, the commonest first names) runs tier by tier, walking the parties from the most recently dealt
with (``ix_crm_parties_tenant_dealt``), among the ``RECENT`` latest, until ``limit`` match; if fewer
do, its postings are looked up. The work of a query is thus bounded by the postings of its rarest
word (a few thousand index entries for the commonest names), or by ``RECENT`` steps of the walk.

The statements differ between the engines where their planners do. How a party is checked for a query
word (``_Names.has``): PostgreSQL gets a semi-join (``IN``) that its planner orders and executes from
its statistics; SQLite, which keeps none unless ANALYZEd and would then read a prefix's whole range for
each party, a probe per party of the index that answers it in one step. And how far postings are
counted: on SQLite up to ``COUNTED``, to choose the query word that leads; on PostgreSQL, which chooses
itself, up to ``MANY`` only.

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
PREFIX_WORDS = 64  # words a prefix is listed as, at most; beyond, a range of words
TYPO_WORDS = 32  # words within one typo kept per query word, in alphabetical order
MANY = 2000  # postings from which a lone query word's parties are found by walking the recent parties
COUNTED = 10_000  # postings counted at most per piece on SQLite, to choose the query word that leads
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
        # By party only: with the tenant too, PostgreSQL's statistics of a table filling up can make it
        # prefer the primary key (tenant first) and read the tenant's every posting.
        rows = await session.execute(sa.select(_WORDS.c.tenant_id, _WORDS.c.party_id, _WORDS.c.word).where(
            _WORDS.c.party_id.in_(parties)))
        for of, party, word in rows:
            if of == tenant:
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
    postgres = session.get_bind().dialect.name == "postgresql"
    return await _Names(session, tenant, postgres).find(words(text)[:MAX_WORDS], limit)


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
    # Through a subquery, as for contact points: asked for the identifier and the order of recency at once,
    # SQLite would walk the tenant's parties in ix_crm_parties_tenant_dealt.
    holders = sa.select(_PARTIES.c.id).where(_PARTIES.c.tenant_id == tenant, column == value)
    return await _ids(session, _recent_first(sa.select(_PARTIES.c.id).where(_PARTIES.c.id.in_(holders))).limit(limit))


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


@dataclass(frozen=True, slots=True)
class _Term:
    """What one query word matches in one tier: the words ``listed`` and, with a ``prefix``, every word
    that starts with it: listed too when they are few (``prefix_listed``: the statistics and probes of
    a few words are sharper than a range's), a range of words otherwise."""

    listed: tuple[str, ...] = ()
    prefix: str = ""
    prefix_listed: bool = False

    def pieces(self) -> tuple[_Piece, ...]:
        """The postings of the term, in pieces each one index range or list of ranges."""
        listed = (_Piece(self.listed),) if self.listed else ()
        if self.prefix and not self.prefix_listed:
            return (*listed, _Piece(low=self.prefix, high=_after_prefix(self.prefix)))
        return listed

    def widened(self, words: Iterable[str]) -> _Term:
        return _Term(tuple(sorted({*self.listed, *words})), self.prefix, self.prefix_listed)


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with ``prefix`` (byte order of UTF-8 is the
    order of code points, which both engines compare words by)."""
    head, last = prefix[:-1], ord(prefix[-1])
    if last == 0x10FFFF:
        return _after_prefix(head) if head else "\U0010ffff"
    following = last + 1 if last + 1 not in range(0xD800, 0xE000) else 0xE000
    return head + chr(following)


@dataclass(frozen=True, slots=True)
class _Names:
    """A search by name in one tenant, in the session's transaction. ``postgres``: the two engines are
    given the form of a probe each executes well (see ``has``)."""

    session: AsyncSession
    tenant: str
    postgres: bool

    async def find(self, typed: list[str], limit: int) -> list[int]:
        if not typed:
            return []
        last = typed[-1]
        prefixed = len(last) >= (PREFIX_MIN if len(typed) == 1 else 1)
        near, begins = await self.vocabulary(typed, prefixed)
        exact = [_Term((word,)) for word in typed]
        tiers = [exact]
        if prefixed and begins != [last] and begins != []:
            tiers.append(exact[:-1] + [_Term(tuple(begins or ()), last, prefix_listed=begins is not None)])
        loose = [term.widened(close) for term, close in zip(tiers[-1], near, strict=True)]
        if loose != tiers[-1]:
            tiers.append(loose)
        counts = await self.count({piece for tier in tiers for term in tier for piece in term.pieces()})
        sizes = [[sum(counts[piece] for piece in term.pieces()) for term in tier] for tier in tiers]
        if min(sizes[-1]) == 0:
            return []  # a word of the query matches no word at all
        ranked = [tier for tier, size in zip(tiers[:-1], sizes, strict=False) if min(size)] + tiers[-1:]
        if len(typed) > 1:
            return await self.join(ranked, sizes[-1], [], limit)
        # One word: its exact postings may be enough; if not and all its postings are few, one lookup ranks
        # them all; if they are many, each tier runs on its own, the commonest walking the recent parties.
        if sizes[0][0] >= limit:
            return await self.tier(exact[0], sizes[0][0], [], limit)
        if sizes[-1][0] < MANY:
            return await self.join(ranked, sizes[-1], [], limit)
        found: list[int] = []
        for tier, size in zip(tiers, sizes, strict=True):
            if size[0]:
                found += await self.tier(tier[0], size[0], found, limit - len(found))
            if len(found) >= limit:
                break
        return found

    async def vocabulary(self, typed: list[str], prefixed: bool) -> tuple[list[list[str]], list[str] | None]:
        """From ``crm_word_keys``, in one statement: for each query word, the tenant's words one typo away
        (both of 4 letters or more; without the word itself, nor the words a last word taken as a prefix
        starts), at most ``TYPO_WORDS``; and the words that start with the last query word, if it is a
        prefix and they are ``PREFIX_WORDS`` at most (None if more)."""
        keys = {word: typo_keys(word) for word in typed if len(word) >= TYPO_MIN_LENGTH}
        last = typed[-1]
        parts: list[sa.Select[Any]] = []
        if keys:
            parts.append(sa.select(sa.literal("typo").label("source"), _KEYS.c.key, _KEYS.c.word).where(
                _KEYS.c.tenant_id == self.tenant, _KEYS.c.key.in_(sorted({k for each in keys.values() for k in each}))))
        if prefixed:
            begun = (sa.select(_KEYS.c.key, _KEYS.c.word).where(
                _KEYS.c.tenant_id == self.tenant, _KEYS.c.key >= last, _KEYS.c.key < _after_prefix(last),
                _KEYS.c.key == _KEYS.c.word).order_by(_KEYS.c.key).limit(PREFIX_WORDS + 1).subquery())
            parts.append(sa.select(sa.literal("prefix").label("source"), begun.c.key, begun.c.word))
        by_key: dict[str, set[str]] = defaultdict(set)
        begins: list[str] = []
        if parts:
            for source, key, word in await self.session.execute(parts[0] if len(parts) == 1 else sa.union_all(*parts)):
                if source == "typo":
                    by_key[key].add(word)
                else:
                    begins.append(word)
        near: list[list[str]] = []
        for i, word in enumerate(typed):
            starts = prefixed and i == len(typed) - 1
            candidates = {other for key in keys.get(word, ()) for other in by_key[key] if len(other) >= TYPO_MIN_LENGTH
                          and other != word and not (starts and other.startswith(word))}
            near.append(sorted(c for c in candidates if OSA.distance(word, c) <= 1)[:TYPO_WORDS])
        return near, (begins if len(begins) <= PREFIX_WORDS else None)

    async def count(self, pieces: Collection[_Piece]) -> dict[_Piece, int]:
        """Each piece's number of postings (one statement), counted up to ``COUNTED`` on SQLite, which must
        be told which query word to lead with; up to ``MANY`` on PostgreSQL, whose planner orders the
        semi-joins itself from its statistics: enough to choose between walking and looking up."""
        counted = MANY if self.postgres else COUNTED
        ordered = sorted(pieces, key=lambda p: (p.listed, p.low))
        capped = [sa.select(sa.func.count()).select_from(
            sa.select(sa.literal(1).label("one")).where(_WORDS.c.tenant_id == self.tenant, piece.where(_WORDS.c.word))
            .limit(counted).subquery()).scalar_subquery().label(f"n{i}") for i, piece in enumerate(ordered)]
        row = (await self.session.execute(sa.select(*capped))).one()
        return dict(zip(ordered, (int(n) for n in row), strict=True))

    def has(self, term: _Term, party: sa.ColumnElement[int], probe: bool = False) -> sa.ColumnElement[bool]:
        """The party has a word of ``term``, from the indexes alone.

        PostgreSQL: the party is among the term's postings (``IN``), which its planner joins as it sees
        fit (a merge of postings sorted by party, a hash, or probes). SQLite, and both engines when
        ``probe`` (a few parties to rank), probe each party: a few words in the primary key (tenant,
        word, party), whose successive probes for one word fall on neighbouring pages; a prefix in
        ``ix_crm_words_party_word`` (one probe among the party's few words), never naming the tenant,
        lest SQLite read the prefix's range in the primary key at each probe."""
        if self.postgres and not probe:
            postings = [sa.select(_WORDS.c.party_id).where(_WORDS.c.tenant_id == self.tenant,
                                                           piece.where(_WORDS.c.word)) for piece in term.pieces()]
            return party.in_(postings[0] if len(postings) == 1 else sa.union_all(*postings))
        one: sa.Select[tuple[int]] = sa.select(sa.literal_column("1"))
        if not term.prefix:
            return one.where(_WORDS.c.tenant_id == self.tenant, _Piece(term.listed).where(_WORDS.c.word),
                             _WORDS.c.party_id == party).exists()
        others = tuple(word for word in term.listed if not word.startswith(term.prefix))
        words_ = [_Piece(low=term.prefix, high=_after_prefix(term.prefix)), *([_Piece(others)] if others else [])]
        return one.where(_WORDS.c.party_id == party, sa.or_(*(piece.where(_WORDS.c.word) for piece in words_))).exists()

    async def join(self, tiers: list[list[_Term]], sizes: list[int], found: list[int], wanted: int) -> list[int]:
        """Up to ``wanted`` parties not in ``found`` with a word of each term of the last (widest) tier,
        those of an earlier tier first, then the most recent. The postings of the term with the fewest
        lead; only the parties that have the other terms too are read (one primary-key lookup each,
        which no planner turns into a scan of all the parties)."""
        widest = tiers[-1]
        order = sorted(range(len(widest)), key=lambda i: sizes[i])
        # A few leading parties are probed for a common word rather than joined with all its postings.
        checks = [self.has(widest[i], _LEAD.c.party_id, probe=sizes[order[0]] < MANY <= sizes[i]) for i in order[1:]]
        parts = [sa.select(_LEAD.c.party_id).where(_LEAD.c.tenant_id == self.tenant, piece.where(_LEAD.c.word), *checks)
                 for piece in widest[order[0]].pieces()]
        matching = (parts[0].distinct() if len(parts) == 1 else sa.union(*parts)).subquery("matching")
        party = matching.c.party_id
        ranks: list[sa.ColumnElement[Any]] = []
        if len(tiers) > 1:
            ranks.append(sa.case(*((sa.and_(*(self.has(term, party, probe=True) for term in tier)), n)
                                   for n, tier in enumerate(tiers[:-1])), else_=len(tiers) - 1))
        dealt = sa.select(_PARTIES.c.dealt_with_at).where(_PARTIES.c.id == party).scalar_subquery()
        statement = sa.select(party).where(*([party.not_in(found)] if found else []))
        return await _ids(self.session, statement.order_by(*ranks, dealt.desc(), party.desc()).limit(wanted))

    async def tier(self, term: _Term, size: int, found: list[int], wanted: int) -> list[int]:
        """Up to ``wanted`` parties not in ``found`` with a word of ``term``, the most recent first. A term
        of ``MANY`` postings or more walks the ``RECENT`` latest parties; if fewer than ``wanted`` are
        among them, or the term has fewer postings, its postings are looked up."""
        if size >= MANY:
            floor = (sa.select(_PARTIES.c.dealt_with_at).where(_PARTIES.c.tenant_id == self.tenant)
                     .order_by(_PARTIES.c.dealt_with_at.desc()).offset(RECENT - 1).limit(1).scalar_subquery())
            walked = await _ids(self.session, _recent_first(sa.select(_PARTIES.c.id).where(
                _PARTIES.c.tenant_id == self.tenant, _PARTIES.c.dealt_with_at >= floor, self.has(term, _PARTIES.c.id),
                *([_PARTIES.c.id.not_in(found)] if found else []))).limit(wanted))
            if len(walked) == wanted:
                return walked
        return await self.join([[term]], [size], found, wanted)

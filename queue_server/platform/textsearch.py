"""French full-text search, shared by the modules (requests first, the knowledge base next): a module indexes its
documents in its own transaction, removes them, and searches a tenant's, ranked, each hit with an excerpt whose
matching words are marked.

Same words, same results on SQLite and PostgreSQL: the text is cut into words, each lower-cased, stemmed by the
French Snowball stemmer (``snowballstemmer``: "passeports" and "passeport" are ``passeport``, "déménagé" and
"déménagement" ``demenag``) and folded ("é" is "e", "œ" is "oe") here, in Python, before either database sees it;
the databases only match those words. Small function words ("de", "la", "l'") are left out of both the index and
the query. So what one stack finds the other finds; only the order of hits of equal weight may differ.

- SQLite: ``text_search`` (the documents as written, for excerpts) and ``text_search_fts``, an FTS5 table over
  their words (rowid = ``text_search.id``; its own copy of the words, as SQLite 3.40 cannot delete from a
  contentless table), ranked by bm25 with the title weighing ten times the body.
- PostgreSQL: ``text_search`` with a ``tsvector`` column (``terms``, title words weighted A, body words D) under a
  GIN index, written as a tsvector literal built here (no text-search parser or dictionary of the server's in
  between), ranked by ``ts_rank_cd``.

A query's words must all be found (AND); its last one is also a prefix while the person types ("passep" finds
"passeport"). Numbers and references are words like others ("DEM-2026-000042" is ``dem 2026 000042``; a number
with leading zeros is also indexed without them, so "42" finds it). Not done here: misspellings, synonyms
("perte" and "perdus" stem apart: ``pert``, ``perdus``); a module may give ``parse`` its own words of one meaning
(``equivalents``: the knowledge base's), each query word then found by any of them.

``search_in`` (the knowledge base's) looks in several tenants at once, each in some kinds only (``Scope``), and,
when no document has every word, falls back to those that have the most of them (ranked by how many, then by
score; marked ``partial``). ``search`` (the requests') keeps to every word.

What is indexed is personal data when the documents are (a request's letters): the module removes its documents
when it erases them. The tables are made by the migrations (``0022``) and are not SQLModel tables: Alembic's
comparisons leave them aside (``SEARCH_TABLES``)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import snowballstemmer
from sqlalchemy import BindParameter, Connection, TextClause, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

SEARCH_TABLES = frozenset({"text_search", "text_search_fts"})  # and FTS5's own shadow tables, text_search_fts_*
MAX_TERM = 64  # characters of one indexed word; longer ones are cut (PostgreSQL refuses lexemes over 2 KB)
MAX_POSITIONS = 256  # per word in a tsvector (PostgreSQL's limit); FTS5 keeps them all
MAX_POSITION = 16383  # PostgreSQL's highest position; later words share it
EXCERPT_WORDS = 24
ELLIPSIS = "…"
TITLE_WEIGHT = 10.0  # bm25's weight of a title's words over a body's (PostgreSQL: weight A = 1.0 over D = 0.1)

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i",
                          "þ": "th", "ð": "d", "ŀ": "l"})
# French words too common to tell documents apart (folded); elided ones ("l'", "qu'") are their own words here.
STOP_WORDS = frozenset((
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "elles",
    "en", "et", "eux", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma", "mais",
    "me", "mes", "moi", "mon", "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que",
    "qui", "s", "sa", "se", "ses", "si", "son", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu", "un", "une",
    "vos", "votre", "vous", "y", "est", "sont",
))


def compared_by_alembic(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: the search's tables, which no model describes, are left out of comparisons."""
    return not (type_ == "table" and name is not None and name.startswith("text_search"))


# The pure part: words, query, excerpt ------------------------------------------------------------------------

def fold(word: str) -> str:
    """``word`` lower-cased without its accents and ligatures: "Œuvre" is "oeuvre", "ÉCOLE" "ecole"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LETTERS)


@functools.cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("french")


@functools.lru_cache(maxsize=100_000)
def word_terms(word: str) -> tuple[str, ...]:
    """The indexed words of one written word (one, but for a stop word (none) or a folding that splits it):
    lower-cased, stemmed while it still has its accents (the French rules read them), then folded."""
    lowered = word.lower()
    if fold(lowered) in STOP_WORDS:
        return ()
    stem = _stemmer().stemWord(lowered) if not lowered.isdigit() else lowered
    return tuple(part[:MAX_TERM] for part in _WORD.findall(fold(stem)))


def words(text: str) -> list[re.Match[str]]:
    """The written words of ``text`` (NFC), with where they are."""
    return list(_WORD.finditer(text))


def terms(text: str) -> list[str]:
    """What is indexed of ``text``, in order: each word's terms, and a number's without its leading zeros."""
    out: list[str] = []
    for match in words(unicodedata.normalize("NFC", text)):
        for term in word_terms(match.group()):
            out.append(term)
            if term.isdigit() and term[0] == "0" and len(term) > 1:
                out.append(term.lstrip("0") or "0")
    return out


@dataclass(frozen=True, slots=True)
class Prefix:
    """The word being typed: found as the start of an indexed word, stemmed or as typed (folded), or as one of
    ``also`` (the indexed words of its equivalents, whole)."""

    stem: str
    typed: str
    also: tuple[str, ...] = ()

    def alternatives(self) -> tuple[str, ...]:
        return (self.stem,) if self.stem == self.typed else (self.stem, self.typed)

    def matches(self, term: str) -> bool:
        return any(term.startswith(start) for start in self.alternatives()) or term in self.also


@dataclass(frozen=True, slots=True)
class Query:
    """Every one of ``words`` must be found, one word of each of ``alternatives`` (a word and its equivalents),
    and ``prefix`` too when given."""

    words: tuple[str, ...]
    prefix: Prefix | None = None
    alternatives: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.alternatives or self.prefix)

    def matches(self, term: str) -> bool:
        return (term in self.words or any(term in group for group in self.alternatives)
                or (self.prefix is not None and self.prefix.matches(term)))


Equivalents = Callable[[str], Iterable[str]]  # a written word -> other written words of its meaning


def _no_equivalents(word: str) -> Iterable[str]:
    return ()


def parse(text: str, *, typing: bool = True, equivalents: Equivalents = _no_equivalents) -> Query:
    """The query a person wrote. ``typing``: the last word is still being typed (unless the text ends with a
    space), so it is a prefix, kept even when it is a stop word so far ("de" may become "demande").
    ``equivalents``: words of one meaning, any of which finds a document in place of the word written (a stop word
    too: "né" is "naissance"); the word being typed is also found by its equivalents whole, when it is one."""
    text = unicodedata.normalize("NFC", text)
    found = words(text)
    last = found[-1] if found and typing and found[-1].end() == len(text) else None
    required: list[str] = []
    alternatives: list[tuple[str, ...]] = []
    for match in found:
        if match is last:
            continue
        own = word_terms(match.group())
        group = tuple(dict.fromkeys([*own, *(t for other in equivalents(match.group()) for t in word_terms(other))]))
        if len(group) > len(own):
            alternatives.append(group)
        else:
            required.extend(own)
    prefix = None
    if last is not None:
        typed = _WORD.findall(fold(last.group()))
        lowered = last.group().lower()
        stemmed = _WORD.findall(fold(_stemmer().stemWord(lowered) if not lowered.isdigit() else lowered))
        if typed:  # else a word folding makes no letter of
            also = tuple(dict.fromkeys(t for other in equivalents(last.group()) for t in word_terms(other)))
            prefix = Prefix((stemmed or typed)[-1][:MAX_TERM], typed[-1][:MAX_TERM], also)
    return Query(tuple(dict.fromkeys(required)), prefix, tuple(dict.fromkeys(alternatives)))


def fts5_clauses(query: Query) -> list[str]:
    """Each word of ``query`` in FTS5's syntax, as found: a quoted word, a word or its equivalents as
    ``("a" OR "b")``, the prefix as ``("stem"* OR "typed"*)``."""
    parts = [f'"{word}"' for word in query.words]
    parts += ["(" + " OR ".join(f'"{word}"' for word in group) + ")" for group in query.alternatives]
    if query.prefix is not None:
        parts.append("(" + " OR ".join([*(f'"{start}"*' for start in query.prefix.alternatives()),
                                        *(f'"{word}"' for word in query.prefix.also)]) + ")")
    return parts


def fts5_query(query: Query) -> str:
    """``query`` in FTS5's syntax: its words (``fts5_clauses``) joined by AND."""
    return " AND ".join(fts5_clauses(query))


def tsquery_clauses(query: Query) -> list[str]:
    """Each word of ``query`` as a PostgreSQL ``tsquery`` literal: ``'word'``, ``('a' | 'b')``,
    ``('stem':* | 'typed':*)``."""
    parts = [f"'{word}'" for word in query.words]
    parts += ["(" + " | ".join(f"'{word}'" for word in group) + ")" for group in query.alternatives]
    if query.prefix is not None:
        parts.append("(" + " | ".join([*(f"'{start}':*" for start in query.prefix.alternatives()),
                                       *(f"'{word}'" for word in query.prefix.also)]) + ")")
    return parts


def tsquery(query: Query) -> str:
    """``query`` as a PostgreSQL ``tsquery`` literal: its words (``tsquery_clauses``) joined by ``&``."""
    return " & ".join(tsquery_clauses(query))


def tsvector(title: str, body: str) -> str:
    """A document's words as a PostgreSQL ``tsvector`` literal: positions in order, the title's weighted A, the
    body's D (no letter); at most ``MAX_POSITIONS`` per word, the last position repeated past ``MAX_POSITION``."""
    positions: dict[str, list[str]] = {}
    n = 0
    for weight, part in (("A", title), ("", body)):
        for term in terms(part):
            n += 1
            held = positions.setdefault(term, [])
            if len(held) < MAX_POSITIONS:
                held.append(f"{min(n, MAX_POSITION)}{weight}")
    return " ".join(f"'{term}':{','.join(held)}" for term, held in positions.items())


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of an excerpt: ``hit`` when it is a word the query found (shown marked)."""

    text: str
    hit: bool = False


def excerpt(text: str, query: Query, size: int = EXCERPT_WORDS) -> tuple[Span, ...]:
    """About ``size`` words of ``text`` around the first word the query finds (else its first words), white space
    collapsed, the found words as hits, "…" where the text goes on. Plain text: the page escapes it."""
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    found = words(text)
    if not found:
        return (Span(text),) if text else ()

    exact = frozenset((*query.words, *(word for group in query.alternatives for word in group),
                       *(query.prefix.also if query.prefix else ())))
    starts = query.prefix.alternatives() if query.prefix else ()

    def hit(match: re.Match[str]) -> bool:  # query.matches, for each word of a long text: sets and tuples only
        return any(term in exact or term.startswith(starts) for term in word_terms(match.group()))

    # Only as far as the first word found (a long letter is not read to its end), then the window's words.
    first = next((n for n, match in enumerate(found) if hit(match)), 0)
    start = max(0, first - size // 4)
    end = min(len(found), start + size)
    start = max(0, end - size)
    hits = [hit(match) for match in found[start:end]]
    spans: list[Span] = [Span(ELLIPSIS + " ")] if start > 0 else []
    at = found[start].start() if start > 0 else 0
    for match, marked in zip(found[start:end], hits, strict=True):
        if marked:
            if match.start() > at:
                spans.append(Span(text[at:match.start()]))
            spans.append(Span(match.group(), True))
            at = match.end()
    tail = text[at:found[end - 1].end()] if end < len(found) else text[at:]
    if tail:
        spans.append(Span(tail))
    if end < len(found):
        spans.append(Span(" " + ELLIPSIS))
    return tuple(_merged(spans))


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if out and not span.hit and not out[-1].hit:
            out[-1] = Span(out[-1].text + span.text)
        else:
            out.append(span)
    return out


# Documents in SQL ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Document:
    """What a module indexes: its ``kind`` ("request"), the tenant's id, its own id, a title and a body (plain
    text, as written: excerpts are cut from the body)."""

    kind: str
    tenant: str
    doc_id: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    doc_id: str
    title: str
    score: float  # higher is better; comparable within one search only
    excerpt: tuple[Span, ...]
    tenant: str = ""  # whose document it is (``search_in``)
    partial: bool = False  # found with some of the query's words only (``search_in``'s fallback)


@dataclass(frozen=True, slots=True)
class Scope:
    """Where ``search_in`` looks: the documents of ``tenant`` of these ``kinds``."""

    tenant: str
    kinds: tuple[str, ...]


_DELETE_SQLITE = (
    text("DELETE FROM text_search_fts WHERE rowid IN (SELECT id FROM text_search "
         "WHERE tenant_id = :tenant AND kind = :kind AND doc_id = :doc_id)"),
    text("DELETE FROM text_search WHERE tenant_id = :tenant AND kind = :kind AND doc_id = :doc_id"),
)
_INSERT_SQLITE = text("INSERT INTO text_search (tenant_id, kind, doc_id, title, body) "
                      "VALUES (:tenant, :kind, :doc_id, :title, :body) RETURNING id")
_INSERT_FTS = text("INSERT INTO text_search_fts (rowid, title, body) VALUES (:id, :title, :body)")
_UPSERT_POSTGRESQL = text(
    "INSERT INTO text_search (tenant_id, kind, doc_id, title, body, terms) "
    "VALUES (:tenant, :kind, :doc_id, :title, :body, CAST(CAST(:terms AS TEXT) AS tsvector)) "
    "ON CONFLICT (tenant_id, kind, doc_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, "
    "terms = EXCLUDED.terms")
_DELETE_POSTGRESQL = text("DELETE FROM text_search WHERE tenant_id = :tenant AND kind = :kind AND doc_id = :doc_id")


def index_sync(connection: Connection, document: Document) -> None:
    """``index`` on a synchronous connection (the migrations)."""
    key = {"tenant": document.tenant, "kind": document.kind, "doc_id": document.doc_id}
    if connection.dialect.name == "postgresql":
        connection.execute(_UPSERT_POSTGRESQL, {**key, "title": document.title, "body": document.body,
                                                "terms": tsvector(document.title, document.body)})
        return
    for statement in _DELETE_SQLITE:
        connection.execute(statement, key)
    row_id = connection.execute(_INSERT_SQLITE, {**key, "title": document.title, "body": document.body}).scalar_one()
    connection.execute(_INSERT_FTS, {"id": row_id, "title": " ".join(terms(document.title)),
                                     "body": " ".join(terms(document.body))})


async def index(session: AsyncSession, document: Document) -> None:
    """Index ``document`` (replacing what was indexed under its kind and id) in ``session``'s transaction: it is
    found once the caller commits, and never if the caller rolls back."""
    connection = await session.connection()
    await connection.run_sync(index_sync, document)


async def remove(session: AsyncSession, tenant: str, kind: str, doc_id: str) -> None:
    """Forget a document, in ``session``'s transaction (nothing when it was not indexed)."""
    key = {"tenant": tenant, "kind": kind, "doc_id": doc_id}
    statements = (_DELETE_POSTGRESQL,) if session.get_bind().dialect.name == "postgresql" else _DELETE_SQLITE
    for statement in statements:
        await session.execute(statement, key)


def _filters(kind: str | None, ids: Sequence[str] | None, column: str) -> tuple[str, dict[str, object]]:
    sql, params = "", {}  # type: str, dict[str, object]
    if kind is not None:
        sql += f" AND {column}kind = :kind"
        params["kind"] = kind
    if ids is not None:
        sql += f" AND {column}doc_id IN :ids"
        params["ids"] = list(ids)
    return sql, params


async def search(session: AsyncSession, tenant: str, text_: str, *, limit: int = 50, kind: str | None = None,
                 ids: Sequence[str] | None = None, typing: bool = True) -> list[Hit]:
    """The tenant's documents (of ``kind``, among ``ids`` when given) whose words include every word of
    ``text_`` (the last as a prefix while ``typing``), best first, ``limit`` at most; none for a query with no
    word. Excerpts are cut from the bodies."""
    query = parse(text_, typing=typing)
    if not query or ids is not None and not ids:
        return []
    where, params = _filters(kind, ids, "d.")
    params.update(tenant=tenant, limit=limit)
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            "SELECT d.kind, d.doc_id, d.title, d.body, ts_rank_cd(d.terms, q.q) AS score "
            "FROM text_search d, (SELECT CAST(CAST(:q AS TEXT) AS tsquery) AS q) q "
            f"WHERE d.tenant_id = :tenant AND d.terms @@ q.q{where} ORDER BY score DESC, d.id DESC LIMIT :limit")
        params["q"] = tsquery(query)
    else:
        statement = text(
            f"SELECT d.kind, d.doc_id, d.title, d.body, -bm25(text_search_fts, {TITLE_WEIGHT}, 1.0) AS score "
            "FROM text_search_fts JOIN text_search d ON d.id = text_search_fts.rowid "
            f"WHERE text_search_fts MATCH :q AND d.tenant_id = :tenant{where} "
            "ORDER BY score DESC, d.id DESC LIMIT :limit")
        params["q"] = fts5_query(query)
    statement = _expanding(statement, ids)
    rows = (await session.execute(statement, params)).all()
    return [Hit(kind, doc_id, title, float(score), excerpt(body, query)) for kind, doc_id, title, body, score in rows]


def _expanding(statement: TextClause, ids: Sequence[str] | None) -> TextClause:
    return statement.bindparams(bindparam("ids", expanding=True)) if ids is not None else statement


MOST_WORDS_CLAUSES = 12  # a fallback counts the documents' words among the query's first this many


async def search_in(session: AsyncSession, scopes: Sequence[Scope], text_: str, *, limit: int = 50,
                    typing: bool = True, equivalents: Equivalents = _no_equivalents) -> list[Hit]:
    """The documents of ``scopes`` whose words include every word of ``text_`` (each word or one of its
    ``equivalents``; the last as a prefix while ``typing``), best first; when there is none and the query has two
    words or more, those with the most of its words, ranked by how many then by score, each ``partial``. At most
    ``limit``; none for a query with no word or no scope. Excerpts are cut from the bodies, every word found
    marked."""
    query = parse(text_, typing=typing, equivalents=equivalents)
    scopes = [scope for scope in scopes if scope.kinds]
    if not query or not scopes:
        return []
    postgresql = session.get_bind().dialect.name == "postgresql"
    clauses = tsquery_clauses(query) if postgresql else fts5_clauses(query)
    hits = await _scoped(session, scopes, query, clauses, " & " if postgresql else " AND ", limit, postgresql)
    if hits or len(clauses) < 2:
        return hits
    return await _scoped(session, scopes, query, clauses, " | " if postgresql else " OR ", limit, postgresql,
                         counted=clauses[:MOST_WORDS_CLAUSES])


async def _scoped(session: AsyncSession, scopes: Sequence[Scope], query: Query, clauses: list[str], joiner: str,
                  limit: int, postgresql: bool, counted: Sequence[str] = ()) -> list[Hit]:
    params: dict[str, object] = {"q": joiner.join(clauses), "limit": limit}
    where: list[str] = []
    expanding: list[BindParameter[object]] = []
    for n, scope in enumerate(scopes):
        where.append(f"(d.tenant_id = :t{n} AND d.kind IN :k{n})")
        params[f"t{n}"], params[f"k{n}"] = scope.tenant, list(scope.kinds)
        expanding.append(bindparam(f"k{n}", expanding=True))
    for n, clause in enumerate(counted):
        params[f"c{n}"] = clause
    if postgresql:
        matched = " + ".join(f"CAST(d.terms @@ CAST(CAST(:c{n} AS TEXT) AS tsquery) AS INTEGER)"
                             for n in range(len(counted))) or "0"
        statement = text(
            f"SELECT d.tenant_id, d.kind, d.doc_id, d.title, d.body, ts_rank_cd(d.terms, q.q) AS score, "
            f"{matched} AS matched FROM text_search d, (SELECT CAST(CAST(:q AS TEXT) AS tsquery) AS q) q "
            f"WHERE d.terms @@ q.q AND ({' OR '.join(where)}) ORDER BY matched DESC, score DESC, d.id DESC "
            "LIMIT :limit")
    else:
        matched = " + ".join(f"(d.id IN (SELECT rowid FROM text_search_fts WHERE text_search_fts MATCH :c{n}))"
                             for n in range(len(counted))) or "0"
        statement = text(
            f"SELECT d.tenant_id, d.kind, d.doc_id, d.title, d.body, -bm25(text_search_fts, {TITLE_WEIGHT}, 1.0) "
            f"AS score, {matched} AS matched FROM text_search_fts JOIN text_search d ON d.id = text_search_fts.rowid "
            f"WHERE text_search_fts MATCH :q AND ({' OR '.join(where)}) ORDER BY matched DESC, score DESC, d.id DESC "
            "LIMIT :limit")
    rows = (await session.execute(statement.bindparams(*expanding), params)).all()
    return [Hit(kind, doc_id, title, float(score), excerpt(body, query), tenant, bool(counted))
            for tenant, kind, doc_id, title, body, score, _matched in rows]

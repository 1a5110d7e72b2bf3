"""The shared French full-text search (``platform/textsearch.py``): its words, queries and excerpts as pure
functions, then documents indexed, replaced, removed and searched on every storage stack, with the same results:
French stems ("passeports" finds "passeport"), accents folded ("ecole" finds "école"), every word required, the
last a prefix while typing, titles first, references and numbers found, another tenant's documents never."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.engine import make_engine, sessions
from queue_server.platform import textsearch
from queue_server.platform.textsearch import (
    Document,
    Prefix,
    Query,
    Span,
    excerpt,
    fold,
    fts5_query,
    parse,
    terms,
    tsquery,
    tsvector,
    word_terms,
)
from tests.conftest import Stack

# The pure part ------------------------------------------------------------------------------------------------


def test_folding_drops_accents_case_and_ligatures() -> None:
    """"Œuvre", "ÉCOLE", "Straße" and "Ørsted" are written in plain lower-case letters."""
    assert [fold(w) for w in ("Œuvre", "ÉCOLE", "Straße", "Ørsted", "æther")] == [
        "oeuvre", "ecole", "strasse", "orsted", "aether"]


def test_words_are_stemmed_the_french_way_then_folded() -> None:
    """Plurals and verb forms meet on one stem ("déménagé", "déménagement"), which loses its accents after."""
    assert word_terms("passeports") == word_terms("passeport") == ("passeport",)
    assert word_terms("déménagé") == word_terms("Déménagement") == word_terms("déménager") == ("demenag",)
    assert word_terms("école") == word_terms("ecoles") == ("ecol",)


def test_stemming_does_not_join_every_word_of_one_meaning() -> None:
    """A limit stated: "perdus" and "perte" stem apart, so one does not find the other."""
    assert word_terms("perdus") != word_terms("perte")


def test_stop_words_and_elisions_are_left_out() -> None:
    """"de", "la", "l'" and "qu'" tell no document apart."""
    assert terms("Perte de la carte d'identité qu'il a") == ["pert", "cart", "ident"]


def test_numbers_are_words_and_leading_zeros_optional() -> None:
    """A reference is three words; a number with leading zeros is also indexed without them ("0000" as "0")."""
    assert terms("DEM-2026-000042") == ["dem", "2026", "000042", "42"]
    assert terms("0000 0 7") == ["0000", "0", "0", "7"]


def test_a_letter_folding_splits_gives_each_part() -> None:
    """"½" is two numbers once folded; a sign folding to no letter gives no word."""
    assert word_terms("½") == ("1", "2")
    assert word_terms("\u037a") == ()


def test_a_query_requires_its_words_and_types_the_last() -> None:
    """Every word is required; the last, still typed, is a prefix of its stem or of what was typed."""
    assert parse("passeports perdu") == Query(("passeport",), Prefix("perdu", "perdu"))
    assert parse("Passeports DÉMÉNAGE") == Query(("passeport",), Prefix("demenag", "demenage"))


def test_a_query_ended_by_a_space_or_not_typed_has_no_prefix() -> None:
    """A space after the last word, or a query not being typed: whole words only, stop words left out."""
    assert parse("passeports de ") == parse("passeports de", typing=False) == Query(("passeport",))
    assert parse("passeports passeport", typing=False) == Query(("passeport",))  # once


def test_the_word_being_typed_may_be_a_stop_word_so_far() -> None:
    """"de" may become "demande": while typed it is a prefix, stop word or not."""
    assert parse("acte de") == Query(("acte",), Prefix("de", "de"))


def test_a_query_with_no_word_is_empty() -> None:
    """Punctuation, stop words alone, or a sign that folds to nothing: nothing to look for."""
    assert not parse("  — ! ")
    assert not parse("de la ", typing=True)
    assert not parse("\u037a")
    assert parse("42")


def test_queries_in_each_database_syntax() -> None:
    """FTS5: quoted words joined by AND; PostgreSQL: a tsquery; the prefix as stem or typed."""
    query = parse("passeport déménagé")
    assert fts5_query(query) == '"passeport" AND ("demenag"* OR "demenage"*)'
    assert tsquery(query) == "'passeport' & ('demenag':* | 'demenage':*)"
    assert fts5_query(parse("ecole")) == '("ecol"* OR "ecole"*)'
    assert tsquery(parse("2026")) == "('2026':*)"
    assert (fts5_query(parse("ecoles ")), tsquery(parse("ecoles "))) == ('"ecol"', "'ecol'")  # no prefix


def test_a_prefix_matches_words_starting_with_either_form() -> None:
    """The word being typed matches an indexed word that starts with its stem or with what was typed."""
    prefix = parse("passep").prefix
    assert prefix is not None and prefix.matches("passeport") and not prefix.matches("pass")


def test_a_tsvector_weights_the_title_and_keeps_positions() -> None:
    """Title words are weighted A, body words carry no letter (D), positions run on from the title."""
    assert tsvector("Passeport perdu", "le passeport de ma fille") == "'passeport':1A,3 'perdu':2A 'fill':4"


def test_a_tsvector_stays_within_postgresql_limits() -> None:
    """At most 256 positions per word, and none past 16383."""
    assert tsvector("", "passeport " * 300).count(",") == 255
    assert tsvector("", " ".join(f"w{n}" for n in range(17000)) + " passeport").endswith(" 'passeport':16383")


def test_an_excerpt_marks_the_found_words_around_the_first() -> None:
    """The excerpt starts a little before the first word found, marks every found word, and says it is cut."""
    text = "Bonjour,\n\nje voudrais refaire le passeport de ma fille, perdu lors d'un voyage à Rome. " * 3
    spans = excerpt(text, parse("passeports rom"), size=15)
    assert spans == (Span("… voudrais refaire le "), Span("passeport", True),
                     Span(" de ma fille, perdu lors d'un voyage à "), Span("Rome", True), Span(". Bonjour …"))


def test_an_excerpt_without_a_found_word_is_the_start() -> None:
    """When only the title matched, the body's first words are shown, whole when short."""
    assert excerpt("Ma demande, merci.", parse("passeport")) == (Span("Ma demande, merci."),)
    assert excerpt("un deux trois quatre", parse("passeport"), size=2) == (Span("un deux …"),)


def test_an_excerpt_ending_on_a_found_word() -> None:
    """A found word last: nothing after it, and no empty piece."""
    assert excerpt("Le passeport", parse("passeport")) == (Span("Le "), Span("passeport", True))
    assert excerpt("passeport perdu", parse("passeport"), size=1) == (Span("passeport", True), Span(" …"))


def test_an_excerpt_of_no_words() -> None:
    """Empty text gives nothing; text of no word is shown as it is."""
    assert excerpt("  ", parse("x")) == ()
    assert excerpt("— !", parse("x")) == (Span("— !"),)


def test_alembic_leaves_the_search_tables_aside() -> None:
    """The search's tables are no models: Alembic's comparisons skip them, and nothing else."""
    assert not textsearch.compared_by_alembic("text_search_fts_data", "table", {})
    assert textsearch.compared_by_alembic("text_search", "column", {})
    assert textsearch.compared_by_alembic("requests", "table", {})
    assert textsearch.compared_by_alembic(None, "table", {})


def lost(word: str) -> tuple[str, ...]:
    """A module's words of one meaning (the knowledge base's, in short)."""
    return ("perte", "perdu") if word.lower() in ("perdus", "perdu", "perte") else ()


def test_a_word_with_equivalents_is_found_by_any_of_them() -> None:
    """Each word with equivalents is one of several; the word being typed is also one of its equivalents, whole."""
    assert parse("perdus passeports ", equivalents=lost) == Query(("passeport",), None, (("perdus", "pert", "perdu"),))
    query = parse("passeports perdus", equivalents=lost)
    assert query == Query(("passeport",), Prefix("perdus", "perdus", ("pert", "perdu")))
    assert fts5_query(query) == '"passeport" AND ("perdus"* OR "pert" OR "perdu")'
    assert tsquery(query) == "'passeport' & ('perdus':* | 'pert' | 'perdu')"
    assert fts5_query(parse("perdus ", equivalents=lost)) == '("perdus" OR "pert" OR "perdu")'
    assert tsquery(parse("perdus ", equivalents=lost)) == "('perdus' | 'pert' | 'perdu')"
    assert query.matches("pert") and parse("perdus ", equivalents=lost).matches("perdu")


def test_without_equivalents_a_query_is_as_before() -> None:
    """A word with no equivalent stays a required word; a query of equivalents alone is no empty query."""
    assert parse("passeports ecole ", equivalents=lost) == Query(("passeport", "ecol"))
    assert parse("perte ", equivalents=lost)


# In SQL, on every stack -------------------------------------------------------------------------------------

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Sessions]:
    engine = make_engine(stack.settings.database_url)
    yield sessions(engine)
    await engine.dispose()


async def put(db: Sessions, *documents: Document) -> None:
    async with db() as session:
        for document in documents:
            await textsearch.index(session, document)
        await session.commit()


async def found(db: Sessions, query: str, tenant: str = "demo", **options: object) -> list[str]:
    async with db() as session:
        return [hit.doc_id for hit in await textsearch.search(session, tenant, query, **options)]  # type: ignore[arg-type]


def doc(doc_id: str, title: str, body: str = "", tenant: str = "demo", kind: str = "sheet") -> Document:
    return Document(kind, tenant, doc_id, title, body)


@pytest.mark.anyio
async def test_plurals_and_accents_find_each_other(db: Sessions) -> None:
    """"passeports" finds "Perte de passeport", "ecole" finds "école", "déménagé" "Déménagement"."""
    await put(db, doc("p", "Perte de passeport"), doc("e", "Inscription à l'école"),
              doc("d", "Déménagement", "Changer d'adresse"))
    assert await found(db, "passeports") == ["p"]
    assert await found(db, "ECOLE") == ["e"]
    assert await found(db, "déménagé ") == ["d"]
    assert await found(db, "perdus ") == []  # "perdus" and "perte" stem apart


@pytest.mark.anyio
async def test_every_word_must_be_found(db: Sessions) -> None:
    """Two words: only the documents holding both."""
    await put(db, doc("a", "Passeport", "pour l'école"), doc("b", "Passeport"), doc("c", "École"))
    assert await found(db, "passeport ecole ") == ["a"]


@pytest.mark.anyio
async def test_the_last_word_is_a_prefix_while_typing(db: Sessions) -> None:
    """"passep" finds "passeport" while typed; as a whole word it does not."""
    await put(db, doc("p", "Passeport perdu"))
    assert await found(db, "perdu passep") == ["p"]
    assert await found(db, "perdu passep", typing=False) == []
    assert await found(db, "perdu passep ") == []


@pytest.mark.anyio
async def test_titles_rank_above_bodies(db: Sessions) -> None:
    """A document with the word in its title comes before one with it only in its body, even many times."""
    await put(db, doc("body", "Demande", "passeport passeport passeport, encore le passeport"),
              doc("title", "Passeport", "Bonjour, ma demande."))
    assert await found(db, "passeport") == ["title", "body"]


@pytest.mark.anyio
async def test_references_and_numbers_are_found(db: Sessions) -> None:
    """A reference as written, its number alone, or without its zeros."""
    await put(db, doc("r", "DEM-2026-000042 Trottoir"), doc("s", "DEM-2026-000043 Voirie"))
    assert await found(db, "DEM-2026-000042") == ["r"]
    assert await found(db, "000042 ") == ["r"]
    assert await found(db, "42 ") == ["r"]


@pytest.mark.anyio
async def test_another_tenants_documents_are_never_found(db: Sessions) -> None:
    """The same words in another tenant's document: not among this tenant's hits."""
    await put(db, doc("mine", "Passeport"), doc("theirs", "Passeport", tenant="agglo"))
    assert await found(db, "passeport") == ["mine"]
    assert await found(db, "passeport", tenant="agglo") == ["theirs"]


@pytest.mark.anyio
async def test_a_document_indexed_again_is_replaced(db: Sessions) -> None:
    """Indexing a document again forgets its former words."""
    await put(db, doc("x", "Passeport"))
    await put(db, doc("x", "Voirie"))
    assert await found(db, "passeport") == []
    assert await found(db, "voirie") == ["x"]


@pytest.mark.anyio
async def test_a_removed_document_is_not_found(db: Sessions) -> None:
    """Removed, a document is gone; removing one never indexed changes nothing."""
    await put(db, doc("x", "Passeport"), doc("y", "Passeport"))
    async with db() as session:
        await textsearch.remove(session, "demo", "sheet", "x")
        await textsearch.remove(session, "demo", "sheet", "never")
        await session.commit()
    assert await found(db, "passeport") == ["y"]


@pytest.mark.anyio
async def test_nothing_is_indexed_when_the_caller_rolls_back(db: Sessions) -> None:
    """The index is written in the caller's transaction: rolled back, nothing is found."""
    async with db() as session:
        await textsearch.index(session, doc("x", "Passeport"))
        await session.rollback()
    assert await found(db, "passeport") == []


@pytest.mark.anyio
async def test_search_narrowed_by_kind_and_ids(db: Sessions) -> None:
    """Only documents of the kind asked, and among the ids given (none given: none found)."""
    await put(db, doc("a", "Passeport"), doc("b", "Passeport"), doc("c", "Passeport", kind="request"))
    assert sorted(await found(db, "passeport", kind="sheet")) == ["a", "b"]
    assert await found(db, "passeport", ids=["b", "c"], kind="sheet") == ["b"]
    assert await found(db, "passeport", ids=[]) == []
    assert len(await found(db, "passeport", limit=2)) == 2


@pytest.mark.anyio
async def test_no_word_no_hit(db: Sessions) -> None:
    """A query of stop words or punctuation finds nothing (rather than everything)."""
    await put(db, doc("a", "De la mairie"))
    assert await found(db, "de la ") == []
    assert await found(db, " !? ") == []


@pytest.mark.anyio
async def test_hits_carry_title_and_marked_excerpt(db: Sessions) -> None:
    """A hit names its document and shows the words of its body that were found."""
    await put(db, doc("p", "Perte", "J'ai perdu mon passeport hier."))
    async with db() as session:
        [hit] = await textsearch.search(session, "demo", "passeports")
    assert (hit.kind, hit.doc_id, hit.title) == ("sheet", "p", "Perte")
    assert hit.excerpt == (Span("J'ai perdu mon "), Span("passeport", True), Span(" hier."))
    assert hit.score > 0


async def found_in(db: Sessions, query: str, scopes: list[textsearch.Scope], **options: object) -> list[
        tuple[str, str, bool]]:
    async with db() as session:
        hits = await textsearch.search_in(session, scopes, query, **options)  # type: ignore[arg-type]
    return [(hit.tenant, hit.doc_id, hit.partial) for hit in hits]


@pytest.mark.anyio
async def test_a_search_in_scopes_looks_in_those_tenants_and_kinds_only(db: Sessions) -> None:
    """Several tenants at once, each in some kinds: documents of other kinds or tenants are never found."""
    await put(db, doc("a", "Passeport", kind="kb.public"), doc("b", "Passeport", kind="kb.unpublished"),
              doc("c", "Passeport", tenant="agglo", kind="kb.public.shared"),
              doc("d", "Passeport", tenant="agglo", kind="kb.public"),
              doc("e", "Passeport", tenant="voisine", kind="kb.public.shared"))
    scopes = [textsearch.Scope("demo", ("kb.public",)), textsearch.Scope("agglo", ("kb.public.shared",)),
              textsearch.Scope("voisine", ())]
    assert sorted(await found_in(db, "passeport", scopes)) == [("agglo", "c", False), ("demo", "a", False)]
    assert await found_in(db, "passeport", []) == []
    assert await found_in(db, " — ", scopes) == []


@pytest.mark.anyio
async def test_a_search_in_scopes_falls_back_to_the_most_words(db: Sessions) -> None:
    """No document with every word: those with the most, first, each partial; one word alone falls back to
    nothing."""
    await put(db, doc("two", "Passeport perdu"), doc("one", "Passeport"), doc("other", "Voirie"))
    scopes = [textsearch.Scope("demo", ("sheet",))]
    most = await found_in(db, "passeport perdu voirie ", scopes)
    assert most[0] == ("demo", "two", True) and sorted(most[1:]) == [("demo", "one", True), ("demo", "other", True)]
    assert await found_in(db, "passeport perdu ", scopes) == [("demo", "two", False)]
    assert await found_in(db, "xylophone ", scopes) == []
    assert await found_in(db, "perte passeport ", scopes, equivalents=lost) == [("demo", "two", False)]

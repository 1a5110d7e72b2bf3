"""The knowledge base's pure rules: who reads which sheet and where a reader searches, partners both ways, what is
due for review, the French words of one meaning, and the difference between two versions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.kb.domain import sheets
from queue_server.kb.domain.diff import Piece, changed, diff
from queue_server.kb.domain.equivalences import GROUPS, equivalents, fold
from queue_server.kb.domain.errors import Refused
from queue_server.kb.domain.sheets import Facts, Reader, due_for_review, index_kind, may_read, mutual, scopes

DEMO = Reader("demo")
EDITOR = Reader("demo", editor=True)
PARTNER = Reader("agglo", partners=frozenset({"demo"}))
STRANGER = Reader("voisine")


def sheet(status: sheets.Status = "published", audience: sheets.Audience = "public", shared: bool = False) -> Facts:
    return Facts("demo", status, audience, shared)


# Who reads -----------------------------------------------------------------------------------------------------


def test_anyone_reads_a_published_public_sheet_through_its_collectivity() -> None:
    """No credentials: the published public sheets of the collectivity asked, nothing else."""
    assert may_read(sheets.PUBLIC_READER, sheet(), through="demo")
    assert not may_read(sheets.PUBLIC_READER, sheet(), through="agglo")
    assert not may_read(sheets.PUBLIC_READER, sheet(status="draft"), through="demo")
    assert not may_read(sheets.PUBLIC_READER, sheet(audience="agents"), through="demo")


def test_staff_read_the_published_and_editors_every_sheet() -> None:
    """An agent reads the published sheets of either audience; a supervisor the drafts and archived ones too."""
    for status in sheets.STATUSES:
        assert may_read(EDITOR, sheet(status, "agents"), through="demo")
        assert may_read(DEMO, sheet(status, "agents"), through="demo") == (status == "published")


def test_a_partner_reads_shared_published_sheets_only() -> None:
    """A partner's staff read a shared published sheet of either audience; not one that is not shared, nor a
    draft; someone that is no partner reads none."""
    assert may_read(PARTNER, sheet(audience="agents", shared=True), through="agglo")
    assert not may_read(PARTNER, sheet(audience="agents"), through="agglo")
    assert not may_read(PARTNER, sheet(status="review", shared=True), through="agglo")
    assert not may_read(STRANGER, sheet(audience="agents", shared=True), through="voisine")


def test_a_sheet_is_indexed_under_who_may_find_it() -> None:
    """Five kinds: unpublished, then published by audience and sharing."""
    assert index_kind("draft", "public", True) == sheets.UNPUBLISHED
    assert index_kind("archived", "agents", False) == sheets.UNPUBLISHED
    assert [index_kind("published", a, s) for a in sheets.AUDIENCES for s in (False, True)] == [
        sheets.AGENTS, sheets.AGENTS_SHARED, sheets.PUBLIC, sheets.PUBLIC_SHARED]


def test_a_reader_searches_where_it_may_read() -> None:
    """Anyone and another collectivity's staff: the public kinds; staff: the published ones and the partners'
    shared ones; editors: every kind of their own."""
    assert scopes(sheets.PUBLIC_READER, "demo") == [("demo", sheets.PUBLIC_KINDS)]
    assert scopes(STRANGER, "demo") == [("demo", sheets.PUBLIC_KINDS)]
    assert scopes(Reader("agglo", partners=frozenset({"demo", "ville"})), "agglo") == [
        ("agglo", sheets.PUBLISHED_KINDS), ("demo", sheets.SHARED_KINDS), ("ville", sheets.SHARED_KINDS)]
    assert scopes(EDITOR, "demo") == [("demo", sheets.KINDS)]


@given(st.sampled_from(sheets.STATUSES), st.sampled_from(sheets.AUDIENCES), st.booleans(), st.booleans(),
       st.sampled_from(["demo", "agglo", None]))
def test_what_a_search_may_find_is_what_may_be_read(status: sheets.Status, audience: sheets.Audience, shared: bool,
                                                    editor: bool, tenant: str | None) -> None:
    """For any sheet of demo and any reader asking through its own collectivity (or demo's, for anyone): the
    sheet's kind is in the reader's scopes exactly when the reader may read it."""
    reader = Reader(tenant, editor and tenant is not None,
                    frozenset({"demo"}) if tenant == "agglo" else frozenset())
    through = tenant or "demo"
    kind = index_kind(status, audience, shared)
    searched = any(t == "demo" and kind in kinds for t, kinds in scopes(reader, through))
    assert searched == may_read(reader, Facts("demo", status, audience, shared), through=through)


def test_partners_are_partners_both_ways() -> None:
    """A names B and B names A: partners; A naming C who names nobody, or naming itself, shares nothing."""
    named = {"demo": ["agglo", "voisine", "demo"], "agglo": ["demo"], "voisine": []}
    assert mutual("demo", named) == {"agglo"}
    assert mutual("agglo", named) == {"demo"}
    assert mutual("voisine", named) == frozenset()
    assert mutual("nowhere", named) == frozenset()


def test_a_sheet_is_due_for_review_from_its_date_on_unless_archived() -> None:
    """Due on its review day and after; never without a date, nor once archived."""
    today = date(2026, 3, 16)
    assert due_for_review(date(2026, 3, 16), "published", today)
    assert due_for_review(date(2025, 1, 1), "draft", today)
    assert not due_for_review(date(2026, 3, 17), "published", today)
    assert not due_for_review(None, "published", today)
    assert not due_for_review(date(2025, 1, 1), "archived", today)


def test_a_refusal_says_its_kind_field_and_why() -> None:
    """The exception carries what the service maps to a problem."""
    refused = Refused("self-partner", "tenants[0]", "a collectivity is no partner of itself")
    assert (refused.kind, refused.field, str(refused)) == ("self-partner", "tenants[0]",
                                                           "a collectivity is no partner of itself")


# Words of one meaning ------------------------------------------------------------------------------------------


def test_perdus_is_perte() -> None:
    """API.md's example: "perdus" gives "perte", and each word of a group gives the others, not itself."""
    assert "perte" in equivalents("perdus") and "perdus" not in equivalents("perdus")
    assert "perdus" in equivalents("Perte")


def test_a_word_is_found_with_or_without_its_accents() -> None:
    """"décès", "deces" and "DÉCÈS" give the same words."""
    assert set(equivalents("deces")) >= {"décédé", "décès"}
    assert equivalents("DÉCÈS") == equivalents("décès")


def test_ne_without_its_accent_is_the_negation() -> None:
    """"né" gives "naissance"; "ne" gives nothing."""
    assert "naissance" in equivalents("né")
    assert equivalents("ne") == ()
    assert equivalents("passeport") == ()


def test_every_word_is_in_one_group_only() -> None:
    """A word in two groups would join their meanings ("divorce" and "divorcé" are one word once folded, in one
    group)."""
    groups: dict[str, set[int]] = {}
    for n, group in enumerate(GROUPS):
        for word in group:
            groups.setdefault(fold(word), set()).add(n)
    assert all(len(found) == 1 for found in groups.values())


# Differences ---------------------------------------------------------------------------------------------------


def test_a_word_changed_reads_as_removed_then_added() -> None:
    """"10" becomes "15": the rest is the same."""
    assert diff("Valable 10 ans.", "Valable 15 ans.") == (
        Piece("same", "Valable "), Piece("removed", "10"), Piece("added", "15"), Piece("same", " ans."))
    # The line before and the words kept of the line changed read as one piece.
    assert diff("Carte\nValable 10 ans.", "Carte\nValable 15 ans.")[0] == Piece("same", "Carte\nValable ")


def test_lines_added_and_removed_are_whole() -> None:
    """A line removed and one added elsewhere are pieces of their own, whole."""
    old = "Pièces :\n- photo\n- justificatif\n"
    new = "Pièces :\n- justificatif\n- timbre fiscal\n"
    assert diff(old, new) == (Piece("same", "Pièces :\n"), Piece("removed", "- photo\n"),
                              Piece("same", "- justificatif\n"), Piece("added", "- timbre fiscal\n"))


def test_the_same_text_has_no_change() -> None:
    """Nothing removed, nothing added."""
    assert not changed(diff("Texte.", "Texte."))
    assert changed(diff("", "Texte."))
    assert diff("", "") == ()


@given(st.text(alphabet="ab \n,.é", max_size=40), st.text(alphabet="ab \n,.é", max_size=40))
def test_a_difference_gives_back_both_texts(old: str, new: str) -> None:
    """The same and removed pieces are the old text, the same and added ones the new; no two pieces of one kind
    follow each other."""
    pieces = diff(old, new)
    assert "".join(p.text for p in pieces if p.kind != "added") == old
    assert "".join(p.text for p in pieces if p.kind != "removed") == new
    assert all(a.kind != b.kind for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(p.text for p in pieces)


@pytest.mark.parametrize("word", ["perdu", "volée", "mariage", "déménagement", "électorales", "poubelles"])
def test_each_group_gives_its_words(word: str) -> None:
    """A few of the town hall's questions, each with other words."""
    assert equivalents(word)

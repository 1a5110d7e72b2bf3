"""The CRM's search as staff type (``crm/search.py``), on SQLite and PostgreSQL: names without accents or
order, a prefix while typing, one typo; phones in any format, e-mails whole, SIRET/SIREN/RNA; never
another tenant's party; words and typo keys forgotten with the last party using them; exact, then
prefix, then typo; and, on a crowd large enough for each way of running a query, the same answers as a
reference written with Python alone."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from rapidfuzz.distance import OSA
from sqlalchemy.ext.asyncio import AsyncEngine

from queue_server.crm import search
from queue_server.crm.domain.text import typo_keys, words
from queue_server.crm.tables import ContactPoint, Party, Word, WordKey
from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import Tenant
from queue_server.settings import load_settings
from tests.conftest import EXTERNAL_DB, drop_postgres_database, fresh_postgres_database

pytestmark = pytest.mark.anyio

DATABASES = ["sqlite"] + (["postgresql"] if EXTERNAL_DB else [])
PARTIES: sa.Table = Party.__table__  # type: ignore[attr-defined]
CONTACTS: sa.Table = ContactPoint.__table__  # type: ignore[attr-defined]
WORDS: sa.Table = Word.__table__  # type: ignore[attr-defined]
KEYS: sa.Table = WordKey.__table__  # type: ignore[attr-defined]
CROWD_RECENT, CROWD_OLD = search.RECENT + 200, search.MANY + 100  # enough for the walk, and for its fallback
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@dataclass
class World:
    """A migrated database and its parties' ids by "tenant/label"."""

    engine: AsyncEngine
    ids: dict[str, int] = field(default_factory=dict)
    next_id: int = 1

    async def add(self, tenant: str, names: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        """Parties of ``tenant`` (a label or names, and their columns; ``phone``/``email`` become contact
        points), filed under their names, in one transaction."""
        rows, contacts, filed = [], [], {}
        for label, columns in names:
            pid, self.next_id = self.next_id, self.next_id + 1
            columns = dict(columns)
            phone, email = columns.pop("phone", None), columns.pop("email", None)
            when = columns.pop("dealt", T0)
            rows.append({"id": pid, "tenant_id": tenant, "kind": "person", "first_name": "", "last_name": "",
                         "language": "fr", "name": "", "activity": "", "tags": [], "created_at": when,
                         "updated_at": when, "dealt_with_at": when, "birth_date": None, "rna": None,
                         "siren": None, "siret": None} | columns)
            for kind, value, key in (("phone", phone, phone), ("email", email, (email or "").lower())):
                if value:
                    contacts.append({"tenant_id": tenant, "party_id": pid, "kind": kind, "value": value,
                                     "key": key, "label": "", "consent_sms": False, "consent_email": False,
                                     "consent_surveys": False})
            filed[pid] = columns.get("name") or f"{columns.get('first_name', '')} {columns.get('last_name', '')}"
            self.ids[f"{tenant}/{label}"] = pid
        async with sessions(self.engine)() as session:
            await session.execute(PARTIES.insert(), rows)
            if contacts:
                await session.execute(CONTACTS.insert(), contacts)
            await search.index_many(session, tenant, filed)
            await session.commit()
        return list(filed)

    async def find(self, query: str, tenant: str = "ville", limit: int = 20) -> list[int]:
        async with sessions(self.engine)() as session:
            return await search.find(session, tenant, query, "FR", limit)

    def names(self, ids: list[int], tenant: str = "ville") -> list[str]:
        labels = {pid: label.split("/", 1)[1] for label, pid in self.ids.items() if label.startswith(tenant + "/")}
        return [labels.get(pid, f"#{pid}") for pid in ids]

    async def vocabulary(self, tenant: str) -> tuple[set[tuple[str, int]], set[tuple[str, str]]]:
        """What the two tables hold for ``tenant``: (word, party) postings and (key, word) typo keys."""
        async with self.engine.connect() as conn:
            postings = {(w, p) for w, p in await conn.execute(
                sa.select(WORDS.c.word, WORDS.c.party_id).where(WORDS.c.tenant_id == tenant))}
            keys = {(k, w) for k, w in await conn.execute(
                sa.select(KEYS.c.key, KEYS.c.word).where(KEYS.c.tenant_id == tenant))}
        return postings, keys


def person(first: str, last: str, **columns: Any) -> tuple[str, dict[str, Any]]:
    return first.lower(), {"kind": "person", "first_name": first, "last_name": last} | columns


def legal(label: str, kind: str, name: str, **columns: Any) -> tuple[str, dict[str, Any]]:
    return label, {"kind": kind, "name": name} | columns


async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'crm.sqlite3'}"
        return
    url = await fresh_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="module", params=DATABASES)
async def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """One database per engine for the module, migrated once; each test that changes names has a tenant
    of its own."""
    async for url in database(request.param, tmp_path_factory.mktemp("crm")):
        engine = make_engine(load_settings(database={"url": url}).database_url)
        await migrate(engine)
        async with sessions(engine)() as session:
            for tenant in ("ville", "autre", "rang", "oubli", "noms", "foule", "course"):
                session.add(Tenant(id=tenant, name=tenant))
            await session.commit()
        world = World(engine)
        await world.add("ville", [
            person("Anne", "Lefèvre", phone="+33612345678", email="Anne.Lefevre@Example.org", dealt=day(5)),
            person("Léo", "Roy", dealt=day(4)),
            legal("siege", "company", "Boulangerie du Parc", siren="732829320", dealt=day(3)),
            legal("atelier", "company", "Boulangerie du Parc, atelier", siren="732829320", siret="73282932000074",
                  dealt=day(2)),
            legal("lavoir", "association", "Les Amis du Vieux Lavoir", rna="W751234567", dealt=day(1)),
        ])
        await world.add("autre", [
            person("Anne", "Lefèvre", phone="+33612345678", email="anne.lefevre@example.org", dealt=day(9)),
            person("Marc", "Quintal", dealt=day(9)),
            legal("atelier", "company", "Boulangerie du Parc", siren="732829320", siret="73282932000074",
                  rna="W751234567", dealt=day(9)),
        ])
        yield world
        await engine.dispose()


async def test_names_are_found_without_accents_case_or_order(world: World) -> None:
    anne = world.ids["ville/anne"]
    for query in ("lefevre", "Lefèvre", "LEFÈVRE anne", "anne lefevre", "  anne   LEFEVRE  ", "Anne-Lefèvre"):
        assert await world.find(query) == [anne], query
    assert await world.find("anne roy") == []  # every word must match a word of the party


async def test_one_typo_finds_a_name_two_do_not(world: World) -> None:
    anne = world.ids["ville/anne"]
    for query in ("lefebvre", "lfevre", "lefvere", "lefevrr", "anne lefebvre", "anna lefevre", "lefebvre ann",
                  "nane lefevre", "anna lefebvre"):
        assert await world.find(query) == [anne], query  # added, removed, swapped, replaced; one per word
    for query in ("lfebvre", "lefebvr anne", "lafavre", "nana lefevre", "lefebvre ane"):
        assert await world.find(query) == [], query


async def test_the_last_word_is_a_prefix_while_it_is_typed(world: World) -> None:
    anne = world.ids["ville/anne"]
    for query in ("lef", "lefe", "lefèv", "anne lef", "lefevre a", "lefevre an", "ANNE L"):
        assert await world.find(query) == [anne], query
    assert world.names(await world.find("le")) == ["anne", "léo", "lavoir"]  # Lefèvre, Léo, Les Amis...
    assert await world.find("l") == []  # a lone letter is a word, not a prefix
    assert await world.find("lef anne") == []  # only the last word is a prefix


async def test_a_word_of_three_letters_is_matched_as_typed_only(world: World) -> None:
    leo = world.ids["ville/léo"]
    assert await world.find("roy") == [leo]
    assert await world.find("léo roy") == [leo]
    for query in ("roi", "rooy", "roye", "lea roy", "leo roi"):
        assert await world.find(query) == [], query


async def test_phone_numbers_in_any_format(world: World) -> None:
    anne = world.ids["ville/anne"]
    for query in ("06 12 34 56 78", "+33612345678", "0612.34.56.78", "+33 6 12 34 56 78", "0033 6 12 34 56 78",
                  "06-12-34-56-78", "0612345678"):
        assert await world.find(query) == [anne], query
    for query in ("06 12 34 56 79", "06 12 34", "+44 20 7946 0958"):
        assert await world.find(query) == [], query


async def test_an_email_is_found_whole_in_any_case(world: World) -> None:
    anne = world.ids["ville/anne"]
    for query in ("anne.lefevre@example.org", "ANNE.LEFEVRE@EXAMPLE.ORG", " Anne.Lefevre@Example.org "):
        assert await world.find(query) == [anne], query
    for query in ("anne.lefevre@exa", "lefevre@example.org", "@example.org", "anne.lefevre@"):
        assert await world.find(query) == [], query


async def test_siret_siren_and_rna(world: World) -> None:
    siege, atelier, lavoir = (world.ids[f"ville/{label}"] for label in ("siege", "atelier", "lavoir"))
    assert await world.find("732 829 320 00074") == [atelier, siege]  # the establishment, then its company
    assert await world.find("73282932000074") == [atelier, siege]
    assert await world.find("73282932000009") == [siege, atelier]  # another establishment: its company
    assert await world.find("732829320") == [siege, atelier]  # most recently dealt with first
    assert await world.find("732.829.320") == [siege, atelier]
    assert await world.find("W751234567") == [lavoir]
    assert await world.find("w 751 234 567") == [lavoir]
    assert await world.find("W751234568") == []
    assert await world.find("boulangerie") == [siege, atelier]
    assert await world.find("vieux lavoir") == [lavoir]


async def test_another_tenants_party_is_never_found(world: World) -> None:
    for query in ("anne lefevre", "lefebvre", "le", "06 12 34 56 78", "anne.lefevre@example.org", "73282932000074",
                  "732829320", "W751234567", "boulangerie", "quintal", "quintl", "quin"):
        found = await world.find(query)
        assert not set(found) & {pid for label, pid in world.ids.items() if label.startswith("autre/")}, query
    assert await world.find("quintal") == []
    assert await world.find("quintal", tenant="autre") == [world.ids["autre/marc"]]


async def test_ranking_exact_then_prefix_then_typo_then_recency(world: World) -> None:
    await world.add("rang", [
        person("Jean", "Martin", dealt=day(-700)),
        person("Luc", "Martin", dealt=day(-300)),
        person("Rose", "Martinez", dealt=day(-10)),
        person("Paul", "Martyn", dealt=day(0)),  # the most recent, yet a typo away
        person("Zoé", "Marti", dealt=day(0)),  # 5 letters: one letter removed
    ])
    assert world.names(await world.find("martin", "rang"), "rang") == ["luc", "jean", "rose", "zoé", "paul"]
    assert world.names(await world.find("martin", "rang", limit=3), "rang") == ["luc", "jean", "rose"]
    assert world.names(await world.find("mart", "rang"), "rang") == ["zoé", "paul", "rose", "luc", "jean"]
    assert world.names(await world.find("luc martyn", "rang"), "rang") == ["luc"]  # a typo of "martin"
    assert world.names(await world.find("marti", "rang"), "rang") == ["zoé", "rose", "luc", "jean"]
    assert await world.find("martin", "rang", limit=0) == []


async def test_forget_removes_the_words_and_the_keys_no_other_party_uses(world: World) -> None:
    zoe, marc = await world.add("oubli", [person("Zoé", "Quintal"), person("Marc", "Quintal")])
    postings, keys = await world.vocabulary("oubli")
    assert postings == {("zoe", zoe), ("quintal", zoe), ("marc", marc), ("quintal", marc)}
    assert keys == {(k, w) for w in ("zoe", "marc", "quintal") for k in typo_keys(w)}

    async with sessions(world.engine)() as session:
        await search.forget(session, "oubli", [zoe])
        await session.commit()
    postings, keys = await world.vocabulary("oubli")
    assert postings == {("marc", marc), ("quintal", marc)}
    assert keys == {(k, w) for w in ("marc", "quintal") for k in typo_keys(w)}  # "zoe" gone, "quintal" kept
    assert await world.find("zoe quintal", "oubli") == []
    assert await world.find("quintal", "oubli") == [marc]

    async with sessions(world.engine)() as session:
        await search.forget(session, "oubli", [marc, marc + 1000])  # an id never filed is no error
        await session.commit()
    assert await world.vocabulary("oubli") == (set(), set())
    assert await world.find("quintal", "autre") == [world.ids["autre/marc"]]  # the other tenant keeps its own
    _, kept = await world.vocabulary("autre")
    assert {(k, "quintal") for k in typo_keys("quintal")} <= kept


async def test_index_replaces_a_partys_words(world: World) -> None:
    (marie,) = await world.add("noms", [person("Marie", "Dupont")])
    (paul,) = await world.add("noms", [person("Paul", "Dupont")])
    async with sessions(world.engine)() as session:
        await search.index(session, "noms", marie, "Marie Durand-Lefèvre")
        await search.index(session, "noms", paul, "Paul Dupont")  # unchanged: nothing to do
        await session.commit()
    postings, keys = await world.vocabulary("noms")
    assert postings == {("marie", marie), ("durand", marie), ("lefevre", marie), ("paul", paul), ("dupont", paul)}
    assert {w for _, w in keys} == {"marie", "durand", "lefevre", "paul", "dupont"}
    assert await world.find("marie dupont", "noms") == []
    assert await world.find("lefevre marie", "noms") == [marie]
    async with sessions(world.engine)() as session:
        await search.index(session, "noms", paul, "")
        await session.rollback()  # the caller's transaction: nothing written without its commit
    assert await world.find("dupont", "noms") == [paul]


async def waiting_on_a_lock(engine: AsyncEngine) -> None:
    """Until a transaction of this database waits for a row another holds (polled, 20 ms apart)."""
    with anyio.fail_after(20):
        while True:
            async with engine.connect() as conn:
                waiting = (await conn.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"))).scalar_one()
            if waiting:
                return
            await anyio.sleep(0.02)


@pytest.mark.only_database("postgresql")  # SQLite runs one writer at a time
@pytest.mark.parametrize("first, then, kept", [
    ("forget A", "index B", True),  # the keys of a word its last party loses come back with the next one
    ("index B", "forget A", True),  # a party filed while the word's last other party goes keeps the keys
    ("forget A", "forget B", False),  # two parties forgotten at once take the keys with them
])
async def test_concurrent_writers_keep_the_keys_of_the_words_in_use(world: World, first: str, then: str,
                                                                   kept: bool) -> None:
    """PostgreSQL: two transactions change the parties of one word at once, the second waiting for the
    first on the row of the word's own key; after both, the word has its typo keys if and only if some
    party is filed under it."""
    word = f"zorglub{['forget A', 'index B'].index(first)}{kept:d}"
    a, b = await world.add("course", [person("Anne", word.capitalize()),
                                      person("Bob", word.capitalize() if then == "forget B" else "Martin")])

    async def change(session: Any, what: str) -> None:
        if what == "forget A":
            await search.forget(session, "course", [a])
        elif what == "forget B":
            await search.forget(session, "course", [b])
        else:
            await search.index(session, "course", b, f"Bob {word}")

    made = sessions(world.engine)
    async with made() as one, made() as two:
        await change(one, first)
        async with anyio.create_task_group() as tasks:
            async def second() -> None:
                await change(two, then)
                await two.commit()

            tasks.start_soon(second)
            await waiting_on_a_lock(world.engine)
            await one.commit()
    postings, keys = await world.vocabulary("course")
    assert any(w == word for w, _ in postings) is kept
    assert {(k, w) for k, w in keys if w == word} == ({(k, word) for k in typo_keys(word)} if kept else set())


def reference(crowd: list[tuple[int, list[str], datetime]], query: str, limit: int) -> list[int]:
    """What ``find`` answers for names, computed over every party (its folded words) in Python."""
    typed = words(query)
    ranked = []
    for pid, theirs, dealt in crowd:
        levels = []
        for i, q in enumerate(typed):
            prefix_from = search.PREFIX_MIN if len(typed) == 1 else 1
            options = [0 if w == q else 1 if i == len(typed) - 1 and len(q) >= prefix_from and w.startswith(q)
                       else 2 if min(len(q), len(w)) >= 4 and OSA.distance(q, w) <= 1 else 3 for w in theirs]
            levels.append(min(options))
        if max(levels) < 3:
            ranked.append((max(levels), -dealt.timestamp(), -pid))
    return [-pid for _, _, pid in sorted(ranked)[:limit]]


@dataclass
class Crowd:
    """Some 7,500 parties of tenant "foule": their ids, folded words and last dealings."""

    parties: list[tuple[int, list[str], datetime]]


@pytest.fixture(scope="module")
async def crowd(world: World) -> Crowd:
    """Common names (their words reach ``MANY`` postings, so a lone one walks the recent parties), names
    only old parties bear (the walk finds too few among the ``RECENT`` latest and the lookup takes over),
    and 80 surnames that start with "za" (more than ``PREFIX_WORDS``: a range of words stands for them)."""
    rng = random.Random(16)
    firsts = ["Marie", "Jean", "Louis", "Léa", "Léon", "Lucas", "Chloé", "Hugo"]
    lasts = ["Lefèvre", "Lefebvre", "Leroy", "Lebrun", "Legrand", "Martin", "Martins", "Bernard", "Dubois",
             "Durand", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Roux"]
    rare = [f"Za{a}{b}ier" for a in "bcdfglmnrt" for b in "aeiouyhs"]
    assert len({words(name)[0] for name in rare}) > search.PREFIX_WORDS
    people = [(f"{rng.choice(firsts)} {rng.choice(lasts)}", T0 - timedelta(seconds=rng.randrange(10**8)))
              for _ in range(CROWD_RECENT)]
    people += [(f"{rng.choice(firsts)} {name}", T0 - timedelta(seconds=rng.randrange(10**8)))
               for name in rare + rare]
    people += [(f"{rng.choice(firsts)} Vieuxbois", T0 - timedelta(seconds=10**8 + rng.randrange(10**7)))
               for _ in range(CROWD_OLD)]
    ids = await world.add("foule", [(f"c{i}", {"kind": "person", "name": names, "dealt": when})
                                    for i, (names, when) in enumerate(people)])
    if world.engine.dialect.name == "postgresql":  # its statistics, as autovacuum keeps them in production
        async with world.engine.connect() as conn:
            await conn.execute(sa.text("ANALYZE"))
    return Crowd([(pid, words(names), when) for pid, (names, when) in zip(ids, people, strict=True)])


CROWD_QUERIES = [
    "marie", "le", "lef", "lefe", "lefevre", "lefebvre", "lefevr", "martin", "martins", "marie le", "le marie",
    "marie martin", "vieuxbois", "vieuxboi", "vieuxbios", "vi", "leon vieuxbois", "leo", "léa lefèvre",
    "lea lefebre", "hugo l", "chloe m", "dubios", "marie lefebvre", "jean-louis", "za", "zab", "zabaie", "hugo za",
    "za hugo", "marie z", "zabaier", "zabaiet marie", "lucas zab",
]


async def test_a_crowd_gets_the_reference_answers(world: World, crowd: Crowd) -> None:
    """Each answer as the reference's, with the limit of a page and a small one."""
    for query in CROWD_QUERIES:
        for limit in (20, 3):
            assert await world.find(query, "foule", limit) == reference(crowd.parties, query, limit), (query, limit)


@pytest.mark.only_database("sqlite")  # PostgreSQL plans from its statistics: checked over 200,000 persons by bench/
async def test_sqlite_reads_the_crowd_through_indexes(world: World, crowd: Crowd) -> None:
    """SQLite keeps no statistics unless ANALYZEd: every statement of the crowd's queries searches an
    index by more than the tenant (EXPLAIN QUERY PLAN): no table of the CRM is scanned, nor read whole
    for a tenant, but by the walk's floor (the ``RECENT``-th most recent party: a bounded subquery)."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(world.engine.sync_engine, "before_cursor_execute", record)
    try:
        for query in [*CROWD_QUERIES, "06 12 34 56 78", "anne.lefevre@example.org", "73282932000074", "732829320",
                      "W751234567"]:
            await world.find(query, "foule")
    finally:
        sa.event.remove(world.engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) > len(CROWD_QUERIES)
    whole = re.compile(r"^(SCAN (crm_\w+|lead)\b|SEARCH .*\(tenant_id=\?\)$)")
    floor = re.compile(r"^SEARCH crm_parties USING COVERING INDEX ix_crm_parties_tenant_dealt \(tenant_id=\?\)$")
    async with world.engine.connect() as conn:
        for statement, parameters in statements:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = {step[0]: (step[1], step[3]) for step in map(tuple, rows)}
            wrong = [detail for parent, detail in plan.values() if whole.match(detail) and not (
                floor.match(detail) and plan.get(parent, (0, ""))[1].startswith("SCALAR SUBQUERY"))]
            assert not wrong, (statement, plan)

"""How long the knowledge base's search takes (``KnowledgeBase.search``, what ``GET …/kb/search?q=``, the page
``/connaissances`` and the agent page's panel call), over ``--sheets`` sheets (10,000): 80 % of a town hall's (drafts,
agents-only and public ones), 20 % of its agglomeration's, shared, the two partners both ways.

Each sheet has a title drawn from what town halls are asked (passports, civil status, waste, water, transport...) and
a Markdown body of three to twelve sentences with a heading and a list; they are written with core inserts and indexed
(``textsearch.index_sync``) 1,000 per transaction. Then ``--queries`` queries of each kind (a word, two words, a word
being typed, words of one meaning such as "passeports perdus", words that no sheet holds together, which fall back to
the sheets holding the most, a word of no sheet), each in a session of its own as a page would, by three readers (an
agent of the town hall, who also reads the agglomeration's shared sheets; a supervisor, who also reads drafts; anyone,
who reads the public sheets), after 50 to warm the caches; printed: p50, p95, p99 and max in milliseconds per kind and
overall (the target: p99 at most 30 ms). On SQLite (a temporary file) and, when ``--database-url`` or
``QUEUE_TEST_DATABASE_URL`` names a PostgreSQL server, on a database created there for the run (VACUUM ANALYZE after
loading) and dropped afterwards. Prints figures; never fails a build.

Usage: .venv/bin/python bench/kb.py [--sheets 10000] [--queries 300] [--no-sqlite]
       [--database-url postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from common import print_figures, scratch_postgresql  # bench/, run as a script

from queue_server.db.engine import make_engine, migrate
from queue_server.kb.indexing import document
from queue_server.kb.service import KnowledgeBase, new_id
from queue_server.kb.tables import SheetRow
from queue_server.platform.textsearch import index_sync
from queue_server.settings import load_settings

TOWN, AGGLO = "bench", "bench-agglo"
BATCH = 1_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TOPICS = ["Perte du passeport", "Vol de la carte d'identité", "Acte de naissance", "Acte de mariage", "Déclaration de "
          "décès", "Livret de famille", "Inscription sur les listes électorales", "Recensement citoyen", "Permis de "
          "construire", "Déclaration préalable de travaux", "Inscription à l'école", "Cantine scolaire", "Salle des "
          "fêtes", "Attestation d'accueil", "Changement de nom", "PACS", "Déménagement", "Stationnement résidentiel",
          "Collecte des déchets", "Encombrants", "Déchetterie", "Eau potable", "Assainissement", "Bus et tramway",
          "Abonnement scolaire", "Piscine municipale", "Médiathèque", "Aide sociale", "Carte grise", "Cimetière"]
SENTENCES = [
    "Présentez-vous au guichet avec une pièce d'identité et un justificatif de domicile de moins de trois mois.",
    "La demande se fait en ligne sur le site de l'ANTS, puis sur rendez-vous en mairie.",
    "Le délai de traitement est d'environ {n} jours ouvrés.",
    "Un timbre fiscal de {n} euros est demandé en cas de perte ou de vol.",
    "Le service {service} répond au 01 23 45 67 {n:02d}, du lundi au vendredi.",
    "Les mineurs se présentent avec un parent qui exerce l'autorité parentale.",
    "Le document est délivré gratuitement sur place, ou envoyé par courrier.",
    "Les bacs sont collectés le lundi et le jeudi ; sortez-les la veille au soir.",
    "Une déclaration de perte est remplie au guichet, ou auprès de la police en cas de vol.",
    "Pour un enfant né à l'étranger, écrivez au service central d'état civil.",
    "Les inscriptions sont ouvertes jusqu'au {n} du mois précédant la rentrée.",
    "Le tarif dépend du quotient familial ; une attestation de la CAF est demandée.",
    "Après un déménagement, pensez à signaler votre nouvelle adresse aux services concernés.",
    "Le dossier incomplet est rendu au demandeur avec la liste des pièces manquantes.",
]
SERVICES = ["État civil", "Passeports", "Urbanisme", "Éducation", "Environnement", "Régie des eaux", "Mobilités"]
QUERIES = {
    "one word": ["passeport", "naissance", "déchets", "ecole", "abonnement", "timbre", "cantine", "piscine"],
    "two words": ["acte naissance ", "permis construire ", "salle fêtes ", "carte identité ", "eau potable "],
    "typing": ["pass", "passep", "déclar", "naiss", "recen", "abonn", "encom"],
    "equivalents": ["passeports perdus", "carte volée", "né étranger ", "voter", "poubelles ", "décédé "],
    "most words": ["passeport piscine médiathèque ", "cantine permis tramway ", "timbre recensement cimetière "],
    "no match": ["xylophone ", "zzz"],
}


def body(rng: random.Random) -> str:
    sentences = [rng.choice(SENTENCES).format(n=rng.randint(1, 60), service=rng.choice(SERVICES))
                 for _ in range(rng.randint(3, 12))]
    half = len(sentences) // 2
    return (" ".join(sentences[:half]) + "\n\n## Pièces à fournir\n\n" +
            "\n".join(f"- {s}" for s in sentences[half:]))


def load(connection: sa.Connection, count: int) -> None:
    """The two collectivities, partners both ways, and ``count`` sheets, indexed."""
    rng = random.Random(42)
    for tenant, name in ((TOWN, "Mairie du banc"), (AGGLO, "Agglomération du banc")):
        connection.execute(sa.text("INSERT INTO tenants (id, name, website_origins) VALUES (:t, :n, '[]')"),
                           {"t": tenant, "n": name})
    for tenant, partner in ((TOWN, AGGLO), (AGGLO, TOWN)):
        connection.execute(sa.text("INSERT INTO kb_partners (tenant_id, partner_id, at, named_by) "
                                   "VALUES (:t, :p, :at, 'bench')"), {"t": tenant, "p": partner, "at": NOW})
    insert = sa.text(
        "INSERT INTO kb_sheets (id, tenant_id, title, body, audience, status, shared, owner_service, services, motifs, "
        "categories, version, created_at, created_by, updated_at, updated_by) VALUES (:id, :tenant_id, :title, :body, "
        ":audience, :status, :shared, :owner_service, '[]', '[]', '[]', 1, :at, 'bench', :at, 'bench')")
    for start in range(0, count, BATCH):
        with connection.begin_nested():
            for number in range(start, min(count, start + BATCH)):
                agglo = number % 5 == 0
                row = SheetRow(
                    id=new_id(), tenant_id=AGGLO if agglo else TOWN,
                    title=f"{rng.choice(TOPICS)} ({rng.choice(SERVICES)}, fiche {number})", body=body(rng),
                    audience=rng.choice(["public", "public", "agents"]),
                    status="published" if agglo or rng.random() < 0.85 else rng.choice(["draft", "review", "archived"]),
                    shared=agglo, owner_service=rng.choice(SERVICES))
                at = NOW - timedelta(minutes=number)
                connection.execute(insert, {**row.model_dump(include={"id", "tenant_id", "title", "body", "audience",
                                                                       "status", "shared", "owner_service"}), "at": at})
                index_sync(connection, document(row))


async def run(url: str, label: str, count: int, queries: int) -> None:
    engine = make_engine(load_settings(database={"url": url}).database_url)
    try:
        await migrate(engine)
        started = time.perf_counter()
        async with engine.begin() as conn:
            await conn.run_sync(load, count)
        loaded = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(sa.text("VACUUM ANALYZE"))
        from queue_server.db.engine import sessions

        kb = KnowledgeBase(sessions(engine))
        readers = {"agent": await kb.reader(TOWN), "supervisor": await kb.reader(TOWN, editor=True),
                   "anyone": await kb.reader(None)}
        rng = random.Random(7)
        plan = [(kind, who, rng.choice(words)) for kind, words in QUERIES.items() for who in readers
                for _ in range(max(1, queries // len(QUERIES) // len(readers)))]
        rng.shuffle(plan)
        for _kind, who, words in plan[:50]:
            await kb.search(readers[who], TOWN, words)
        times: dict[str, list[float]] = defaultdict(list)
        hits: dict[str, list[int]] = defaultdict(list)
        by_reader: dict[str, list[float]] = defaultdict(list)
        for kind, who, words in plan:
            begun = time.perf_counter()
            found = await kb.search(readers[who], TOWN, words)
            spent = (time.perf_counter() - begun) * 1000
            times[kind].append(spent)
            by_reader[who].append(spent)
            hits[kind].append(len(found))
        print(f"\n{label}: {count} sheets loaded and indexed in {loaded:.1f} s; {len(plan)} queries "
              f"(load average {os.getloadavg()[0]:.2f})")
        every_hit = statistics.mean([h for hs in hits.values() for h in hs])
        print_figures([*((kind, values, statistics.mean(hits[kind])) for kind, values in times.items()),
                       *((f"  {who}", values, every_hit) for who, values in by_reader.items()),
                       ("all", [v for vs in times.values() for v in vs], every_hit)], width=14)
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("QUEUE_TEST_DATABASE_URL", ""))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if not args.no_sqlite:
            await run(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", "SQLite", args.sheets, args.queries)
        if args.database_url.startswith("postgresql"):
            async with scratch_postgresql(args.database_url) as url:
                await run(url, "PostgreSQL", args.sheets, args.queries)

if __name__ == "__main__":
    asyncio.run(main())

"""How long staff's search of the requests takes (``Requests.search_with_excerpts``, what ``/demandes?q=`` and
``GET …/requests?q=`` call), over ``--requests`` requests (10,000) of one tenant.

Each request has a subject and one to four messages of two to six sentences drawn from a few dozen French ones about
what town halls are asked (passports, roads, schools, building permits...), with names from a short list and a
reference; they are written with core inserts and indexed (``textsearch.index_sync``) 1,000 per transaction, as
migration 0022 indexes existing requests. Then ``--queries`` queries (a word, two words, a word being typed, a
reference, a name, a word of no request), each in a session of its own as a page would, after 50 to warm the caches;
printed: p50, p95, p99 and max in milliseconds, per kind and overall (the target: p99 at most 30 ms). On SQLite (a
temporary file) and, when ``--database-url`` or ``QUEUE_TEST_DATABASE_URL`` names a PostgreSQL server, on a
database created there for the run (VACUUM ANALYZE after loading) and dropped afterwards. Prints figures; never fails
a build.

Usage: .venv/bin/python bench/requests_search.py [--requests 10000] [--queries 500] [--no-sqlite]
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
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from common import print_figures, scratch_postgresql  # bench/, run as a script

from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.platform.outbox import MessageTemplates
from queue_server.platform.textsearch import index_sync
from queue_server.requests.indexing import request_document
from queue_server.requests.service import Requests
from queue_server.settings import load_settings

TENANT = "bench"
BATCH = 1_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CATEGORIES = {"etat-civil": "État civil", "urbanisme": "Urbanisme", "voirie": "Voirie", "ecoles": "Écoles",
              "autre": "Autre"}
SUBJECTS = ["Passeport perdu", "Carte d'identité à renouveler", "Acte de naissance", "Trottoir abîmé",
            "Nid-de-poule rue Haute", "Éclairage public en panne", "Inscription à l'école", "Cantine scolaire",
            "Permis de construire", "Déclaration préalable de travaux", "Abri de jardin", "Déménagement",
            "Bruit de voisinage", "Ramassage des encombrants", "Stationnement gênant", "Mariage en mairie",
            "Recensement citoyen", "Attestation d'accueil", "Arbre dangereux", "Salle des fêtes"]
SENTENCES = [
    "Bonjour, je vous écris au sujet de {thing}.", "Nous avons déménagé au {n} rue {street} le mois dernier.",
    "Mon fils doit être inscrit à l'école {street} pour la rentrée.", "Le trottoir devant le {n} est défoncé.",
    "J'ai perdu mon passeport lors d'un voyage à {city}.", "Pouvez-vous m'envoyer un acte de naissance intégral ?",
    "Le lampadaire de la rue {street} ne s'allume plus depuis {n} jours.", "Merci de votre réponse rapide.",
    "Quelles pièces faut-il joindre à la demande de permis de construire ?", "Je souhaite réserver la salle des fêtes.",
    "Un arbre menace de tomber sur la chaussée près du {n} avenue {street}.", "Cordialement, {first} {last}.",
    "Les encombrants n'ont pas été ramassés mardi.", "Une voiture est garée sur le passage piéton tous les soirs.",
    "Nous voudrions nous marier le {n} juin à la mairie.", "Ma fille a eu seize ans et doit se faire recenser.",
    "Le dossier est complet, je joins les justificatifs de domicile.", "Votre demande est en cours d'instruction.",
    "Pensez à prendre rendez-vous pour déposer votre dossier.", "Le service technique passera jeudi.",
    "Il manque une pièce : le plan de situation du terrain.", "Nous avons transmis votre demande à la voirie.",
]
THINGS = ["ma carte d'identité", "la cantine", "mon abri de jardin", "la fête du village", "l'éclairage public",
          "mon dossier d'urbanisme", "l'état civil", "la collecte des déchets"]
STREETS = ["Haute", "Basse", "des Écoles", "Victor-Hugo", "Jean-Jaurès", "du Moulin", "de la Gare", "Pasteur"]
CITIES = ["Rome", "Lisbonne", "Madrid", "Berlin", "Alger", "Dakar", "Tunis"]
FIRSTS = ["Anne", "Élodie", "Bruno", "Karim", "Léa", "Noël", "Françoise", "Yanis", "Chloé", "Gérard"]
LASTS = ["Lefèvre", "Garçon", "Carré", "Martin", "Dubois", "Benali", "Nguyen", "Müller", "Da Silva", "Hoarau"]
QUERIES = {
    "one word": ["passeport", "trottoir", "ecole", "déménagement", "lampadaire", "encombrants", "mariage",
                 "permis", "cantine", "arbre"],
    "two words": ["passeport perdu ", "acte naissance ", "permis construire ", "salle fêtes ", "rue haute ",
                  "dossier complet "],
    "typing": ["pass", "passep", "déména", "tro", "urba", "recen", "éclair"],
    "reference": ["DEM-2026-000042", "DEM-2026-004242", "004242", "9999 "],
    "name": ["lefevre", "garcon elodie", "da silva", "muller"],
    "no match": ["xylophone ", "zzz"],
}


def sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(thing=rng.choice(THINGS), n=rng.randint(1, 120), street=rng.choice(STREETS),
                                        city=rng.choice(CITIES), first=rng.choice(FIRSTS), last=rng.choice(LASTS))


def load(connection: sa.Connection, count: int) -> None:
    """The tenant, its categories and ``count`` requests with their messages, indexed."""
    rng = random.Random(42)
    connection.execute(sa.text("INSERT INTO tenants (id, name, website_origins) VALUES (:t, 'Banc', '[]')"),
                       {"t": TENANT})
    for category, name in CATEGORIES.items():
        connection.execute(sa.text(
            "INSERT INTO requests_categories (tenant_id, category, name, position, public, service_name, "
            "service_address, service_email, service_phone, implicit, delay_months, delay_days, appeal, answer_days) "
            "VALUES (:t, :c, :n, 0, true, :n, '', '', '', 'none', 0, 0, '', 10)"),
            {"t": TENANT, "c": category, "n": name})
    for start in range(0, count, BATCH):
        with connection.begin_nested():
            for number in range(start + 1, min(count, start + BATCH) + 1):
                request_id = uuid.uuid4().hex[:22]
                at = NOW - timedelta(minutes=number)
                category = rng.choice(list(CATEGORIES))
                first, last = rng.choice(FIRSTS), rng.choice(LASTS)
                subject, reference = rng.choice(SUBJECTS), f"DEM-2026-{number:06d}"
                connection.execute(sa.text(
                    "INSERT INTO requests (id, tenant_id, reference, category, subject, status, channel, received_at, "
                    "received_on, due_on, first_name, last_name, email, lang, created_by, updated_at) VALUES (:id, :t, "
                    ":ref, :c, :s, 'received', 'web', :at, :on, :due, :f, :l, :e, 'fr', 'citizen', :at)"),
                    {"id": request_id, "t": TENANT, "ref": reference, "c": category, "s": subject, "at": at,
                     "on": at.date(), "due": at.date() + timedelta(days=14), "f": first, "l": last,
                     "e": f"{first.lower()}@example.fr"})
                bodies = [" ".join(sentence(rng) for _ in range(rng.randint(2, 6))) for _ in range(rng.randint(1, 4))]
                for body in bodies:
                    connection.execute(sa.text(
                        "INSERT INTO requests_messages (request_id, at, author, body, internal, actor) "
                        "VALUES (:r, :at, 'citizen', :b, false, 'citizen')"), {"r": request_id, "at": at, "b": body})
                index_sync(connection, request_document(TENANT, request_id, reference, subject, bodies,
                                                        (first, last, None, f"{first.lower()}@example.fr"),
                                                        CATEGORIES[category]))


async def run(url: str, label: str, count: int, queries: int, data_dir: Path) -> None:
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
        service = Requests(sessions(engine), MessageTemplates(), data_dir)
        rng = random.Random(7)
        plan = [(kind, rng.choice(words)) for kind, words in QUERIES.items() for _ in range(queries // len(QUERIES))]
        rng.shuffle(plan)
        for _kind, words in plan[:50]:
            await service.search_with_excerpts(TENANT, text=words)
        times: dict[str, list[float]] = defaultdict(list)
        hits: dict[str, list[int]] = defaultdict(list)
        for kind, words in plan:
            begun = time.perf_counter()
            found = await service.search_with_excerpts(TENANT, text=words)
            times[kind].append((time.perf_counter() - begun) * 1000)
            hits[kind].append(len(found))
        print(f"\n{label}: {count} requests loaded and indexed in {loaded:.1f} s; {len(plan)} queries "
              f"(load average {os.getloadavg()[0]:.2f})")
        every_hit = statistics.mean([h for hs in hits.values() for h in hs])
        print_figures([*((kind, values, statistics.mean(hits[kind])) for kind, values in times.items()),
                       ("all", [v for vs in times.values() for v in vs], every_hit)])
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("QUEUE_TEST_DATABASE_URL", ""))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if not args.no_sqlite:
            await run(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", "SQLite", args.requests, args.queries,
                      Path(directory))
        if args.database_url.startswith("postgresql"):
            async with scratch_postgresql(args.database_url) as url:
                await run(url, "PostgreSQL", args.requests, args.queries, Path(directory))

if __name__ == "__main__":
    asyncio.run(main())

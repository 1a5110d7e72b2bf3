"""How long the CRM's search (``queue_server/crm/search.py``) takes as staff type, over 200,000 persons.

The persons get French names drawn from 317 surnames and 213 first names (a tenth of them compound,
"Jean-Luc"), the common ones more often (weight 1/(rank + 20) for surnames, 1/(rank + 10) for first
names: "Martin" is on some 3,900 persons, "Marie" on some 7,500); seven in ten a mobile number, four in
ten an e-mail address; each dealt with at some moment of the last six years. They are written with core
inserts, 10,000 per transaction, and filed under their names in bulk (``search.index_many``).

Then ``--queries`` typical queries (full names in either order, a surname alone, prefixes as they are
typed from 2 letters on, names with one typo, phone numbers in various formats, e-mail addresses), each
``--repeat`` times (3), each time in a session of its own as a request would, after 100 to warm the
caches. Printed per kind and overall: p50, p95, p99 and max in milliseconds of the first run of each
query, and of the best of its runs (what it costs when no other process takes the CPU from it: on a
busy machine the two differ; the load average is printed). On SQLite (a temporary file, never
ANALYZEd, as a server's is) and, when ``--database-url`` or ``QUEUE_TEST_DATABASE_URL`` names a
PostgreSQL server, on a database created there for the run (VACUUM ANALYZE after loading, as
autovacuum would) and dropped afterwards. ``--keep`` keeps both and prints their URLs; ``--reuse URL``
queries such a database again without loading it. Prints figures; never fails a build.

Usage: .venv/bin/python bench/crm_search.py [--persons 200000] [--queries 1000] [--repeat 3]
       [--database-url postgresql://postgres@127.0.0.1/test] [--no-sqlite] [--keep] [--reuse URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from queue_server.crm import search
from queue_server.crm.domain.text import fold
from queue_server.crm.tables import ContactPoint, Party
from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import Tenant
from queue_server.settings import load_settings

TENANT, REGION = "bench", "FR"
BATCH = 10_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)

SURNAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon",
    "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont",
    "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc",
    "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin",
    "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis",
    "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly",
    "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt",
    "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland",
    "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier",
    "Sanchez", "Dupuis", "Moulin", "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer",
    "Klein", "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles", "Renault",
    "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé", "Schneider", "Fernandez", "Le Gall",
    "Collet", "Léger", "Bouvier", "Julien", "Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain",
    "Breton", "Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez",
    "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier", "Chevallier", "Collin", "Chauvin", "Da Silva",
    "Bouchet", "Gay", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret",
    "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte",
    "Gros", "Buisson", "Lefort", "Texier", "Marechal", "Hoareau", "Riviere", "Dubreuil", "Guillou", "Bigot", "Brunel",
    "Lenoir", "Pons", "Jourdan", "Boutin", "Mary", "Roth", "Maillot", "Guillet", "Tanguy", "Devaux", "Delmas",
    "Schmidt", "Blondel", "Besnard", "Courtois", "Fischer", "Ferrand", "Navarro", "Raymond", "Gomez", "Leduc",
    "Poulet", "Marion", "Bouvet", "Lebon", "Bousquet", "Dujardin", "Bertrand Dumas", "Chauvet", "Fleurot", "Lecoq",
    "Camus", "Cuvelier", "Bodin", "Lacombe", "Verdier", "Sauvage", "Lemonnier", "Delattre", "Vallée", "Merle",
    "Hebert", "Guillon", "Besse", "Martel", "Etienne", "Thibault", "Jacques", "Riou", "Cartier", "Raynaud", "Leveque",
    "Lebreton", "Rossi", "Bonnin", "Pineau", "Ollivier", "Briand", "Leconte", "Brault", "Blin", "Labbé", "Boulay",
    "Thierry", "Duhamel", "Chevrier", "Sabatier", "Godard", "Ferreira", "Lucas Dupont", "Bouchard", "Lacoste", "Dias",
    "Laine", "Grenier", "Tournier", "Laurens", "Dumont Lefèvre", "Vidal Roux", "Didier", "Lelièvre", "Hamel",
    "Delorme", "Allard", "Lesage", "Benard", "Jolly", "Launay", "Marin", "Gaudin", "Weiss", "Langlais",
    "Fabre Martin", "Bonneau", "Bazin", "Lévy", "Gauvin", "Couturier", "Parent", "Hardy", "Coulon", "Descamps",
    "Rocher", "Bruneau", "Chartier", "Vial"
]
FIRST_NAMES = [
    "Marie", "Jean", "Pierre", "Michel", "André", "Philippe", "Nathalie", "Isabelle", "Louis", "Alain", "Jacques",
    "Bernard", "Catherine", "Sylvie", "Anne", "Christine", "Françoise", "Monique", "Martine", "Daniel", "Claude",
    "Christian", "Nicolas", "Patrick", "Sophie", "Valérie", "Sandrine", "Céline", "Stéphane", "Laurent", "Frédéric",
    "Éric", "David", "Pascal", "Sébastien", "Thomas", "Julien", "Christophe", "Olivier", "Thierry", "Dominique",
    "Jeanne", "Madeleine", "Nicole", "Suzanne", "Hélène", "Chantal", "Véronique", "Stéphanie", "Julie", "Aurélie",
    "Émilie", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Alice", "Lina", "Rose", "Anna",
    "Ambre", "Juliette", "Léna", "Zoé", "Mia", "Lou", "Agathe", "Margaux", "Sarah", "Laura", "Pauline", "Marine",
    "Mathilde", "Élodie", "Audrey", "Mélanie", "Caroline", "Virginie", "Laetitia", "Claire", "Brigitte", "Danielle",
    "Josiane", "Odette", "Simone", "Yvette", "Colette", "Denise", "Ginette", "Germaine", "Paulette", "Marguerite",
    "Geneviève", "Thérèse", "Béatrice", "Agnès", "Corinne", "Florence", "Patricia", "Karine", "Delphine", "Laurence",
    "Éléonore", "Océane", "Clémence", "Noémie", "Maëlle", "Anaïs", "Charlotte", "Lucie", "Élise", "Héloïse",
    "Capucine", "Apolline", "Victoire", "Constance", "Margot", "Salomé", "Yasmine", "Fatima", "Aïcha", "Nadia",
    "Samira", "René", "Marcel", "Roger", "Robert", "Paul", "Henri", "Georges", "François", "Joseph", "Gérard",
    "Alexandre", "Maxime", "Guillaume", "Antoine", "Lucas", "Hugo", "Léo", "Gabriel", "Raphaël", "Arthur", "Jules",
    "Adam", "Maël", "Noah", "Ethan", "Nathan", "Théo", "Tom", "Mathis", "Enzo", "Clément", "Baptiste", "Quentin",
    "Romain", "Kévin", "Florian", "Jérôme", "Yves", "Gilles", "Didier", "Serge", "Bruno", "Francis", "Mohamed",
    "Karim", "Mehdi", "Yanis", "Rayan", "Ibrahim", "Sofiane", "Youssef", "Amine", "Bilal", "Hamza", "Moussa",
    "Mamadou", "Vincent", "Benoît", "Cédric", "Arnaud", "Fabien", "Jérémy", "Anthony", "Mickaël", "Damien", "Sylvain",
    "Xavier", "Lionel", "Hervé", "Fabrice", "Emmanuel", "Gaël", "Loïc", "Yann", "Erwan", "Ronan", "Titouan", "Timéo",
    "Noé", "Sacha", "Axel", "Aurélien", "Valentin", "Tristan", "Victor", "Martin"
]
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr", "wanadoo.fr", "yahoo.fr")


def weights(n: int, offset: int) -> list[float]:
    return [1 / (rank + offset) for rank in range(1, n + 1)]


def people(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` persons: id, names, dealt_with_at, and perhaps a phone and an e-mail."""
    surnames = rng.choices(SURNAMES, weights(len(SURNAMES), 20), k=count)
    firsts = rng.choices(FIRST_NAMES, weights(len(FIRST_NAMES), 10), k=count)
    seconds = rng.choices(FIRST_NAMES, weights(len(FIRST_NAMES), 10), k=count)
    out = []
    for i in range(count):
        first = f"{firsts[i]}-{seconds[i]}" if rng.random() < 0.1 and firsts[i] != seconds[i] else firsts[i]
        person: dict[str, Any] = {"id": i + 1, "first_name": first, "last_name": surnames[i],
                                  "dealt_with_at": NOW - timedelta(seconds=rng.randrange(6 * 365 * 86400)),
                                  "birth_date": date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))}
        if rng.random() < 0.7:
            person["phone"] = f"+33{rng.choice(('61', '76'))}{i:07d}"  # numbers libphonenumber holds valid
        if rng.random() < 0.4:
            local = ".".join(fold(part).replace(" ", "") for part in (first, surnames[i]))
            person["email"] = f"{local}{i}@{rng.choice(DOMAINS)}"
        out.append(person)
    return out


async def load(url: str, persons: list[dict[str, Any]]) -> float:
    """Migrate, write the persons and their contact points, file them under their names; seconds taken."""
    engine = make_engine(url)
    started = time.perf_counter()
    await migrate(engine)
    parties: sa.Table = Party.__table__  # type: ignore[attr-defined]
    contacts: sa.Table = ContactPoint.__table__  # type: ignore[attr-defined]
    async with sessions(engine)() as session:
        session.add(Tenant(id=TENANT, name="Ville de Bench"))
        await session.commit()
    for start in range(0, len(persons), BATCH):
        batch = persons[start:start + BATCH]
        rows, points = [], []
        for p in batch:
            rows.append({"id": p["id"], "tenant_id": TENANT, "kind": "person", "first_name": p["first_name"],
                         "last_name": p["last_name"], "birth_date": p["birth_date"], "language": "fr", "name": "",
                         "activity": "", "tags": [], "created_at": p["dealt_with_at"],
                         "updated_at": p["dealt_with_at"], "dealt_with_at": p["dealt_with_at"]})
            for kind in ("phone", "email"):
                if kind in p:
                    points.append({"tenant_id": TENANT, "party_id": p["id"], "kind": kind, "value": p[kind],
                                   "key": p[kind].lower(), "label": "", "consent_sms": False,
                                   "consent_email": False, "consent_surveys": False})
        async with sessions(engine)() as session:
            await session.execute(parties.insert(), rows)
            await session.execute(contacts.insert(), points)
            await search.index_many(session, TENANT, {p["id"]: f"{p['first_name']} {p['last_name']}" for p in batch})
            await session.commit()
    if url.startswith("postgresql"):
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started


def one_typo(word: str, rng: random.Random) -> str:
    """``word`` with one letter added, removed, replaced, or two neighbours swapped."""
    i = rng.randrange(len(word))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    match rng.randrange(4):
        case 0:
            return word[:i] + letter + word[i:]
        case 1:
            return word[:i] + word[i + 1:]
        case 2:
            return word[:i] + letter + word[i + 1:]
        case _:
            i = min(i, len(word) - 2)
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def phone_as_typed(e164: str, rng: random.Random) -> str:
    national = "0" + e164[3:]
    pairs = [national[i:i + 2] for i in range(0, 10, 2)]
    return rng.choice([e164, national, " ".join(pairs), ".".join(pairs), "-".join(pairs),
                       "+33 " + national[1] + " " + " ".join(pairs[1:]), "0033" + e164[3:],
                       "0033 " + national[1] + " " + " ".join(pairs[1:])])


def queries(persons: list[dict[str, Any]], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query) pairs: what staff type at a reception desk, in proportions that look like a day."""
    mix = [("full name", 25), ("surname", 10), ("typing", 30), ("typo", 15), ("phone", 10), ("email", 10)]
    kinds = rng.choices([k for k, _ in mix], [w for _, w in mix], k=count)
    with_phone = [p for p in persons if "phone" in p]
    with_email = [p for p in persons if "email" in p]
    out: list[tuple[str, str]] = []
    for kind in kinds:
        p = rng.choice(persons)
        first, last = p["first_name"], p["last_name"]
        if rng.random() < 0.5:  # typed without accents, in lower case
            first, last = fold(first), fold(last)
        match kind:
            case "full name":
                out.append((kind, rng.choice([f"{first} {last}", f"{last} {first}"])))
            case "surname":
                out.append((kind, last))
            case "typing":
                typed = f"{last} {first}"
                out.append((kind, typed[:rng.randint(2, len(typed))].rstrip() or typed[:2]))
            case "typo":
                word = fold(last).split()[-1]
                wrong = one_typo(word, rng) if len(word) >= 4 else word
                out.append((kind, rng.choice([wrong, f"{wrong} {fold(first)}", f"{fold(first)} {wrong}"])))
            case "phone":
                out.append((kind, phone_as_typed(rng.choice(with_phone)["phone"], rng)))
            case _:
                address = rng.choice(with_email)["email"]
                out.append((kind, rng.choice([address, address.upper(), address.capitalize()])))
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def run(url: str, asked: list[tuple[str, str]], repeat: int) -> dict[str, dict[str, list[float]]]:
    """Each query ``repeat`` times, each time in a session of its own, as a request would. Milliseconds per
    kind: the first run's, and the best of the runs (what the query costs when no other process takes the
    CPU from it: the machine's load shows in the difference). ``found``: queries with an answer."""
    engine = make_engine(url)
    made = sessions(engine)
    first: dict[str, list[float]] = defaultdict(list)
    best: dict[str, list[float]] = defaultdict(list)
    found = 0
    for _, query in asked[:100]:  # warm the caches and the connection pool
        async with made() as session:
            await search.find(session, TENANT, query, REGION)
    for kind, query in asked:
        took = []
        for _ in range(repeat):
            started = time.perf_counter()
            async with made() as session:
                answer = await search.find(session, TENANT, query, REGION)
            took.append((time.perf_counter() - started) * 1000)
        first[kind].append(took[0])
        best[kind].append(min(took))
        found += bool(answer)
    await engine.dispose()
    return {"first run": first, f"best of {repeat}": best, "found": {"": [found]}}


def report(engine: str, persons: int, loaded_s: float | None, asked: int,
           runs: dict[str, dict[str, list[float]]]) -> None:
    found = runs.pop("found")[""][0]
    loaded = f"loaded and filed in {loaded_s:.0f} s" if loaded_s is not None else "(database reused)"
    load = " ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{engine}: {persons:,} persons {loaded}; {asked} queries, {found / asked:.0%} with an answer; "
          f"load average {load} on {os.cpu_count()} CPUs")
    for name, times in runs.items():
        print(f"  {name:<12} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  (ms)")
        every = [t for values in times.values() for t in values]
        for kind, values in [*sorted(times.items()), ("overall", every)]:
            print(f"  {kind:<12} {len(values):>5} {statistics.median(values):>7.2f} {percentile(values, 95):>7.2f} "
                  f"{percentile(values, 99):>7.2f} {max(values):>7.2f}")


async def postgres_database(server: str) -> str:
    import asyncpg

    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.rsplit("/", 1)[0] + "/" + name


async def drop_postgres_database(server: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query (the best is printed too)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--database-url", default=os.environ.get("QUEUE_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server (postgresql://user@host/db) to create the bench's database on")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    parser.add_argument("--reuse", metavar="URL", help="query a database a --keep run left (same --persons, --seed)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    persons = people(args.persons, rng)
    asked = queries(persons, args.queries, rng)
    if args.reuse:
        url = load_settings(database={"url": args.reuse}).database_url
        name = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        report(name, len(persons), None, len(asked), await run(url, asked, args.repeat))
        return
    engines: list[tuple[str, str]] = []
    if not args.no_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="guichet-crm-"))
        engines.append(("SQLite", f"sqlite:///{folder / 'crm.sqlite3'}"))
    if args.database_url:
        engines.append(("PostgreSQL", await postgres_database(args.database_url)))
    for name, raw in engines:
        url = load_settings(database={"url": raw}).database_url
        try:
            loaded = await load(url, persons)
            report(name, len(persons), loaded, len(asked), await run(url, asked, args.repeat))
        finally:
            if args.keep:
                print(f"  kept: {raw}")
            elif name == "PostgreSQL":
                await drop_postgres_database(args.database_url, raw)
            else:
                shutil.rmtree(Path(url.split("///", 1)[1]).parent, ignore_errors=True)
    if not engines:
        print("nothing to do: --no-sqlite and no --database-url")


if __name__ == "__main__":
    asyncio.run(main())

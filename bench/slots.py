"""How long the slot engine (``queue_server/booking/domain/slots.py``) takes to lay a month of slots.

A town hall in Europe/Paris open Monday to Friday 08:30–12:00 and 13:30–17:00 and Saturday 09:00–12:00,
closed on Easter Monday and for an inventory day, offers 10 motifs (10 to 45 minutes, 1 to 3 desks, some
with buffers, one with hours of its own) over March 2027, a month with a clock change. ``--appointments``
(1,000) places are taken first, each on a start its motif offers and a desk free there, spread over the
month. Then each run asks ``slots()`` for the whole month of each of the 10 motifs, as the booking page's
month view would, and the median of ``--runs`` runs is printed with the slots found, and the same once
every motif is handed all the places (the engine sorts and bisects them; ten times the places, a little
more time). Prints figures; never fails a build.

Usage: .venv/bin/python bench/slots.py [--appointments 1000] [--runs 21] [--seed 28]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from queue_server.booking.domain.motifs import Motif
from queue_server.booking.domain.slots import Held, Opening, free_desks, held_span, slots

WEEKDAYS = ((510, 720), (810, 1020))  # 08:30–12:00, 13:30–17:00
OPENING = Opening("Europe/Paris", weekly={**dict.fromkeys(range(5), WEEKDAYS), 5: ((540, 720),)},
                  closed={date(2027, 3, 29): "Lundi de Pâques", date(2027, 3, 12): "Inventaire"})
FIRST, LAST = date(2027, 3, 1), date(2027, 3, 31)
NOW = datetime(2027, 2, 28, 12, tzinfo=UTC)
MOTIFS = [
    Motif("passeport", "bench", "passeports", "Passeport : dépôt", 20, capacity=3, horizon_days=60),
    Motif("cni", "bench", "passeports", "Carte d'identité : dépôt", 15, capacity=3, buffer_after_min=5),
    Motif("retrait", "bench", "passeports", "Retrait d'un titre", 10, capacity=2, horizon_days=60),
    Motif("mariage", "bench", "etat-civil", "Dossier de mariage", 45, buffer_before_min=10, horizon_days=60),
    Motif("naissance", "bench", "etat-civil", "Déclaration de naissance", 15, capacity=2, step_min=15),
    Motif("deces", "bench", "etat-civil", "Déclaration de décès", 20, min_notice_min=0, horizon_days=60),
    Motif("permis", "bench", "urbanisme", "Permis de construire", 30, horizon_days=60,
          hours=dict.fromkeys((1, 3), ((540, 720),))),
    Motif("cadastre", "bench", "urbanisme", "Cadastre", 15, step_min=10, horizon_days=60),
    Motif("inscription", "bench", "ecoles", "Inscription scolaire", 30, capacity=2, buffer_after_min=10,
          horizon_days=60),
    Motif("ccas", "bench", "social", "Rendez-vous CCAS", 40, capacity=2, buffer_before_min=5,
          buffer_after_min=5, horizon_days=60),
]


def taken(count: int, rng: random.Random) -> dict[str, list[Held]]:
    """``count`` places, each on a start of a motif drawn at random and a desk free there."""
    offered = {m.id: slots(m, OPENING, [], FIRST, LAST, NOW) for m in MOTIFS}
    held: dict[str, list[Held]] = {m.id: [] for m in MOTIFS}
    placed = 0
    while placed < count:
        motif = rng.choice(MOTIFS)
        start = rng.choice(offered[motif.id]).start
        desks = free_desks(motif, held[motif.id], start, motif.duration_min)
        if desks:
            held[motif.id].append(Held(rng.choice(desks), *held_span(motif, start, motif.duration_min)))
            placed += 1
    return held


def month(held: dict[str, Sequence[Held]]) -> int:
    return sum(len(slots(m, OPENING, held[m.id], FIRST, LAST, NOW)) for m in MOTIFS)


def timed(held: dict[str, Sequence[Held]], runs: int) -> tuple[float, int]:
    """The median milliseconds of ``runs`` months of the 10 motifs, and the slots found."""
    found = month(held)  # warm: ZoneInfo's cache, the interpreter's
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        month(held)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--seed", type=int, default=28)
    args = parser.parse_args()
    held = taken(args.appointments, random.Random(args.seed))
    load = " ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"slots of {len(MOTIFS)} motifs over {FIRST:%B %Y}, {args.appointments:,} places taken; "
          f"median of {args.runs} runs; load average {load} on {os.cpu_count()} CPUs")
    empty: dict[str, Sequence[Held]] = {m.id: [] for m in MOTIFS}
    every = [h for places in held.values() for h in places]
    cases: list[tuple[str, dict[str, Sequence[Held]]]] = [
        ("no place taken", empty), ("places of each motif", dict(held)),
        ("all places to every motif", {m.id: every for m in MOTIFS})]
    for name, given in cases:
        ms, found = timed(given, args.runs)
        print(f"  {name:<26} {ms:7.1f} ms  {found:6,} slots")


if __name__ == "__main__":
    main()

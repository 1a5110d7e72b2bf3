"""The demo site's motifs (``queue-server demo``), as API.md says: ``passeport`` (service ``passeports``, 20 min,
2 desks), ``mariage`` (``etat-civil``, 30 min, 1 desk) and ``permis`` (``urbanisme``, 30 min, 1 desk), each public,
bookable from 2 hours to 90 days ahead, Monday to Friday 08:30-12:00 and 13:30-17:00 (Europe/Paris), closed on
weekends and French public holidays while the demo's queue stays open. Put only when the site has no motif."""

from __future__ import annotations

from queue_server.booking.domain.motifs import DurationRule, Motif, Question
from queue_server.booking.service import Booking, Who

SITE = "demo"
WEEKDAYS = {day: ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60)) for day in range(5)}
SEEDER = Who(actor="demo seed", staff=True)


def demo_motifs() -> list[Motif]:
    common = {"site": SITE, "public": True, "min_notice_min": 120, "horizon_days": 90, "hours": WEEKDAYS,
              "holidays": "FR", "cancel_cutoff_min": 60}
    return [
        Motif(id="passeport", service="passeports", name="Passeport ou carte d'identité : dépôt du dossier",
              duration_min=20, capacity=2, description="Première demande ou renouvellement.",
              instructions="Présentez-vous 10 minutes avant l'heure avec votre pré-demande imprimée.",
              documents=("Numéro de pré-demande ANTS", "Photo d'identité de moins de 6 mois",
                         "Justificatif de domicile de moins d'un an", "Ancien titre"),
              questions=(Question(id="personnes", label="Nombre de personnes", kind="count", required=True,
                                  minimum=1, maximum=5),),
              duration_rule=DurationRule(question="personnes", per_extra_min=10), **common),  # type: ignore[arg-type]
        Motif(id="mariage", service="etat-civil", name="Mariage : dépôt du dossier", duration_min=30, capacity=1,
              description="Les deux futurs époux viennent ensemble.",
              instructions="Venez ensemble, avec le dossier complet.",
              documents=("Pièces d'identité des deux futurs époux", "Justificatifs de domicile",
                         "Liste des témoins"), **common),  # type: ignore[arg-type]
        Motif(id="permis", service="urbanisme", name="Permis de construire : rendez-vous conseil", duration_min=30,
              capacity=1, description="Un instructeur examine votre projet avec vous.",
              instructions="Apportez vos plans et photos du terrain.",
              documents=("Plan de situation", "Plan de masse", "Photos"), **common),  # type: ignore[arg-type]
    ]


async def seed_motifs(booking: Booking) -> bool:
    """Put the demo's motifs when the site has none; True when it did."""
    if await booking.motifs(SITE, staff=True):
        return False
    for motif in demo_motifs():
        await booking.put_motif(SITE, motif, SEEDER)
    return True

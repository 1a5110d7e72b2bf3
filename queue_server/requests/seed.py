"""The demo collectivity's request categories (``queue-server demo``), as API.md says: ``etat-civil``,
``urbanisme``, ``voirie`` and ``autre``, each routed to a plausible service of the town hall of Démoville with its
address, e-mail and phone, and the mentions its acknowledgement states. Building permits lead to an implicit
acceptance after two months (with the right to an attestation); a civil-status certificate asked and left
unanswered to an implicit rejection after two months (with its appeals); the others to no decision. Put only
when the tenant has no category."""

from __future__ import annotations

from queue_server.requests.service import Requests, Who
from queue_server.requests.tables import CategoryRow

TENANT = "demo"
SEEDER = Who(actor="demo seed", staff=True)
TOWN_HALL = "Hôtel de ville, 1 place de la Mairie, 75011 Démoville"
APPEAL = ("recours gracieux auprès du maire, ou recours contentieux devant le tribunal administratif de Paris "
          "(7 rue de Jouy, 75004 Paris, ou www.telerecours.fr), dans un délai de deux mois à compter de la date de "
          "la décision implicite.")


def demo_categories() -> list[CategoryRow]:
    return [
        CategoryRow(tenant_id=TENANT, category="etat-civil", name="État civil (actes, livret de famille)", position=0,
                    service_name="Service état civil", service_address=TOWN_HALL,
                    service_email="etat-civil@demoville.fr", service_phone="01 23 45 67 10", implicit="rejection",
                    delay_months=2, appeal=APPEAL, answer_days=10),
        CategoryRow(tenant_id=TENANT, category="urbanisme", name="Urbanisme (permis, déclarations de travaux)",
                    position=1, service_name="Service urbanisme",
                    service_address="Centre technique municipal, 12 rue des Artisans, 75011 Démoville",
                    service_email="urbanisme@demoville.fr", service_phone="01 23 45 67 20", implicit="acceptance",
                    delay_months=2, answer_days=20),
        CategoryRow(tenant_id=TENANT, category="voirie", name="Voirie et propreté (trottoirs, éclairage, dépôts)",
                    position=2, service_name="Services techniques — voirie",
                    service_address="Centre technique municipal, 12 rue des Artisans, 75011 Démoville",
                    service_email="voirie@demoville.fr", service_phone="01 23 45 67 30", answer_days=10),
        CategoryRow(tenant_id=TENANT, category="autre", name="Autre demande", position=3,
                    service_name="Accueil de la mairie", service_address=TOWN_HALL,
                    service_email="accueil@demoville.fr", service_phone="01 23 45 67 00", answer_days=15),
    ]


async def seed_categories(requests: Requests) -> bool:
    """Put the demo's categories when the tenant has none; True when it did."""
    if await requests.categories(TENANT, staff=True):
        return False
    for row in demo_categories():
        await requests.put_category(row, SEEDER)
    return True

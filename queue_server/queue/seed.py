"""The demo tenant of API.md: site ``demo``, three services, four counters, a kiosk and a display."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, Tenant
from queue_server.queue.tables import Counter, Service

DEMO_SERVICES = (
    ("etat-civil", "État civil", "A", 1.0, "Naissance, mariage, décès, livret de famille", "family"),
    ("passeports", "Passeports et cartes d'identité", "B", 1.0, "Dépôt et retrait des titres", "passport"),
    ("urbanisme", "Urbanisme", "C", 1.0, "Permis de construire, déclarations de travaux", "house"),
)
# What the tickets of a service end with, by service id (the others print none).
DEMO_TICKET_MESSAGES = {"passeports": "Munissez-vous de votre ancien titre et d'une photo d'identité."}
# What a visit may end with, by service id, as the agent says when finishing it (the others ask nothing).
DEMO_OUTCOMES = {"etat-civil": ["Dossier complet", "Pièce manquante", "Renseignement donné"]}


async def seed_demo(session: AsyncSession) -> bool:
    """Create the demo tenant if it is missing; returns whether anything was created. Idempotent."""
    if await session.get(Site, "demo") is not None:
        return False
    session.add(Tenant(id="demo", name="Mairie de Démoville"))
    await session.flush()
    session.add(Site(id="demo", tenant_id="demo", name="Mairie de Démoville", languages=["fr", "en"],
                     remote_tickets=True))  # the ticket widget's "take a ticket from home" can be tried
    await session.flush()
    for position, (sid, name, prefix, weight, description, icon) in enumerate(DEMO_SERVICES):
        session.add(Service(site_id="demo", id=sid, name=name, prefix=prefix, weight=weight, position=position,
                            description=description, icon=icon, ticket_message=DEMO_TICKET_MESSAGES.get(sid, ""),
                            outcomes=DEMO_OUTCOMES.get(sid)))
    every = [s[0] for s in DEMO_SERVICES]
    for n in range(1, 5):
        session.add(Counter(site_id="demo", id=str(n), name=f"Guichet {n}", services=every, position=n))
    await session.commit()
    return True


# The demo's two other collectivities (API.md "Knowledge base"): the agglomeration Démoville is part of, which shares
# sheets with it, and a neighbouring town that shares with nobody. One site each, with one service and one counter.
NEIGHBOURS = (
    ("agglo", "Démoville Agglomération", "Accueil de l'agglomération", "Hôtel d'agglomération, 3 allée des Tilleuls, "
     "75011 Démoville", "Déchets, eau, transports"),
    ("voisine", "Mairie de Voisine", "Mairie de Voisine", "2 place de l'Église, 75012 Voisine", "Renseignements"),
)


async def seed_neighbours(session: AsyncSession) -> bool:
    """Create the tenants ``agglo`` and ``voisine`` with their site of the same id if missing; returns whether
    anything was created. Idempotent."""
    created = False
    for tenant, tenant_name, site_name, address, description in NEIGHBOURS:
        if await session.get(Site, tenant) is not None:
            continue
        if await session.get(Tenant, tenant) is None:
            session.add(Tenant(id=tenant, name=tenant_name))
            await session.flush()
        session.add(Site(id=tenant, tenant_id=tenant, name=site_name, address=address, languages=["fr"]))
        await session.flush()
        session.add(Service(site_id=tenant, id="accueil", name="Accueil", prefix="A", weight=1.0, position=0,
                            description=description))
        session.add(Counter(site_id=tenant, id="1", name="Guichet 1", services=["accueil"], position=1))
        created = True
    await session.commit()
    return created

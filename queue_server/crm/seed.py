"""The demo collectivity's citizen record (``queue-server demo``): three sectors and a few parties, made through
``Record`` as staff would (their words indexed, each change audited), only while the record is empty: a second
run adds nothing. Everyone here is invented; the SIRET is a valid number, the RNA a well-formed one."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from queue_server.crm.collectivity import Collectivities
from queue_server.crm.service import Record, Staff
from queue_server.crm.tables import Party, Sector

TENANT = "demo"
SITE = "demo"
SEEDER = Staff(tenant=TENANT, actor="demo seed", role="admin")
# (id, name, sealed, services of the demo site, members' logins: those that exist, see cli/demo.py)
SECTORS = (
    ("etat-civil", "État civil", False, ("etat-civil", "passeports"), ("demo-agent",)),
    ("urbanisme", "Urbanisme", False, ("urbanisme",), ()),
    ("social", "Action sociale", True, (), ()),
)
ANNE = {"kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "birth_date": "1980-04-02",
        "phones": ["06 12 34 56 78"], "emails": ["anne.lefevre@example.fr"], "address": "3 rue des Lilas, Démoville",
        "consents": {"sms": True, "email": True, "surveys": False}, "language": "fr"}
NAMESAKE = {"kind": "person", "first_name": "Anne", "last_name": "Lefebvre", "birth_date": "1957-09-21",
            "phones": ["06 98 76 54 32"], "language": "fr"}
ASSOCIATION = {"kind": "association", "name": "Les Amis du Vieux Moulin", "rna": "W751234567",
               "activity": "Sauvegarde du patrimoine", "emails": ["contact@vieux-moulin.example.org"], "language": "fr"}
COMPANY = {"kind": "company", "name": "Boulangerie du Centre", "siret": "73282932000074",
           "activity": "Boulangerie-pâtisserie", "phones": ["01 23 45 67 89"], "language": "fr"}


async def is_empty(record: Record, tenant: str = TENANT) -> bool:
    """Whether the collectivity's record holds no party and no sector."""
    async with record.db() as session:
        party = (await session.execute(select(col(Party.id)).where(col(Party.tenant_id) == tenant).limit(1))).first()
        sector = (await session.execute(select(col(Sector.id)).where(col(Sector.tenant_id) == tenant).limit(1))).first()
    return party is None and sector is None


async def seed_record(record: Record) -> bool:
    """The demo's sectors and parties if its record is empty; whether anything was made."""
    if not await is_empty(record):
        return False
    people = {login for login, _name in await Collectivities(record.db).people(TENANT)}
    for sector_id, name, sealed, services, members in SECTORS:
        await record.put_sector(SEEDER, sector_id, name, sealed, [(SITE, s) for s in services],
                                [m for m in members if m in people])
    anne = await record.create(SEEDER, ANNE)
    await record.create(SEEDER, NAMESAKE)
    association = await record.create(SEEDER, ASSOCIATION)
    await record.create(SEEDER, COMPANY)
    await record.relate(SEEDER, anne["id"], association["id"], "president")
    await record.add_note(SEEDER, anne["id"], "Souhaite réserver la salle des fêtes pour l'assemblée générale de "
                                              "l'association.", None)
    return True

"""The demo's knowledge base (``queue-server demo``), as API.md says: the town hall of Démoville (``demo``) has its
own sheets (lost passport, identity card, birth certificate, electoral rolls, citizen census…; most public, some for
agents only, one draft, one due for review); its agglomeration (``agglo``) shares its sheets on waste, water and
transport with it, both having named the other a partner; ``voisine`` names nobody and shares a sheet that
Démoville's agents never see. Put only for a collectivity that has no sheet yet (the tenants themselves come from
``queue/seed.py``)."""

from __future__ import annotations

from datetime import date

from queue_server.kb.service import KnowledgeBase, SheetIn, Who

SEEDER = Who(actor="demo seed")
PARTNERS = {"demo": ["agglo"], "agglo": ["demo"]}

PASSPORT_LOST = """Si votre passeport a été **perdu**, il n'est plus valable : faites une déclaration de perte, puis
demandez-en un nouveau.

## Déclarer la perte

- En ligne sur le site de l'ANTS, au moment de la pré-demande du nouveau passeport ;
- ou au guichet de la mairie, lors du dépôt du dossier (formulaire cerfa n° 14011).

En cas de **vol**, la déclaration se fait auprès de la police ou de la gendarmerie, qui remet un récépissé.

## Refaire le passeport

1. Faites une pré-demande en ligne sur [passeport.ants.gouv.fr](https://passeport.ants.gouv.fr).
2. Prenez rendez-vous au service Passeports (motif « Passeport »).
3. Apportez : la déclaration de perte ou de vol, une photo d'identité de moins de 6 mois, un justificatif de
   domicile, un timbre fiscal de 86 € (adulte) et, si vous en avez une, votre carte d'identité.

Le délai de fabrication est d'environ trois semaines. Le nouveau passeport se retire en mairie, en personne."""

IDENTITY_CARD = """La carte nationale d'identité (CNI) est gratuite, sauf en cas de perte ou de vol (timbre fiscal de
25 €). Elle est valable 15 ans pour un adulte (cartes délivrées entre 2004 et 2013), 10 ans depuis 2021.

## Première demande ou renouvellement

1. Pré-demande en ligne sur le site de l'ANTS (notez le numéro de pré-demande).
2. Rendez-vous au service Passeports et cartes d'identité : le dépôt se fait **en personne** (empreintes).
3. Pièces : photo d'identité récente, justificatif de domicile de moins d'un an, ancienne carte s'il y en a une.

Un mineur se présente avec un parent qui exerce l'autorité parentale.

## Retrait

Un SMS prévient quand la carte est arrivée. Elle se retire dans les trois mois, sur rendez-vous ou aux heures
d'ouverture du service."""

BIRTH_CERTIFICATE = """L'acte de naissance est délivré par la mairie **du lieu de naissance**, gratuitement.

- **Copie intégrale** : pour un mariage, un PACS, une demande de nationalité ; réservée à la personne, à ses
  parents, ses enfants, son époux ou son épouse.
- **Extrait avec filiation** : pour la plupart des démarches (passeport, carte d'identité si besoin).
- **Extrait sans filiation** : demandé par toute personne.

## Comment le demander

- En ligne sur service-public.fr (réponse par courrier sous une semaine environ) ;
- par courrier à l'état civil, en joignant une enveloppe timbrée à votre adresse ;
- au guichet de l'état civil, avec une pièce d'identité : délivré sur place.

Pour une personne née à l'étranger, s'adresser au Service central d'état civil de Nantes."""

ELECTORAL_ROLLS = """Pour voter, il faut être inscrit sur les listes électorales de la commune.

- L'inscription est **automatique** à 18 ans pour les jeunes recensés, et après une naturalisation.
- Après un déménagement, il faut s'inscrire dans la nouvelle commune.

## S'inscrire

- En ligne sur service-public.fr (justificatif de domicile et pièce d'identité numérisés) ;
- au guichet de l'accueil de la mairie ;
- par courrier avec le formulaire cerfa n° 12669.

Date limite : le 6e vendredi avant le scrutin. Vérifier son inscription et son bureau de vote : service « Interroger
sa situation électorale » sur service-public.fr."""

CENSUS = """Tout jeune Français doit se faire **recenser** entre ses 16 ans et la fin du 3e mois qui suit.

- À la mairie du domicile, avec une pièce d'identité et le livret de famille ;
- ou en ligne sur majdc.fr.

Une **attestation de recensement** est remise : elle est demandée pour s'inscrire aux examens (baccalauréat, permis
de conduire) avant 18 ans. Le recensement permet aussi l'inscription automatique sur les listes électorales et la
convocation à la Journée défense et citoyenneté (JDC)."""

HANDING_OVER = """Procédure interne, pour les agents du service Passeports.

1. Vérifier l'identité du demandeur (ancien titre, ou récépissé de déclaration de perte).
2. Relever les empreintes sur le dispositif de recueil, comparer avec le titre.
3. Faire signer le registre de remise ; mentionner la date de remise dans le logiciel.
4. **Invalider** l'ancien titre (coin coupé) et le rendre à l'usager s'il le souhaite.

Un titre non retiré au bout de 3 mois est détruit : prévenir l'usager par SMS à 2 mois."""

DEATH = """Procédure interne, pour l'état civil.

La déclaration de décès est faite dans les 24 heures, en général par l'entreprise de pompes funèbres, à la mairie
du lieu du décès. Pièces : certificat médical de décès, pièce d'identité du défunt, livret de famille.

L'acte de décès est dressé le jour même ; des copies sont délivrées gratuitement à toute personne qui en fait la
demande. Penser à la mention en marge de l'acte de naissance (avis à la mairie de naissance)."""

WEDDING = """*Brouillon en cours de rédaction par l'état civil.*

Le dossier de mariage est déposé au moins un mois avant la date souhaitée, par les deux futurs époux.

- Pièces d'identité, justificatifs de domicile ;
- copies intégrales d'actes de naissance de moins de 3 mois ;
- liste des témoins (2 à 4).

À compléter : publication des bans, audition des futurs époux."""

WASTE = """Les déchets ménagers sont collectés par **Démoville Agglomération**.

| Bac | Collecte |
|:--|:--|
| Ordures ménagères (bac gris) | lundi et jeudi |
| Emballages et papiers (bac jaune) | mercredi, semaines paires |
| Verre | points d'apport volontaire |

Sortir les bacs la veille au soir, poignée côté rue. Un bac cassé ou volé se remplace gratuitement : formulaire
en ligne ou 01 23 45 70 00.

## Encombrants et déchetterie

Les encombrants sont enlevés sur rendez-vous (un passage gratuit par trimestre). La déchetterie de la rue des
Artisans est ouverte du mardi au samedi, 9 h – 12 h et 14 h – 18 h, sur présentation d'un justificatif de domicile."""

WATER = """L'eau potable et l'assainissement relèvent de **Démoville Agglomération** (régie des eaux).

## Ouvrir ou fermer un abonnement

Lors d'un déménagement, relever le compteur le jour de l'entrée ou de la sortie et le signaler à la régie :
en ligne, ou au 01 23 45 70 10. L'ouverture est gratuite ; la première facture comprend l'abonnement au prorata.

## Une fuite, une coupure

- Fuite avant le compteur, ou sur la voie publique : service d'astreinte, 24 h/24, 01 23 45 70 11.
- Fuite après le compteur : à la charge de l'abonné (plombier) ; un dégrèvement est possible en cas de fuite
  importante réparée (écrêtement de la facture, loi Warsmann)."""

TRANSPORT = """Le réseau de bus et de tramway est organisé par **Démoville Agglomération**.

- **Abonnement scolaire** : gratuit pour les élèves domiciliés dans l'agglomération, demande en ligne avant le
  31 juillet (photo et certificat de scolarité).
- **Tarif solidaire** : -75 % pour les bénéficiaires de minima sociaux, sur justificatif, à l'agence commerciale.
- Carte perdue ou volée : duplicata à 8 € à l'agence, place de la Gare.

Plans et horaires en temps réel sur l'application du réseau."""

DUMP_HOURS = """Pour les agents : la déchetterie refuse l'amiante, les pneus et les bouteilles de gaz. Orienter les
usagers vers les filières agréées (liste tenue à jour par le service Environnement de l'agglomération)."""

AGGLO_ONLY = """Procédure interne de l'agglomération (non partagée) : astreinte technique des week-ends,
tableau de roulement des agents."""

VOISINE_HALL = """La salle des fêtes de Voisine se réserve à l'accueil de la mairie de Voisine, trois mois à
l'avance au plus."""


def demo_sheets() -> dict[str, list[SheetIn]]:
    """Each demo collectivity's sheets."""
    return {
        "demo": [
            SheetIn("Perte du passeport", PASSPORT_LOST, "public", "published", owner_service="Service passeports",
                    review_by=date(2027, 6, 30), services=("passeports",), motifs=("passeport",),
                    categories=("etat-civil",)),
            SheetIn("Carte d'identité : demande et renouvellement", IDENTITY_CARD, "public", "published",
                    owner_service="Service passeports", services=("passeports",), motifs=("passeport",)),
            SheetIn("Acte de naissance", BIRTH_CERTIFICATE, "public", "published", owner_service="État civil",
                    services=("etat-civil",), categories=("etat-civil",)),
            SheetIn("Inscription sur les listes électorales", ELECTORAL_ROLLS, "public", "published",
                    owner_service="Accueil", categories=("autre",)),
            SheetIn("Recensement citoyen", CENSUS, "public", "published", owner_service="Accueil"),
            SheetIn("Remise d'un passeport ou d'une carte d'identité au guichet", HANDING_OVER, "agents", "published",
                    owner_service="Service passeports", services=("passeports",)),
            SheetIn("Déclaration de décès", DEATH, "agents", "published", owner_service="État civil",
                    review_by=date(2026, 1, 15), services=("etat-civil",)),
            SheetIn("Mariage : constitution du dossier", WEDDING, "public", "draft", owner_service="État civil",
                    motifs=("mariage",), services=("etat-civil",)),
        ],
        "agglo": [
            SheetIn("Collecte des déchets et encombrants", WASTE, "public", "published", shared=True,
                    owner_service="Direction de l'environnement", categories=("voirie",)),
            SheetIn("Eau et assainissement : abonnement, fuite, coupure", WATER, "public", "published", shared=True,
                    owner_service="Régie des eaux"),
            SheetIn("Transports : bus, tramway et abonnements", TRANSPORT, "public", "published", shared=True,
                    owner_service="Direction des mobilités"),
            SheetIn("Déchetterie : déchets refusés", DUMP_HOURS, "agents", "published", shared=True,
                    owner_service="Direction de l'environnement"),
            SheetIn("Astreinte technique", AGGLO_ONLY, "agents", "published", owner_service="Services techniques"),
        ],
        "voisine": [
            SheetIn("Salle des fêtes de Voisine", VOISINE_HALL, "public", "published", shared=True,
                    owner_service="Accueil"),
        ],
    }


async def seed_sheets(kb: KnowledgeBase) -> bool:
    """Put the demo's sheets for each collectivity that has none, and the partners of ``agglo`` and ``demo``
    (when they named nobody); True when anything was put."""
    put = False
    for tenant, sheets in demo_sheets().items():
        reader = await kb.reader(tenant, editor=True)
        if await kb.listed(reader, tenant, limit=1):
            continue
        for sheet in sheets:
            await kb.create(tenant, sheet, SEEDER)
        put = True
    for tenant, partners in PARTNERS.items():
        if not (await kb.partners(tenant)).named:
            await kb.set_partners(tenant, partners, SEEDER)
            put = True
    return put

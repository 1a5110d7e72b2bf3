"""``queue-server demo``: the demo collectivity seeded (idempotent), with tokens and people for every role and
a citizen record (sectors, a few parties: ``crm/seed.py``, only into an empty record), then served."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer

from queue_server.cli.common import ConfigOpt, DataOpt, HostOpt, PortOpt, app, settings_from, with_session
from queue_server.cli.logs import setup_logging
from queue_server.cli.serve import run
from queue_server.settings import Settings


@app.command()
def demo(config: ConfigOpt = None, host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None) -> None:
    """Seed the demo tenant (idempotent), then serve it."""
    settings = settings_from(config, host, port, data_dir)
    if not settings.sms.provider:  # the demo shows its text messages in the log instead of sending them
        settings = settings.model_copy(update={"sms": settings.sms.model_copy(update={"provider": "log"})})
    setup_logging(settings.server.log_level)
    tokens = asyncio.run(_seed_demo(settings))
    people = asyncio.run(_seed_demo_people(settings))
    asyncio.run(_seed_demo_record(settings))
    asyncio.run(_seed_demo_motifs(settings))
    asyncio.run(_seed_demo_request_categories(settings))
    asyncio.run(_seed_demo_knowledge(settings))
    typer.echo("Demo tokens (also on the start page):", err=True)
    for role, token in tokens.items():
        typer.echo(f"  {role.upper()}={token}", err=True)
    typer.echo("Demo people, who sign in at /login (login: password):", err=True)
    for login, password in people.items():
        typer.echo(f"  {login}: {password}", err=True)
    typer.echo(f"Open http://{settings.server.host}:{settings.server.port}/", err=True)
    run(settings, demo_tokens=tokens, demo_people=people)


async def _seed_demo(settings: Settings) -> dict[str, str]:
    from queue_server.db.engine import make_engine, migrate, sessions
    from queue_server.platform.tokens import create_token, find_token
    from queue_server.queue.seed import seed_demo, seed_neighbours

    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        path = settings.server.data_dir / "demo-tokens.json"
        async with sessions(engine)() as session:
            await seed_demo(session)
            await seed_neighbours(session)  # the agglomeration and a neighbouring town (the knowledge base's partners)
            tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
            for role in ("kiosk", "display", "agent", "supervisor", "admin"):
                found = await find_token(session, tokens[role]) if role in tokens else None
                if found is None or found.revoked:
                    tokens[role] = (await create_token(session, "demo", role, f"demo {role}"))[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=2))
        path.chmod(0o600)
        return tokens
    finally:
        await engine.dispose()


DEMO_PEOPLE = {"demo-agent": ("demo", "agent"), "demo-supervisor": ("demo", "supervisor"),
               "demo-admin": (None, "admin")}


async def _seed_demo_people(settings: Settings) -> dict[str, str]:
    """One person per role of the demo tenant, with random passwords kept in ``demo-people.json``
    (readable by the owner only) and shown on the start page."""
    import secrets

    from queue_server.platform.users import UserError, add_user, set_password

    path = settings.server.data_dir / "demo-people.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    async def work(session: Any) -> dict[str, str]:
        people = {}
        for login, (site, role) in DEMO_PEOPLE.items():
            password = known.get(login) or secrets.token_urlsafe(12)
            try:
                await add_user(session, "demo", login, password, f"Demo {role}", [(site, role)])
            except UserError:  # there already: make sure the password is the one we show
                if login not in known:
                    await set_password(session, login, password)
            people[login] = password
        return people

    people: dict[str, str] = await with_session(settings, work)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(people, indent=2))
    path.chmod(0o600)
    return people


async def _seed_demo_record(settings: Settings) -> None:
    """The demo's citizen record (``crm/seed.py``), once: a record that holds anything is left as it is."""
    from queue_server.crm.seed import seed_record
    from queue_server.crm.service import Record
    from queue_server.db.engine import make_engine, sessions

    engine = make_engine(settings.database_url)
    try:
        if await seed_record(Record(sessions(engine), settings.crm.retention_days)):
            typer.echo("Demo citizen record: 3 sectors, 4 parties (search for \"Lefèvre\" at /crm).", err=True)
    finally:
        await engine.dispose()


async def _seed_demo_motifs(settings: Settings) -> None:
    """The demo site's motifs (``booking/seed.py``), once: a site with motifs is left as it is."""
    from queue_server.booking.seed import seed_motifs
    from queue_server.booking.service import Booking
    from queue_server.db.engine import make_engine, sessions
    from queue_server.platform.outbox import MessageTemplates
    from queue_server.queue.sites import SiteConfigs

    async def no_party(tenant: str, party: int) -> bool:
        return False

    async def unpublished(kind: str, row: object) -> None:
        return None

    engine = make_engine(settings.database_url)
    try:
        db = sessions(engine)
        if await seed_motifs(Booking(db, SiteConfigs(db).get, no_party, MessageTemplates(), unpublished)):
            typer.echo("Demo appointments: motifs passeport, mariage and permis (book them at /book).", err=True)
    finally:
        await engine.dispose()


async def _seed_demo_request_categories(settings: Settings) -> None:
    """The demo collectivity's request categories (``requests/seed.py``), once: a tenant with categories is left as
    it is."""
    from queue_server.db.engine import make_engine, sessions
    from queue_server.platform.outbox import MessageTemplates
    from queue_server.requests.seed import seed_categories
    from queue_server.requests.service import Requests

    engine = make_engine(settings.database_url)
    try:
        requests = Requests(sessions(engine), MessageTemplates(), settings.server.data_dir / "requests")
        if await seed_categories(requests):
            typer.echo("Demo requests: categories etat-civil, urbanisme, voirie and autre.", err=True)
    finally:
        await engine.dispose()


async def _seed_demo_knowledge(settings: Settings) -> None:
    """The demo's knowledge base (``kb/seed.py``): each collectivity's sheets when it has none, and the partners
    ``demo`` and ``agglo``."""
    from queue_server.db.engine import make_engine, sessions
    from queue_server.kb.seed import seed_sheets
    from queue_server.kb.service import KnowledgeBase

    engine = make_engine(settings.database_url)
    try:
        if await seed_sheets(KnowledgeBase(sessions(engine))):
            typer.echo("Demo knowledge base: sheets of demo, agglo (shared with demo) and voisine (at /connaissances "
                       "and /faq?tenant=demo).", err=True)
    finally:
        await engine.dispose()

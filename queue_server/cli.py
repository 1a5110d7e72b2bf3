"""``queue-server``: serve, demo, token, user, tenant, site, db.

The only place that reads settings and sets up logging."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote_plus

import typer
from pydantic import ValidationError

from .settings import Settings, load_settings

app = typer.Typer(help="Guichet queue server.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
token_app = typer.Typer(help="Bearer tokens for devices and integrations.", no_args_is_help=True)
db_app = typer.Typer(help="The SQL database.", no_args_is_help=True)
tenant_app = typer.Typer(help="Collectivities (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in at /login.", no_args_is_help=True)
site_app = typer.Typer(help="Sites (a town hall, an annex).", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(tenant_app, name="tenant")
app.add_typer(site_app, name="site")
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML file (see config.example.toml).")]
HostOpt = Annotated[str | None, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port to listen on.")]
DataOpt = Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded Valkey and SQLite live.")]

log = logging.getLogger("queue_server")
# Young collections every 2,000 allocations (not 700); a full one only after 1,000 middle ones.
GC_THRESHOLDS = (2000, 20, 1000)


def fail(message: str) -> None:
    typer.echo(f"queue-server: {message}", err=True)
    raise typer.Exit(2)


def settings_from(config: Path | None, host: str | None = None, port: int | None = None,
                  data_dir: Path | None = None) -> Settings:
    server: dict[str, Any] = {}
    if host is not None:
        server["host"] = host
    if port is not None:
        server["port"] = port
    if data_dir is not None:
        server["data_dir"] = data_dir
    if config is not None and not config.is_file():
        fail(f"no configuration file at {config}")
    try:
        return load_settings(config, **({"server": server} if server else {}))
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        fail("invalid configuration:\n" + "\n".join(lines))
        raise  # unreachable


class _RedactTokens(logging.Filter):
    """Credentials must never reach a log line: a device page's ``?token=``, however it is spelt, and
    the headers that carry one (which websockets logs at debug level during a handshake).

    The message is formatted here, then every ``name=value`` of a query string is looked at by its
    decoded name (``tok%65n`` is ``token``): the value of any name holding "token" is replaced; so
    is the value of an ``Authorization``, ``Cookie`` or ``X-CSRF-Token`` header line."""

    _pair = re.compile(r"(?<=[?&;])([^=&;\s\"#?]*)=([^&;\s\"#]*)")
    _header = re.compile(r"(?im)\b((?:proxy-)?authorization|(?:set-)?cookie|x-csrf-token)(:\s*)\S[^\r\n]*")

    @classmethod
    def _redact_pair(cls, match: re.Match[str]) -> str:
        name = unquote_plus(match.group(1))
        return f"{match.group(1)}=***" if "token" in name.casefold() else match.group(0)

    @classmethod
    def redact(cls, text: str) -> str:
        if "=" in text:
            text = cls._pair.sub(cls._redact_pair, text)
        return cls._header.sub(r"\1\2***", text) if ":" in text else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: let logging report it as usual
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactTokens())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin at every start


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Stops the embedded Valkey once the app has shut down, before uvicorn re-raises the
        signal that stopped it (which ends the process without running ``finally`` blocks)."""

        def __init__(self, config: uvicorn.Config, on_exit: Any) -> None:
            super().__init__(config)
            self.on_exit = on_exit

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            if self.on_exit is not None:
                self.on_exit()

    return Server


def _tune_gc() -> None:
    """Make full garbage collections rare (and so the pauses they cause in the hot path).

    The queue keeps every ticket of the day in memory; CPython's full collection walks all of them,
    and with the default thresholds it runs every few seconds under load (tens of milliseconds at
    tens of thousands of tickets: the whole p99 of bench/issue_and_call.py). Objects are freed by
    reference counting anyway; only reference cycles wait for a full collection, and they still get
    one, just rarely. Startup objects (modules, classes, settings) are frozen out of the walk.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])


def _raise_file_limit() -> None:
    """Every connection holds a file descriptor: take all the system allows (the soft limit is often
    1,024, the hard one far more), so that a crowd of screens, or of idle connections waiting for
    their deadline, does not make the server refuse its own readiness checks."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
        except (ValueError, OSError):
            log.warning("could not raise the open files limit from %d", soft)


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}"


def _check_external_redis(settings: Settings) -> None:
    """Refuse, with a clear message, a Redis that cannot be reached or could lose queue state."""
    import time

    import redis

    from .store.checks import UnsafeRedisError, check_redis_sync

    client = redis.Redis.from_url(settings.redis.url, socket_connect_timeout=3, socket_timeout=5)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                break
            except redis.RedisError as exc:
                if time.monotonic() > deadline:
                    fail(f"cannot reach Redis at {_redacted(settings.redis.url)}: {exc}")
                time.sleep(0.5)
        if settings.redis.check_persistence:
            try:
                check_redis_sync(client)
            except UnsafeRedisError as exc:
                fail(f"refusing to start on {_redacted(settings.redis.url)}:\n{exc}")
    finally:
        client.close()


def _run(settings: Settings, demo_tokens: dict[str, str] | None = None,
         demo_people: dict[str, str] | None = None) -> None:
    import uvicorn

    from .store.embedded import EmbeddedServerError, EmbeddedValkey
    from .web.app import create_app
    from .web.httpserver import EdgeProtocol
    from .web.wsserver import FramesProtocol

    _tune_gc()
    _raise_file_limit()
    _Server = _server_class()
    embedded = None
    if not settings.redis.url:
        embedded = EmbeddedValkey(settings.server.data_dir)
        try:
            url = embedded.start()
        except EmbeddedServerError as exc:
            fail(f"could not start the embedded Valkey server: {exc}")
        settings = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": url})})
        log.info("embedded Valkey on %s (append-only, fsync always)", url)
    else:
        _check_external_redis(settings)
    try:
        application = create_app(settings, demo_tokens=demo_tokens, demo_people=demo_people, embedded=embedded)
        config = uvicorn.Config(
            application, host=settings.server.host, port=settings.server.port,
            access_log=settings.server.access_log, log_config=None, lifespan="on",
            # HTTP/1.1 with deadlines and size limits on requests (web/httpserver.py).
            http=EdgeProtocol.configured(settings.server),
            timeout_graceful_shutdown=5,
            # WebSockets: uvicorn's sans-I/O implementation (it refuses with a real HTTP answer),
            # plus a way for the hub to write one pre-built frame to every screen without a task
            # per connection (web/wsserver.py); no per-message compression (every frame is small
            # and sent to many: compressing it per connection costs more CPU and memory than it
            # saves); pings (15 s + 15 s by default: a dead peer is noticed within 30 s).
            ws=FramesProtocol.sized(settings.server.ws_send_buffer_bytes), ws_per_message_deflate=False,
            ws_ping_interval=settings.server.ws_ping_interval_s,
            ws_ping_timeout=settings.server.ws_ping_timeout_s, ws_max_size=64 * 1024,
        )
        server = _Server(config, embedded.stop if embedded is not None else None)
        server.run()
        if not server.started:
            fail("the server did not start (see the messages above)")
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def serve(config: ConfigOpt = None, host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None) -> None:
    """Run the server (embedded Valkey and SQLite unless QUEUE_REDIS_URL / QUEUE_DATABASE_URL are set)."""
    settings = settings_from(config, host, port, data_dir)
    _logging(settings.server.log_level)
    _run(settings)


@app.command()
def demo(config: ConfigOpt = None, host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None) -> None:
    """Seed the demo tenant (idempotent), then serve it."""
    settings = settings_from(config, host, port, data_dir)
    if not settings.sms.provider:  # the demo shows its text messages in the log instead of sending them
        settings = settings.model_copy(update={"sms": settings.sms.model_copy(update={"provider": "log"})})
    _logging(settings.server.log_level)
    tokens = asyncio.run(_seed_demo(settings))
    people = asyncio.run(_seed_demo_people(settings))
    typer.echo("Demo tokens (also on the start page):", err=True)
    for role, token in tokens.items():
        typer.echo(f"  {role.upper()}={token}", err=True)
    typer.echo("Demo people, who sign in at /login (login: password):", err=True)
    for login, password in people.items():
        typer.echo(f"  {login}: {password}", err=True)
    typer.echo(f"Open http://{settings.server.host}:{settings.server.port}/", err=True)
    _run(settings, demo_tokens=tokens, demo_people=people)


async def _seed_demo(settings: Settings) -> dict[str, str]:
    from .db.engine import make_engine, migrate, sessions
    from .db.repo import create_token, find_token
    from .db.seed import seed_demo

    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        path = settings.server.data_dir / "demo-tokens.json"
        async with sessions(engine)() as session:
            await seed_demo(session)
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

    from .db.users import UserError, add_user, set_password

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

    people: dict[str, str] = await _with_session(settings, work)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(people, indent=2))
    path.chmod(0o600)
    return people


async def _with_session(settings: Settings, work: Any) -> Any:
    from .db.engine import make_engine, migrate, sessions

    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with sessions(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


@token_app.command("create")
def token_create(
    site: Annotated[str, typer.Option("--site", help="Site id, e.g. demo.")],
    role: Annotated[str, typer.Option("--role", help="kiosk, display, agent, supervisor or admin.")],
    name: Annotated[str, typer.Option("--name", help="A label, e.g. 'kiosk hall A'.")] = "",
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Print a new bearer token, alone on one line (it is stored hashed and cannot be shown again)."""
    from .db.repo import ROLES, UnknownSite, create_token, site_ids

    if role not in ROLES:
        fail(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> str:
        from .db.audit import record
        from .db.repo import site_config

        try:
            token_id, token = await create_token(session, site, role, name)
        except UnknownSite:
            known = ", ".join(await site_ids(session)) or "none (run `queue-server demo` for the demo site)"
            fail(f"no site {site!r}; sites: {known}")
        config = await site_config(session, site)
        await record(session, "token.created", "cli", tenant=config.tenant if config else None, site=site,
                     target=f"token:{token_id}", detail=f"{role} {name}".strip())
        typer.echo(f"token {token_id} created for {role} at {site}", err=True)
        return token

    typer.echo(asyncio.run(_with_session(settings, work)))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's number, from `token list`.")],
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Revoke a token: it stops working within seconds on every server process."""
    from .db.repo import revoke_token

    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> bool:
        from .db.audit import record
        from .db.tables import ApiToken

        row = await session.get(ApiToken, token_id)
        if not await revoke_token(session, token_id):
            return False
        await record(session, "token.revoked", "cli", tenant=row.tenant_id, site=row.site_id,
                     target=f"token:{token_id}")
        return True

    if not asyncio.run(_with_session(settings, work)):
        fail(f"no live token {token_id}")
    _announce(settings, "token", token_id)
    typer.echo(f"token {token_id} revoked")


@token_app.command("list")
def token_list(
    site: Annotated[str | None, typer.Option("--site")] = None,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """List tokens (never their value)."""
    from .db.repo import list_tokens

    settings = settings_from(config, data_dir=data_dir)
    for row in asyncio.run(_with_session(settings, lambda s: list_tokens(s, site))):
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "live"
        typer.echo(f"{row.id}\t{row.site_id}\t{row.role}\t{state}\t{row.name}")


def _password(from_stdin: bool) -> str:
    """The new password: one line of standard input with ``--password-stdin`` (for scripts), else
    asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True))


def _announce(settings: Settings, kind: str, ref: int | str) -> None:
    """Tell the running servers that a credential was taken back: they forget it and close its live
    feeds at once. With no server's Redis at hand nothing is said (and nothing needs to be: the
    servers' periodic check closes those feeds within seconds)."""
    from urllib.parse import unquote

    import redis

    from .store.embedded import EmbeddedValkey
    from .store.revocations import announce_sync

    url = settings.redis.url
    if not url:
        embedded = EmbeddedValkey(settings.server.data_dir)
        if not Path(unquote(embedded.url.removeprefix("unix://"))).exists():
            return  # no server runs on this data dir
        url = embedded.url
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        announce_sync(client, settings.redis.key_prefix, kind, ref)  # type: ignore[arg-type]
    except redis.RedisError:
        pass
    finally:
        client.close()


def _user_work(settings: Settings, work: Any) -> Any:
    from .db.users import UserError

    try:
        return asyncio.run(_with_session(settings, work))
    except UserError as exc:
        fail(str(exc))


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _roles(items: list[str]) -> list[tuple[str | None, str]]:
    """``--role`` values (``SITE:ROLE``, or ``admin`` alone for every site) as ``(site, role)``."""
    roles: list[tuple[str | None, str]] = []
    for item in items:
        site, sep, what = item.rpartition(":")
        if not what or (sep and not site):
            fail(f"--role {item!r}: write SITE:ROLE, e.g. mairie:agent, or admin")
        roles.append((site or None, what))
    return roles


@user_app.command("add")
def user_add(
    login: Annotated[str, typer.Argument(help="The login, e.g. an e-mail address.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The collectivity (tenant) id, e.g. demo.")],
    role: Annotated[list[str], typer.Option("--role", help="SITE:ROLE (agent, supervisor, admin), or "
                                            "admin alone for every site of the tenant; repeatable.")],
    name: Annotated[str, typer.Option("--name", help="Full name, shown to colleagues.")] = "",
    password_stdin: PasswordStdin = False,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Create a user who signs in at /login."""
    from .db.users import add_user

    roles = _roles(role)
    settings = settings_from(config, data_dir=data_dir)
    password = _password(password_stdin)

    async def work(session: Any) -> None:
        from .db.audit import record

        user = await add_user(session, tenant, login, password, name, roles)
        await record(session, "user.created", "cli", tenant=tenant, target=user.login,
                     detail=", ".join(f"{site or '*'}:{what}" for site, what in roles))
        typer.echo(f"user {user.login} created")

    _user_work(settings, work)


@user_app.command("passwd")
def user_passwd(
    login: Annotated[str, typer.Argument(help="The user's login.")],
    password_stdin: PasswordStdin = False,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Set a user's password; their open sessions end."""
    from .db.users import set_password

    settings = settings_from(config, data_dir=data_dir)
    password = _password(password_stdin)

    async def work(session: Any) -> int | None:
        from .db.audit import record
        from .db.users import tenant_of

        user = await set_password(session, login, password)
        await record(session, "user.password", "cli", tenant=await tenant_of(session, login), target=login)
        typer.echo(f"password of {login} changed; their sessions have ended")
        return user.id

    _announce(settings, "person", _user_work(settings, work))


@user_app.command("disable")
def user_disable(
    login: Annotated[str, typer.Argument(help="The user's login.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the account again instead.")] = False,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Disable an account (its sessions end within seconds), or enable it again with --enable."""
    from .db.users import set_disabled

    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> int | None:
        from .db.audit import record
        from .db.users import tenant_of

        user = await set_disabled(session, login, not enable)
        await record(session, "user.enabled" if enable else "user.disabled", "cli",
                     tenant=await tenant_of(session, login), target=login)
        typer.echo(f"user {login} {'enabled' if enable else 'disabled'}")
        return user.id

    _announce(settings, "person", _user_work(settings, work))


@user_app.command("roles")
def user_roles(
    login: Annotated[str, typer.Argument(help="The user's login.")],
    role: Annotated[list[str], typer.Option("--role", help="SITE:ROLE (agent, supervisor, admin), or "
                                            "admin alone for every site of the tenant; repeatable.")],
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Replace every role of a user with the ones given; their sessions stay open and get the new
    rights within seconds."""
    from .db.users import describe_roles, set_roles

    roles = _roles(role)
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> int | None:
        from .db.audit import record

        user = await set_roles(session, login, roles)
        await record(session, "user.roles", "cli", tenant=user.tenant_id, target=user.login,
                     detail=describe_roles(roles))
        typer.echo(f"roles of {user.login}: {describe_roles(roles)}")
        return user.id

    _announce(settings, "person", _user_work(settings, work))


@tenant_app.command("origins")
def tenant_origins(
    tenant: Annotated[str, typer.Argument(help="The tenant (collectivity) id.")],
    origins: Annotated[list[str] | None, typer.Argument(help="https://www.ville.fr ... (none: clear the list)")] = None,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Declare the collectivity's websites: their pages may embed ours and open the live feed."""
    from urllib.parse import urlsplit

    cleaned = []
    for origin in origins or []:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
            fail(f"{origin!r} is not an origin: write scheme://host[:port], e.g. https://www.ville.fr")
        cleaned.append(f"{parts.scheme}://{parts.netloc}")
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> None:
        from .db.audit import record
        from .db.tables import Tenant

        row = await session.get(Tenant, tenant)
        if row is None:
            fail(f"no tenant {tenant!r}")
        row.website_origins = cleaned
        await record(session, "tenant.origins", "cli", tenant=tenant, detail=" ".join(cleaned))
        typer.echo(f"{tenant}: websites {' '.join(cleaned) or '(none)'}; servers apply it when they next load a site")

    asyncio.run(_with_session(settings, work))


MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE_PX = 4096  # a small file may still unpack into a huge image, on the kiosks' PCs too
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def _read_logo(path: Path) -> tuple[bytes, str]:
    """The bytes of a PNG or JPEG logo and their content type; anything else ends the command with a
    one-line message (``fail``)."""
    from PIL import Image

    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
        raise  # unreachable
    if len(data) > MAX_LOGO_BYTES:
        fail(f"{path} weighs {len(data) // 1024} KiB: a logo may weigh {MAX_LOGO_BYTES // 1024} KiB at most")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind in LOGO_TYPES and max(width, height) <= MAX_LOGO_SIDE_PX:
                image.load()  # decodes it all: a truncated or corrupt file is refused now, not on every ticket
    except Exception:  # noqa: BLE001 - Pillow refuses what it cannot read with many kinds of errors
        fail(f"{path} is not a PNG or JPEG image")
    if kind not in LOGO_TYPES:
        fail(f"{path} is a {kind} image: a logo must be a PNG or a JPEG")
    if max(width, height) > MAX_LOGO_SIDE_PX:
        fail(f"{path} is {width} x {height} pixels: a logo may be {MAX_LOGO_SIDE_PX} pixels a side at most")
    return data, LOGO_TYPES[str(kind)]


@site_app.command("logo")
def site_logo(
    site: Annotated[str, typer.Argument(help="The site id, e.g. demo.")],
    file: Annotated[Path | None, typer.Argument(help="A PNG or JPEG of 512 KiB at most.", show_default=False)] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the site's logo instead.")] = False,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Set the logo the site's screens show and its kiosks print above the site's name, or remove it
    with --remove. Running servers pick it up when they next load the site's configuration, which each
    process keeps once loaded: restart them."""
    if remove == (file is not None):
        fail("give either a logo FILE or --remove")
    logo = _read_logo(file) if file is not None else None
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> None:
        from .db.audit import record
        from .db.repo import remove_logo, set_logo, site_ids
        from .db.tables import Site

        row = await session.get(Site, site)
        if row is None:
            known = ", ".join(await site_ids(session)) or "none (run `queue-server demo` for the demo site)"
            fail(f"no site {site!r}; sites: {known}")
        if logo is None:
            if not await remove_logo(session, site):
                typer.echo(f"{site}: no logo to remove")
                return
            detail = "removed"
        else:
            version = await set_logo(session, site, *logo)
            detail = f"{logo[1]} {len(logo[0])} bytes, version {version}"
        await record(session, "site.logo", "cli", tenant=row.tenant_id, site=site, detail=detail)
        typer.echo(f"{site}: logo {detail}; running servers show it once restarted")

    asyncio.run(_with_session(settings, work))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, data_dir: DataOpt = None) -> None:
    """Apply the schema migrations (the server also does it at start)."""
    settings = settings_from(config, data_dir=data_dir)

    async def noop(session: Any) -> None:
        return None

    asyncio.run(_with_session(settings, noop))
    typer.echo("database schema is up to date")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

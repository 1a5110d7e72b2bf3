"""``queue-server token`` and ``queue-server user``: device tokens and the people who sign in."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from queue_server.cli.common import ConfigOpt, DataOpt, fail, settings_from, token_app, user_app, with_session
from queue_server.settings import Settings


@token_app.command("create")
def token_create(
    site: Annotated[str, typer.Option("--site", help="Site id, e.g. demo.")],
    role: Annotated[str, typer.Option("--role", help="kiosk, display, agent, supervisor or admin.")],
    name: Annotated[str, typer.Option("--name", help="A label, e.g. 'kiosk hall A'.")] = "",
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Print a new bearer token, alone on one line (it is stored hashed and cannot be shown again)."""
    from queue_server.platform.sites import UnknownSite, site_ids
    from queue_server.platform.tokens import ROLES, create_token

    if role not in ROLES:
        fail(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> str:
        from queue_server.platform.audit import record
        from queue_server.queue.sites import site_config

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

    typer.echo(asyncio.run(with_session(settings, work)))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's number, from `token list`.")],
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Revoke a token: it stops working within seconds on every server process."""
    from queue_server.platform.tokens import revoke_token

    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> bool:
        from queue_server.db.tables import ApiToken
        from queue_server.platform.audit import record

        row = await session.get(ApiToken, token_id)
        if not await revoke_token(session, token_id):
            return False
        await record(session, "token.revoked", "cli", tenant=row.tenant_id, site=row.site_id,
                     target=f"token:{token_id}")
        return True

    if not asyncio.run(with_session(settings, work)):
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
    from queue_server.platform.tokens import list_tokens

    settings = settings_from(config, data_dir=data_dir)
    for row in asyncio.run(with_session(settings, lambda s: list_tokens(s, site))):
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

    from queue_server.platform.revocations import announce_sync
    from queue_server.store.embedded import EmbeddedValkey

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
    from queue_server.platform.users import UserError

    try:
        return asyncio.run(with_session(settings, work))
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
    from queue_server.platform.users import add_user

    roles = _roles(role)
    settings = settings_from(config, data_dir=data_dir)
    password = _password(password_stdin)

    async def work(session: Any) -> None:
        from queue_server.platform.audit import record

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
    from queue_server.platform.users import set_password

    settings = settings_from(config, data_dir=data_dir)
    password = _password(password_stdin)

    async def work(session: Any) -> int | None:
        from queue_server.platform.audit import record
        from queue_server.platform.users import tenant_of

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
    from queue_server.platform.users import set_disabled

    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> int | None:
        from queue_server.platform.audit import record
        from queue_server.platform.users import tenant_of

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
    from queue_server.platform.users import describe_roles, set_roles

    roles = _roles(role)
    settings = settings_from(config, data_dir=data_dir)

    async def work(session: Any) -> int | None:
        from queue_server.platform.audit import record

        user = await set_roles(session, login, roles)
        await record(session, "user.roles", "cli", tenant=user.tenant_id, target=user.login,
                     detail=describe_roles(roles))
        typer.echo(f"roles of {user.login}: {describe_roles(roles)}")
        return user.id

    _announce(settings, "person", _user_work(settings, work))

"""``queue-server tenant`` and ``queue-server site``: a collectivity's websites, a site's logo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from queue_server.cli.common import (
    ConfigOpt,
    DataOpt,
    fail,
    settings_from,
    site_app,
    tenant_app,
    with_session,
    with_sessions,
)


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
        from queue_server.db.tables import Tenant
        from queue_server.platform.audit import record

        row = await session.get(Tenant, tenant)
        if row is None:
            fail(f"no tenant {tenant!r}")
        row.website_origins = cleaned
        await record(session, "tenant.origins", "cli", tenant=tenant, detail=" ".join(cleaned))
        typer.echo(f"{tenant}: websites {' '.join(cleaned) or '(none)'}; servers apply it when they next load a site")

    asyncio.run(with_session(settings, work))


def _read_logo(path: Path) -> bytes:
    """The bytes of a logo file that the screens and printers can use (``platform/sites.py`` ``check_logo``);
    anything else ends the command with a one-line message (``fail``)."""
    from queue_server.platform.sites import BadLogo, check_logo

    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        check_logo(data)
    except BadLogo as exc:
        fail(f"{path}: {exc.field_message}")
    return data


@site_app.command("logo")
def site_logo(
    site: Annotated[str, typer.Argument(help="The site id, e.g. demo.")],
    file: Annotated[Path | None, typer.Argument(help="A PNG or JPEG of 512 KiB at most.", show_default=False)] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the site's logo instead.")] = False,
    config: ConfigOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Set the logo the site's screens show and its kiosks print above the site's name, or remove it
    with --remove: a change of the site's configuration like any other (audited), which running servers
    apply at once."""
    from queue_server.cli.config import with_configuration

    if remove == (file is not None):
        fail("give either a logo FILE or --remove")
    logo = _read_logo(file) if file is not None else None
    settings = settings_from(config, data_dir=data_dir)

    async def ids(db: Any) -> list[str]:
        from queue_server.platform.sites import Sites

        return await Sites(db).ids()

    sites = asyncio.run(with_sessions(settings, ids))
    if site not in sites:
        fail(f"no site {site!r}; sites: {', '.join(sites) or 'none (run `queue-server demo` for the demo site)'}")

    async def work(configuration: Any) -> str:
        if logo is None:
            return "removed" if await configuration.remove_logo(site, by="cli") else "none to remove"
        version = await configuration.set_logo(site, logo, by="cli")
        return f"{len(logo)} bytes, version {version}"

    done = with_configuration(settings, work)
    typer.echo(f"{site}: logo {done}; running servers show it now")

"""``queue-server tenant`` and ``queue-server site``: a collectivity's websites, a site's logo."""

from __future__ import annotations

import asyncio
import io
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

    async def work(db: Any) -> None:
        from queue_server.platform.sites import Sites, UnknownSite

        sites = Sites(db)
        try:
            if logo is None:
                if not await sites.remove_logo(site, by="cli"):
                    typer.echo(f"{site}: no logo to remove")
                    return
                detail = "removed"
            else:
                version = await sites.set_logo(site, *logo, by="cli")
                detail = f"{logo[1]} {len(logo[0])} bytes, version {version}"
        except UnknownSite:
            known = ", ".join(await sites.ids()) or "none (run `queue-server demo` for the demo site)"
            fail(f"no site {site!r}; sites: {known}")
        typer.echo(f"{site}: logo {detail}; running servers show it once restarted")

    asyncio.run(with_sessions(settings, work))

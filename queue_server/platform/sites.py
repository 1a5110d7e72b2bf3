"""Sites as every module sees them: which exist, and each one's logo, which its screens show and its
kiosks print. What the queue reads of a site (services, counters, opening hours) is its own
(``queue/sites.py``), and so is changing a logo: it is part of the site's configuration, changed through
``queue/configuration.py`` (decided, audited, applied live), which checks it here first (``check_logo``).

``Sites`` is the service: each call in a session of its own. The functions below it take a session, for
work that holds one already (the configuration's transaction, the archiver, tests)."""

from __future__ import annotations

import hashlib
import io
from typing import Literal

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site, SiteLogo
from queue_server.platform.errors import InvalidField

# A logo is what the screens show and the kiosks' thermal printers print (Pillow opens it there): a PNG or a JPEG
# (an SVG, a GIF or a WebP would not print), of 512 KiB at most and 4096 pixels a side at most (a small file may
# still unpack into a huge image, on the kiosks' PCs too).
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE_PX = 4096
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class UnknownSite(LookupError):
    pass


class BadLogo(InvalidField):
    """A file that cannot be a site's logo, naming the field ``logo``. ``reason``: ``not-an-image`` (not an image
    Pillow reads, or one it cannot decode whole), ``wrong-type`` (another kind of image: ``image_kind`` says which),
    ``too-heavy`` (``size`` bytes) or ``too-large`` (``width`` × ``height`` pixels)."""

    def __init__(self, reason: Literal["not-an-image", "wrong-type", "too-heavy", "too-large"], message: str, *,
                 image_kind: str = "", size: int = 0, width: int = 0, height: int = 0) -> None:
        super().__init__(f"logo: {message}", kind="invalid-logo", field="logo", field_message=message)
        self.reason, self.image_kind, self.size, self.width, self.height = reason, image_kind, size, width, height


def check_logo(data: bytes) -> str:
    """The content type of ``data`` if it may be a site's logo (a PNG or a JPEG, judged by its content and decoded
    whole, within ``MAX_LOGO_BYTES`` and ``MAX_LOGO_SIDE_PX``); else ``BadLogo``. Decoding takes a moment on a
    large image: call it from a worker thread in a server."""
    from PIL import Image

    if len(data) > MAX_LOGO_BYTES:
        raise BadLogo("too-heavy", f"The file weighs {len(data) // 1024} KiB: a logo may weigh "
                                   f"{MAX_LOGO_BYTES // 1024} KiB at most.", size=len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = str(image.format), image.size
            if kind in LOGO_TYPES and max(width, height) <= MAX_LOGO_SIDE_PX:
                image.load()  # decodes it all: a truncated or corrupt file is refused now, not on every ticket
    except Exception as exc:  # noqa: BLE001 - Pillow refuses what it cannot read with many kinds of errors
        raise BadLogo("not-an-image", "This file is not a PNG or JPEG image.") from exc
    if kind not in LOGO_TYPES:
        raise BadLogo("wrong-type", f"This file is a {kind} image: a logo must be a PNG or a JPEG.", image_kind=kind)
    if max(width, height) > MAX_LOGO_SIDE_PX:
        raise BadLogo("too-large", f"The image is {width} x {height} pixels: a logo may be {MAX_LOGO_SIDE_PX} "
                                   "pixels a side at most.", width=width, height=height)
    return LOGO_TYPES[kind]


class Sites:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def ids(self) -> list[str]:
        """The id of every site, in order."""
        async with self.db() as session:
            return await site_ids(session)

    async def logo(self, site: str, coming: str | None = None, wait_s: float = 2.0) -> tuple[str, bytes, str] | None:
        """The site's logo as ``(content_type, data, version)``, or ``None`` if it has none (or there is
        no such site). ``coming``: a version that the site's configuration already names (the change reached
        every process) and whose transaction commits a moment later: waited for, ``wait_s`` at most, so that a
        screen that follows the change at once gets the new logo, not the old one under the new address."""
        deadline = anyio.current_time() + wait_s
        while True:
            async with self.db() as session:
                found = await logo_of(session, site)
            if coming is None or (found is not None and found[2] == coming) or anyio.current_time() >= deadline:
                return found
            await anyio.sleep(0.02)


def logo_version(data: bytes) -> str:
    """The version a logo's URLs carry: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


async def site_ids(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Site.id).order_by(Site.id))).scalars().all())  # type: ignore[call-overload]


async def set_logo(session: AsyncSession, site_id: str, data: bytes, content_type: str) -> str:
    """Make ``data`` (already checked to be a PNG or JPEG of ``content_type``) the site's logo, in place
    of any other; returns its version. Raises ``UnknownSite``. Does not commit."""
    if await session.get(Site, site_id) is None:
        raise UnknownSite(site_id)
    version = logo_version(data)
    row = await session.get(SiteLogo, site_id)
    if row is None:
        session.add(SiteLogo(site_id=site_id, content_type=content_type, data=data, version=version))
    else:
        row.content_type, row.data, row.version = content_type, data, version
    await session.flush()
    return version


async def remove_logo(session: AsyncSession, site_id: str) -> bool:
    """Remove the site's logo; whether it had one. Does not commit."""
    row = await session.get(SiteLogo, site_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def logo_of(session: AsyncSession, site_id: str) -> tuple[str, bytes, str] | None:
    """The site's logo as ``(content_type, data, version)``, or ``None`` if it has none."""
    row = await session.get(SiteLogo, site_id)
    return None if row is None else (row.content_type, row.data, row.version)

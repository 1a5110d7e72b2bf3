"""What a site's hall displays show while no call is on, besides the queue: an administrator's message and a
slideshow of images (``DisplayScreens``), set from ``/admin/sites/{site}`` and read by the displays.

A change is one SQL transaction with its audit entry; once committed, the site's configuration is appended
again (``Configure``, forced: SQL is the truth) so that every display following the site's feed gets a
``site.configured`` message within a second, and fetches the idle screen anew without a reload.

Images are PNG or JPEG, judged by their content (Pillow decodes them whole), ``MAX_IMAGE_BYTES`` and
``MAX_IMAGE_SIDE_PX`` at most, ``MAX_IMAGES`` per site. They are public: a hall shows them to anyone.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import anyio
import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.db.tables import Site
from queue_server.platform.audit import note
from queue_server.platform.errors import InvalidField, UnknownField
from queue_server.queue.domain import commands as c
from queue_server.queue.service import QueueService, new_command_id
from queue_server.queue.sites import site_config
from queue_server.queue.tables import DisplayImage, DisplayScreen

MAX_MESSAGE = 300  # characters: read from across the hall, a message is a sentence or two
MAX_IMAGES = 8
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE_PX = 4096  # a small file may still unpack into a huge image, on the displays' PCs too
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True, slots=True)
class IdleScreen:
    """A site's idle screen: its message ("" none) and its images' ids, in the order shown."""

    message: str
    images: tuple[str, ...]


class BadImage(InvalidField):
    """A file that cannot be one of the slideshow's images (field ``image``). ``reason``: ``not-an-image``,
    ``wrong-type``, ``too-heavy``, ``too-large`` (pixels) or ``too-many`` (``MAX_IMAGES`` already)."""

    def __init__(self, reason: Literal["not-an-image", "wrong-type", "too-heavy", "too-large", "too-many"],
                 message: str) -> None:
        super().__init__(f"image: {message}", kind="invalid-image", field="image", field_message=message)
        self.reason = reason


def check_image(data: bytes) -> str:
    """The content type of ``data`` if it may be shown on the displays (a PNG or JPEG decoded whole, within the
    limits above); else ``BadImage``. Decoding takes a moment: call it from a worker thread in a server."""
    from PIL import Image

    if len(data) > MAX_IMAGE_BYTES:
        raise BadImage("too-heavy", f"The file weighs {len(data) // 1024} KiB: an image may weigh "
                                    f"{MAX_IMAGE_BYTES // 1024} KiB at most.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = str(image.format), image.size
            if kind in IMAGE_TYPES and max(width, height) <= MAX_IMAGE_SIDE_PX:
                image.load()  # a truncated or corrupt file is refused now, not on every display
    except Exception as exc:  # noqa: BLE001 - Pillow refuses what it cannot read with many kinds of errors
        raise BadImage("not-an-image", "This file is not a PNG or JPEG image.") from exc
    if kind not in IMAGE_TYPES:
        raise BadImage("wrong-type", f"This file is a {kind} image: it must be a PNG or a JPEG.")
    if max(width, height) > MAX_IMAGE_SIDE_PX:
        raise BadImage("too-large", f"The image is {width} x {height} pixels: {MAX_IMAGE_SIDE_PX} pixels a side "
                                    "at most.")
    return IMAGE_TYPES[kind]


def image_url(site: str, image_id: str) -> str:
    """Where the image is served (``display.py``); it never changes meaning, so it may be cached for good."""
    return f"/display/images/{site}/{image_id}"


class DisplayScreens:
    def __init__(self, db: async_sessionmaker[AsyncSession], queue: QueueService) -> None:
        self.db = db
        self.queue = queue

    async def get(self, site: str) -> IdleScreen:
        """The site's idle screen (empty for a site that never set one, or no such site)."""
        async with self.db() as session:
            row = await session.get(DisplayScreen, site)
            ids = (await session.execute(
                select(DisplayImage.id).where(DisplayImage.site_id == site)  # type: ignore[call-overload]
                .order_by(DisplayImage.position, DisplayImage.id))).scalars().all()
        return IdleScreen(row.message if row else "", tuple(ids))

    async def image(self, site: str, image_id: str) -> tuple[str, bytes] | None:
        """The image as ``(content_type, data)``, or ``None``."""
        async with self.db() as session:
            row = await session.get(DisplayImage, (site, image_id))
            return (row.content_type, row.data) if row else None

    async def set_message(self, site: str, text: str, *, by: str, address: str = "") -> None:
        """Make ``text`` (spaces trimmed, ``MAX_MESSAGE`` characters at most, one line) the idle message."""
        text = " ".join(text.split())
        if len(text) > MAX_MESSAGE:
            raise InvalidField(f"message: {MAX_MESSAGE} characters at most.", kind="invalid-message",
                               field="message", field_message=f"{MAX_MESSAGE} characters at most")

        async def change(session: AsyncSession) -> dict[str, object]:
            row = await session.get(DisplayScreen, site) or DisplayScreen(site_id=site)
            before, row.message = row.message, text
            session.add(row)
            return {"message": [before, text]}

        await self._change(site, "display.message", change, by, address)

    async def add_image(self, site: str, data: bytes, *, by: str, address: str = "") -> str:
        """Add ``data`` at the end of the slideshow (``BadImage`` if refused); its id. The same image twice
        is kept once."""
        content_type = await anyio.to_thread.run_sync(check_image, data)
        image_id = hashlib.sha256(data).hexdigest()[:16]

        async def change(session: AsyncSession) -> dict[str, object]:
            if await session.get(DisplayImage, (site, image_id)) is not None:
                return {"image": image_id, "already": True}
            count, last = (await session.execute(
                select(func.count(), func.max(DisplayImage.position))
                .where(DisplayImage.site_id == site))).one()  # type: ignore[arg-type]
            if count >= MAX_IMAGES:
                raise BadImage("too-many", f"A display shows {MAX_IMAGES} images at most: remove one first.")
            session.add(DisplayImage(site_id=site, id=image_id, position=(last or 0) + 1,
                                     content_type=content_type, data=data))
            return {"image": image_id, "content_type": content_type, "bytes": len(data)}

        await self._change(site, "display.image", change, by, address)
        return image_id

    async def remove_image(self, site: str, image_id: str, *, by: str, address: str = "") -> bool:
        """Take the image out of the slideshow; whether it was in it."""
        removed = False

        async def change(session: AsyncSession) -> dict[str, object]:
            nonlocal removed
            result = await session.execute(delete(DisplayImage).where(
                DisplayImage.site_id == site, DisplayImage.id == image_id))  # type: ignore[arg-type]
            removed = bool(getattr(result, "rowcount", 0))
            return {"image": image_id, "removed": removed}

        await self._change(site, "display.image-removed", change, by, address)
        return removed

    async def _change(self, site: str, action: str,
                      change: Callable[[AsyncSession], Awaitable[dict[str, object]]], by: str, address: str) -> None:
        """Make ``change`` (it answers the audit's detail) in one transaction with its audit entry, then tell the
        site's screens."""
        engine = await self.queue.engine(site)
        if engine is None:
            raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
        async with self.db() as session:
            row = await session.get(Site, site)
            if row is None:
                raise UnknownField("No such site.", kind="unknown-site", field="site", field_message="unknown")
            detail = await change(session)
            note(session, action, by, tenant=row.tenant_id, site=site, target=site, address=address,
                 detail=orjson.dumps(detail).decode())
            await session.commit()
            config = await site_config(session, site)
        if config is not None:
            # The configuration as SQL holds it, appended again: the displays' cue to fetch the idle screen.
            await engine.execute(c.Configure(command_id=new_command_id(), config=config, force=True))

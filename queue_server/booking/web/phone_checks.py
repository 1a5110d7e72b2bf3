"""A phone number checked by a code sent in a text message, for a booking without an e-mail address.

``start`` draws a 6-digit code, keeps it hashed (HMAC-SHA-256 with the check's id, under the proofs' secret) in
Redis for ``ttl_s`` (10 minutes) and writes the SMS to the outbox (``phone_check_sms`` template), committed at
once and the outbox worker woken. ``verify`` counts every try before comparing (so that parallel guesses count
too): after ``max_tries`` (5) wrong codes the check is locked until it expires. The right code ends the check
and gives a token, kept ``token_ttl_s`` (1 hour) and good for that site and that number only
(``verified``): the booking sends it as ``phone_token``. Several tries at booking (a slot taken meanwhile) may
use it again within the hour.

What this proves: whoever books could read a text message sent to that number at that time; nothing more."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.outbox import MessageTemplates, enqueue

CODE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Tried:
    """A try's outcome: the token when right, else the tries left (0: locked)."""

    token: str | None
    tries_left: int


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class PhoneChecks:
    def __init__(self, redis: Redis, prefix: str, db: async_sessionmaker[AsyncSession], templates: MessageTemplates,
                 secret: Callable[[], Awaitable[bytes]], *, wake: Callable[[], None] = lambda: None,
                 ttl_s: int = 600, max_tries: int = 5, token_ttl_s: int = 3600) -> None:
        self.redis = redis
        self.prefix = prefix
        self.db = db
        self.templates = templates
        self.secret = secret
        self.wake = wake
        self.ttl_s = ttl_s
        self.max_tries = max_tries
        self.token_ttl_s = token_ttl_s

    def _key(self, check_id: str) -> str:
        return f"{self.prefix}booking:phone-check:{check_id}"

    async def _hash(self, check_id: str, code: str) -> str:
        return hmac.new(await self.secret(), f"{check_id}:{code}".encode(), hashlib.sha256).hexdigest()

    async def start(self, *, site: str, tenant: str, site_name: str, phone: str, lang: str) -> str:
        """Send a code to ``phone`` (E.164); the check's id."""
        check_id = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        key = self._key(check_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"site": site, "phone": phone, "hash": await self._hash(check_id, code),
                                    "tries": 0})
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        _subject, body = self.templates.render(tenant, "phone_check_sms", lang, code=code, site_name=site_name,
                                               minutes=self.ttl_s // 60)
        async with self.db() as session:
            await enqueue(session, channel="sms", to=phone, body=body, key=f"phone-check:{check_id}", tenant=tenant)
            await session.commit()
        self.wake()
        return check_id

    async def verify(self, site: str, check_id: str, code: str) -> Tried | None:
        """Try ``code`` on the check; ``None`` when there is no such check on this site (or it expired)."""
        key = self._key(check_id)
        found = await self.redis.hgetall(key)
        fields = {_text(k): _text(v) for k, v in found.items()}
        if not fields or fields.get("site") != site:
            return None
        tries = int(await self.redis.hincrby(key, "tries", 1))
        if tries > self.max_tries:
            return Tried(None, 0)
        if not (code.isascii() and code.isdigit() and hmac.compare_digest(await self._hash(check_id, code),
                                                                          fields.get("hash", ""))):
            return Tried(None, self.max_tries - tries)
        await self.redis.delete(key)
        token = secrets.token_urlsafe(24)
        await self.redis.set(f"{self.prefix}booking:phone-token:{token}", f"{site} {fields['phone']}",
                             ex=self.token_ttl_s)
        return Tried(token, self.max_tries - tries)

    async def verified(self, site: str, token: str, phone: str) -> bool:
        """Whether ``token`` was given for ``phone`` (E.164) on ``site`` and has not expired."""
        if not (0 < len(token) <= 64 and token.isascii()):
            return False
        stored = await self.redis.get(f"{self.prefix}booking:phone-token:{token}")
        return stored is not None and hmac.compare_digest(_text(stored), f"{site} {phone}")

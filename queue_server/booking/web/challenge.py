"""A proof of work asked of anonymous bookings beyond a small free allowance, without any third party.

The server hands out a challenge, ``v1.{bits}.{expires}.{nonce}.{signature}``: a random nonce, the Unix time
it expires at and the work it asks for, signed with HMAC-SHA-256 under a secret of the server's. The client
finds a counter (decimal digits) such that SHA-256(challenge + ":" + counter) starts with ``bits`` zero bits
and sends ``X-Guichet-Proof: challenge:counter``. The server checks the signature, the expiry and the bits
(``check_proof``, pure), then that the challenge is used once (``Proofs.redeem``: Redis ``SET NX`` until it
expires). With 16 bits a browser hashes about 65 000 times on average (a second or two with Web Crypto in a
worker); the cost grows twofold per bit, and a patient machine pays it: this slows a flood, it does not stop
a determined sender (the per-address rate limits still apply).

The secret lives in Redis (``{prefix}booking:proof-secret``, written once with ``SET NX``): every server
process of a deployment shares Redis, not necessarily a data directory, and a challenge issued by one process
is checked by another. Losing it (Redis emptied) only voids the challenges outstanding: clients get a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis

PROOF_HEADER = "X-Guichet-Proof"
VERSION = "v1"
MAX_COUNTER_DIGITS = 20
MAX_PROOF_CHARS = 200
# What a proof looks like ("challenge:counter"), for the OpenAPI document and the guard: one of another shape is a
# malformed header (422), one of this shape that this server did not sign or that is spent a 428 with a fresh one.
PROOF_SHAPE = r"^v1\.[0-9]{1,3}\.[0-9]{1,12}\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}:[0-9]{1,20}$"
Reason = Literal["malformed", "forged", "expired", "too-weak", "used"]


class BadProof(Exception):
    """A proof refused, and why (``reason``: malformed, forged, expired, too-weak, used)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Checked:
    """A proof whose signature, expiry and work are right (its single use is ``Proofs.redeem``'s part)."""

    challenge: str
    bits: int
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18])


def new_challenge(secret: bytes, now: float, bits: int, ttl_s: int, nonce: bytes) -> str:
    """A challenge asking for ``bits`` zero bits, valid ``ttl_s`` seconds from ``now`` (Unix seconds)."""
    body = f"{VERSION}.{bits}.{int(now) + ttl_s}.{_b64(nonce)}"
    return f"{body}.{_signature(secret, body)}"


def leading_zero_bits(digest: bytes) -> int:
    """How many bits at the start of ``digest`` are zero."""
    count = 0
    for byte in digest:
        if byte:
            return count + 8 - byte.bit_length()
        count += 8
    return count


def work(challenge: str, counter: str) -> int:
    """The zero bits the counter earns on this challenge."""
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{counter}".encode()).digest())


def check_proof(secret: bytes, proof: str, now: float) -> Checked:
    """The challenge of ``proof`` ("challenge:counter") if signed by ``secret``, not expired at ``now`` and
    with the work it asks for done; else ``BadProof``."""
    if len(proof) > MAX_PROOF_CHARS or not proof.isascii():
        raise BadProof("malformed")
    challenge, _, counter = proof.rpartition(":")
    parts = challenge.split(".")
    if (len(parts) != 5 or parts[0] != VERSION or not parts[1].isdigit() or not parts[2].isdigit()
            or not counter.isdigit() or len(counter) > MAX_COUNTER_DIGITS):
        raise BadProof("malformed")
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_signature(secret, body), parts[4]):
        raise BadProof("forged")
    bits, expires = int(parts[1]), int(parts[2])
    if now >= expires:
        raise BadProof("expired")
    if work(challenge, counter) < bits:
        raise BadProof("too-weak")
    return Checked(challenge, bits, expires)


def solve(challenge: str, bits: int) -> str:
    """A counter that does the work (for tests and scripts; the page does it in JavaScript)."""
    counter = 0
    while work(challenge, str(counter)) < bits:
        counter += 1
    return str(counter)


class Proofs:
    """Challenges handed out and redeemed, shared by every process through Redis."""

    def __init__(self, redis: Redis, prefix: str, *, bits: int = 16, ttl_s: int = 600) -> None:
        self.redis = redis
        self.prefix = prefix
        self.bits = bits
        self.ttl_s = ttl_s
        self._secret: bytes | None = None

    async def secret(self) -> bytes:
        """The deployment's signing secret, made by the first process that needs it."""
        if self._secret is None:
            key = f"{self.prefix}booking:proof-secret"
            await self.redis.set(key, secrets.token_hex(32), nx=True)
            stored = await self.redis.get(key)
            if stored is None:  # emptied between the two calls: this process's own will do until next time
                return bytes.fromhex(secrets.token_hex(32))
            self._secret = bytes.fromhex(stored.decode() if isinstance(stored, bytes) else str(stored))
        return self._secret

    async def issue(self, now: float) -> dict[str, object]:
        """A fresh challenge as the API gives it: ``{"challenge", "difficulty", "expires_in_s"}``."""
        challenge = new_challenge(await self.secret(), now, self.bits, self.ttl_s, secrets.token_bytes(12))
        return {"challenge": challenge, "difficulty": self.bits, "expires_in_s": self.ttl_s}

    async def redeem(self, proof: str, now: float, attempt: str = "") -> Checked:
        """Accept ``proof`` once. ``attempt`` (the request's Idempotency-Key) lets the same attempt, sent again
        after a lost answer or a double click, pass with the same proof; another use is ``BadProof("used")``."""
        checked = check_proof(await self.secret(), proof, now)
        key = f"{self.prefix}booking:proof-used:{hashlib.sha256(checked.challenge.encode()).hexdigest()[:32]}"
        marker = f"key:{attempt}" if attempt else "used"
        ttl = max(1, checked.expires - int(now))
        if await self.redis.set(key, marker, nx=True, ex=ttl):
            return checked
        stored = await self.redis.get(key)
        if attempt and stored is not None and (stored.decode() if isinstance(stored, bytes) else stored) == marker:
            return checked
        raise BadProof("used")

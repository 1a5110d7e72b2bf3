"""What an anonymous booking must show beyond a free allowance, and the endpoints that help show it.

Under ``/api/v1/sites/{site}/`` (no credentials):

- ``GET /challenge`` → ``{"challenge", "difficulty", "expires_in_s"}``: a proof-of-work challenge
  (``challenge.py``); the proof goes in the booking's ``X-Guichet-Proof: challenge:counter`` header.
- ``POST /phone-checks {"phone", "lang"?}`` → 201 ``{"id", "expires_in_s"}``: a 6-digit code sent by SMS
  (``phone_checks.py``); 5 an hour per address, 3 an hour per number.
- ``POST /phone-checks/{id}/verify {"code"}`` → 200 ``{"token"}``; 422 ``wrong-code`` (``tries_left``), 429
  ``too-many-tries`` after 5 wrong codes, 404 ``unknown-check`` (none, or expired after 10 minutes).

The allowance (``admit`` before the booking, ``booked`` after it): from one address in an hour, ``free`` bookings
without a proof (10 by default), and of those ``unchecked_phone`` (5) with a phone number, no e-mail address and no
valid ``phone_token``. Beyond it, a booking needs a valid proof, else 428 ``proof-required`` whose body carries a fresh
``challenge`` and its ``difficulty``; a proof that was sent and is wrong (forged, expired, too weak, used) is also
a 428 with a fresh one, ``reason`` saying what was wrong. Only bookings made count (a refused one, slot taken,
does not use the allowance; the per-address rate limits bound the tries): near-simultaneous bookings from one
address may each find the allowance unused and pass together, a handful at most under those rate limits."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from queue_server.booking.service import Booking
from queue_server.booking.web.challenge import PROOF_HEADER, PROOF_SHAPE, BadProof, Proofs
from queue_server.booking.web.phone_checks import PhoneChecks
from queue_server.platform.phones import mobile_e164
from queue_server.platform.sessions import Limits
from queue_server.queue.domain.config import SiteConfig
from queue_server.web.errors import HTTPError
from queue_server.web.http import (
    MAX_PHONE_CHARS,
    PHONE_SHAPE,
    Body,
    Matches,
    client_address,
    json_response,
    parse_body,
    plausible_id,
    rate_limit,
    route,
)

HOUR_S = 3600
Phone = Annotated[str, Field(min_length=1, max_length=MAX_PHONE_CHARS, json_schema_extra={"format": "mobile-phone"}),
                  Matches(PHONE_SHAPE, "not a valid phone number")]


class PhoneCheckBody(Body):
    phone: Phone
    lang: Literal["fr", "en", "es", "ar", "de", "it", "pt"] = "fr"


class CodeBody(Body):
    code: str = Field(min_length=1, max_length=12)


class Admission:
    """How an anonymous booking was let in: ``paid`` with a proof, else on the allowance (``unchecked_phone``:
    on the stricter one too)."""

    __slots__ = ("paid", "unchecked_phone")

    def __init__(self, paid: bool, unchecked_phone: bool) -> None:
        self.paid = paid
        self.unchecked_phone = unchecked_phone


class Guard:
    def __init__(self, booking: Booking, limits: Limits, proofs: Proofs, phones: PhoneChecks, *, free: int = 3,
                 unchecked_phone: int = 1, checks_per_address: int = 5, checks_per_number: int = 3) -> None:
        self.booking = booking
        self.limits = limits
        self.proofs = proofs
        self.phones = phones
        self.free = free
        self.unchecked_phone = unchecked_phone
        self.checks_per_address = checks_per_address
        self.checks_per_number = checks_per_number

    def routes(self) -> list[Any]:
        base = "/api/v1/sites/{site}"
        return [
            route(base + "/challenge", get=self.challenge),
            route(base + "/phone-checks", post=self.start_check),
            route(base + "/phone-checks/{check}/verify", post=self.verify_check),
        ]

    # Admission of an anonymous booking -----------------------------------------------------------------

    async def _proof_required(self, detail: str, reason: str | None = None) -> HTTPError:
        extra: dict[str, Any] = {**await self.proofs.issue(time.time())}
        if reason is not None:
            extra["reason"] = reason
        return HTTPError(428, detail, "proof-required", extra=extra)

    async def admit(self, request: Request, *, site: str, phone: str | None, email: str | None,
                    phone_token: str | None, attempt: str | None) -> Admission:
        """Let an anonymous booking in, or raise 428 ``proof-required``. ``phone`` is E.164."""
        unchecked = bool(phone) and not email and not (
            phone_token is not None and phone is not None and await self.phones.verified(site, phone_token, phone))
        proof = request.headers.get(PROOF_HEADER)
        if proof is not None and not re.match(PROOF_SHAPE, proof):
            raise HTTPError(422, f"{PROOF_HEADER} is challenge:counter, as GET …/challenge gives the challenge.",
                            "invalid-header", extra={"errors": [{"field": PROOF_HEADER, "message": "malformed"}]})
        if proof is not None:
            try:
                await self.proofs.redeem(proof, time.time(), attempt or "")
            except BadProof as bad:
                raise await self._proof_required("The proof of work sent is not valid: solve this challenge.",
                                                 bad.reason) from None
            return Admission(True, unchecked)
        address = client_address(request)
        made, _ = await self.limits.count(f"book-free:{address}")
        if made >= self.free:
            raise await self._proof_required(
                f"This address booked {made} appointments this hour: solve this challenge to book another.")
        if unchecked:
            made, _ = await self.limits.count(f"book-phone:{address}")
            if made >= self.unchecked_phone:
                raise await self._proof_required("Check the phone number with a code sent by SMS, or solve this "
                                                 "challenge, to book another appointment without an e-mail address.")
        return Admission(False, unchecked)

    async def booked(self, request: Request, admission: Admission) -> None:
        """Count a booking made on the allowance."""
        if admission.paid:
            return
        address = client_address(request)
        await self.limits.hit(f"book-free:{address}", 10_000, HOUR_S)
        if admission.unchecked_phone:
            await self.limits.hit(f"book-phone:{address}", 10_000, HOUR_S)

    # Endpoints -------------------------------------------------------------------------------------------

    async def _site(self, request: Request) -> SiteConfig:
        site = request.path_params["site"]
        config = await self.booking.site_config(site) if plausible_id(site) else None
        if config is None:
            raise HTTPError(404, "No such site.", "unknown-site")
        return config

    async def challenge(self, request: Request) -> Response:
        await self._site(request)
        await rate_limit(self.limits, f"challenge:{client_address(request)}", 60, "This address")
        return json_response(await self.proofs.issue(time.time()))

    async def start_check(self, request: Request) -> Response:
        config = await self._site(request)
        body = await parse_body(request, PhoneCheckBody)
        phone = mobile_e164(body.phone, config.region, "phone")
        await self._hourly(f"phone-check:{client_address(request)}", self.checks_per_address, "This address")
        await self._hourly(f"phone-check-number:{phone}", self.checks_per_number, "This number")
        check_id = await self.phones.start(site=config.id, tenant=config.tenant, site_name=config.name or config.id,
                                           phone=phone, lang=body.lang)
        return json_response({"id": check_id, "expires_in_s": self.phones.ttl_s}, 201)

    async def verify_check(self, request: Request) -> Response:
        config = await self._site(request)
        await rate_limit(self.limits, f"phone-verify:{client_address(request)}", 30, "This address")
        body = await parse_body(request, CodeBody)
        check_id = request.path_params["check"]
        tried = await self.phones.verify(config.id, check_id, body.code.strip()) if plausible_id(check_id) else None
        if tried is None:
            raise HTTPError(404, "No such check, or it expired: ask for a new code.", "unknown-check")
        if tried.token is not None:
            return json_response({"token": tried.token})
        if tried.tries_left <= 0:
            raise HTTPError(429, "Too many wrong codes: ask for a new code.", "too-many-tries")
        raise HTTPError(422, f"This is not the code sent; {tried.tries_left} tries left.", "wrong-code",
                        extra={"tries_left": tried.tries_left,
                               "errors": [{"field": "code", "message": "not the code sent"}]})

    async def _hourly(self, name: str, limit: int, who: str) -> None:
        wait = await self.limits.hit(name, limit, HOUR_S)
        if wait is not None:
            raise HTTPError(429, f"{who} may ask for {limit} codes an hour; try again in {wait} s.", "rate-limited",
                            {"Retry-After": str(wait)})

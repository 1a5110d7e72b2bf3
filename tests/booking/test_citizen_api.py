"""Anonymous bookings beyond a free allowance (booking/web/guard.py) over HTTP, on every storage stack: the
proof of work (accepted once, replays, weak and expired proofs refused, 428 with a fresh challenge beyond the
allowance) and the phone checked by a code sent by SMS to a real HTTP endpoint (a token for the right code, a
lock after 5 wrong ones). The server's clock is fixed on Monday 11 January 2027, 08:00 in Paris."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from queue_server.booking.web.challenge import (
    BadProof,
    check_proof,
    leading_zero_bits,
    new_challenge,
    solve,
    work,
)
from tests.conftest import Stack
from tests.outbox.support import SmsEndpoint, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # pages and guards: the storage does not matter
NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Paris
SITE = "/api/v1/sites/demo"
WEEKDAYS = {day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PASSEPORT = {"service": "passeports", "name": "Passeport", "duration_min": 20, "capacity": 2, "public": True,
             "min_notice_h": 2, "horizon_days": 90, "hours": WEEKDAYS, "max_upcoming": 5}
# Tuesday 12 January, from 09:10 in Paris, every 20 minutes (two places each).
STARTS = [f"2027-01-12T{h}Z" for h in ("08:10:00", "08:30:00", "08:50:00", "09:10:00", "09:30:00", "09:50:00")]
BITS = 8  # cheap for the tests; the server's default is 16


@pytest.fixture
async def sms() -> AsyncIterator[SmsEndpoint]:
    endpoint = SmsEndpoint()
    await endpoint.start()
    yield endpoint
    await endpoint.close()


@pytest.fixture
async def http(stack: Stack, sms: SmsEndpoint) -> AsyncIterator[httpx.AsyncClient]:
    from queue_server.settings import BookingSettings, SmsSettings
    from queue_server.web.app import create_app

    settings = stack.settings.model_copy(update={
        "sms": SmsSettings(provider="http", url=sms.url, timeout_s=5.0),
        "booking": BookingSettings(proof_bits=BITS, free_bookings_per_address_per_hour=3,
                                   unchecked_phone_bookings_per_address_per_hour=1)})
    app = create_app(settings, clock=lambda: NOW)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        answer = await client.put(f"{SITE}/motifs/passeport", json=PASSEPORT, headers=stack.auth("admin"))
        assert answer.status_code == 201, answer.text
        yield client


def person(n: int, **contact: Any) -> dict[str, Any]:
    return {"first_name": "Anne", "last_name": f"Lefèvre {n}", **(contact or {"email": f"anne{n}@example.fr"})}


async def book(http: httpx.AsyncClient, start: str, who: dict[str, Any], proof: str | None = None,
               key: str | None = None, **extra: Any) -> httpx.Response:
    headers = {**({"X-Guichet-Proof": proof} if proof else {}), **({"Idempotency-Key": key} if key else {})}
    return await http.post(f"{SITE}/appointments", json={"motif": "passeport", "start": start, "person": who,
                                                        **extra}, headers=headers)


async def proof_of(http: httpx.AsyncClient) -> str:
    answer = await http.get(f"{SITE}/challenge")
    assert answer.status_code == 200, answer.text
    challenge = answer.json()
    assert challenge["difficulty"] == BITS
    return f"{challenge['challenge']}:{solve(challenge['challenge'], challenge['difficulty'])}"


async def secret_of(stack: Stack) -> bytes:
    redis = Redis.from_url(stack.settings.redis.url)
    try:
        stored = await redis.get(f"{stack.settings.redis.key_prefix}booking:proof-secret")
    finally:
        await redis.aclose()
    assert stored is not None
    return bytes.fromhex(stored.decode())


def test_zero_bits_are_counted_from_the_first_byte() -> None:
    """Leading zero bits: across whole bytes, then within the first non-zero one."""
    assert leading_zero_bits(b"\x00\x00\x80") == 16
    assert leading_zero_bits(b"\x00\x01") == 15
    assert leading_zero_bits(b"\xff") == 0
    assert leading_zero_bits(b"\x00\x00") == 16


def test_a_proof_is_checked_for_signature_expiry_and_work_without_io() -> None:
    """A solved challenge passes until it expires; another secret, a lapsed expiry or too little work do not."""
    secret, now = b"k" * 32, 1_800_000_000.0
    challenge = new_challenge(secret, now, 10, 600, b"n" * 12)
    counter = solve(challenge, 10)
    assert check_proof(secret, f"{challenge}:{counter}", now + 599).bits == 10
    for proof, at, reason in ((f"{challenge}:{counter}", now, "forged"),
                              (f"{challenge}:{counter}", now + 600, "expired"),
                              ("nonsense", now, "malformed")):
        with pytest.raises(BadProof) as refused:
            check_proof(b"x" * 32 if reason == "forged" else secret, proof, at)
        assert refused.value.reason == reason
    weak = next(str(n) for n in range(1000) if work(challenge, str(n)) < 10)
    with pytest.raises(BadProof) as refused:
        check_proof(secret, f"{challenge}:{weak}", now)
    assert refused.value.reason == "too-weak"


async def test_a_valid_proof_books_once_and_its_replay_is_refused(http: httpx.AsyncClient) -> None:
    """A solved challenge books (201); the same proof for another booking is a 428 ``used`` with a fresh challenge."""
    proof = await proof_of(http)
    assert (await book(http, STARTS[0], person(1), proof)).status_code == 201
    replay = await book(http, STARTS[1], person(2), proof)
    assert replay.status_code == 428 and replay.json()["type"].endswith("proof-required")
    assert replay.json()["reason"] == "used" and replay.json()["challenge"] != proof.rpartition(":")[0]


async def test_the_same_attempt_sent_twice_with_its_proof_books_once(http: httpx.AsyncClient) -> None:
    """A double click (same Idempotency-Key, same proof): 201 then 200 with the same appointment."""
    proof = await proof_of(http)
    first = await book(http, STARTS[0], person(1), proof, key="attempt-1")
    again = await book(http, STARTS[0], person(1), proof, key="attempt-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


async def test_a_proof_with_too_little_work_is_refused(http: httpx.AsyncClient) -> None:
    """A counter whose hash lacks the asked zero bits: 428 ``too-weak``."""
    challenge = (await http.get(f"{SITE}/challenge")).json()["challenge"]
    weak = next(str(n) for n in range(1000) if work(challenge, str(n)) < BITS)
    answer = await book(http, STARTS[0], person(1), f"{challenge}:{weak}")
    assert answer.status_code == 428 and answer.json()["reason"] == "too-weak"


async def test_an_expired_proof_is_refused(http: httpx.AsyncClient, stack: Stack) -> None:
    """A challenge signed by the server but past its expiry, solved: 428 ``expired``."""
    await http.get(f"{SITE}/challenge")  # the server makes its secret
    old = new_challenge(await secret_of(stack), time.time() - 3600, BITS, 600, b"o" * 12)
    answer = await book(http, STARTS[0], person(1), f"{old}:{solve(old, BITS)}")
    assert answer.status_code == 428 and answer.json()["reason"] == "expired"


async def test_beyond_the_free_allowance_a_booking_needs_a_proof(http: httpx.AsyncClient) -> None:
    """Three bookings without a proof from one address pass; the fourth is a 428 whose body carries a challenge,
    and solving it books."""
    for n in range(3):
        assert (await book(http, STARTS[n], person(n))).status_code == 201
    refused = await book(http, STARTS[3], person(3))
    assert refused.status_code == 428, refused.text
    body = refused.json()
    assert body["difficulty"] == BITS and body["challenge"].startswith("v1.")
    solved = f"{body['challenge']}:{solve(body['challenge'], body['difficulty'])}"
    assert (await book(http, STARTS[3], person(3), solved)).status_code == 201


async def test_a_phone_without_email_unchecked_has_a_stricter_allowance(http: httpx.AsyncClient) -> None:
    """With a phone, no e-mail and no phone token: the first booking passes, the second needs a proof."""
    assert (await book(http, STARTS[0], person(1, phone="06 12 34 56 78"))).status_code == 201
    second = await book(http, STARTS[1], person(2, phone="06 12 34 56 79"))
    assert second.status_code == 428 and "challenge" in second.json()


async def test_a_phone_check_sends_an_sms_whose_code_gives_a_token_that_books(http: httpx.AsyncClient,
                                                                              sms: SmsEndpoint) -> None:
    """The code reaches the SMS endpoint; the right code gives a token; bookings with it pass the phone allowance."""
    started = await http.post(f"{SITE}/phone-checks", json={"phone": "06 12 34 56 78"})
    assert started.status_code == 201, started.text
    await eventually(lambda: len(sms.accepted) >= 1)
    [message] = sms.accepted
    assert message["to"] == "+33612345678"
    code = message["text"][:6]
    assert code.isdigit() and "Valable 10 min" in message["text"]
    verified = await http.post(f"{SITE}/phone-checks/{started.json()['id']}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    token = verified.json()["token"]
    for n in range(2):
        answer = await book(http, STARTS[n], person(n, phone="06 12 34 56 78"), phone_token=token)
        assert answer.status_code == 201, answer.text
    reused = await http.post(f"{SITE}/phone-checks/{started.json()['id']}/verify", json={"code": code})
    assert reused.status_code == 404  # a check ends with its right code


async def test_five_wrong_codes_lock_the_check(http: httpx.AsyncClient, sms: SmsEndpoint) -> None:
    """Four wrong codes are 422 with the tries left; the fifth is 429, and then even the right code is refused."""
    check = (await http.post(f"{SITE}/phone-checks", json={"phone": "06 12 34 56 78"})).json()["id"]
    await eventually(lambda: len(sms.accepted) >= 1)
    right = sms.accepted[0]["text"][:6]
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        answer = await http.post(f"{SITE}/phone-checks/{check}/verify", json={"code": wrong})
        assert answer.status_code == 422 and answer.json()["tries_left"] == left
    locked = await http.post(f"{SITE}/phone-checks/{check}/verify", json={"code": wrong})
    assert locked.status_code == 429 and locked.json()["type"].endswith("too-many-tries")
    late = await http.post(f"{SITE}/phone-checks/{check}/verify", json={"code": right})
    assert late.status_code == 429


async def test_a_landline_gets_no_code(http: httpx.AsyncClient, sms: SmsEndpoint) -> None:
    """A number that takes no text message is a 422 naming the phone, and nothing is sent."""
    answer = await http.post(f"{SITE}/phone-checks", json={"phone": "01 23 45 67 89"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "phone"
    assert sms.accepted == []

"""The notifier: one "your turn is near" SMS to each visitor who left a phone number at the kiosk.

Every process reads every site's stream through the consumer group ``notifier`` (XREADGROUP, with
``worker.StreamWorker``, shared with the archiver), so each entry is handled by one process; entries
that a dead process read and never acknowledged are taken over (XAUTOCLAIM) once idle for
``claim_idle_ms``. Handling goes by state, not by event type:
after a batch of a site's entries, the site's engine in this process is brought at least to the
batch's last id, then each ticket of the site that has a phone number and whose SMS is due
(domain/notify.py: waiting, no more than its service's ``sms_ahead`` people ahead) gets its SMS.
A sweep of the sites every ``sweep_s`` catches what no event announces: a number stored a moment
after the event that made its ticket eligible was handled, a send to retry after a provider failure.

Once per ticket, across processes and redeliveries: the message is written to the platform's outbox
(``platform/outbox.py``) under the key ``visit:{ticket}:turn-near``, which takes one message per key
whoever writes it; the outbox's worker sends it, retries it with back-off when the provider fails, and
states its own limits (a process killed after the provider took a message but before marking it sent
sends it again after the lease: a duplicate rather than a loss).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.platform.outbox import enqueue
from queue_server.platform.sms import turn_near_message
from queue_server.queue.domain.config import ServiceConfig, SiteConfig
from queue_server.queue.domain.notify import sms_due
from queue_server.queue.domain.state import Ticket
from queue_server.queue.phones import PhoneBook
from queue_server.queue.service import QueueService, Unavailable
from queue_server.store.keys import stream_id
from queue_server.store.worker import SiteLister, StreamWorker, text

log = logging.getLogger(__name__)

GROUP = "notifier"
CLAIM_IDLE_MS = 60_000  # an entry pending this long belongs to a process that died (or hangs)
CLAIM_EVERY_S = 15.0
SWEEP_S = 10.0
ENGINE_TIMEOUT_S = 30.0  # loading a site's state and catching up
RETRYABLE = (RedisError, SQLAlchemyError, OSError, Unavailable, TimeoutError)


class Notifier(StreamWorker):
    group = GROUP
    retryable = RETRYABLE
    max_backoff_s = 10.0

    def __init__(self, queue: QueueService, redis: Redis, prefix: str, phones: PhoneBook, sites: SiteLister, *,
                 sessions: Callable[[], AsyncSession], wake: Callable[[], None] = lambda: None,
                 block_ms: int = 1000, sweep_s: float = SWEEP_S, claim_idle_ms: int = CLAIM_IDLE_MS) -> None:
        super().__init__(redis, prefix, sites, block_ms=block_ms)
        self.sessions = sessions  # the outbox's SQL
        self.wake = wake  # tells this process's outbox worker that a message waits
        self.queue = queue
        self.phones = phones
        self.sweep_s = sweep_s
        self.claim_idle_ms = claim_idle_ms
        self._claimed_at = self._swept_at = float("-inf")
        self.sent = 0  # messages this process wrote to the outbox (tests, metrics)

    async def tick(self) -> None:
        """Read, claim what others abandoned, sweep: send what is due."""
        await self.refresh_sites()
        if time.monotonic() - self._claimed_at > CLAIM_EVERY_S:
            await self.claim_abandoned()
            self._claimed_at = time.monotonic()
        await self.step()
        if time.monotonic() - self._swept_at > self.sweep_s:
            await self.sweep()
            self._swept_at = time.monotonic()

    async def step(self) -> int:
        """Handle one batch of new entries of every site (waiting up to ``block_ms`` for them);
        returns how many entries."""
        total = 0
        for stream, entries in await self.read():
            total += await self._handle(stream, [text(entry_id) for entry_id, _fields in entries])
        return total

    async def claim_abandoned(self) -> int:
        """Take over and handle the entries other consumers read and left unacknowledged for at least
        ``claim_idle_ms``; returns how many."""
        total = 0
        async for stream, entries in self.claim(self.claim_idle_ms):
            total += await self._handle(stream, [text(entry_id) for entry_id, _fields in entries])
        return total

    async def _handle(self, stream: str, ids: Sequence[str]) -> int:
        """Check the site up to the last of ``ids``, then acknowledge them (unless that failed:
        they stay pending and are claimed again later)."""
        if not ids:
            return 0
        await self.check_site(self.streams[stream], max(ids, key=stream_id))
        await self.redis.xack(stream, GROUP, *ids)
        return len(ids)

    async def sweep(self) -> None:
        """Check every site against its current state."""
        for site in list(self.streams.values()):
            await self.check_site(site)

    async def check_site(self, site: str, upto: str | None = None) -> int:
        """Send what is due at ``site`` once its state here includes event ``upto``; returns how
        many messages went."""
        numbers = await self.phones.numbers(site)
        if not numbers:
            return 0
        with anyio.fail_after(ENGINE_TIMEOUT_S):
            engine = await self.queue.engine(site)
            if engine is None:
                return 0
            if upto is not None and stream_id(engine.state.last_event_id) < stream_id(upto):
                await engine.catch_up()
        state = engine.state  # a reference: the tail may swap in a rebuilt state meanwhile
        sent = 0
        for ticket_id, phone in numbers.items():
            ticket = state.tickets.get(ticket_id)
            if ticket is None:
                continue  # another day's ticket, or one not folded yet
            ahead = sms_due(state, ticket)
            service = state.config.service(ticket.service)
            if ahead is None or service is None:
                continue
            sent += await self._send_once(site, state.config, service, ticket, phone, ahead)
        return sent

    async def _send_once(self, site: str, config: SiteConfig, service: ServiceConfig, ticket: Ticket,
                         phone: str, ahead: int) -> int:
        try:
            text = turn_near_message(ticket.lang, ticket.number, service.name, config.name, ahead)
        except Exception:  # a missing or broken catalog must not cost the visitor their message
            log.exception("site %s: no %r text for ticket %s; sending it in English", site, ticket.lang,
                          ticket.number)
            text = turn_near_message("en", ticket.number, service.name, config.name, ahead)
        async with self.sessions() as session:
            written = await enqueue(session, channel="sms", to=phone, body=text, key=turn_near_key(ticket.id),
                                    tenant=config.tenant or None)
            await session.commit()
        if not written:
            return 0  # in the outbox already, written by this process or another
        self.wake()
        self.sent += 1
        # Ticket numbers are public (hall displays); ticket ids and phone numbers are not.
        log.info("site %s: SMS queued for ticket %s (%d ahead)", site, ticket.number, ahead)
        return 1


def turn_near_key(ticket_id: str) -> str:
    """The outbox key of a ticket's "your turn is near" SMS: one message per visit."""
    return f"visit:{ticket_id}:turn-near"

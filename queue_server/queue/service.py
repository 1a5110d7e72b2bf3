"""Commands in, tickets out: load a site's state, decide, append, retry when another process won.

One ``SiteEngine`` per active site per process. Commands queue in its inbox; a single writer task
decides them in batches on a tentative copy of the state and appends each batch's events with one
script call (one fsync for the batch), on the condition that the stream still ends at the id the
batch was decided on. When another process appended first, the script returns the missing events;
the engine folds them and decides the batch again. A tail task folds what other processes append,
so reads stay current within milliseconds.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from anyio.abc import TaskGroup
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from queue_server.queue.codec import decode_state, encode_state
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.domain.decide import decide, outcome
from queue_server.queue.domain.errors import DomainError
from queue_server.queue.domain.events import Event
from queue_server.queue.domain.state import SiteState, Ticket, evolve
from queue_server.queue.eventstore import Appended, EventStore, Recorded
from queue_server.queue.hub import SiteHub, Voice, event_message
from queue_server.store.keys import stream_id

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BATCH = 256  # commands decided and appended together at most
COMMAND_TIMEOUT_S = 10.0


def utc_now() -> datetime:
    return datetime.now(UTC)


_random_pool = bytearray()
_random_pid = 0


def new_ticket_id() -> str:
    """128 random bits from the OS's CSPRNG: the id is the key to a citizen's ticket page, so it
    must be unguessable. Bytes are drawn 4 KiB at a time (one system call per 256 tickets)."""
    global _random_pool, _random_pid
    if len(_random_pool) < 16 or _random_pid != os.getpid():  # never share a pool with a forked child
        _random_pool, _random_pid = bytearray(secrets.token_bytes(4096)), os.getpid()
    chunk = bytes(_random_pool[:16])
    del _random_pool[:16]
    return base64.urlsafe_b64encode(chunk).rstrip(b"=").decode()


_COMMAND_PREFIX = secrets.token_hex(6)  # 48 random bits per process: no two processes share it
_command_counter = itertools.count()


def new_command_id() -> str:
    """Unique across processes and restarts (random per-process prefix and a counter); not secret,
    so it costs no system call, unlike the ticket id."""
    return f"{_COMMAND_PREFIX}{next(_command_counter):x}"


class Unavailable(Exception):
    """Redis (or Valkey) cannot be reached: the caller should retry shortly (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a command did: the ticket it concerned (``None``: nobody waiting) and whether it was new."""

    ticket: Ticket | None
    created: bool
    state: SiteState


_Pending = tuple[c.Command, "asyncio.Future[Result]"]


class SiteEngine:
    """The in-memory state of one site in this process, and the only writer of its stream here."""

    def __init__(self, config: SiteConfig, store: EventStore, tail_store: EventStore, clock: Clock,
                 snapshot_interval_s: float = 30.0, voice: Voice | None = None) -> None:
        self.stored_config = config  # as SQL held it when the engine started (site.configured events follow)
        self.store = store
        self.tail_store = tail_store
        self.clock = clock
        self.snapshot_interval_s = snapshot_interval_s
        self.state = SiteState(config)
        self.hub = SiteHub(config.id, voice)
        self._last = (0, 0)
        self._tentative: SiteState | None = None  # valid while it equals ``state`` plus nothing
        self._inbox: asyncio.Queue[_Pending] = asyncio.Queue()
        self._caught_up = asyncio.Event()

    @property
    def site(self) -> str:
        return self.stored_config.id

    @property
    def config(self) -> SiteConfig:
        """The site's configuration as the last ``site.configured`` event (or SQL, before any) left it."""
        return self.state.config

    # Folding ---------------------------------------------------------------------------------------

    def fold(self, records: list[Recorded]) -> int:
        """Fold events newer than the state's last id; returns how many were new."""
        new = 0
        for rid, event in records:
            key = stream_id(rid)
            if key <= self._last:
                continue
            evolve(self.state, event)
            self.state.last_event_id = rid
            self._last = key
            self.hub.record(self.state, rid, event)
            new += 1
        if new:
            self._tentative = None
        return new

    async def load(self) -> None:
        """Rebuild the state from the latest snapshot and the events after it.

        The new state is built aside and swapped in at once, so that the tail never folds into a
        half-loaded state.
        """
        snapshot = await self.store.load_snapshot(self.site)
        state = decode_state(self.stored_config, snapshot[1]) if snapshot else SiteState(self.stored_config)
        base = state.last_event_id
        records = await self.store.read_all(self.site, base)
        messages = []
        for rid, event in records:
            evolve(state, event)
            state.last_event_id = rid
            messages.append((rid, event_message(state, rid, event, self.hub.voice, render=False)))
        self.state, self._last, self._tentative = state, stream_id(state.last_event_id), None
        self.hub.reset(base, messages)
        log.info("site %s loaded at %s (%d tickets today)", self.site, self.state.last_event_id,
                 len(self.state.tickets))

    async def catch_up(self) -> None:
        """Fold whatever the stream holds beyond our state (a read that must not be stale)."""
        try:
            self.fold(await self.store.read_all(self.site, self.state.last_event_id))
        except RedisError as exc:
            raise Unavailable(str(exc)) from exc

    # Commands --------------------------------------------------------------------------------------

    async def execute(self, command: c.Command) -> Result:
        """Decide and append ``command``; raises ``DomainError`` (refused) or ``Unavailable``."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait((command, future))
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_S):
                return await asyncio.shield(future)
        except TimeoutError as exc:
            future.cancel()  # the writer skips it if it has not reached it yet
            raise Unavailable("the queue did not answer in time") from exc

    async def run_writer(self) -> None:
        while True:
            batch = [await self._inbox.get()]
            while len(batch) < BATCH and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            batch = [p for p in batch if not p[1].done()]
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        for _attempt in range(50):
            if self._tentative is None:
                self._tentative = self.state.clone()
            tentative, now = self._tentative, self.clock()
            decided: list[list[Event] | DomainError] = []
            events: list[Event] = []
            for command, _future in batch:
                try:
                    produced = decide(tentative, command, now)
                except DomainError as refusal:
                    decided.append(refusal)
                    continue
                for event in produced:
                    evolve(tentative, event)
                decided.append(produced)
                events.extend(produced)
            if not events:
                self._settle(batch, decided)
                return
            expected = self.state.last_event_id
            try:
                reply = await self.store.append(self.site, expected, events)
            except RedisError as exc:
                self._tentative = None
                log.warning("site %s: append failed: %s", self.site, exc)
                for _command, future in batch:
                    if not future.done():
                        future.set_exception(Unavailable(str(exc)))
                return
            if isinstance(reply, Appended):
                tentative.last_event_id = reply.ids[-1]
                self.fold(list(zip(reply.ids, events, strict=True)))
                # The tentative state is exactly the folded one, unless the tail already folded
                # another process's later events while we awaited the reply.
                self._tentative = tentative if self.state.last_event_id == reply.ids[-1] else None
                self._settle(batch, decided)
                return
            self._tentative = None
            if not reply.missing:
                # Redis lost events we had folded (a failover without persistence) or trimmed past
                # us: start again from what Redis has.
                log.error("site %s: stream head %s does not follow our state %s; reloading",
                          self.site, reply.head, expected)
                await self.load()
            else:
                self.fold(reply.missing)
        for _command, future in batch:
            if not future.done():
                future.set_exception(Unavailable("too much contention on this site, try again"))

    def _settle(self, batch: list[_Pending], decided: list[list[Event] | DomainError]) -> None:
        for (command, future), result in zip(batch, decided, strict=True):
            if future.done():
                continue
            if isinstance(result, DomainError):
                future.set_exception(result)
                continue
            ticket = outcome(self.state, command)
            # New to the caller if it is the ticket this very command drew, even when its first
            # append landed unseen (lost reply) and this round decided nothing.
            created = isinstance(command, c.IssueTicket) and ticket is not None and ticket.id == command.ticket_id
            future.set_result(Result(ticket, created, self.state))

    # Tail ------------------------------------------------------------------------------------------

    async def run_tail(self) -> None:
        """Fold what other processes append; save a snapshot now and then. Never reads from ``$``."""
        backoff = 0.1
        snapshot_at, snapshot_id = time.monotonic(), self.state.last_event_id
        while True:
            try:
                records = await self.tail_store.tail(self.site, self.state.last_event_id, block_ms=5000,
                                                     known=lambda: self._last)
                self.fold(records)
                backoff = 0.1
                if (time.monotonic() - snapshot_at > self.snapshot_interval_s
                        and self.state.last_event_id != snapshot_id):
                    snapshot_id = self.state.last_event_id
                    await self.store.save_snapshot(self.site, snapshot_id, encode_state(self.state))
                    snapshot_at = time.monotonic()
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("site %s: tail interrupted (%s), retrying in %.1fs", self.site, exc, backoff)
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                # A state that cannot fold the log is a bug; keep serving from a fresh rebuild.
                log.exception("site %s: cannot fold the stream; rebuilding the state", self.site)
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                try:
                    await self.load()
                except Exception:
                    log.exception("site %s: rebuild failed", self.site)


class QueueService:
    """The engines of the sites this process has touched, started on first use."""

    def __init__(self, store: EventStore, tail_store: EventStore,
                 load_config: Callable[[str], Awaitable[SiteConfig | None]],
                 task_group: TaskGroup, clock: Clock = utc_now, snapshot_interval_s: float = 30.0,
                 voice: Voice | None = None) -> None:
        self.voice = voice  # names (and renders) the spoken form of calls: queue_server/speech.py
        self.store = store
        self.tail_store = tail_store
        self.load_config = load_config
        self.task_group = task_group
        self.clock = clock
        self.snapshot_interval_s = snapshot_interval_s
        self._engines: dict[str, SiteEngine] = {}
        self._lock = asyncio.Lock()

    async def find_ticket(self, ticket_id: str) -> SiteEngine | None:
        """The engine of the site where ``ticket_id`` is a ticket of today, if any. Every site is
        loaded at start, so this looks in memory first; a ticket issued a moment ago through
        another process is found after one catch-up of each site."""
        for engine in self._engines.values():
            if ticket_id in engine.state.tickets:
                return engine
        for engine in tuple(self._engines.values()):
            await engine.catch_up()
            if ticket_id in engine.state.tickets:
                return engine
        return None

    async def engine(self, site: str) -> SiteEngine | None:
        """The site's engine, loading it on first use; ``None`` if there is no such site."""
        engine = self._engines.get(site)
        if engine is not None:
            return engine
        async with self._lock:
            engine = self._engines.get(site)
            if engine is not None:
                return engine
            config = await self.load_config(site)
            if config is None:
                return None
            engine = SiteEngine(config, self.store, self.tail_store, self.clock, self.snapshot_interval_s,
                                self.voice)
            try:
                await engine.load()
            except RedisError as exc:
                raise Unavailable(str(exc)) from exc
            self._engines[site] = engine
            self.task_group.start_soon(engine.run_writer)
            self.task_group.start_soon(engine.run_tail)
        if engine.config != config:
            # SQL was changed while no process followed the site (an import from the command line), or
            # a change was saved but its event never written: SQL is the truth, every process learns it.
            log.info("site %s: configuration changed in SQL; applying it", site)
            await engine.execute(c.Configure(command_id=new_command_id(), config=config, force=True))
        return engine

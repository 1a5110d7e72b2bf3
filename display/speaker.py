"""Saying calls: a bounded backlog, the phrases rendered on this PC, a player program per sound.

- ``Backlog``: the calls waiting to be spoken, in arrival order, at most ``BACKLOG``; beyond that the
  oldest is dropped (and logged), so that the live feed, which only appends, never waits for speech.
- ``Player``: one run of the player command (``aplay -q`` by default) per WAV, the path appended as
  its last argument, waited for at most ``timeout_s`` (then its process group is killed). A player
  that fails, hangs or is missing is logged; it never raises.
- ``Speaker``: one call at a time, never cut: the chime, then each phrase in order. Phrases are
  rendered locally by ``queue_server.speech`` (pyttsx3 and espeak-ng in a worker process), never
  fetched from the server: the PC speaks even when the server cannot. Rendering starts as soon as a
  call arrives (``prepare``), so it is usually done by the time the chime ends; a phrase that cannot
  be rendered (within ``speech.RENDER_TIMEOUT_S`` once its turn comes) is skipped and logged.
- The phrase cache (``DATA_DIR/speech``) keeps the ``KEEP_PHRASES`` most recently spoken phrases; older
  ones are deleted at start and every ``PRUNE_EVERY`` calls (a phrase deleted is rendered again if needed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import anyio
from anyio.abc import Process

from queue_server.speech import Speech

from .announcer import Call, Phrase

log = logging.getLogger(__name__)

BACKLOG = 50  # calls waiting to be spoken; about ten minutes of speech
KEEP_PHRASES = 2000  # rendered phrases kept on disk (about 100 kB each)
PRUNE_EVERY = 200  # calls between two prunings of the phrase cache
STDERR_KEPT = 300  # bytes of a failing player's error output put in the log


class Backlog:
    """Calls waiting to be spoken, oldest first, at most ``size`` (beyond, the oldest is dropped)."""

    def __init__(self, size: int = BACKLOG) -> None:
        self._calls: deque[Call] = deque(maxlen=size)
        self._ready = anyio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._calls)

    def put(self, call: Call) -> None:
        """Append ``call``; never waits."""
        if len(self._calls) == self._calls.maxlen:
            old = self._calls.popleft()
            self.dropped += 1
            log.warning("%d calls waiting to be spoken: %s at counter %s dropped unspoken",
                        len(self._calls) + 1, old.number, old.counter)
        self._calls.append(call)
        self._ready.set()

    async def get(self) -> Call:
        """The oldest call, waiting (without limit: an idle hall is silent) until there is one."""
        while not self._calls:
            self._ready = anyio.Event()
            await self._ready.wait()
        return self._calls.popleft()


class Player:
    """Plays a WAV file with an external command, waiting for it at most ``timeout_s`` seconds."""

    def __init__(self, command: Sequence[str], timeout_s: float = 20.0) -> None:
        if not command:
            raise ValueError("the player command is empty")
        self.command = tuple(command)
        self.timeout_s = timeout_s
        self.failures = 0

    async def play(self, path: Path) -> bool:
        """Whether ``path`` played (the command exited 0 in time). Never raises but for cancellation."""
        try:
            process = await anyio.open_process([*self.command, str(path)], stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                               start_new_session=True)
        except OSError as exc:
            self.failures += 1
            log.error("cannot run the player %r: %s", self.command[0], exc.strerror or exc)
            return False
        errors = bytearray()
        finished = False
        async with process:
            try:
                async with anyio.create_task_group() as tasks:
                    collected = anyio.Event()
                    tasks.start_soon(self._collect, process, errors, collected)
                    with anyio.move_on_after(self.timeout_s):
                        await process.wait()
                        finished = True
                    if not finished:
                        self._kill(process)
                    with anyio.move_on_after(1.0):  # the rest of its error output (unless a child holds it)
                        await collected.wait()
                    tasks.cancel_scope.cancel()
            finally:
                if process.returncode is None:  # timed out or cancelled: the sound stops
                    self._kill(process)
                    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                        await process.wait()
        if not finished:
            self.failures += 1
            log.warning("the player %r did not finish within %.0f s: stopped", self.command[0], self.timeout_s)
            return False
        if process.returncode != 0:
            self.failures += 1
            detail = bytes(errors).decode(errors="replace").strip().replace("\n", " | ")
            log.warning("the player %r failed (exit status %s)%s", self.command[0], process.returncode,
                        f": {detail}" if detail else "")
            return False
        return True

    @staticmethod
    async def _collect(process: Process, errors: bytearray, collected: anyio.Event) -> None:
        """Read the player's error output (so that it never blocks on a full pipe), keeping its end."""
        try:
            if process.stderr is not None:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                    async for chunk in process.stderr:
                        errors.extend(chunk)
                        del errors[:-STDERR_KEPT]
        finally:
            collected.set()

    @staticmethod
    def _kill(process: Process) -> None:
        """The player and whatever it started (a shell script's own player): its whole process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


class Speaker:
    """Speaks the backlog's calls one after the other, each whole: chime, then its phrases in order."""

    def __init__(self, speech: Speech, player: Player, chime: Path, backlog: Backlog) -> None:
        self.speech = speech
        self.player = player
        self.chime = chime
        self.backlog = backlog
        self.spoken = 0  # calls said this run

    def prepare(self, call: Call) -> None:
        """Start rendering the phrases of ``call`` in the background (``Speech.run`` does it), now."""
        for phrase in call.phrases:
            self.speech.url(phrase.lang, phrase.text)

    async def run(self) -> None:
        """Speak calls as they come, for the agent's life."""
        prune(self.speech.cache_dir)
        while True:
            call = await self.backlog.get()
            await self.say(call)
            self.spoken += 1
            if self.spoken % PRUNE_EVERY == 0:
                prune(self.speech.cache_dir)

    async def say(self, call: Call) -> None:
        """The chime, then each phrase of ``call``; whatever fails is logged and skipped."""
        log.info("announcing %s at counter %s%s", call.number, call.counter, " again" if call.recall else "")
        await self.player.play(self.chime)
        for phrase in call.phrases:
            path = await self._wav(phrase)
            if path is None:
                log.warning("the %s phrase of %s could not be rendered: skipped", phrase.lang, call.number)
                continue
            with contextlib.suppress(OSError):
                os.utime(path)  # recently spoken: kept by the pruning
            await self.player.play(path)

    async def _wav(self, phrase: Phrase) -> Path | None:
        url = self.speech.url(phrase.lang, phrase.text, render=False)
        if url is None:  # no espeak-ng on this PC: the chime alone
            return None
        try:
            return await self.speech.wav(url.rsplit("/", 1)[-1].removesuffix(".wav"))
        except OSError as exc:  # the cache's disk (full, read-only): this phrase is lost, not the agent
            log.error("cannot keep a rendered phrase in %s: %s", self.speech.cache_dir, exc)
            return None


def prune(cache_dir: Path, keep: int = KEEP_PHRASES) -> int:
    """Delete all but the ``keep`` most recently used WAVs of ``cache_dir``; how many were deleted."""
    try:
        # A file being rendered (".<pid>.tmp.wav", renamed when done) is the newest: never among those deleted.
        files = [(entry.stat().st_mtime, Path(entry.path)) for entry in os.scandir(cache_dir)
                 if entry.name.endswith(".wav") and entry.is_file()]
    except FileNotFoundError:
        return 0
    files.sort(reverse=True)
    for _, path in files[keep:]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return max(0, len(files) - keep)

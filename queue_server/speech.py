"""Spoken announcements: phrases rendered to WAV offline, by pyttsx3 and espeak-ng, in a worker process.

- ``Speech.url(lang, text)`` names the WAV of a phrase (``/speech/<key>.wav``, the key a hash of
  voice, rate and text) and asks for it to be rendered in the background, at once: by the time a
  display has played its chime and asks for the file, it is usually there. It never waits, so the
  hub that builds call events never stalls on speech.
- ``Speech.wav(key)`` returns the file's path, rendering it first if needed (at most
  ``RENDER_TIMEOUT_S``), or ``None`` (unknown phrase, speech off, render failed).
- Rendering happens in one child process per server process (pyttsx3 can hang, and a hang must not
  block the event loop or the hub): one phrase at a time, each with a deadline; a worker that misses
  it is killed and a new one started for the next phrase.
- The background renders only what can still be played, so that a burst of calls costs seconds of
  work, not minutes: a phrase waits at most ``REPLAY_WINDOW_S`` (the displays' ``announce_within``,
  beyond which a call is shown, never announced), at most ``PENDING`` phrases wait (beyond, the
  oldest is dropped, with one warning per burst), a phrase asked again while it waits waits once,
  and one already on disk is not rendered again. A phrase dropped unrendered is still rendered on
  demand by ``wav`` when a display asks for it. ``pending``, ``idle`` and ``drained`` tell how far
  the background is; tests/display/test_speech.py holds it to idle within seconds of a 500-call
  burst, bench/speech_burst.py measures it.
- Phrases are cached on disk under ``DATA_DIR/speech`` (written aside, then renamed): shared by every
  process using that directory, kept across restarts.
- Without espeak-ng (or pyttsx3) speech is off: ``available`` is false, calls carry no
  ``audio_url``, displays play the chime alone, and ``/readyz`` says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
from collections import OrderedDict
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

log = logging.getLogger(__name__)

VOICES = {"fr": "roa/fr", "en": "gmw/en", "es": "roa/es", "ar": "sem/ar"}  # espeak-ng voice per language
RATE = 150  # words per minute: slower than espeak's 175, for a hall with echo
RENDER_TIMEOUT_S = 15.0
START_TIMEOUT_S = 20.0
KNOWN = 10_000  # phrases whose text this process remembers (a day of calls, many times over)
# The displays' default `announce_within`: a call older than this is shown, never announced, so a
# phrase asked for longer ago than this is not worth a background render (a display that still asks
# for it gets it rendered on demand).
REPLAY_WINDOW_S = 30.0
# Phrases waiting for a background render. A display says at most some 15 phrases in the replay window
# (each 1 to 6 s, plus a 0.9 s chime per call): 200 covers a dozen displays with different filters, and
# is about 3 s of work for the worker (15 ms a phrase on a 2-core PC).
PENDING = 200


def available() -> bool:
    """Whether this machine can speak: espeak-ng installed and pyttsx3 importable."""
    if shutil.which("espeak-ng") is None:
        return False
    try:
        import pyttsx3  # noqa: F401
    except ImportError:
        return False
    return True


def _key(lang: str, text: str) -> str:
    voice = VOICES.get(lang, VOICES["fr"])
    return hashlib.sha256(f"{voice}|{RATE}|{text}".encode()).hexdigest()[:32]


def _worker() -> None:  # pragma: no cover - runs in the child process (python -m queue_server.speech)
    """The child: render each request line ``{"lang", "text", "path"}`` from stdin and answer one line
    ``{"ok", "detail"}`` on stdout."""
    import pyttsx3

    # Answers go on the real stdout; whatever the libraries print ("Audio saved to ...") goes to stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    engine = pyttsx3.init("espeak")
    # The driver's first save after a voice change comes out empty: say one word into a scratch file
    # in every voice first, so that every real phrase renders on its first try.
    with tempfile.TemporaryDirectory() as scratch:
        for voice in VOICES.values():
            engine.setProperty("voice", voice)
            engine.save_to_file("1", os.path.join(scratch, "warm-up.wav"))
            engine.runAndWait()
    print(json.dumps({"ok": True, "detail": "ready"}), file=answers)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            engine.setProperty("voice", VOICES.get(request["lang"], VOICES["fr"]))
            engine.setProperty("rate", RATE)
            # The driver now and then saves a header without sound (7 renders in 1,500 on a 2-core PC); a
            # second try has always worked, and spares the display an on-demand render of the phrase.
            for _attempt in range(2):
                engine.save_to_file(request["text"], request["path"])
                engine.runAndWait()
                ok = os.path.exists(request["path"]) and os.path.getsize(request["path"]) > 44
                if ok:
                    break
            print(json.dumps({"ok": ok, "detail": "" if ok else "empty file"}), file=answers)
        except Exception as exc:  # noqa: BLE001 - told to the parent, which logs it
            print(json.dumps({"ok": False, "detail": repr(exc)}), file=answers)


WORKER = (sys.executable, "-m", "queue_server.speech")


class Renderer:
    """One worker process (``python -m queue_server.speech``) and its pipes; one thread at a time."""

    def __init__(self, command: tuple[str, ...] = WORKER, timeout_s: float = RENDER_TIMEOUT_S) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    def _answer(self, process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"no answer within {timeout} s")
        line = process.stdout.readline()
        if not line:
            raise EOFError("the speech worker exited")
        return dict(json.loads(line))

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self._process = process
        self._answer(process, START_TIMEOUT_S)
        return process

    def render(self, lang: str, text: str, path: Path) -> bool:
        """Blocking: ``text`` spoken into ``path`` within ``timeout_s``, or ``False`` (a worker that
        did not answer in time is killed; the next call starts another)."""
        try:
            process = self._process if self._process is not None and self._process.poll() is None else self._start()
            assert process.stdin is not None
            process.stdin.write(json.dumps({"lang": lang, "text": text, "path": str(path)}).encode() + b"\n")
            process.stdin.flush()
            answer = self._answer(process, self.timeout_s)
        except (OSError, EOFError, TimeoutError, ValueError) as exc:
            log.warning("speech worker failed (%s); it will be restarted", exc)
            self.close()
            return False
        if not answer.get("ok"):
            log.warning("speech rendering failed: %s", answer.get("detail"))
        return bool(answer.get("ok"))

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
        self._process = None


class Speech:
    """The announcements of one server process: names, background rendering, the cache.

    Counters since start, for logs, tests and bench/speech_burst.py: ``renders`` (phrases given to the
    worker process, rendered or failed), ``dropped`` (left unrendered because ``max_pending`` phrases
    were waiting), ``expired`` (left unrendered because asked more than ``replay_window_s`` before their
    turn). Times come from ``clock`` (seconds, monotonic)."""

    def __init__(self, cache_dir: Path, enabled: bool | None = None, renderer: Renderer | None = None, *,
                 replay_window_s: float = REPLAY_WINDOW_S, max_pending: int = PENDING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cache_dir = cache_dir
        self.available = available() if enabled is None else enabled
        self.replay_window_s = replay_window_s
        self.max_pending = max_pending
        self._clock = clock
        self._phrases: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._renderer = renderer or Renderer()
        # asyncio's primitives: made before the event loop runs (create_app).
        self._lock = asyncio.Lock()
        self._pending: OrderedDict[str, float] = OrderedDict()  # key: when it was last asked for, oldest first
        self._wake = asyncio.Event()
        self._settled = asyncio.Event()  # set exactly while ``idle``: what ``drained`` waits for
        self._settled.set()
        self._busy = 0  # renders under way, background or on demand
        self._burst_dropped = 0  # since the worker was last idle: one warning, one summary per burst
        self._burst_expired = 0
        self.renders = 0
        self.dropped = 0
        self.expired = 0

    def url(self, lang: str, text: str, render: bool = True) -> str | None:
        """The URL of the WAV of ``text`` spoken in ``lang`` (``None`` when speech is off); with
        ``render`` its rendering is queued for the background (else it waits for someone to ask).
        Synchronous and cheap (no disk access): the hub calls it per call event."""
        if not self.available:
            return None
        key = _key(lang, text)
        if key not in self._phrases:
            self._phrases[key] = (lang, text)
            if len(self._phrases) > KNOWN:
                self._phrases.popitem(last=False)
        if render:
            self._want(key)
        return f"/speech/{key}.wav"

    def _want(self, key: str) -> None:
        # Asked again: it is as fresh as the latest call that wants it, and waits once.
        self._pending[key] = self._clock()
        self._pending.move_to_end(key)
        while len(self._pending) > self.max_pending:
            self._pending.popitem(last=False)
            self.dropped += 1
            self._burst_dropped += 1
            if self._burst_dropped == 1:
                log.warning("more than %d phrases waiting to be rendered: the oldest are dropped until the "
                            "backlog clears (a display that asks for one gets it rendered then)", self.max_pending)
        self._settle()
        self._wake.set()

    @property
    def pending(self) -> int:
        """Phrases waiting for a background render (at most ``max_pending``)."""
        return len(self._pending)

    @property
    def idle(self) -> bool:
        """Whether no phrase waits for a render and none is being rendered (background or on demand)."""
        return not self._pending and self._busy == 0

    async def drained(self, timeout_s: float) -> bool:
        """Whether the renders became ``idle`` within ``timeout_s`` seconds (at once if they are).
        Only ``run`` works the backlog off: without it, this waits out its timeout."""
        with anyio.move_on_after(timeout_s):
            await self._settled.wait()
        return self.idle

    def _settle(self) -> None:
        """Keep ``_settled`` equal to ``idle``; at the end of a burst, say what it cost (once)."""
        if not self.idle:
            self._settled.clear()
            return
        self._settled.set()
        if self._burst_dropped or self._burst_expired:
            log.info("speech backlog cleared: %s phrases dropped unrendered (more than %s waiting), "
                     "%s expired (asked more than %.0f s before their turn)",
                     self._burst_dropped, self.max_pending, self._burst_expired, self.replay_window_s)
            self._burst_dropped = self._burst_expired = 0

    def path(self, key: str) -> Path:
        return self.cache_dir / f"{key}.wav"

    async def wav(self, key: str) -> Path | None:
        """The rendered file of phrase ``key``, rendering it now if needed (at most ``RENDER_TIMEOUT_S``,
        after the render under way if any); ``None`` if unknown or failed. Works for a phrase the
        background dropped unrendered, however long ago it was asked (up to ``KNOWN`` phrases)."""
        self._pending.pop(key, None)  # asked for now: no background render needed any more
        path = self.path(key)
        if path.exists():
            self._settle()
            return path
        phrase = self._phrases.get(key)
        if phrase is None or not self.available:
            self._settle()
            return None
        return await self._render(key, *phrase)

    async def _render(self, key: str, lang: str, text: str) -> Path | None:
        self._busy += 1
        self._settle()
        try:
            async with self._lock:  # one phrase at a time; a second request for it finds the file
                path = self.path(key)
                if path.exists():
                    return path
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                aside = path.with_suffix(f".{os.getpid()}.tmp.wav")
                self.renders += 1
                ok = await anyio.to_thread.run_sync(self._renderer.render, lang, text, aside)
                if not ok:
                    aside.unlink(missing_ok=True)
                    return None
                aside.replace(path)
                return path
        finally:
            self._busy -= 1
            self._settle()

    async def run(self) -> None:
        """Render what ``url`` asked for, oldest first, in the background, for the server's life;
        phrases asked more than ``replay_window_s`` before their turn are dropped unrendered."""
        while True:
            if not self._pending:
                await self._wake.wait()
                self._wake.clear()
                continue
            key, asked = self._pending.popitem(last=False)
            phrase = self._phrases.get(key)
            if self._clock() - asked > self.replay_window_s:
                self.expired += 1
                self._burst_expired += 1
                phrase = None
            if phrase is None:  # expired, or forgotten (beyond KNOWN): nothing to render
                self._settle()
                continue
            try:
                await self._render(key, *phrase)
            except Exception:  # noqa: BLE001 - speech must never take the server down
                log.exception("could not render an announcement")

    def close(self) -> None:
        self._renderer.close()


def chime(rate: int = 22_050) -> bytes:
    """A two-tone chime (E5 then C5, 0.9 s) as a 16-bit mono WAV, made here rather than shipped."""
    samples: list[float] = []
    for freq, start, length in ((659.25, 0.0, 0.9), (523.25, 0.35, 0.55)):
        begin = int(start * rate)
        for n in range(int(length * rate)):
            t = n / rate
            value = math.sin(2 * math.pi * freq * t) * math.exp(-3.5 * t) * 0.35
            index = begin + n
            if index >= len(samples):
                samples.extend([0.0] * (index - len(samples) + 1))
            samples[index] += value
    out = BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32767)) for s in samples))
    return out.getvalue()


def describe(path: Path) -> dict[str, Any]:
    """Length in seconds and loudness (RMS, 0-1) of a 16-bit WAV: how tests tell speech from silence."""
    with wave.open(str(path), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
        width, channels = wav.getsampwidth(), wav.getnchannels()
    if width != 2 or not frames:
        return {"seconds": seconds, "rms": 0.0}
    values = struct.unpack(f"<{len(frames) // 2}h", frames)
    rms = math.sqrt(sum(v * v for v in values) / len(values)) / 32768
    return {"seconds": seconds / 1 if channels == 1 else seconds, "rms": rms}


if __name__ == "__main__":  # pragma: no cover - the worker process
    _worker()

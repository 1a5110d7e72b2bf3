"""Spoken announcements: real espeak-ng through pyttsx3 in a worker process, and what happens when
that worker hangs. espeak-ng is required (`apt-get install espeak-ng`; `make test` installs it)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import anyio
import pytest

from queue_server.queue.hub import ANNOUNCEMENTS
from queue_server.speech import PENDING, REPLAY_WINDOW_S, Renderer, Speech, available, chime, describe

pytestmark = pytest.mark.anyio


def test_this_machine_can_speak() -> None:
    """espeak-ng and pyttsx3 are installed (otherwise every speech test below would prove nothing)."""
    assert available()


@pytest.mark.parametrize(("lang", "text"), [("fr", "Ticket A 42, guichet 3"), ("en", "Ticket A 42, counter 3"),
                                            ("es", "Turno A 42, ventanilla 3"), ("ar", "التذكرة A 42، الشباك 3")])
async def test_a_call_is_spoken_in_one_to_six_seconds(tmp_path: Path, lang: str, text: str) -> None:
    """The WAV of a call is speech: 1 to 6 s long and far from silent, in each language."""
    speech = Speech(tmp_path)
    try:
        url = speech.url(lang, text)
        assert url is not None and url.startswith("/speech/") and url.endswith(".wav")
        path = await speech.wav(url.removeprefix("/speech/").removesuffix(".wav"))
        assert path is not None
        sound = describe(path)
        assert 1.0 <= sound["seconds"] <= 6.0, sound
        assert sound["rms"] > 0.02, sound  # silence is 0
    finally:
        speech.close()


async def test_a_phrase_is_rendered_once_and_kept(tmp_path: Path) -> None:
    """The same phrase asked twice is the same URL and the same file, rendered once."""
    speech = Speech(tmp_path)
    try:
        first = speech.url("fr", "Ticket B 7, guichet 1")
        assert first == speech.url("fr", "Ticket B 7, guichet 1")
        assert first != speech.url("en", "Ticket B 7, guichet 1")
        assert first is not None
        path = await speech.wav(first.removeprefix("/speech/").removesuffix(".wav"))
        assert path is not None
        made = path.stat().st_mtime_ns
        again = await speech.wav(first.removeprefix("/speech/").removesuffix(".wav"))
        assert again == path and path.stat().st_mtime_ns == made
    finally:
        speech.close()


async def test_an_unknown_phrase_has_no_file(tmp_path: Path) -> None:
    """A key nobody named renders nothing (the URL space is not a way to make the server speak)."""
    speech = Speech(tmp_path)
    assert await speech.wav("0" * 32) is None
    speech.close()


# A worker that answers its start and then nothing, until it is killed.
HANGING = (sys.executable, "-c", "import json, signal; print(json.dumps({'ok': True}), flush=True); signal.pause()")


def test_a_hanging_worker_is_killed_and_replaced(tmp_path: Path) -> None:
    """A worker that never answers costs one timeout: the render fails, the process is killed."""
    renderer = Renderer(HANGING, timeout_s=1.0)
    started = time.monotonic()
    assert renderer.render("fr", "Ticket A 1, guichet 1", tmp_path / "a.wav") is False
    assert time.monotonic() - started < 5
    assert renderer._process is None  # killed; the next render starts a fresh one
    renderer.close()


async def test_a_hung_render_never_blocks_the_event_loop(tmp_path: Path) -> None:
    """While a render hangs in its worker, the event loop goes on (the hub never waits for speech)."""
    speech = Speech(tmp_path, enabled=True, renderer=Renderer(HANGING, timeout_s=2.0))
    ticks = 0
    url = speech.url("fr", "Ticket A 2, guichet 1")
    assert url is not None

    async def count() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.05)
            ticks += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(count)
        assert await speech.wav(url.removeprefix("/speech/").removesuffix(".wav")) is None
        tg.cancel_scope.cancel()
    speech.close()
    assert ticks >= 20  # about 40 in the 2 s the render hung


BURST = 500  # calls at once: a supervisor's mass recall, a replayed feed, a script gone wrong
LANGUAGES = ("fr", "en", "es", "ar")  # a site announcing in four languages: four phrases a call
IDLE_WITHIN_S = 10.0  # the unbounded backlog took about 30 s here for such a burst (2,000 phrases, 14 ms each)


def ask(speech: Speech, calls: int, first: int = 1) -> list[str]:
    """The keys of the phrases of ``calls`` calls, asked at once as the hub asks them per call event."""
    keys = []
    for number in range(first, first + calls):
        for lang in LANGUAGES:
            url = speech.url(lang, ANNOUNCEMENTS[lang].format(letters="A", number=number, counter=number % 12 + 1))
            assert url is not None
            keys.append(url.removeprefix("/speech/").removesuffix(".wav"))
    return keys


async def test_a_burst_of_500_calls_leaves_the_worker_idle_within_seconds(tmp_path: Path) -> None:
    """After 500 calls at once, the worker is idle within seconds, having rendered only the newest phrases."""
    speech = Speech(tmp_path)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(speech.run)
            keys = ask(speech, BURST)
            last_call = time.monotonic()
            assert speech.pending == PENDING and not speech.idle
            assert await speech.drained(IDLE_WITHIN_S), f"{speech.pending} phrases still waiting"
            took = time.monotonic() - last_call
            tasks.cancel_scope.cancel()
        assert speech.renders <= PENDING and speech.dropped == len(keys) - PENDING, (speech.renders, took)
        assert all(speech.path(key).exists() for key in keys[-PENDING:])  # the latest calls' phrases are ready
    finally:
        speech.close()


async def test_repeated_phrases_are_rendered_once(tmp_path: Path) -> None:
    """Two bursts of 500 recalls of the same five phrases render five phrases in all."""
    speech = Speech(tmp_path)
    phrases = [("fr", f"Ticket B {number}, guichet 2") for number in range(5)]
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(speech.run)
            for _ in range(2):
                for n in range(500):
                    speech.url(*phrases[n % 5])
                assert speech.pending == 5
                assert await speech.drained(IDLE_WITHIN_S)
                assert speech.renders == 5
            tasks.cancel_scope.cancel()
    finally:
        speech.close()


async def test_a_phrase_older_than_the_replay_window_is_not_rendered(tmp_path: Path) -> None:
    """A phrase whose turn comes after the displays stopped announcing its call is dropped unrendered."""
    now = [1000.0]
    speech = Speech(tmp_path, clock=lambda: now[0])
    try:
        url = speech.url("fr", "Ticket C 3, guichet 4")
        assert url is not None
        now[0] += REPLAY_WINDOW_S + 1
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(speech.run)
            assert await speech.drained(IDLE_WITHIN_S)
            tasks.cancel_scope.cancel()
        assert (speech.renders, speech.expired) == (0, 1)
        assert not speech.path(url.removeprefix("/speech/").removesuffix(".wav")).exists()
    finally:
        speech.close()


async def test_a_phrase_left_unrendered_is_rendered_when_a_display_asks(tmp_path: Path) -> None:
    """A phrase the background dropped (expired, or crowded out of a full backlog) is rendered on demand."""
    now = [1000.0]
    speech = Speech(tmp_path, max_pending=1, clock=lambda: now[0])
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(speech.run)
            expired = speech.url("fr", "Ticket D 1, guichet 1")
            now[0] += REPLAY_WINDOW_S + 1
            assert await speech.drained(IDLE_WITHIN_S)
            crowded_out = speech.url("fr", "Ticket D 2, guichet 1")
            speech.url("fr", "Ticket D 3, guichet 1")
            assert await speech.drained(IDLE_WITHIN_S)
            tasks.cancel_scope.cancel()
        assert (speech.renders, speech.expired, speech.dropped) == (1, 1, 1)
        for url in (expired, crowded_out):
            assert url is not None
            path = await speech.wav(url.removeprefix("/speech/").removesuffix(".wav"))
            assert path is not None and describe(path)["rms"] > 0.02
    finally:
        speech.close()


async def test_a_full_backlog_warns_once_per_burst(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Each burst that overflows the backlog logs one warning, however many phrases it drops."""
    speech = Speech(tmp_path, max_pending=10)
    try:
        with caplog.at_level(logging.WARNING, logger="queue_server.speech"):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(speech.run)
                for burst in range(2):
                    ask(speech, 50, first=1 + 50 * burst)
                    assert await speech.drained(IDLE_WITHIN_S)
                tasks.cancel_scope.cancel()
        assert speech.dropped == 2 * (200 - 10)
        assert [r.levelno for r in caplog.records if "phrases waiting" in r.getMessage()] == [logging.WARNING] * 2
    finally:
        speech.close()


def test_the_chime_is_a_short_sound() -> None:
    """The chime is about a second of sound."""
    path = Path(__file__).parent / "chime-test.wav"
    try:
        path.write_bytes(chime())
        sound = describe(path)
    finally:
        path.unlink(missing_ok=True)
    assert 0.5 < sound["seconds"] < 2 and sound["rms"] > 0.02

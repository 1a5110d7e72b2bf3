"""Spoken announcements: real espeak-ng through pyttsx3 in a worker process, and what happens when
that worker hangs. espeak-ng is required (`apt-get install espeak-ng`; .ci/run installs it)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import pytest

from queue_server.speech import Renderer, Speech, available, chime, describe

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


HANGING = (sys.executable, "-c", "import json, time; print(json.dumps({'ok': True}), flush=True); time.sleep(600)")


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


def test_the_chime_is_a_short_sound() -> None:
    """The chime is about a second of sound."""
    path = Path(__file__).parent / "chime-test.wav"
    try:
        path.write_bytes(chime())
        sound = describe(path)
    finally:
        path.unlink(missing_ok=True)
    assert 0.5 < sound["seconds"] < 2 and sound["rms"] > 0.02

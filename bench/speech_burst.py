"""How long the speech worker stays busy after a burst of calls, with the real espeak-ng worker process.

A fresh ``Speech`` (empty cache in a temporary directory) runs its background worker; ``--calls`` calls
(500 by default) ask for their phrases, one per language (``--languages``, as the hub asks them per
call event), all at once or at ``--rate`` calls per second. The same burst is then asked again, to show
the cache. Printed per burst: the time from the last call until the worker is idle, and the phrases
asked, rendered, dropped (backlog full), expired (older than the replay window); at the end the worker
process's CPU time. Figures only: it never fails a build (a worker still busy after ``--timeout``
seconds is reported as such).

Usage: .venv/bin/python bench/speech_burst.py [--calls 500] [--languages fr en es ar] [--rate 0] [--timeout 600]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import anyio

from queue_server.queue.hub import ANNOUNCEMENTS
from queue_server.speech import Speech, available


async def burst(speech: Speech, calls: int, languages: list[str], rate: float, timeout_s: float) -> None:
    """Ask for the phrases of ``calls`` calls, then print how long the worker took to be idle."""
    before = (speech.renders, speech.dropped, speech.expired)
    started = time.monotonic()
    for number in range(1, calls + 1):
        for lang in languages:
            template = ANNOUNCEMENTS.get(lang, ANNOUNCEMENTS["fr"])
            speech.url(lang, template.format(letters="A", number=number, counter=number % 12 + 1))
        if rate > 0:
            await anyio.sleep(1 / rate)  # a steady stream of calls, not a burst
    last_call = time.monotonic()
    idle = await speech.drained(timeout_s)
    after = time.monotonic()
    rendered, dropped, expired = (now - then for now, then in zip((speech.renders, speech.dropped, speech.expired),
                                                                     before, strict=True))
    print(f"  calls asked in {last_call - started:6.2f} s; "
          f"worker {'idle' if idle else 'STILL BUSY'} {after - last_call:6.2f} s after the last call"
          f"{'' if idle else f' ({speech.pending} phrases waiting)'}")
    print(f"  phrases: {calls * len(languages)} asked, {rendered} rendered, {dropped} dropped (backlog full), "
          f"{expired} expired (older than {speech.replay_window_s:.0f} s)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--languages", nargs="+", default=["fr", "en", "es", "ar"])
    parser.add_argument("--rate", type=float, default=0.0, help="calls per second; 0: all at once")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the worker to be idle")
    args = parser.parse_args()
    if not available():
        sys.exit("bench needs espeak-ng and pyttsx3: apt-get install espeak-ng")
    # The worker's one warning per burst and its summary when the backlog clears, among the figures.
    logging.basicConfig(level=logging.INFO, format="  log: %(message)s")
    with tempfile.TemporaryDirectory(prefix="guichet-speech-") as cache:
        speech = Speech(Path(cache))
        print(f"{args.calls} calls in {' '.join(args.languages)}, "
              f"{'at once' if args.rate <= 0 else f'{args.rate:g} calls/s'}; backlog {speech.max_pending} "
              f"phrases, replay window {speech.replay_window_s:.0f} s")
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(speech.run)
                for title in ("first burst (empty cache)", "same burst again (cache)"):
                    print(title)
                    await burst(speech, args.calls, args.languages, args.rate, args.timeout)
                tasks.cancel_scope.cancel()
        finally:
            speech.close()  # the worker process is waited for: its CPU time is counted below
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"worker process CPU: {worker.ru_utime + worker.ru_stime:.2f} s")


if __name__ == "__main__":
    anyio.run(main)

"""Waiting, in the browser tests' own thread, for a condition the server reaches by itself (an event followed, a
job run): polled often, failed after a deadline; never a fixed sleep standing for the condition."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_S = 0.05


def eventually(probe: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Waits until ``probe()`` is true, polling it; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(POLL_S)

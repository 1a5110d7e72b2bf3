"""Waiting until an event is old enough: some rules act on an event's age (a call older than a display's
``announce_within`` is not spoken, a ticket missed for longer than a kiosk's ``--fresh`` is not printed), and
the device agents read the real clock. The condition waited for is the event's age, measured from the time
the server gave it, not a fixed pause."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import anyio

from queue_server.queue.codec import parse_iso

MARGIN_S = 0.3  # beyond the window: the agents' clocks and the server's are the same machine's


def age_s(at: str) -> float:
    """Seconds since ``at`` (an ISO time from the server)."""
    return (datetime.now(UTC) - parse_iso(at)).total_seconds()


async def until_older_than(at: str, window_s: float) -> None:
    """Return once ``at`` is more than ``window_s`` (and ``MARGIN_S``) in the past."""
    with anyio.fail_after(window_s + 10):
        while age_s(at) <= window_s + MARGIN_S:
            await anyio.sleep(0.05)


def until_older_than_sync(at: str, window_s: float) -> None:
    """``until_older_than`` for tests without an event loop (the browser tests)."""
    deadline = time.monotonic() + window_s + 10
    while age_s(at) <= window_s + MARGIN_S:
        assert time.monotonic() < deadline, f"{at} never got older than {window_s} s"
        time.sleep(0.05)

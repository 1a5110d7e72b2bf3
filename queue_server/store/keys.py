"""Redis key names. Every key of a site carries the hash tag ``{site}`` so that one site lives in
one Redis Cluster slot and a Lua script may touch all its keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SiteKeys:
    stream: str  # the site's event log: the queue's truth
    head: str  # id of the last event appended through the append script
    snapshot: str  # the folded state at some event id, to rebuild without reading the whole stream

    @classmethod
    def of(cls, prefix: str, site: str) -> SiteKeys:
        base = f"{prefix}site:{{{site}}}"
        return cls(stream=f"{base}:events", head=f"{base}:head", snapshot=f"{base}:snapshot")


def stream_id(text: str) -> tuple[int, int]:
    """``"1700000000000-3"`` as ``(1700000000000, 3)``, which compares in log order."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)

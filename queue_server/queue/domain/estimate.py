"""How long a citizen will wait: a moving average of recent visits over the counters at work."""

from __future__ import annotations

import math

from queue_server.queue.domain.state import SiteState


def mean_duration_s(state: SiteState, service: str) -> float:
    """Mean duration of the service's last visits (``DURATION_SAMPLES``), else its configured default."""
    samples = state.durations.get(service)
    if samples:
        return sum(samples) / len(samples)
    config = state.config.service(service)
    return float(config.default_duration_s) if config else 300.0


def serving_counters(state: SiteState, service: str) -> int:
    """Open counters that serve ``service``; when none is open yet (morning), those configured."""
    serving = state.config.counters_serving(service)
    open_now = sum(1 for c in serving if state.counter(c).status == "open")
    return open_now or len(serving)


def estimated_wait_s(state: SiteState, service: str, ahead: int) -> int | None:
    """Seconds until a ticket with ``ahead`` people before it is called; ``None`` if no counter serves.

    Each of the ``ahead`` people and the citizen's own turn take the mean duration, shared by the
    counters: (ahead + 1) × mean ÷ counters, rounded up to whole seconds. A coarse figure meant for
    a screen ("about 12 min"), not a promise.
    """
    counters = serving_counters(state, service)
    if counters == 0:
        return None
    return math.ceil((ahead + 1) * mean_duration_s(state, service) / counters)

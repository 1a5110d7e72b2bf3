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


def seconds_per_place(state: SiteState, service: str) -> float | None:
    """What each place in the service's queue adds to the wait: the mean duration shared by the counters
    that serve it; ``None`` if no counter serves it. Screens that keep a queue from the live feed work
    out each waiting ticket's estimate from it (``estimated_wait_s``), with the same arithmetic."""
    counters = serving_counters(state, service)
    if counters == 0:
        return None
    return mean_duration_s(state, service) / counters


def estimated_wait_s(state: SiteState, service: str, ahead: int) -> int | None:
    """Seconds until a ticket with ``ahead`` people before it is called; ``None`` if no counter serves.
    ``ahead`` is the ticket's ``SiteState.position``, in call order: a walk-in's counts the appointment
    and priority tickets of its service ahead of it, whatever their arrival.

    Each of the ``ahead`` people and the citizen's own turn take the mean duration, shared by the
    counters: (ahead + 1) × (mean ÷ counters), rounded up to whole seconds. A coarse figure meant for
    a screen ("about 12 min"), not a promise.
    """
    return wait_at(ahead, seconds_per_place(state, service))


def wait_at(ahead: int, per_place: float | None) -> int | None:
    """The estimate of the place with ``ahead`` people before it, from the service's ``seconds_per_place``:
    the one formula the server and every client that folds the feed apply (IEEE doubles, rounded up)."""
    return None if per_place is None else math.ceil((ahead + 1) * per_place)

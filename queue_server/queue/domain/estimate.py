"""How long a citizen will wait: figures that move smoothly, for screens that people read twice.

Three parts, each folded with the events (``state.evolve``), so that every process holds the same
figures:

- ``visit_s``: per service, an exponentially weighted mean of its visits' durations (``ALPHA``), each
  visit counted at most twice and at least half the mean so far, so that one visit forgotten open over
  lunch or closed by mistake at once moves it by a fifth at most;
- ``seconds_per_place``: that mean shared by the open counters serving the service;
- ``service_wait_s``: the service's published estimate (what the kiosk, the website and the agents read
  for someone taking a ticket now): 0 when nobody waits ("no wait"), otherwise the raw figure
  ``(waiting + 1) × seconds_per_place``, moved towards from the previously published one by at most
  half of it per event (``STEP``), so that a burst of arrivals or a counter that opens shows in a few
  events rather than as one jump of the figure.

A waiting ticket's own estimate (``estimated_wait_s``) is its rank times the place's share, from the same
smoothed mean: it goes down as people ahead are called. Coarse figures meant for a screen, said in words
by ``shown_wait`` ("about 15 min"), not promises.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from queue_server.queue.domain.state import SiteState

ALPHA = 0.2  # weight of the latest visit in the mean of a service's visits
STEP = 1.5  # a published estimate moves to at most STEP × or 1 / STEP × the previous one per event
DEFAULT_VISIT_S = 300.0  # a service unknown to the configuration


def next_mean(mean: float, visit_s: float) -> float:
    """The mean of a service's visits after one of ``visit_s`` seconds: the visit counts for ``ALPHA``,
    held within half and twice the mean so far (a visit left open or closed at once is no signal)."""
    sample = min(max(visit_s, mean / 2), mean * 2)
    return mean + ALPHA * (sample - mean)


def mean_duration_s(state: SiteState, service: str) -> float:
    """The smoothed duration of the service's visits; before its first finished visit, its configured default."""
    mean = state.visit_s.get(service)
    if mean is not None:
        return mean
    config = state.config.service(service)
    return float(config.default_duration_s) if config else DEFAULT_VISIT_S


def counters_share(state: SiteState, service: str) -> float:
    """How many counters' worth of work goes to ``service``: each open counter serving it (none open: each
    configured one) gives it a share of its time in proportion to the work waiting in each of its services
    (people waiting, plus one, times their mean duration), so that a counter serving three services is not
    counted three times."""
    serving = state.config.counters_serving(service)
    open_now = [c for c in serving if state.counter(c).status == "open"] or list(serving)
    share = 0.0
    for counter_id in open_now:
        config = state.config.counter(counter_id)
        services = config.services if config else (service,)
        work = {s: (state.waiting(s) + 1) * mean_duration_s(state, s) for s in services}
        share += work[service] / sum(work.values()) if service in work else 0.0
    return share


def seconds_per_place(state: SiteState, service: str) -> float | None:
    """What each place in the service's queue adds to the wait: the mean duration over the counters' worth
    of work that goes to the service (``counters_share``); ``None`` if no counter serves it. Screens that
    keep a queue from the live feed work out each waiting ticket's estimate from it (``estimated_wait_s``),
    with the same arithmetic."""
    share = counters_share(state, service)
    if share == 0:
        return None
    return mean_duration_s(state, service) / share


def estimated_wait_s(state: SiteState, service: str, ahead: int) -> int | None:
    """Seconds until a ticket with ``ahead`` people before it is called; ``None`` if no counter serves.
    ``ahead`` is the ticket's ``SiteState.position``, in call order: a walk-in's counts the appointment
    and priority tickets of its service ahead of it, whatever their arrival.

    Each of the ``ahead`` people and the citizen's own turn take the mean duration, shared by the
    counters: (ahead + 1) × (mean ÷ counters), rounded up to whole seconds.
    """
    return wait_at(ahead, seconds_per_place(state, service))


def wait_at(ahead: int, per_place: float | None) -> int | None:
    """The estimate of the place with ``ahead`` people before it, from the service's ``seconds_per_place``:
    the one formula the server and every client that folds the feed apply (IEEE doubles, rounded up)."""
    return None if per_place is None else math.ceil((ahead + 1) * per_place)


def raw_service_wait_s(state: SiteState, service: str) -> int | None:
    """The wait of someone taking a ticket of ``service`` now, unsmoothed: 0 when nobody waits."""
    waiting = state.waiting(service)
    return 0 if waiting == 0 else estimated_wait_s(state, service, waiting)


def next_shown(previous: int | None, raw: int | None) -> int | None:
    """The published estimate after an event, from the one before and the raw figure: the raw one when
    either is unknown or "no wait" (those are states, not sizes), otherwise the raw one held within
    ``1 / STEP`` and ``STEP`` times the previous one."""
    if previous is None or raw is None or previous == 0 or raw == 0:
        return raw
    return min(max(raw, math.ceil(previous / STEP)), math.floor(previous * STEP))


def service_wait_s(state: SiteState, service: str) -> int | None:
    """The service's published estimate for someone taking a ticket now (see the module's docstring)."""
    if service in state.shown_wait:
        return state.shown_wait[service]
    return raw_service_wait_s(state, service)


WaitKind = Literal["unknown", "none", "under", "about", "over"]
UNDER_S = 5 * 60  # below this: "less than 5 min"
OVER_S = 60 * 60  # from this: "more than an hour"
ROUND_S = 5 * 60  # between: "about N min", N a multiple of 5


class ShownWait(NamedTuple):
    """An estimate as said to citizens: ``kind`` and, for "about", the minutes (a multiple of 5)."""

    kind: WaitKind
    minutes: int = 0


def shown_wait(seconds: int | None) -> ShownWait:
    """How an estimate is said: unknown; "no wait" (0); "less than 5 min"; "about N min" rounded to the
    nearest 5 minutes (at least 5); "more than an hour". The pages' script (``Live.waitWords``) says the
    same (tests/browser/test_wait_words.py)."""
    if seconds is None:
        return ShownWait("unknown")
    if seconds <= 0:
        return ShownWait("none")
    if seconds < UNDER_S:
        return ShownWait("under", 5)
    if seconds >= OVER_S:
        return ShownWait("over", 60)
    return ShownWait("about", max(5, min(55, math.floor(seconds / ROUND_S + 0.5) * 5)))

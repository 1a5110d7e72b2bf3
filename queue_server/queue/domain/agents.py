"""An agent's own figures for the day, from the site's state: what the counter page shows its agent.

Cheap: one pass over the day's tickets (a few thousand at most), no history read. A visit counts for the
agent who called it last (``Ticket.agent``, "user:ID" or "token:ID"): a ticket transferred and called
again elsewhere counts for its new agent once finished there.
"""

from __future__ import annotations

from typing import NamedTuple

from queue_server.queue.domain.state import SiteState


class AgentDay(NamedTuple):
    served: int  # visits finished today
    mean_visit_s: float | None  # their mean length, from the call (or the start) to the end; None: none yet
    no_shows: int  # people called who did not come (a no-show put back in the queue no longer counts)


def agent_day(state: SiteState, agent: str) -> AgentDay:
    """The figures of ``agent`` for the state's day (all zero before their first call)."""
    served = no_shows = 0
    total_s = 0.0
    for ticket in state.tickets.values():
        if ticket.agent != agent:
            continue
        if ticket.status == "no_show":
            no_shows += 1
        elif ticket.status == "done" and ticket.finished_at is not None:
            served += 1
            began = ticket.started_at or ticket.called_at or ticket.finished_at
            total_s += (ticket.finished_at - began).total_seconds()
    return AgentDay(served, total_s / served if served else None, no_shows)

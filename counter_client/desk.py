"""The counter's actions: an ``Intent`` becomes one request to the server, and its answer one line
for the agent.

``perform`` returns what to show when the server did it, and raises a ``CounterError`` otherwise
(server.py draws the tree): ``Impossible`` when the client can tell without asking (no ticket at the
counter, a number it has never seen), ``Refused`` with the server's own reason, ``Unreachable`` when
nobody answered. Nothing is retried: an unanswered call-next may have called someone, and the live
view will show it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.protocol import TicketView

from .board import Board
from .keys import Action
from .prompt import Intent
from .server import Impossible, Refused, Server

VERBS: dict[Action, str] = {
    "next": "calling the next ticket", "recall": "recalling", "start": "starting", "finish": "finishing",
    "no-show": "marking as no-show", "transfer": "transferring", "call": "calling", "requeue": "putting back in queue",
    "pause": "pausing the counter", "open": "opening the counter", "close": "closing the counter",
}
_TICKET_ACTIONS: dict[Action, str] = {"recall": "recall", "start": "start", "finish": "finish", "no-show": "no-show"}
_COUNTER_ACTIONS: dict[Action, str] = {"pause": "pause", "open": "open", "close": "close"}
_COUNTER_WORDS = {"open": "open", "paused": "paused", "closed": "closed"}


def current_or_refuse(board: Board, verb: str) -> TicketView:
    """The ticket at the counter; ``Impossible`` when there is none."""
    ticket = board.current()
    if ticket is None:
        raise Impossible(f"There is no ticket at this counter to {verb}.")
    return ticket


def _position(ticket: TicketView) -> str:
    """``, next in line`` or ``, 3 ahead`` for a waiting ticket."""
    ahead = ticket.get("position")
    if ahead is None:
        return ""
    return ", next in line" if ahead == 0 else f", {ahead} ahead"


async def perform(server: Server, board: Board, intent: Intent, now: datetime, requeue_key: str = "b") -> str:
    """Do ``intent`` at the board's counter; the line that says it was done (``now``: the server's
    time, for the service timer)."""
    site, counter, action = board.site, board.counter, intent.action
    if action == "next":
        before = board.current()
        called = await server.call_next(site, counter, board.services)
        if called is None:
            chosen = board.services
            wanted = "" if chosen is None else " for " + ", ".join(board.service_name(s) for s in chosen)
            return f"Nobody is waiting{wanted}."
        board.note(called)
        done = f"{before['number']} done. " if before is not None and before["id"] != called["id"] else ""
        return f"{done}Called {called['number']} ({board.service_name(called['service'])})."
    if action in _TICKET_ACTIONS:
        verb = {"no-show": "mark as no-show"}.get(action, action)
        ticket = current_or_refuse(board, verb)
        answer = await server.ticket_action(site, ticket["id"], _TICKET_ACTIONS[action])
        board.note(answer)
        number = answer["number"]
        if action == "recall":
            return f"Recalled {number} (call {answer.get('recalls', 0) + 1})."
        if action == "start":
            board.started[answer["id"]] = now
            return f"Serving {number}."
        if action == "finish":
            return f"{number} done."
        board.last_no_show = number
        return f"{number} marked as no-show ({requeue_key} puts it back in the queue)."
    if action == "transfer":
        return await _transfer(server, board, intent)
    if action in ("call", "requeue"):
        assert intent.number is not None
        known = board.ticket(intent.number)
        if known is None:
            raise Impossible(f"{intent.number} is unknown here: this client knows only the tickets issued or "
                             "called since it started.")
        if action == "call":
            answer = await server.ticket_action(site, known["id"], "call", {"counter": counter})
            board.note(answer)
            return f"Called {answer['number']} out of turn ({board.service_name(answer['service'])})."
        answer = await server.ticket_action(site, known["id"], "requeue")
        board.note(answer)
        if board.last_no_show == answer["number"]:
            board.last_no_show = None
        return f"{answer['number']} is back in the queue{_position(answer)}."
    if action in _COUNTER_ACTIONS:
        view = await server.counter_action(site, counter, _COUNTER_ACTIONS[action])
        return f"Counter {_COUNTER_WORDS.get(view['status'], view['status'])}."
    raise AssertionError(f"no request for {action}")  # quit is the client's own


async def _transfer(server: Server, board: Board, intent: Intent) -> str:
    assert intent.service is not None
    ticket = current_or_refuse(board, "transfer")
    body: dict[str, Any] = {"service": intent.service}
    if intent.note:
        body["note"] = intent.note
    unsent = ""
    try:
        answer = await server.ticket_action(board.site, ticket["id"], "transfer", body)
    except Refused as exc:
        # A server from before transfer notes refuses the unknown field: transfer without the note.
        if not (intent.note and exc.status == 422 and "note" in exc.detail):
            raise
        answer = await server.ticket_action(board.site, ticket["id"], "transfer", {"service": intent.service})
        unsent = " This server does not keep notes: the note was not sent."
    board.note(answer)
    return f"{answer['number']} transferred to {board.service_name(answer['service'])}{_position(answer)}.{unsent}"

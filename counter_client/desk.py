"""The counter's actions: an ``Intent`` becomes one request to the server, and its answer one line
for the agent.

``perform`` returns what to show when the server did it, and raises a ``CounterError`` otherwise
(server.py draws the tree): ``Impossible`` when the client can tell without asking (no ticket at the
counter, a number it has never seen), ``Refused`` with the server's own reason, ``Unreachable`` when
nobody answered. Nothing is retried: an unanswered call-next may have called someone, and the live
view will show it. Every line is in the language of the ``Gettext`` given, except the server's own
reasons (``Refused``), which are in English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.queue.protocol import TicketView

from .board import Board
from .keys import Action
from .language import Gettext
from .prompt import Intent
from .server import Impossible, Refused, Server

_TICKET_ACTIONS: dict[Action, str] = {"recall": "recall", "start": "start", "finish": "finish", "no-show": "no-show"}
_COUNTER_ACTIONS: dict[Action, str] = {"pause": "pause", "open": "open", "close": "close"}


def doing(action: Action, _: Gettext) -> str:
    """What the client is doing while the server has not answered ``action``, for the status line."""
    return {
        "next": _("calling the next ticket"), "recall": _("recalling"), "start": _("starting"),
        "finish": _("finishing"), "no-show": _("marking as no-show"), "transfer": _("transferring"),
        "call": _("calling"), "requeue": _("putting back in queue"), "pause": _("pausing the counter"),
        "open": _("opening the counter"), "close": _("closing the counter"),
    }.get(action, action)


def current_or_refuse(board: Board, action: Action, _: Gettext) -> TicketView:
    """The ticket at the counter, for ``action`` (recall, start, finish, no-show, transfer);
    ``Impossible`` when there is none."""
    ticket = board.current()
    if ticket is None:
        raise Impossible({
            "recall": _("There is no ticket at this counter to recall."),
            "start": _("There is no ticket at this counter to start."),
            "finish": _("There is no ticket at this counter to finish."),
            "no-show": _("There is no ticket at this counter to mark as no-show."),
        }.get(action) or _("There is no ticket at this counter to transfer."))
    return ticket


def _placed(ticket: TicketView, anywhere: str, first: str, behind: str, **values: str) -> str:
    """The line for a ticket that waits again: ``anywhere`` when its place is unknown, ``first`` when
    it is next in line, else ``behind`` (its ``{ahead}``: how many people are before it)."""
    ahead = ticket.get("position")
    line = anywhere if ahead is None else first if ahead == 0 else behind
    return line.format(number=ticket["number"], ahead=ahead, **values)


def _counter_said(status: str, _: Gettext) -> str:
    """The line that says the counter's new status."""
    said = {"open": _("Counter open."), "paused": _("Counter paused."), "closed": _("Counter closed.")}.get(status)
    return said or _("Counter: {status}.").format(status=status)


async def perform(server: Server, board: Board, intent: Intent, now: datetime, _: Gettext,
                  requeue_key: str = "b") -> str:
    """Do ``intent`` at the board's counter; the line that says it was done, in the language of ``_``
    (``now``: the server's time, for the service timer; ``requeue_key``: the key that puts a no-show
    back in the queue, as the screen shows it)."""
    site, counter, action = board.site, board.counter, intent.action
    if action == "next":
        before = board.current()
        called = await server.call_next(site, counter, board.services)
        if called is None:
            if board.services is None:
                return _("Nobody is waiting.")
            return _("Nobody is waiting for {services}.").format(
                services=", ".join(board.service_name(s) for s in board.services))
        board.note(called)
        said = _("Called {number} ({service}).").format(number=called["number"],
                                                        service=board.service_name(called["service"]))
        if before is not None and before["id"] != called["id"]:
            return _("{number} done.").format(number=before["number"]) + " " + said
        return said
    if action in _TICKET_ACTIONS:
        ticket = current_or_refuse(board, action, _)
        answer = await server.ticket_action(site, ticket["id"], _TICKET_ACTIONS[action])
        board.note(answer)
        number = answer["number"]
        if action == "recall":
            return _("Recalled {number} (call {count}).").format(number=number, count=answer.get("recalls", 0) + 1)
        if action == "start":
            board.started[answer["id"]] = now
            return _("Serving {number}.").format(number=number)
        if action == "finish":
            return _("{number} done.").format(number=number)
        board.last_no_show = number
        return _("{number} marked as no-show ({key} puts it back in the queue).").format(number=number,
                                                                                        key=requeue_key)
    if action == "transfer":
        return await _transfer(server, board, intent, _)
    if action in ("call", "requeue"):
        assert intent.number is not None
        known = board.ticket(intent.number)
        if known is None:
            raise Impossible(_("{number} is unknown here: this client knows only the tickets issued or called "
                               "since it started.").format(number=intent.number))
        if action == "call":
            answer = await server.ticket_action(site, known["id"], "call", {"counter": counter})
            board.note(answer)
            return _("Called {number} out of turn ({service}).").format(
                number=answer["number"], service=board.service_name(answer["service"]))
        answer = await server.ticket_action(site, known["id"], "requeue")
        board.note(answer)
        if board.last_no_show == answer["number"]:
            board.last_no_show = None
        return _placed(answer, _("{number} is back in the queue."), _("{number} is back in the queue, next in line."),
                       _("{number} is back in the queue, {ahead} ahead."))
    if action in _COUNTER_ACTIONS:
        view = await server.counter_action(site, counter, _COUNTER_ACTIONS[action])
        return _counter_said(view["status"], _)
    raise AssertionError(f"no request for {action}")  # quit is the client's own


async def _transfer(server: Server, board: Board, intent: Intent, _: Gettext) -> str:
    assert intent.service is not None
    ticket = current_or_refuse(board, "transfer", _)
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
        unsent = " " + _("This server does not keep notes: the note was not sent.")
    board.note(answer)
    done = _placed(answer, _("{number} transferred to {service}."),
                   _("{number} transferred to {service}, next in line."),
                   _("{number} transferred to {service}, {ahead} ahead."),
                   service=board.service_name(answer["service"]))
    return done + unsent

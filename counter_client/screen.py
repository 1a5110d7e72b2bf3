"""The board as ``rich`` renderables: the counter and its ticket with a running timer, the queue by
service, colleagues' last calls, the status line, the dialogue in progress and the keys' help line.

Pure: ``render(board, ...)`` depends only on its arguments (``now`` in UTC, already corrected by the
server's clock; ``_``, the language), so that the client redraws by calling it again. Names the server
gives (sites, services, counters) and its notes are shown as they are.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from queue_server.queue.domain.estimate import shown_wait

from .board import Board
from .keys import ACTIONS, KeyMap, descriptions
from .language import Gettext
from .prompt import Prompt

RECENT_CALLS = 6
NEXT_NUMBERS = 5
COUNTER_STYLES = {"open": "bold green", "paused": "bold yellow", "closed": "bold red"}
TONE_STYLES = {"ok": "green", "refused": "bold red", "info": "cyan"}


def duration(seconds: float) -> str:
    """``75`` -> ``01:15``; ``3725`` -> ``1:02:05``; negative (clocks apart) counts as 0."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def status_word(status: str, _: Gettext) -> str:
    """A ticket's status as the agent says it (an unknown one, a newer server's, as it is)."""
    return {"waiting": _("waiting"), "called": _("called"), "serving": _("being served"), "done": _("done"),
            "no_show": _("no-show"), "cancelled": _("cancelled")}.get(status, status)


def counter_word(status: str, _: Gettext) -> str:
    """A counter's status, for the title of its panel."""
    return {"open": _("open"), "paused": _("paused"), "closed": _("closed")}.get(status, status)


def wait_text(seconds: int | None, _: Gettext) -> str:
    """A service's estimate in a cell of the board, by the server's rule (domain/estimate.py ``shown_wait``):
    "-" unknown, "no wait", "< 5 min", "~15 min", "> 1 h"."""
    shown = shown_wait(seconds)
    return {"unknown": "-", "none": _("no wait"), "under": "< 5 min", "over": "> 1 h"}.get(
        shown.kind, f"~{shown.minutes} min")


def local_time(value: datetime | None, seconds: bool = False) -> str:
    return value.astimezone().strftime("%H:%M:%S" if seconds else "%H:%M") if value is not None else ""


def help_line(keymap: KeyMap, _: Gettext) -> Text:
    """``n/Enter/space next · r recall · …`` from the key map in use."""
    described = descriptions(_)
    text = Text()
    for action in ACTIONS:
        if text:
            text.append(" · ", style="dim")
        text.append(keymap.label(action, _), style="bold")
        text.append(f" {described[action]}")
    return text


def _header(board: Board, who: str, _: Gettext) -> Text:
    snapshot = board.snapshot
    view = board.counter_view()
    text = Text()
    text.append(view["name"] if view else _("Counter {counter}").format(counter=board.counter), style="bold")
    text.append(f"  ·  {snapshot['name'] if snapshot else board.site} ({board.site})")
    if who:
        text.append(f"  ·  {who}", style="dim")
    text.append("  ·  ")
    if board.connection == "live":
        text.append("● " + _("live"), style="green")
    elif board.connection == "lost":
        text.append("● " + _("connection lost, retrying…"), style="bold red")
    else:
        text.append("● " + _("connecting…"), style="yellow")
    return text


def _counter(board: Board, now: datetime, _: Gettext) -> Panel:
    view = board.counter_view()
    status = view["status"] if view else "?"
    ticket = board.current()
    body = Table.grid(padding=(0, 2))
    body.add_column(justify="left")
    body.add_column(justify="left")
    if ticket is None:
        body.add_row(Text("—", style="bold"), Text(_("No ticket at this counter: press the call-next key to call "
                                                      "someone."), style="dim"))
    else:
        since = board.since(ticket)
        timer = duration((now - since).total_seconds()) if since is not None else "--:--"
        state = status_word(ticket["status"], _)
        details = Text()
        details.append(board.service_name(ticket["service"]), style="bold")
        details.append(f"   {state} ")
        details.append(timer, style="bold magenta")
        if ticket["status"] == "called" and ticket.get("recalls"):
            details.append("   " + _("recalled {n}×").format(n=ticket["recalls"]), style="yellow")
        if ticket["priority"]:
            details.append("   " + _("priority"), style="bold yellow")
        body.add_row(Text(ticket["number"], style="bold reverse"), details)
        note = board.notes.get(ticket["id"])
        if note:
            body.add_row(Text(_("note"), style="bold yellow"), Text(note, style="yellow"))
    served = (_("all services") if board.services is None
              else ", ".join(board.service_name(s) for s in board.services))
    # The status stands out in the title, wherever the language puts it.
    before, _found, after = _("Counter {status}").partition("{status}")
    title = Text.assemble(before, (counter_word(status, _).upper(), COUNTER_STYLES.get(status, "bold")), after)
    return Panel(body, title=title, title_align="left", subtitle=_("calls: {services}").format(services=served),
                 subtitle_align="left")


def _queue(board: Board, _: Gettext) -> Table:
    table = Table(title=_("Queue"), title_justify="left", expand=False, box=None, padding=(0, 2))
    table.add_column("")
    table.add_column(_("Service"))
    table.add_column(_("Waiting"), justify="right")
    table.add_column(_("Estimated wait"), justify="right")
    table.add_column(_("Next in line"))
    if board.snapshot is None:
        table.add_row("", _("loading…"), "", "", "")
        return table
    for service in board.snapshot["services"]:
        style = "" if board.serves(service["id"]) else "dim"
        numbers = board.waiting_numbers(service["id"])
        upcoming = " ".join(numbers[:NEXT_NUMBERS]) + (" …" if len(numbers) > NEXT_NUMBERS else "")
        table.add_row(service["prefix"], service["name"], _("{n} waiting").format(n=service["waiting"]),
                      wait_text(service["estimated_wait_s"], _), upcoming, style=style)
    return table


def _recent(board: Board, _: Gettext) -> Table:
    table = Table(title=_("Last calls by colleagues"), title_justify="left", box=None, padding=(0, 2))
    table.add_column(_("Ticket"))
    table.add_column(_("Counter"))
    table.add_column(_("Called at"))
    table.add_column(_("Now"))
    calls = board.colleagues_calls()[:RECENT_CALLS]
    for ticket in calls:
        called = ticket["called_at"]
        table.add_row(ticket["number"], board.counter_name(ticket["counter"]) if ticket["counter"] else "—",
                      local_time(datetime.fromisoformat(called)) if called else "",
                      status_word(ticket["status"], _))
    if not calls:
        table.add_row("—", "", "", "")
    return table


def _status(board: Board, busy: str | None, _: Gettext) -> Text:
    if busy:
        return Text(f"… {busy}", style="yellow")
    message = board.message
    if message is None:
        return Text(_("Ready."), style="dim")
    mark = {"ok": "✓ ", "refused": "✗ ", "info": ""}[message.tone]
    return Text.assemble((f"{local_time(message.at, seconds=True)} ", "dim"),
                         (mark + message.text, TONE_STYLES[message.tone]))


def _prompt(prompt: Prompt) -> Text:
    text = Text.assemble((prompt.question, "bold cyan"), " ", (prompt.text, "bold"), ("▏", "blink"))
    if prompt.hint:
        text.append(f"\n  {prompt.hint}", style="red")
    return text


def render(board: Board, keymap: KeyMap, prompt: Prompt | None, now: datetime, _: Gettext, who: str = "",
           busy: str | None = None) -> RenderableType:
    """The whole screen, in the language of ``_`` (``who`` and ``busy``: already in it)."""
    parts: list[RenderableType] = [
        _header(board, who, _), _counter(board, now, _), _queue(board, _), Text(""), _recent(board, _), Text(""),
        _status(board, busy, _),
    ]
    if prompt is not None:
        parts.append(_prompt(prompt))
    parts.append(Text(""))
    parts.append(help_line(keymap, _))
    return Group(*parts)

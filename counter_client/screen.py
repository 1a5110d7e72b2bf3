"""The board as ``rich`` renderables: the counter and its ticket with a running timer, the queue by
service, colleagues' last calls, the status line, the dialogue in progress and the keys' help line.

Pure: ``render(board, ...)`` depends only on its arguments (``now`` in UTC, already corrected by the
server's clock), so that the client redraws by calling it again.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .board import Board
from .keys import ACTIONS, DESCRIPTIONS, KeyMap
from .prompt import Prompt

RECENT_CALLS = 6
NEXT_NUMBERS = 5
STATUS_WORDS = {"waiting": "waiting", "called": "called", "serving": "being served", "done": "done",
                "no_show": "no-show", "cancelled": "cancelled"}
COUNTER_STYLES = {"open": "bold green", "paused": "bold yellow", "closed": "bold red"}
TONE_STYLES = {"ok": "green", "refused": "bold red", "info": "cyan"}


def duration(seconds: float) -> str:
    """``75`` -> ``01:15``; ``3725`` -> ``1:02:05``; negative (clocks apart) counts as 0."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def wait_text(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return "< 1 min" if minutes < 1 else f"~{minutes} min"


def local_time(value: datetime | None, seconds: bool = False) -> str:
    return value.astimezone().strftime("%H:%M:%S" if seconds else "%H:%M") if value is not None else ""


def help_line(keymap: KeyMap) -> Text:
    """``n/Enter/space next · r recall · …`` from the key map in use."""
    text = Text()
    for action in ACTIONS:
        if text:
            text.append(" · ", style="dim")
        text.append(keymap.label(action), style="bold")
        text.append(f" {DESCRIPTIONS[action]}")
    return text


def _header(board: Board, who: str) -> Text:
    snapshot = board.snapshot
    view = board.counter_view()
    text = Text()
    text.append(view["name"] if view else f"Counter {board.counter}", style="bold")
    text.append(f"  ·  {snapshot['name'] if snapshot else board.site} ({board.site})")
    if who:
        text.append(f"  ·  {who}", style="dim")
    text.append("  ·  ")
    if board.connection == "live":
        text.append("● live", style="green")
    elif board.connection == "lost":
        text.append("● connection lost, retrying…", style="bold red")
    else:
        text.append("● connecting…", style="yellow")
    return text


def _counter(board: Board, now: datetime) -> Panel:
    view = board.counter_view()
    status = view["status"] if view else "?"
    ticket = board.current()
    body = Table.grid(padding=(0, 2))
    body.add_column(justify="left")
    body.add_column(justify="left")
    if ticket is None:
        body.add_row(Text("—", style="bold"), Text("No ticket at this counter: press "
                                                    "the call-next key to call someone.", style="dim"))
    else:
        since = board.since(ticket)
        timer = duration((now - since).total_seconds()) if since is not None else "--:--"
        state = STATUS_WORDS.get(ticket["status"], ticket["status"])
        details = Text()
        details.append(board.service_name(ticket["service"]), style="bold")
        details.append(f"   {state} ")
        details.append(timer, style="bold magenta")
        if ticket["status"] == "called" and ticket.get("recalls"):
            details.append(f"   recalled {ticket['recalls']}×", style="yellow")
        if ticket["priority"]:
            details.append("   priority", style="bold yellow")
        body.add_row(Text(ticket["number"], style="bold reverse"), details)
        note = board.notes.get(ticket["id"])
        if note:
            body.add_row(Text("note", style="bold yellow"), Text(note, style="yellow"))
    served = "all services" if board.services is None else ", ".join(board.service_name(s) for s in board.services)
    title = Text.assemble("Counter ", (status.upper(), COUNTER_STYLES.get(status, "bold")))
    return Panel(body, title=title, title_align="left", subtitle=f"calls: {served}", subtitle_align="left")


def _queue(board: Board) -> Table:
    table = Table(title="Queue", title_justify="left", expand=False, box=None, padding=(0, 2))
    table.add_column("")
    table.add_column("Service")
    table.add_column("Waiting", justify="right")
    table.add_column("Estimated wait", justify="right")
    table.add_column("Next in line")
    if board.snapshot is None:
        table.add_row("", "loading…", "", "", "")
        return table
    for service in board.snapshot["services"]:
        style = "" if board.serves(service["id"]) else "dim"
        numbers = board.waiting_numbers(service["id"])
        upcoming = " ".join(numbers[:NEXT_NUMBERS]) + (" …" if len(numbers) > NEXT_NUMBERS else "")
        table.add_row(service["prefix"], service["name"], f"{service['waiting']} waiting",
                      wait_text(service["estimated_wait_s"]), upcoming, style=style)
    return table


def _recent(board: Board) -> Table:
    table = Table(title="Last calls by colleagues", title_justify="left", box=None, padding=(0, 2))
    table.add_column("Ticket")
    table.add_column("Counter")
    table.add_column("Called at")
    table.add_column("Now")
    calls = board.colleagues_calls()[:RECENT_CALLS]
    for ticket in calls:
        called = ticket["called_at"]
        table.add_row(ticket["number"], board.counter_name(ticket["counter"]) if ticket["counter"] else "—",
                      local_time(datetime.fromisoformat(called)) if called else "",
                      STATUS_WORDS.get(ticket["status"], ticket["status"]))
    if not calls:
        table.add_row("—", "", "", "")
    return table


def _status(board: Board, busy: str | None) -> Text:
    if busy:
        return Text(f"… {busy}", style="yellow")
    message = board.message
    if message is None:
        return Text("Ready.", style="dim")
    mark = {"ok": "✓ ", "refused": "✗ ", "info": ""}[message.tone]
    return Text.assemble((f"{local_time(message.at, seconds=True)} ", "dim"),
                         (mark + message.text, TONE_STYLES[message.tone]))


def _prompt(prompt: Prompt) -> Text:
    text = Text.assemble((prompt.question, "bold cyan"), " ", (prompt.text, "bold"), ("▏", "blink"))
    if prompt.hint:
        text.append(f"\n  {prompt.hint}", style="red")
    return text


def render(board: Board, keymap: KeyMap, prompt: Prompt | None, now: datetime, who: str = "",
           busy: str | None = None) -> RenderableType:
    """The whole screen."""
    parts: list[RenderableType] = [
        _header(board, who), _counter(board, now), _queue(board), Text(""), _recent(board), Text(""),
        _status(board, busy),
    ]
    if prompt is not None:
        parts.append(_prompt(prompt))
    parts.append(Text(""))
    parts.append(help_line(keymap))
    return Group(*parts)

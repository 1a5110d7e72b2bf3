"""What the counter client's screen knows, fed by hand-written snapshots and events (no I/O): the ticket
directory, colleagues' calls, staleness, and how the screen renders it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from rich.console import Console

from counter_client.board import Board
from counter_client.keys import KeyMap
from counter_client.language import gettext_of
from counter_client.screen import duration, render
from queue_server.queue.protocol import SnapshotView, TicketView

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def ticket(number: str, counter: str | None = None, status: str = "waiting", **extra: Any) -> TicketView:
    view = {"id": f"id-{number}", "number": number, "service": "etat-civil", "status": status, "priority": False,
            "position": None, "estimated_wait_s": None, "counter": counter, "issued_at": "2026-03-02T09:00:00Z",
            "called_at": "2026-03-02T09:29:00Z" if counter else None, "recalls": 0, **extra}
    return cast(TicketView, view)


def snapshot(last_event_id: str = "5-0", current: TicketView | None = None, recent: list[TicketView] | None = None,
             queue: list[TicketView] | None = None) -> SnapshotView:
    data = {"site": "demo", "name": "Démoville", "last_event_id": last_event_id,
            "services": [{"id": "etat-civil", "name": "État civil", "prefix": "A", "waiting": len(queue or []),
                          "estimated_wait_s": 300},
                         {"id": "passeports", "name": "Passeports", "prefix": "B", "waiting": 0,
                          "estimated_wait_s": None}],
            "counters": [{"id": "1", "name": "Guichet 1", "status": "open", "ticket": current},
                         {"id": "2", "name": "Guichet 2", "status": "open", "ticket": None}],
            "recent_calls": recent or [], "queue": queue or []}
    return cast(SnapshotView, data)


def test_waiting_tickets_of_the_snapshot_and_of_events_can_be_found_by_number() -> None:
    """Numbers come from the snapshot's queue and recent calls, and from every ticket event."""
    board = Board("demo", "1")
    board.take_snapshot(snapshot(queue=[ticket("A007")], recent=[ticket("B002", counter="2", status="called")]))
    board.take_event({"id": "6-0", "type": "ticket.issued", "site": "demo", "at": "2026-03-02T09:30:00Z",
                      "data": {"ticket": ticket("C001")}})
    assert {n for n in ("A007", "B002", "C001") if board.ticket(n) is not None} == {"A007", "B002", "C001"}


def test_colleagues_calls_leave_out_this_counters_own() -> None:
    """A ticket called here and since transferred (no counter any more) is not a colleague's call; one
    called at counter 2 is."""
    board = Board("demo", "1")
    board.note(ticket("A001", counter="1", status="called"))
    moved = ticket("A001")
    theirs = ticket("A002", counter="2", status="called")
    board.take_snapshot(snapshot(recent=[theirs, moved]))
    assert [t["number"] for t in board.colleagues_calls()] == ["A002"]


def test_a_snapshot_behind_the_feed_is_stale() -> None:
    """A state older than the feed's last event is stale; the snapshot the feed sends starts again."""
    board = Board("demo", "1")
    board.take_event({"id": "9-0", "type": "ticket.issued", "data": {"ticket": ticket("A001")}})
    board.take_snapshot(snapshot("8-3"))
    assert board.stale()
    board.take_event({"type": "snapshot", "id": "2-0", "data": snapshot("2-0")})  # a new log after a reset
    assert not board.stale()


def test_the_timer_runs_from_the_start_of_service_when_known() -> None:
    """Serving: since the ticket.started event; called: since the call."""
    board = Board("demo", "1")
    serving = ticket("A001", counter="1", status="serving")
    board.take_event({"id": "7-0", "type": "ticket.started", "at": "2026-03-02T09:29:30Z",
                      "data": {"ticket": serving}})
    assert board.since(serving) == datetime(2026, 3, 2, 9, 29, 30, tzinfo=UTC)
    assert board.since(ticket("A002", counter="1", status="called")) == datetime(2026, 3, 2, 9, 29, tzinfo=UTC)
    assert duration(75) == "01:15" and duration(3725) == "1:02:05" and duration(-3) == "00:00"


def test_the_screen_shows_the_counter_queue_and_keys() -> None:
    """The rendered screen has the current ticket with its timer, the waiting count and the help line."""
    board = Board("demo", "1", services=("etat-civil",))
    board.take_snapshot(snapshot(current=ticket("A001", counter="1", status="called"), queue=[ticket("A002")]))
    board.say("Called A001 (État civil).", "ok", NOW)
    console = Console(width=120, record=True, color_system=None)
    console.print(render(board, KeyMap.build(), None, NOW, gettext_of("en"), "token: agent"))
    text = console.export_text()
    assert "A001" in text and "called 01:00" in text and "1 waiting" in text and "A002" in text
    assert "✓ Called A001" in text and "n/Enter/space/0 call next" in text


def test_the_screen_speaks_french() -> None:
    """With the French catalog, the panel, the queue and the keys' help line are in French."""
    board = Board("demo", "1", services=("etat-civil",))
    board.take_snapshot(snapshot(current=ticket("A001", counter="1", status="called"), queue=[ticket("A002")]))
    console = Console(width=160, record=True, color_system=None)
    console.print(render(board, KeyMap.build(), None, NOW, gettext_of("fr"), "jeton : agent"))
    text = console.export_text()
    assert "appelé 01:00" in text and "1 en attente" in text and "File d'attente" in text and "Prêt." in text
    assert "n/Entrée/espace/0 appeler le suivant" in text and "Guichet OUVERT" in text


def event(event_id: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "site": "demo", "at": "2026-03-02T09:30:00.000000Z", "data": data}


def figures(waiting: int, estimate: int | None = 600, served: int = 0) -> list[dict[str, Any]]:
    return [{"id": "etat-civil", "waiting": waiting, "estimated_wait_s": estimate, "served": served}]


def test_events_keep_the_view_without_recounting() -> None:
    """A ticket issued joins the queue in call order (priority first) with its position, and the service's
    figures are the event's, even where a count of the queue would say otherwise."""
    board = Board("demo", "1")
    board.take_snapshot(snapshot(queue=[ticket("A001", position=0)]))
    board.take_event(event("6-0", "ticket.issued", ticket=ticket("A002", priority=True, position=0),
                           services=figures(waiting=7, estimate=1200)))
    assert board.snapshot is not None
    assert [(t["number"], t["position"]) for t in board.snapshot["queue"]] == [("A002", 0), ("A001", 1)]
    assert board.waiting_numbers("etat-civil") == ["A002", "A001"]
    service = board.snapshot["services"][0]
    assert (service["waiting"], service["estimated_wait_s"]) == (7, 1200)
    assert board.snapshot["last_event_id"] == "6-0" and not board.incomplete


def test_a_call_then_a_transfer_move_the_ticket_between_counter_queue_and_recent_calls() -> None:
    """Called at this counter: it leaves the queue, is the counter's ticket and the latest call; transferred
    to the front of another service: the counter has no ticket and it waits first there."""
    board = Board("demo", "1")
    board.take_snapshot(snapshot(queue=[ticket("A001", position=0)]))
    called = ticket("A001", counter="1", status="called")
    board.take_event(event("6-0", "ticket.called", ticket=called, agent="Anne", services=figures(0)))
    assert board.current() == called and board.snapshot is not None
    assert board.snapshot["queue"] == [] and board.snapshot["recent_calls"] == [called]
    view = board.counter_view()
    assert view is not None and view.get("agent") == "Anne"
    moved = ticket("A001", service="passeports", front=True, position=0)
    board.take_event(event("7-0", "ticket.transferred", ticket=moved, services=figures(0)))
    assert board.current() is None
    assert board.snapshot["queue"] == [moved] and board.snapshot["recent_calls"] == [moved]


def test_a_new_day_empties_the_view_and_the_directory() -> None:
    """day.started: nobody waits, no recent call, every counter closed and free, no number known."""
    board = Board("demo", "1")
    board.take_snapshot(snapshot(current=ticket("A001", counter="1", status="called"), queue=[ticket("A002")],
                                 recent=[ticket("A001", counter="1", status="called")]))
    board.take_event(event("9-0", "day.started", day="2026-03-03", services=figures(0, served=0)))
    assert board.snapshot is not None
    assert board.snapshot["queue"] == [] and board.snapshot["recent_calls"] == []
    assert all(c["status"] == "closed" and c["ticket"] is None for c in board.snapshot["counters"])
    assert board.ticket("A002") is None and board.snapshot["services"][0]["waiting"] == 0


def test_an_event_without_the_services_figures_asks_for_the_state() -> None:
    """An older server's event (no data.services) leaves the view incomplete until the next snapshot."""
    board = Board("demo", "1")
    board.take_snapshot(snapshot())
    board.take_event(event("6-0", "ticket.issued", ticket=ticket("A001")))
    assert board.incomplete
    board.take_event({"type": "snapshot", "id": "6-0", "data": snapshot("6-0"), "resumed": False})
    assert not board.incomplete

"""Kiosk printers: an agent reports its printer's status; the site's state keeps each kiosk's last one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from queue_server.queue.domain import commands as c
from queue_server.queue.domain.errors import Invalid
from queue_server.queue.domain.events import DayStarted, PrinterReported
from queue_server.queue.domain.state import PRINTER_STATUSES

from .support import MORNING, apply, command, minutes, new_state

KIOSK = 12


def report(status: str, kiosk: int = KIOSK) -> c.ReportPrinter:
    cmd: c.ReportPrinter = command(c.ReportPrinter, kiosk=kiosk, status=status)
    return cmd


@pytest.mark.parametrize("status", PRINTER_STATUSES)
def test_a_first_report_is_an_event_and_is_kept(status: str) -> None:
    """The first status a kiosk reports, whatever it is, becomes an event and the state's status."""
    state = new_state()
    cmd = report(status)
    assert apply(state, cmd, MORNING) == [PrinterReported(at=MORNING, command_id=cmd.command_id, kiosk=KIOSK,
                                                          status=status)]
    assert state.printers == {KIOSK: status}


def test_the_same_status_again_is_no_event() -> None:
    """Reporting the status the state already holds produces nothing (agents report periodically)."""
    state = new_state()
    apply(state, report("ok"), MORNING)
    assert apply(state, report("ok"), MORNING + minutes(5)) == []
    assert state.printers == {KIOSK: "ok"}


def test_a_changed_status_is_an_event() -> None:
    """A new status for the same kiosk replaces the previous one."""
    state = new_state()
    apply(state, report("ok"), MORNING)
    events = apply(state, report("paper_out"), MORNING + minutes(1))
    assert [(type(e), e.status) for e in events if isinstance(e, PrinterReported)] == [(PrinterReported, "paper_out")]
    assert state.printers == {KIOSK: "paper_out"}


def test_each_kiosk_has_its_own_status() -> None:
    """Reports of two kiosks do not mask each other."""
    state = new_state()
    apply(state, report("ok"), MORNING)
    assert apply(state, report("ok", kiosk=13), MORNING)
    apply(state, report("cover_open", kiosk=13), MORNING + minutes(1))
    assert state.printers == {KIOSK: "ok", 13: "cover_open"}


@pytest.mark.parametrize("status", ["", "OK", "jammed", "paper out"])
def test_an_unknown_status_is_invalid(status: str) -> None:
    """A status outside the list raises Invalid naming the allowed ones, and changes nothing."""
    state = new_state()
    with pytest.raises(Invalid, match="not a printer status.*paper_low"):
        apply(state, report(status), MORNING)
    assert state.printers == {}


def test_printer_statuses_outlive_the_day() -> None:
    """A printer out of paper at closing time is still out of paper the next morning."""
    state = new_state()
    apply(state, report("paper_out"), MORNING)
    events = apply(state, report("paper_out"), MORNING + timedelta(days=1))
    assert [type(e) for e in events] == [DayStarted]
    assert state.printers == {KIOSK: "paper_out"}


def test_a_clone_has_its_own_printers() -> None:
    """A report folded into a clone leaves the original's printers alone."""
    state = new_state()
    apply(state, report("ok"), MORNING)
    other = state.clone()
    apply(other, report("offline"), MORNING + minutes(1))
    assert (state.printers, other.printers) == ({KIOSK: "ok"}, {KIOSK: "offline"})

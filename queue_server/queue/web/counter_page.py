"""The agent page, ``GET /counter`` (agents, supervisors and administrators, signed in).

One page for both jobs at the desk: serving at a counter (choose the counter and the services served
today, both remembered by the browser; call, recall, start, finish, no-show, transfer with a note, call
out of turn, requeue, pause, close, each with a key) and reception (find an arriving person's ticket,
leave a note for the agent, issue a ticket for them). Its script and stylesheet are the queue module's
(queue_server/queue/web/static/counter, served under /static/counter/).
"""

from __future__ import annotations

from queue_server.i18n import translations
from queue_server.queue.web.staff import StaffPage
from queue_server.web.auth import STAFF


def counter_strings(lang: str) -> dict[str, str]:
    """What the agent page's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "live": _("Live"),
        "lost": _("Connection lost: reconnecting…"),
        "loading": _("Loading…"),
        "choose_service": _("Choose at least one service."),
        "counter_open": _("Open"),
        "counter_paused": _("Paused"),
        "counter_closed": _("Closed"),
        "nobody_at_counter": _("Nobody at your counter. Call the next person."),
        "status_called": _("Called"),
        "status_serving": _("Being served"),
        "recalls": _("recalled {n}×"),
        "priority": _("Priority"),
        "note": _("Note:"),
        "no_note": _("(empty)"),
        "waiting_count": _("{n} waiting"),
        "estimate": _("about {d}"),
        "call": _("Call"),
        "call_out_of_turn_label": _("Call {number} out of turn"),
        "nobody_waiting_here": _("Nobody is waiting."),
        "more": _("and {n} more"),
        "nobody_waiting": _("Nobody is waiting in your services."),
        "called": _("{number} called."),
        "recalled": _("{number} called again."),
        "started": _("Serving {number}."),
        "finished": _("{number} finished."),
        "no_show_done": _("{number} did not come (Q puts them back in the queue)."),
        "transferred": _("{number} transferred to {service}."),
        "requeued": _("{number} is back in the queue."),
        "no_no_show": _("No one to put back in the queue: mark a no-show first."),
        "not_started": _("{number} has not been started yet."),
        "already_started": _("{number} is already being served."),
        "paused": _("Counter paused."),
        "resumed": _("Counter open again."),
        "pause": _("Pause"),
        "resume": _("Resume"),
        "closed": _("Counter closed."),
        "not_waiting": _("No ticket {number} is waiting."),
        "not_found": _("No ticket {number} today."),
        "found_waiting": _("waiting, {ahead} ahead"),
        "found_called": _("called to {counter}"),
        "found_serving": _("being served at {counter}"),
        "found_done": _("served"),
        "found_no_show": _("did not come when called"),
        "found_cancelled": _("cancelled"),
        "note_saved": _("Note saved for {number}."),
        "issued": _("Ticket {number} given ({ahead} ahead)."),
        "note_unread": _("The note could not be read: {problem}"),
        "cancel_question": _("Really cancel ticket {number}?"),
        "cancelled_done": _("Ticket {number} cancelled."),
        "note_not_saved": _("The note was not saved: {problem}"),
    }


class CounterPage(StaffPage):
    path = "/counter"
    template = "counter.html"
    roles = STAFF
    refusal = "counter"

    def strings(self, lang: str) -> dict[str, str]:
        return counter_strings(lang)

"""The supervisor dashboard, ``GET /supervisor`` (supervisors and administrators, signed in).

One page per site (a chooser when the person supervises several, remembered by the browser): each
service's waiting count, longest wait (ticking), estimated wait and visits served today; each
counter's status, agent and current ticket; alerts (a wait over the service's ``alert_wait_s``, a
kiosk printer out of paper or failing, a display or kiosk that went offline); actions (transfer or
cancel a waiting ticket, the hall displays' message, open/pause/close a counter); and the reports
(table, bar chart, CSV). Everything is drawn by ``static/supervisor.js`` from the live feed
(``static/staff.js``), ``GET …/devices/status`` (polled every 5 s) and ``GET …/reports``.
"""

from __future__ import annotations

from queue_server.i18n import translations
from queue_server.queue.web.staff import StaffPage, booked_strings
from queue_server.web.auth import SUPERVISORS


def supervisor_strings(lang: str) -> dict[str, str]:
    """What the dashboard's script writes, in ``lang``. ``{name}`` placeholders are filled by the script."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        # the live feed
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "lost": _("Connection lost: reconnecting…"),
        # counters
        "open": _("Open"),
        "paused": _("Paused"),
        "closed": _("Closed"),
        "do_open": _("Open counter"),
        "do_pause": _("Pause"),
        "do_close": _("Close counter"),
        "no_ticket": _("No ticket"),
        "counter_done_open": _("{counter} is open."),
        "counter_done_paused": _("{counter} is paused."),
        "counter_done_closed": _("{counter} is closed."),
        # waiting tickets
        "nobody_waiting": _("Nobody is waiting."),
        "more_waiting": _("And {count} more, not listed."),
        "priority": _("Priority"),
        **booked_strings(lang),
        "noted": _("Note for the agent"),
        "transfer": _("Transfer"),
        "transfer_title": _("Transfer ticket {number}"),
        "cancel": _("Cancel"),
        "cancel_title": _("Cancel ticket {number}?"),
        "transferred": _("{number} transferred to {service}."),
        "cancelled": _("{number} was cancelled."),
        "failed": _("It could not be done: {problem}"),
        # the displays' message
        "message_now": _("The displays show: {text}"),
        "message_none": _("The displays show no message."),
        "message_left": _("{count} characters left"),
        "message_sent": _("The message was sent to the displays."),
        "message_cleared": _("The message was removed from the displays."),
        # alerts
        "alert": _("Alert"),
        "warning": _("Warning"),
        "no_alert": _("No alert."),
        "alert_wait": _("{service}: ticket {number} has waited more than {limit}."),
        "printer_paper_out": _("{kiosk}: the ticket printer is out of paper."),
        "printer_paper_low": _("{kiosk}: the ticket printer is low on paper."),
        "printer_cover_open": _("{kiosk}: the ticket printer's cover is open."),
        "printer_offline": _("{kiosk}: the ticket printer does not answer."),
        "printer_error": _("{kiosk}: the ticket printer reports an error."),
        "display_offline": _("{name}: the hall display is offline (last seen at {time})."),
        "kiosk_offline": _("{name}: the kiosk is offline (last seen at {time})."),
        "kiosk_named": _("Kiosk {id}"),
        "display_named": _("Display {id}"),
        # devices
        "kiosk": _("Kiosk"),
        "display": _("Hall display"),
        "online": _("Online"),
        "offline": _("Offline"),
        "never_seen": _("Never connected"),
        "no_device": _("No kiosk or display is paired with this site."),
        "printer_ok": _("Ready"),
        "printer_paper_low_short": _("Low on paper"),
        "printer_paper_out_short": _("Out of paper"),
        "printer_cover_open_short": _("Cover open"),
        "printer_offline_short": _("Not answering"),
        "printer_error_short": _("Error"),
        # reports
        "loading": _("Loading…"),
        "no_figures": _("No figures for this period."),
        "report_caption": _("From {from} to {to}"),
        "total": _("Total"),
        "none": _("Not called"),  # a report by counter or agent: tickets nobody called
        "hour": _("{hour}:00"),
        "mean_wait": _("Mean wait"),
        "p90_wait": _("90th percentile wait"),
        "issued": _("Tickets issued"),
        "served": _("Visits served"),
        "chart_waits": _("Bar chart of the mean and 90th percentile waits ({unit}), by {group}."),
        "chart_hours": _("Bar chart of the tickets issued and the visits served, by hour."),
    }


class SupervisorPage(StaffPage):
    path = "/supervisor"
    template = "supervisor.html"
    roles = SUPERVISORS
    refusal = "supervisor"

    def strings(self, lang: str) -> dict[str, str]:
        return supervisor_strings(lang)

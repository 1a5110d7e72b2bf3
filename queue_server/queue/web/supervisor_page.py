"""The supervisor dashboard, ``GET /supervisor`` (supervisors and administrators, signed in).

One page per site (a chooser when the person supervises several, remembered by the browser). At the top a
band of five figures, each with its level in words, an icon and a colour (never colour alone): people
waiting now (against the services' estimates and ``alert_wait_s``), the longest wait now (against its
service's ``alert_wait_s``), visits served today (against the share of no-shows), today's mean wait and the
counters open. Below, three tabs, kept in the address (``#live``, ``#alerts``, ``#reports``):

- live: each service's waiting count, longest wait (ticking), estimated wait (in words) and visits served
  today; each counter's status, agent and current ticket; the waiting tickets (transfer, cancel); the hall
  displays' message;
- alerts: a wait over the service's ``alert_wait_s``, a kiosk printer out of paper or failing, a display or
  kiosk that went offline (announced whatever tab is shown), and the devices' state;
- reports: table, bar chart (HTML, with its figures as a table for screen readers), CSV.

Everything is drawn by ``static/supervisor.js`` from the live feed (``static/staff.js``),
``GET …/devices/status`` (polled every 5 s) and ``GET …/reports`` (today's by service for the band, every
30 s). The figures of today's reports come from the archive: they follow the live ones by a few seconds.
"""

from __future__ import annotations

from typing import Any

from queue_server.i18n import plural_forms, translations
from queue_server.queue.web.staff import StaffPage, booked_strings
from queue_server.queue.web.words import problem_words, wait_words
from queue_server.web.auth import SUPERVISORS


def supervisor_strings(lang: str) -> dict[str, Any]:
    """What the dashboard's script writes, in ``lang``. ``{name}`` placeholders are filled by the script;
    messages with a number are plural forms (``Live.plural``), wait estimates ``wait_words``."""
    _ = translations(lang).gettext

    def ngettext(singular: str, plural: str) -> dict[str, str]:
        # Named so that `make i18n` (Babel's default keywords) extracts the message with its plural.
        return plural_forms(lang, singular, plural)

    return {
        "wait_words": wait_words(lang),
        "problems": problem_words(lang),
        # the summary band: a level in words beside its colour and icon
        "level_ok": _("Normal"),
        "level_warn": _("To watch"),
        "level_alert": _("Alert"),
        "estimate_note": _("Estimated wait: {wait}"),
        "limit_note": _("Alert after {limit}"),
        "near_note": _("Near the limit: {service}"),
        "over_note": _("Over the limit: {service}"),
        "no_shows": ngettext("{n} no-show", "{n} no-shows"),
        "mean_of": ngettext("over {n} ticket called", "over {n} tickets called"),
        "no_call_today": _("No ticket called yet today."),
        "counters_of": ngettext("of {n} counter", "of {n} counters"),
        "counters_paused": ngettext("{n} paused", "{n} paused"),
        "no_counter_open": _("No counter is open to call them."),
        "open_one_more": _("Open one more counter?"),
        "announce": _("{level}: {text}"),  # an alert said by screen readers, whatever tab is shown
        "alerts_count": ngettext("{n} alert", "{n} alerts"),
        "terminal": _("{name} (shared terminal)"),
        "unreachable": _("The server cannot be reached."),
        # the live feed
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "lost": _("Connection lost: reconnecting…"),
        # counters
        "open": _("Open"),
        "paused": _("Paused"),
        "closed": _("Closed"),
        # why a counter is paused, as its agent said (domain/state.py PAUSE_REASONS)
        "pause_break": _("Break"),
        "pause_admin": _("Administrative work"),
        "pause_meeting": _("Meeting"),
        "pause_other": _("Other"),
        # short, beside the counter's state: "Open" here is the action, not the state
        "do_open": translations(lang).pgettext("counter action", "Open"),
        "do_pause": _("Pause"),
        "do_close": _("Close"),
        "no_ticket": _("No ticket"),
        "counter_done_open": _("{counter} is open."),
        "counter_done_paused": _("{counter} is paused."),
        "counter_done_closed": _("{counter} is closed."),
        # waiting tickets
        "nobody_waiting": _("Nobody is waiting."),
        "more_waiting": ngettext("And {n} more, not listed.", "And {n} more, not listed."),
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
        "message_left": ngettext("{n} character left", "{n} characters left"),
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

    def strings(self, lang: str) -> dict[str, Any]:
        return supervisor_strings(lang)

"""The phone desk's words, in the page's language: outcomes, how a callback went, and what the desk's script says."""

from __future__ import annotations

from queue_server.i18n import translations


def outcome_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"answered": _("Answered"), "transferred": _("Transferred to a service"), "callback": _("Callback to do"),
            "appointment": _("Appointment booked"), "request": _("Request created")}


def done_words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {"reached": _("Reached"), "message_left": _("Message left"), "unreachable": _("Unreachable")}


def desk_strings(lang: str) -> dict[str, object]:
    """What the desk's script writes, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "failed": _("It could not be done: {problem}"),
        "searching": _("Searching…"),
        "no_party": _("Nobody in the citizen record answers to “{query}”."),
        "parties_found": _("{count} record(s) found."),
        "anonymous": _("Anonymous caller"),
        "created": _("Record created for {name}."),
        "kb_unavailable": _("Knowledge base unavailable"),
        "kb_none": _("No sheet answers to “{query}”."),
        "kb_add": _("Add"),
        "kb_read": _("Read"),
        "kb_shared_by": _("Shared by {owner}"),
        "kb_added": _("Sheet added: {title}"),
        "remove": _("Remove {title}"),
        "no_sheet": _("No sheet consulted yet."),
        "saved": _("Call logged ({duration})."),
        "see_call": _("See the call"),
        "need_reason": _("Choose the reason of the call."),
        "need_outcome": _("Say how the call ended."),
        "need_service": _("Choose the service the call was put through to."),
        "need_due": _("Say when to call back."),
        "need_phone": _("Give the number to call back."),
        "no_callbacks": _("No callback to do."),
        "overdue": _("Overdue"),
        "due": _("Due {when}"),
        "mark_done": _("Mark as done"),
        "callback_done": _("Callback marked done."),
        "for_agent": _("for {name}"),
        "for_service": _("for the {service} service"),
        "anonymous_short": _("Anonymous"),
        "no_calls": _("No call logged today."),
        "confirm_cancel": _("Drop this call without logging it?"),
        "fields": {
            "party": _("The caller is not in the citizen record."),
            "reason": _("Choose a reason from the list."),
            "service": _("Choose a service from the list."),
            "callback.service": _("Choose a service from the list."),
            "callback.agent": _("Choose an agent from the list."),
            "callback.due_at": _("Call back within the next three months, not earlier than an hour ago."),
            "callback.phone": _("This is not a valid phone number."),
            "first_name": _("Give the first name."),
            "last_name": _("Give the last name."),
            "phones": _("This is not a valid phone number."),
        },
    }

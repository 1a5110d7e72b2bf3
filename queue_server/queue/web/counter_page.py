"""The agent page, ``GET /counter`` (agents, supervisors and administrators, signed in).

One page for both jobs at the desk: serving at a counter (choose the counter and the services served
today, both remembered by the browser; call, recall, start, finish, no-show, transfer with a note, call
out of turn, requeue, pause, close, each with a key) and reception (find an arriving person's ticket,
leave a note for the agent, find or add the person in the citizen record and issue a ticket for them). At the
counter, a ticket given for a known person shows that person's card (the record's API, read once per call).
Its script and stylesheet are the queue module's (queue_server/queue/web/static/counter, served under
/static/counter/).
"""

from __future__ import annotations

from typing import Any

from queue_server.i18n import plural_forms, translations
from queue_server.queue.web.staff import StaffPage, booked_strings
from queue_server.queue.web.words import problem_words, wait_words
from queue_server.web.auth import STAFF

# The single-key shortcuts by the page's language: mnemonics of the words on the buttons (S "Suivant", T "Terminer",
# F "Fermer"; N "Next", F "Finish", C "Close"), each letter once. An agent may remap them (the help dialog, kept
# by the browser); "?" (help) and Esc are fixed. The terminal client (counter_client/keys.py) has its own.
KEYS: dict[str, dict[str, str]] = {
    "fr": {"next": "s", "recall": "r", "start": "c", "finish": "t", "noshow": "a", "transfer": "o",
           "requeue": "m", "out_of_turn": "h", "pause": "p", "close": "f", "mode": "g", "booking": "v"},
    "en": {"next": "n", "recall": "r", "start": "s", "finish": "f", "noshow": "a", "transfer": "t",
           "requeue": "q", "out_of_turn": "o", "pause": "p", "close": "c", "mode": "g", "booking": "v"},
}


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a number for extraction (Babel's ``ngettext`` keyword); ``plural_forms`` translates it."""
    return singular, plural


def counter_keys(lang: str) -> dict[str, str]:
    """The page's default shortcuts in ``lang`` (English ones for a language without its own)."""
    return KEYS.get(lang, KEYS["en"])


def retention(days: int, lang: str) -> str:
    """How long the citizen record keeps a person (``[crm] retention_days``): "2 ans après le dernier contact"."""
    t = translations(lang)
    if days % 365 == 0:
        return t.ngettext("%(num)d year after the last contact", "%(num)d years after the last contact",
                          days // 365) % {"num": days // 365}
    return t.ngettext("%(num)d day after the last contact", "%(num)d days after the last contact", days) % {"num": days}


def counter_strings(lang: str, retention_days: int = 730) -> dict[str, Any]:
    """What the agent page's script writes, in ``lang`` (``retention_days``: the citizen record's, for the notice
    read to a person whose record is created at reception)."""
    _ = translations(lang).gettext
    return {
        "unreachable": _("The server cannot be reached."),
        "problems": problem_words(lang),
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
        "priority": _("Priority"),
        **booked_strings(lang),
        "note": _("Note:"),
        "no_note": _("(empty)"),
        # Messages with a number: one form per plural category of the language (Live.plural).
        "waiting_count": plural_forms(lang, *ngettext("{n} person waiting", "{n} people waiting")),
        "recalls_n": plural_forms(lang, *ngettext("recalled {n} time", "recalled {n} times")),
        "more_n": plural_forms(lang, *ngettext("and {n} other", "and {n} others")),
        "served_n": plural_forms(lang, *ngettext("{n} visit", "{n} visits")),
        "no_shows_n": plural_forms(lang, *ngettext("{n} no-show", "{n} no-shows")),
        "wait_words": wait_words(lang),
        "call": _("Call"),
        "call_out_of_turn_label": _("Call {number} out of turn"),
        "nobody_waiting_here": _("Nobody is waiting."),
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
        "call_not_served": _("{number} was called and not served yet: start serving, recall or mark as no-show "
                             "first."),
        "already_started": _("{number} is already being served."),
        "paused": _("Counter paused."),
        "paused_for": _("Counter paused: {reason}."),
        "opened": _("Counter open: you may call."),
        "open_counter": _("Open the counter"),
        "pause_break": _("Break"),
        "pause_admin": _("Administrative work"),
        "pause_meeting": _("Meeting"),
        "pause_other": _("Other"),
        "finished_as": _("{number} finished: {outcome}."),
        "no_outcome": _("Without saying"),
        "title_desk": _("{counter} — {site}"),
        "title_setup": _("Choose your counter — {site}"),
        "title_reception": _("Reception — {site}"),
        "mean_visit": _("mean visit {d}"),
        "figures_none": _("No visit finished yet today."),
        "figures_unread": _("Your figures could not be read."),
        "key_press": _("Press a key…"),
        "key_taken": _("{key} was used for “{other}”: it now does “{action}”, and “{other}” takes {old}."),
        "key_set": _("{key}: {action}."),
        "key_refused": _("Letters and digits only; ? and Esc keep their use."),
        "keys_reset": _("Shortcuts back to the original ones."),
        "close_busy": _("Finish with {number} first: then the counter can close."),
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
        # Reception: the person welcomed, found in the citizen record or added to it.
        "records_none": _("No record found. Check the spelling, try the phone number, or add a new person."),
        "records_one": _("1 record found (↓ ↑ to go through, Enter to choose)."),
        "records_many": _("{n} records found (↓ ↑ to go through, Enter to choose)."),
        "search_failed": _("The search failed: {problem}"),
        "record_chosen": _("Record chosen: {name}."),
        "record_not_found": _("The record asked for cannot be read: search for the person."),
        "without_record": _("Without a record: an anonymous ticket."),
        "born": _("Born on {date}"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "party_association": _("Association"),
        "party_company": _("Company"),
        "issued_for": _("Ticket {number} for {name} ({ahead} ahead)."),
        "record_created": _("Record created for {name}."),
        "maybe_exists": _("This person may already exist:"),
        "choose_instead": _("Choose {name} instead"),
        "reason_phone": _("same phone number"),
        "reason_email": _("same e-mail address"),
        "reason_name-and-birth-date": _("close name and same birth date"),
        "reason_identifier": _("same identifier"),
        "reason_name": _("close name"),
        "need_first_name": _("Type the first name."),
        "need_last_name": _("Type the last name."),
        "bad_phone": _("This phone number is not valid."),
        "bad_email": _("This e-mail address is not valid."),
        "fix_fields": _("The record was not saved: correct the fields marked."),
        "record_not_saved": _("The record was not saved: {problem}"),
        "retention": retention(retention_days, lang),
        "save_person_first": _("Save the new person's record first, or cancel it."),
        "choose_person_first": _("Choose the person's record first (Enter on it), or \"Without a record\"."),
        # At the counter: the card of the person called, from their record.
        "kind_visit": _("Visit"),
        "kind_note": _("Note"),
        "kind_appointment": _("Appointment"),
        "kind_request": _("Request"),
        "kind_call": _("Phone call"),
        "kind_survey": _("Survey"),
        "kind_message": _("Message"),
        "outcome_waiting": _("{ticket} waiting"),
        "outcome_called": _("{ticket} called"),
        "outcome_serving": _("{ticket} being served"),
        "outcome_served": _("{ticket} served"),
        "outcome_no_show": _("{ticket} did not come"),
        "outcome_cancelled": _("{ticket} cancelled"),
        "record_title": _("Record"),
        "recent_history": _("Recent history"),
        "no_history": _("Nothing earlier on the record."),
        "see_record": _("See the record"),
        "new_tab": _("(opens in a new tab)"),
        "record_unread": _("The record could not be read: {problem}"),
        # Reception: appointments booked for the person welcomed (booking's panel, /static/reception/booking.js).
        "booking_for": _("For {name}"),
        "booking_needs_person": _("Choose the person's record first: an appointment is booked for someone."),
        "motifs_none": _("No motif matches."),
        "motifs_unread": _("The motifs could not be read: {problem}"),
        "motif_chosen": _("{motif}: choose a slot."),
        "minutes": _("{n} min"),
        "slots_loading": _("Looking for free slots…"),
        "slots_none": _("No free slot in the next weeks."),
        "slots_pick_motif": _("Choose a motif: its next free slots show here."),
        "slots_unread": _("The free slots could not be read: {problem}"),
        "slots_more": _("More"),
        "slots_more_label": _("More slots on {day}"),
        "slots_found": _("{motif}: free slots on {n} days (arrow keys to move, Enter to book)."),
        "slot_places": _("{n} places"),
        "questions_then": _("Answer, then Enter: the slots follow the answers."),
        "booked": _("Booked: {motif}, {day} at {time}."),
        "booking_failed": _("Not booked: {problem}"),
        "visit_none": _("None yet."),
        "visit_code": _("code {code}"),
        "visit_undo": _("Cancel"),
        "visit_undo_label": _("Cancel {motif}, {day} at {time}"),
        "visit_undone": _("Cancelled: {motif}, {day} at {time}."),
        "visit_undo_reason": _("Cancelled at reception while booking"),
        "visit_confirmed": _("Confirmed"),
        "confirmation_sent": _("Confirmation sent for {n} appointments to {contact}."),
        "confirmation_sent_one": _("Confirmation sent for 1 appointment to {contact}."),
        "confirmation_failed": _("The confirmation was not sent: {problem}"),
        "no_contact": _("No phone or e-mail on the record: give the codes on paper, or add a contact to the record."),
        "day_at": _("{day} at {time}"),
    }


class CounterPage(StaffPage):
    path = "/counter"
    template = "counter.html"
    roles = STAFF
    refusal = "counter"

    def strings(self, lang: str) -> dict[str, Any]:
        return {**counter_strings(lang, self.deps.platform.settings.crm.retention_days), "keys": counter_keys(lang)}

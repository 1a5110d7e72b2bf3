"""The requests' pure rules: statuses, references, due dates in business days, what an acknowledgement states
(CRPA R112-11-1 and R112-11-2), who a sender must say they are (R112-9-1), which files may be attached, and the
rules of handling (lateness, reply templates, merging, transmitting)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from queue_server.requests.domain import acknowledgement as ack
from queue_server.requests.domain import attachments, due, handling, receipt, references, sender, status
from queue_server.requests.domain.errors import Refused

SERVICE = ack.ServiceContact("Service urbanisme", "1 place de la Mairie, 75011 Démoville", "urba@demoville.fr",
                             "01 23 45 67 89")
MAY_DAY = {date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14), date(2026, 5, 25)}  # holidays of May 2026


# Statuses -------------------------------------------------------------------------------------------------


def test_a_received_request_may_be_taken_up_put_on_hold_or_closed() -> None:
    """From received, staff may set in_progress, waiting_citizen or closed."""
    assert [status.after("received", s) for s in status.TARGETS] == list(status.TARGETS)


def test_a_closed_request_may_only_be_reopened() -> None:
    """A closed request becomes in_progress again, never waiting_citizen."""
    assert status.after("closed", "in_progress") == "in_progress"
    with pytest.raises(Refused) as refused:
        status.after("closed", "waiting_citizen")
    assert (refused.value.kind, refused.value.field) == ("wrong-status", "status")


def test_nothing_goes_back_to_received_but_the_same_status_is_no_error() -> None:
    """Setting the status a request has changes nothing; received is never set again."""
    assert status.allowed("in_progress", "in_progress")
    assert not status.allowed("in_progress", "received")


# References -----------------------------------------------------------------------------------------------


def test_a_reference_names_the_year_and_the_rank_on_six_digits() -> None:
    """The 42nd request of 2026 is DEM-2026-000042, and a subject that quotes it gives it back."""
    assert references.reference(2026, 42) == "DEM-2026-000042"
    assert references.parse("Re: [DEM-2026-000042] Trottoir abîmé") == (2026, 42)
    assert references.parse("Re: trottoir") is None
    assert references.parse(references.reference(2026, 1_000_000)) == (2026, 1_000_000)


@pytest.mark.parametrize(("year", "number"), [(26, 1), (2026, 0)])
def test_a_reference_needs_a_four_digit_year_and_a_rank_from_one(year: int, number: int) -> None:
    """Years of other lengths and ranks below 1 are programming errors."""
    with pytest.raises(ValueError):
        references.reference(year, number)


# Due dates ------------------------------------------------------------------------------------------------


def test_business_days_skip_weekends_and_public_holidays() -> None:
    """Received Thursday 30 April 2026, 5 business days: Friday 1 May and the weekend are off, Monday 4 to
    Thursday 7 May count four, Friday 8 May is a holiday too: Monday 11 May."""
    assert due.due_on(date(2026, 4, 30), 5, MAY_DAY) == date(2026, 5, 11)


def test_a_request_received_on_a_day_off_counts_from_the_next_business_day() -> None:
    """Received on Saturday 2 May, 0 days: Monday 4 May; 1 day: Tuesday 5 May."""
    assert due.due_on(date(2026, 5, 2), 0, MAY_DAY) == date(2026, 5, 4)
    assert due.due_on(date(2026, 5, 2), 1, MAY_DAY) == date(2026, 5, 5)


def test_a_delay_is_never_negative() -> None:
    """A negative delay is a programming error."""
    with pytest.raises(ValueError):
        due.due_on(date(2026, 5, 4), -1, ())


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 15), 2, date(2027, 1, 15)), (date(2026, 12, 31), 2, date(2027, 2, 28)),
    (date(2026, 3, 10), 0, date(2026, 3, 10))])
def test_months_keep_the_day_or_end_the_shorter_month(day: date, months: int, expected: date) -> None:
    """Two months after 15 November is 15 January; one month after 31 January is the end of February."""
    assert due.add_months(day, months) == expected


# Acknowledgements -----------------------------------------------------------------------------------------


def test_an_implicit_acceptance_is_dated_and_gives_the_right_to_an_attestation() -> None:
    """Received 15 March 2026, acceptance after two months: on 15 May 2026, with the attestation (L232-3)."""
    found = ack.facts(date(2026, 3, 15), SERVICE, ack.Mentions("acceptance", delay_months=2))
    assert (found.implicit, found.implicit_on, found.attestation) == ("acceptance", date(2026, 5, 15), True)
    assert found.service == SERVICE and found.received_on == date(2026, 3, 15)


def test_an_implicit_rejection_states_its_appeals_and_no_attestation() -> None:
    """A rejection after 2 months and 10 days carries the appeal routes, and no attestation."""
    found = ack.facts(date(2026, 3, 15), SERVICE, ack.Mentions("rejection", 2, 10, "Recours gracieux…"))
    assert (found.implicit_on, found.appeal, found.attestation) == (date(2026, 5, 25), "Recours gracieux…", False)


def test_a_category_without_implicit_decision_has_no_date() -> None:
    """A request that leads to no decision (a pothole reported) has no implicit date."""
    found = ack.facts(date(2026, 3, 15), SERVICE, ack.Mentions())
    assert (found.implicit, found.implicit_on) == ("none", None)
    ack.check(SERVICE, ack.Mentions())


def test_what_a_category_lacks_is_named() -> None:
    """No name, no address of either kind, no phone, a rejection with no delay nor appeal: each named."""
    lacking = ack.missing(ack.ServiceContact(" "), ack.Mentions("rejection"))
    assert [field for field, _ in lacking] == ["service.name", "service.address", "service.phone", "delay",
                                               "appeal"]
    assert [f for f, _ in ack.missing(SERVICE, ack.Mentions("maybe"))] == ["implicit"]  # type: ignore[arg-type]
    assert [f for f, _ in ack.missing(SERVICE, ack.Mentions("acceptance", -1, 5))] == ["delay"]
    with pytest.raises(Refused) as refused:
        ack.check(SERVICE, ack.Mentions("rejection", delay_months=2))
    assert (refused.value.kind, refused.value.field) == ("incomplete-category", "appeal")


# Senders --------------------------------------------------------------------------------------------------


def refusal(who: sender.Sender, channel: sender.Channel = "web") -> tuple[str, str] | None:
    try:
        sender.check(who, channel)
    except Refused as refused:
        return refused.kind, refused.field
    return None


ANNE = sender.Sender("Anne", "Lefèvre", email="anne@example.fr")


def test_a_person_writing_online_gives_names_and_email() -> None:
    """Names and an e-mail suffice online; a blank last name or no e-mail is refused, naming the field."""
    assert refusal(ANNE) is None
    assert refusal(sender.Sender("Anne", " ", email="a@example.fr")) == ("sender-incomplete", "person.last_name")
    assert refusal(sender.Sender("", "L", email="a@example.fr")) == ("sender-incomplete", "person.first_name")
    assert refusal(sender.Sender("Anne", "Lefèvre"), "email") == ("sender-incomplete", "person.email")


def test_a_letter_gives_a_postal_address_and_a_call_some_address() -> None:
    """A letter needs the sender's postal address; a phone call an e-mail or a postal address."""
    assert refusal(ANNE, "postal") == ("sender-incomplete", "person.address")
    assert refusal(sender.Sender("Anne", "Lefèvre", address="3 rue Haute"), "postal") is None
    assert refusal(sender.Sender("Anne", "Lefèvre"), "phone") == ("sender-incomplete", "person.email")
    assert refusal(ANNE, "counter") is None


def test_an_organisation_is_a_company_by_siren_or_an_association_by_rna() -> None:
    """A company gives 9 digits, an association W and 9 digits, with a name; never both, never neither."""
    company = sender.Sender("Anne", "Lefèvre", "anne@example.fr", organisation="Boulangerie", siren="732829320")
    association = sender.Sender("Anne", "Lefèvre", "anne@example.fr", organisation="Amis", rna="W751234567")
    assert refusal(company) is None and refusal(association) is None
    both = sender.Sender("A", "L", "a@example.fr", organisation="X", siren="732829320", rna="W751234567")
    assert refusal(both) == ("sender-incomplete", "organisation")
    assert refusal(sender.Sender("A", "L", "a@example.fr", organisation="X")) == ("sender-incomplete",
                                                                                  "organisation")
    assert refusal(sender.Sender("A", "L", "a@example.fr", siren="732829320")) == ("sender-incomplete",
                                                                                  "organisation.name")
    assert refusal(sender.Sender("A", "L", "a@example.fr", organisation="X", siren="73282932")) == (
        "invalid-siren", "organisation.siren")
    assert refusal(sender.Sender("A", "L", "a@example.fr", organisation="X", rna="751234567")) == (
        "invalid-rna", "organisation.rna")


# Attachments ----------------------------------------------------------------------------------------------


def test_only_documents_and_photos_may_be_attached() -> None:
    """PDF, JPEG, PNG, ODT and DOCX are taken; an executable or an unknown type is not."""
    assert all(attachments.allowed(t) for t in attachments.ALLOWED)
    assert not attachments.allowed("application/x-msdownload") and not attachments.allowed(None)


@pytest.mark.parametrize(("name", "media_type", "shown"), [
    ("C:\\Users\\anne\\plan.pdf", "application/pdf", "plan.pdf"),
    ("../../etc/photo.exe", "image/png", "photo.exe.png"),
    ("IMG_01.JPEG", "image/jpeg", "IMG_01.JPEG"),
    ("\x00\x1f ..", "application/pdf", "document.pdf"),
    ("a" * 300 + ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "a" * 115 + ".docx")])
def test_a_file_is_shown_with_a_clean_name_ending_in_its_real_type(name: str, media_type: str, shown: str) -> None:
    """Paths and control characters are dropped, the real type's extension is added, long names are cut."""
    assert attachments.shown_name(name, media_type) == shown


# Handling: overdue, reply templates, merging and transmitting ----------------------------------------------


def test_an_open_request_is_late_by_the_calendar_days_past_its_due_date() -> None:
    """Due on Monday 30 March, open on Thursday 2 April: 3 days late; on its due day, or closed, not late."""
    due_day = date(2026, 3, 30)
    assert handling.days_late("in_progress", due_day, date(2026, 4, 2)) == 3
    assert handling.days_late("received", due_day, due_day) == 0
    assert handling.days_late("closed", due_day, date(2026, 4, 2)) == 0


def test_a_template_fills_its_placeholders_and_leaves_every_other_brace_as_written() -> None:
    """{name} and {reference} are filled; {unknown}, {{, a lone } and { x } stay as they are."""
    values = {"name": "Anne Lefèvre", "reference": "DEM-2026-000001"}
    assert handling.fill("Bonjour {name}, {reference} {unknown} {{ } { x }", values) == (
        "Bonjour Anne Lefèvre, DEM-2026-000001 {unknown} {{ } { x }")
    assert handling.placeholders("{name} {agent} {name}") == ["name", "agent", "name"]


def test_a_template_needs_a_title_a_text_and_known_placeholders() -> None:
    """A blank title or text is incomplete; {montant} in the text or the title is no placeholder."""
    handling.check_template("Relance", "Bonjour {name} ({due}, {agent}) { 5 € }")
    for title, body, kind, field in (("  ", "x", "incomplete-template", "title"),
                                     ("Relance", "\n", "incomplete-template", "body"),
                                     ("Relance", "{montant}", "unknown-placeholder", "body"),
                                     ("Relance {montant}", "x", "unknown-placeholder", "title")):
        with pytest.raises(Refused) as refused:
            handling.check_template(title, body)
        assert (refused.value.kind, refused.value.field) == (kind, field)


def test_a_duplicate_is_merged_into_another_open_request_that_is_no_duplicate() -> None:
    """Into itself, from a closed request, into a duplicate or into a closed request: refused, each naming why."""
    open_one, other = handling.Standing("a", "received"), handling.Standing("b", "in_progress")
    handling.check_merge(open_one, other)
    for duplicate, kept, kind, field in (
            (open_one, open_one, "merge-into-itself", "into"),
            (handling.Standing("a", "closed"), other, "wrong-status", "status"),
            (open_one, handling.Standing("b", "closed", merged=True), "wrong-status", "into"),
            (open_one, handling.Standing("b", "closed"), "wrong-status", "into")):
        with pytest.raises(Refused) as refused:
            handling.check_merge(duplicate, kept)
        assert (refused.value.kind, refused.value.field) == (kind, field)


def test_only_an_open_request_is_transmitted_and_one_handled_elsewhere_stays_closed() -> None:
    """A closed request is not transmitted; one merged or transmitted is not reopened; any other is."""
    handling.check_open("waiting_citizen")
    with pytest.raises(Refused):
        handling.check_open("closed")
    handling.check_reopen(False, False)
    for merged, transmitted in ((True, False), (False, True)):
        with pytest.raises(Refused) as refused:
            handling.check_reopen(merged, transmitted)
        assert refused.value.kind == "wrong-status"


# The rules: a letter's day of receipt, the acknowledgement's last day ----------------------------------------


def test_a_letter_is_received_on_a_day_of_the_last_sixty_never_later() -> None:
    """Staff give a letter's day: up to 60 days back; without one, today; a day ahead or 61 back is refused."""
    today = date(2026, 3, 16)
    assert receipt.received_on(None, today, "web", staff=False) == today
    assert receipt.received_on(date(2026, 3, 12), today, "postal", staff=True) == date(2026, 3, 12)
    assert receipt.received_on(today - timedelta(days=60), today, "postal", staff=True) == date(2026, 1, 15)
    for given, channel, staff in ((date(2026, 3, 17), "postal", True), (date(2026, 1, 14), "postal", True),
                                  (date(2026, 3, 12), "phone", True), (date(2026, 3, 12), "postal", False)):
        with pytest.raises(Refused) as refused:
            receipt.received_on(given, today, channel, staff=staff)  # type: ignore[arg-type]
        assert (refused.value.kind, refused.value.field) == ("invalid-receipt-date", "received_on")


def test_an_acknowledgement_goes_on_the_sixth_day_at_the_latest() -> None:
    """Received on Monday 16 March: due on Sunday 22 March (before 7 days have passed), not before."""
    assert receipt.acknowledge_by(date(2026, 3, 16)) == date(2026, 3, 22)
    assert not receipt.acknowledgement_due(date(2026, 3, 16), date(2026, 3, 21))
    assert receipt.acknowledgement_due(date(2026, 3, 16), date(2026, 3, 22))
    assert receipt.acknowledgement_due(date(2026, 3, 16), date(2026, 4, 1))

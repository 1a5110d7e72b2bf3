"""How the intake reads an e-mail, without a server: what is automatic (no request, no answer), what answers a
request, which text is kept."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from queue_server.requests.intake.reading import parse


def mail(subject: str = "Question", text: str | None = "Bonjour", sender: str = "Anne Lefèvre <anne@example.fr>",
         **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Mairie <Mairie@Demoville.fr>"
    message["Subject"] = subject
    message["Message-ID"] = "<abc@example.fr>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    return message


@pytest.mark.parametrize(("headers", "subject"), [
    ({"Auto_Submitted": "auto-replied"}, "Question"),
    ({"Auto_Submitted": "auto-generated; owner-email=x@y.fr"}, "Question"),
    ({"X_Autoreply": "yes"}, "Question"),
    ({"X_Autorespond": "yes"}, "Question"),
    ({"Precedence": "bulk"}, "Question"),
    ({"Precedence": "auto_reply"}, "Question"),
    ({"Return_Path": "<>"}, "Question"),
    ({"X_Auto_Response_Suppress": "DR, OOF"}, "Question"),
    ({}, "Réponse automatique : [DEM-2026-000001] Votre demande"),
    ({}, "Absent du bureau"),
    ({}, "Automatic reply: Votre demande"),
    ({}, "Out of Office: Votre demande"),
    ({}, "Undeliverable: Votre demande"),
    ({}, "Delivery Status Notification (Failure)"),
])
def test_automatic_emails_are_recognised(headers: dict[str, str], subject: str) -> None:
    """Out-of-office replies, bounces and other automatic e-mails are told apart by their headers or subject."""
    assert parse(bytes(mail(subject, **headers))).automatic


def test_a_bounce_from_the_mailer_daemon_is_automatic() -> None:
    """A message from MAILER-DAEMON is a bounce whatever its subject."""
    assert parse(bytes(mail("Votre message", sender="MAILER-DAEMON@mx.example.fr"))).automatic == "daemon"


@pytest.mark.parametrize("subject", ["Absence de mon fils à la cantine", "Question sur la réponse automatique",
                                     "Re: [DEM-2026-000042] Votre demande"])
def test_a_person_writing_is_not_automatic(subject: str) -> None:
    """A citizen's subject that only mentions such words, or ``Auto-Submitted: no``, is a person's e-mail."""
    assert parse(bytes(mail(subject, Auto_Submitted="no"))).automatic == ""


def test_the_reference_and_the_answered_ids_are_read() -> None:
    """The reference comes from the subject; the answered Message-IDs from References then In-Reply-To."""
    read = parse(bytes(mail("RE: [DEM-2026-000042] Votre demande", In_Reply_To="<b@demoville.fr>",
                            References="<a@example.fr> <b@demoville.fr>")))
    assert read.reference == "DEM-2026-000042"
    assert read.answers == ("<a@example.fr>", "<b@demoville.fr>")
    assert (read.first_name, read.last_name, read.sender) == ("Anne", "Lefèvre", "anne@example.fr")
    assert read.to == ("mairie@demoville.fr",)


def test_the_text_part_is_preferred_to_the_html_one() -> None:
    """With both, the plain text is kept as written."""
    message = mail(text="Le texte <brut>.")
    message.add_alternative("<p>Le HTML</p>", subtype="html")
    assert parse(bytes(message)).text == "Le texte <brut>."


def test_an_email_without_message_id_is_known_by_its_bytes() -> None:
    """Without a Message-ID, the same bytes give the same key (read twice, written once)."""
    message = mail()
    del message["Message-ID"]
    assert parse(bytes(message)).message_id == parse(bytes(message)).message_id
    assert parse(bytes(message)).message_id.startswith("sha256:")

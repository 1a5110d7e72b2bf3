"""An appointment's messages: the confirmation, move, reminder and cancellation, written to the outbox and
delivered by a real worker to a real SMTP server (with an .ics that icalendar reads) and a real HTTP SMS
endpoint, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from queue_server.booking.notices import Kind, Notice, compose, send
from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.db.tables import OutboxMessage
from queue_server.platform.email import SmtpMailer
from queue_server.platform.outbox import MessageTemplates, OutboxWorker
from queue_server.platform.sms import HttpProvider, segments
from queue_server.settings import load_settings
from tests.outbox.support import DATABASES, SmsEndpoint, SmtpSink, database_url, eventually

pytestmark = pytest.mark.anyio
FROM = "Mairie de Démoville <rendez-vous@demoville.test>"
ANNE, PHONE = "anne.dupont@example.org", "+33612345678"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2031, 1, 2, 9, 0, tzinfo=UTC)
ID, OTHER = "q3V8mJ2xLr0bT5nYk9WcAe", "Hs7pQ1zK4uN0cV9mB2xR5t"  # as unguessable as the module's ids
TUESDAY = datetime(2031, 1, 14, 13, 30, tzinfo=UTC)  # mardi 14 janvier 2031, 14 h 30 in Paris


def notice(appointment_id: str = ID, start: datetime = TUESDAY, **changes: Any) -> Notice:
    """An appointment at the town hall of Démoville, as the booking module would hand it over."""
    values: dict[str, Any] = {
        "tenant": "demo", "tenant_name": "Mairie de Démoville", "appointment_id": appointment_id,
        "code": "7KX3PM", "site_name": "Hôtel de ville", "site_address": "1 place de la Mairie, 75011 Paris",
        "zone": "Europe/Paris", "motif": "Carte d'identité", "service": "Titres d'identité", "start": start,
        "end": start + timedelta(minutes=20), "instructions": "Venez avec toutes les personnes concernées.",
        "documents": ("Photo d'identité de moins de 6 mois", "Justificatif de domicile"),
        "manage_url": f"https://guichet.demoville.fr/a/{appointment_id}", "lang": "fr",
    }
    return Notice(**values | changes)


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async for url in database_url(request.param, tmp_path):
        engine = make_engine(load_settings(database={"url": url}).database_url)
        await migrate(engine)
        yield engine
        await engine.dispose()


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def endpoint() -> AsyncIterator[SmsEndpoint]:
    server = SmsEndpoint()
    await server.start()
    yield server
    await server.close()


async def tell(engine: AsyncEngine, kind: Kind, notices: list[Notice], *, now: datetime = NOW,
               templates: MessageTemplates | None = None, phone: str | None = PHONE,
               email: str | None = ANNE) -> None:
    """``send`` in a transaction committed at once, as the booking service does with its change."""
    async with sessions(engine)() as session:
        await send(session, templates or MessageTemplates(), kind, notices, phone=phone, email=email, now=now)
        await session.commit()


@asynccontextmanager
async def delivering(engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> AsyncIterator[OutboxWorker]:
    """A worker sending what is due to the test's SMTP server and SMS endpoint inside the block."""
    worker = OutboxWorker(sessions(engine), sms=HttpProvider(endpoint.url, timeout_s=5.0),
                          mailer=SmtpMailer(f"smtp://127.0.0.1:{sink.port}", FROM, timeout_s=5.0),
                          poll_s=0.05, lease_s=10.0, send_timeout_s=5.0, rng=random.Random(7))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker.run)
        try:
            yield worker
        finally:
            await worker.stop(10.0)
            tasks.cancel_scope.cancel()


async def delivered(engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint, emails: int, sms: int) -> None:
    """Run a worker until ``emails`` e-mails and ``sms`` text messages have arrived in all."""
    async with delivering(engine, sink, endpoint):
        await eventually(lambda: len(sink.received) >= emails and len(endpoint.accepted) >= sms)
    assert (len(sink.received), len(endpoint.accepted)) == (emails, sms)


async def rows(engine: AsyncEngine, *, containing: str = "") -> list[OutboxMessage]:
    async with sessions(engine)() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.key).contains(containing)).order_by(
            col(OutboxMessage.id))
        return list((await session.exec(query)).all())


def calendar_of(message: EmailMessage) -> tuple[EmailMessage, Calendar]:
    """The e-mail's one attachment and the calendar icalendar reads from it."""
    [part] = message.iter_attachments()
    assert isinstance(part, EmailMessage)
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return part, Calendar.from_ical(data)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content()).replace("\r\n", "\n")


# The confirmation -------------------------------------------------------------------------------------------


async def test_the_confirmation_email_carries_an_ics_on_the_sites_clock(engine: AsyncEngine, sink: SmtpSink,
                                                                        endpoint: SmsEndpoint) -> None:
    """The confirmation e-mail tells the appointment and carries an .ics whose event is at 14:30 Europe/Paris,
    with its VTIMEZONE, place, motif, stable UID and first SEQUENCE."""
    await tell(engine, "confirmed", [notice()])
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    [message] = sink.received
    assert message["To"] == ANNE
    assert message["Subject"] == "Mairie de Démoville : rendez-vous confirmé le mardi 14 janvier à 14 h 30"
    text = text_of(message)
    for expected in ("Le mardi 14 janvier 2031, de 14 h 30 à 14 h 50",
                     "Hôtel de ville, 1 place de la Mairie, 75011 Paris", "7KX3PM",
                     "Venez avec toutes les personnes concernées.", "- Photo d'identité de moins de 6 mois",
                     "- Justificatif de domicile", f"https://guichet.demoville.fr/a/{ID}", "Le fichier joint"):
        assert expected in text
    part, calendar = calendar_of(message)
    assert (part.get_content_type(), part.get_param("method")) == ("text/calendar", "PUBLISH")
    assert (calendar["METHOD"], calendar["VERSION"]) == ("PUBLISH", "2.0")
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Europe/Paris"]
    [event] = calendar.events
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert (event.start.replace(tzinfo=None), event.start.utcoffset()) == (datetime(2031, 1, 14, 14, 30),
                                                                          timedelta(hours=1))
    assert event.end == datetime(2031, 1, 14, 14, 50, tzinfo=PARIS)
    assert (event["SUMMARY"], event["LOCATION"]) == ("Carte d'identité", "Hôtel de ville, 1 place de la Mairie, "
                                                                          "75011 Paris")
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (f"{ID}@guichet", 0, "CONFIRMED")
    assert event["URL"] == f"https://guichet.demoville.fr/a/{ID}"
    assert "7KX3PM" in event["DESCRIPTION"]


async def test_the_confirmation_sms_tells_date_time_place_motif_code_and_link(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """The confirmation SMS reaches the phone with the day and time in words, the place, motif, code and link."""
    await tell(engine, "confirmed", [notice()])
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    [sms] = endpoint.accepted
    assert sms["to"] == PHONE
    assert sms["text"] == ("Mairie de Démoville : RDV confirmé le mardi 14 janvier à 14 h 30, Hôtel de ville "
                           f"(Carte d'identité). Code 7KX3PM. Déplacer ou annuler : https://guichet.demoville.fr/a/{ID}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_single_confirmation_sms_fits_three_segments(lang: str) -> None:
    """One appointment's confirmation SMS, accents making it UCS-2 (70 characters, 67 per part), takes at most
    3 segments with a usual town hall's names and link."""
    _, text = compose(MessageTemplates(), "confirmed", [notice(lang=lang)], "sms")
    assert "ô" in text  # not GSM-7: counted as UCS-2
    assert len(text) > 140 and segments(text) <= 3


async def test_an_appointment_in_reunion_is_told_on_reunion_time(engine: AsyncEngine, sink: SmtpSink,
                                                                 endpoint: SmsEndpoint) -> None:
    """At a site in Indian/Reunion, the .ics event and the SMS give the local time (UTC+4) with that zone."""
    await tell(engine, "confirmed", [notice(start=datetime(2031, 1, 14, 10, 30, tzinfo=UTC), zone="Indian/Reunion",
                                            site_address="Rue de Paris, 97400 Saint-Denis")])
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    _, calendar = calendar_of(sink.received[0])
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Indian/Reunion"]
    [event] = calendar.events
    assert event["DTSTART"].params["TZID"] == "Indian/Reunion"
    assert (event.start.replace(tzinfo=None), event.start.utcoffset()) == (datetime(2031, 1, 14, 14, 30),
                                                                          timedelta(hours=4))
    assert "le mardi 14 janvier à 14 h 30" in endpoint.accepted[0]["text"]


async def test_sending_the_same_notices_again_writes_nothing(engine: AsyncEngine, sink: SmtpSink,
                                                             endpoint: SmsEndpoint) -> None:
    """A retried confirmation writes no message and no reminder twice: one e-mail and one SMS arrive."""
    await tell(engine, "confirmed", [notice()])
    first = [(row.id, row.key) for row in await rows(engine)]
    await tell(engine, "confirmed", [notice()])
    assert [(row.id, row.key) for row in await rows(engine)] == first
    assert len(first) == 4  # the SMS, the e-mail and their reminders
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    await tell(engine, "confirmed", [notice()])
    assert [(row.id, row.key) for row in await rows(engine)] == first


async def test_two_appointments_make_one_sms_and_one_email_with_two_events(engine: AsyncEngine, sink: SmtpSink,
                                                                           endpoint: SmsEndpoint) -> None:
    """Two appointments booked together for one person are confirmed by one SMS and one e-mail whose .ics
    holds both events; each keeps a reminder of its own."""
    later = TUESDAY + timedelta(days=2, hours=1)
    both = [notice(), notice(OTHER, later, code="M4TQ9W", motif="Mariage", service="État civil")]
    await tell(engine, "confirmed", both)
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    text = endpoint.accepted[0]["text"]
    assert text.startswith("Mairie de Démoville : 2 RDV confirmés.")
    for expected in ("le mardi 14 janvier à 14 h 30", "7KX3PM", f"/a/{ID}", "le jeudi 16 janvier à 15 h 30",
                     "(Mariage)", "M4TQ9W", f"/a/{OTHER}"):
        assert expected in text
    assert sink.received[0]["Subject"] == "Mairie de Démoville : 2 rendez-vous confirmés"
    _, calendar = calendar_of(sink.received[0])
    assert sorted((str(event["UID"]), event["SUMMARY"]) for event in calendar.events) == [
        (f"{OTHER}@guichet", "Mariage"), (f"{ID}@guichet", "Carte d'identité")]
    assert len(calendar.timezones) == 1
    reminders = await rows(engine, containing=":reminder:")
    assert sorted(row.key for row in reminders) == sorted(
        f"appointment:{one}:reminder:0:{channel}" for one in (ID, OTHER) for channel in ("sms", "email"))


# The reminder -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "start", "due"), [
    ("Europe/Paris", TUESDAY, datetime(2031, 1, 13, 17, 0, tzinfo=UTC)),  # winter: UTC+1
    ("Europe/Paris", datetime(2031, 7, 15, 7, 0, tzinfo=UTC), datetime(2031, 7, 14, 16, 0, tzinfo=UTC)),  # summer
    ("Indian/Reunion", TUESDAY, datetime(2031, 1, 13, 14, 0, tzinfo=UTC)),
    # Monday after the spring change: the Sunday's 18:00 is already UTC+2
    ("Europe/Paris", datetime(2031, 3, 31, 7, 0, tzinfo=UTC), datetime(2031, 3, 30, 16, 0, tzinfo=UTC)),
])
async def test_the_reminder_is_due_at_six_in_the_evening_the_day_before(engine: AsyncEngine, zone: str,
                                                                        start: datetime, due: datetime) -> None:
    """Each appointment's reminder, SMS and e-mail with its .ics, is due at 18:00 on the site's clock the day
    before, whatever the season."""
    await tell(engine, "confirmed", [notice(start=start, zone=zone)])
    reminders = await rows(engine, containing=":reminder:")
    assert sorted((row.channel, row.next_at) for row in reminders) == [("email", due), ("sms", due)]
    assert due.astimezone(ZoneInfo(zone)).hour == 18
    [email] = [row for row in reminders if row.channel == "email"]
    assert email.subject.startswith("Mairie de Démoville : rappel, rendez-vous le ")
    assert [item["content_type"] for item in email.attachments or []] == [
        "text/calendar; method=PUBLISH; charset=utf-8"]


async def test_no_reminder_once_its_moment_has_passed(engine: AsyncEngine) -> None:
    """An appointment booked after 18:00 the day before gets its confirmation and no reminder."""
    await tell(engine, "confirmed", [notice()], now=datetime(2031, 1, 13, 17, 30, tzinfo=UTC))
    assert sorted(row.key for row in await rows(engine)) == [
        f"appointment:{ID}:confirmed:0:email", f"appointment:{ID}:confirmed:0:sms"]


# Moves and cancellations ----------------------------------------------------------------------------------


async def test_a_move_keeps_the_uid_counts_the_sequence_and_replaces_the_reminder(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """Moved a day later, the appointment's .ics keeps its UID with SEQUENCE 1 and the new time, and its
    reminder is the new day's only."""
    await tell(engine, "confirmed", [notice()])
    await delivered(engine, sink, endpoint, emails=1, sms=1)
    await tell(engine, "moved", [notice(start=TUESDAY + timedelta(days=1), sequence=1)])
    await delivered(engine, sink, endpoint, emails=2, sms=2)
    moved = sink.received[1]
    assert moved["Subject"] == "Mairie de Démoville : rendez-vous déplacé au mercredi 15 janvier à 14 h 30"
    _, calendar = calendar_of(moved)
    [event] = calendar.events
    assert (event["UID"], event["SEQUENCE"]) == (f"{ID}@guichet", 1)
    assert event.start == datetime(2031, 1, 15, 14, 30, tzinfo=PARIS)
    assert "RDV déplacé au mercredi 15 janvier à 14 h 30" in endpoint.accepted[1]["text"]
    reminders = await rows(engine, containing=":reminder:")
    assert sorted((row.key, row.next_at) for row in reminders) == [
        (f"appointment:{ID}:reminder:1:{channel}", datetime(2031, 1, 14, 17, 0, tzinfo=UTC))
        for channel in ("email", "sms")]


async def test_a_cancellation_withdraws_the_reminder_and_sends_a_cancelling_ics(
        engine: AsyncEngine, sink: SmtpSink, endpoint: SmsEndpoint) -> None:
    """Cancelled, the appointment's pending reminder is withdrawn; the e-mail carries a CANCEL .ics for the
    same UID, and the SMS says so."""
    await tell(engine, "confirmed", [notice()])
    assert len(await rows(engine, containing=":reminder:")) == 2
    await tell(engine, "cancelled", [notice()])
    assert await rows(engine, containing=":reminder:") == []
    await delivered(engine, sink, endpoint, emails=2, sms=2)
    cancelled = next(message for message in sink.received if "annulé" in message["Subject"])
    assert cancelled["Subject"] == "Mairie de Démoville : rendez-vous du mardi 14 janvier annulé"
    part, calendar = calendar_of(cancelled)
    assert (part.get_content_type(), part.get_param("method")) == ("text/calendar", "CANCEL")
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.events
    assert (event["UID"], event["STATUS"], event["SEQUENCE"]) == (f"{ID}@guichet", "CANCELLED", 1)
    assert any("est annulé" in sms["text"] for sms in endpoint.accepted)


# Languages and the tenant's own texts -----------------------------------------------------------------------


async def test_english_is_written_in_english_and_a_language_without_templates_in_french(
        engine: AsyncEngine) -> None:
    """An English holder reads English words and dates; a German one, for want of templates, French ones."""
    await tell(engine, "confirmed", [notice(lang="en")], email=None)
    await tell(engine, "confirmed", [notice(OTHER, lang="de")], email=None)
    english, german = [row.body for row in await rows(engine, containing=":confirmed:")]
    assert "appointment confirmed on Tuesday 14 January at 2:30 PM" in english
    assert "RDV confirmé le mardi 14 janvier à 14 h 30" in german


async def test_a_tenants_own_template_replaces_the_default(engine: AsyncEngine, tmp_path: Path) -> None:
    """A tenant's confirmation SMS template is used for its appointments; its e-mail keeps the default."""
    (tmp_path / "demo" / "fr").mkdir(parents=True)
    (tmp_path / "demo" / "fr" / "appointment_confirmed_sms.txt").write_text(
        '{% block body %}{% set a = appointments[0] %}{{ tenant_name }} vous attend le '
        '{{ format_date(a.start, "d MMMM") }} ({{ a.code }}).{% endblock %}')
    await tell(engine, "confirmed", [notice()], templates=MessageTemplates(tmp_path))
    sms, email = [(row.body, row.subject) for row in await rows(engine, containing=":confirmed:")]
    assert sms == ("Mairie de Démoville vous attend le 14 janvier (7KX3PM).", "")
    assert email[1] == "Mairie de Démoville : rendez-vous confirmé le mardi 14 janvier à 14 h 30"


async def test_many_appointments_still_have_keys_that_fit(engine: AsyncEngine) -> None:
    """A dozen appointments told at once get keys within the outbox's 200 characters, and a retry writes none."""
    many = [notice(f"{index:02d}{ID}", TUESDAY + timedelta(days=index)) for index in range(12)]
    await tell(engine, "confirmed", many, phone=None)
    await tell(engine, "confirmed", many, phone=None)
    written = await rows(engine)
    assert len(written) == 1 + 12  # the e-mail, and one reminder each
    assert all(len(row.key) <= 200 for row in written)

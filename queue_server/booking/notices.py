"""What an appointment's holder is told, and when: the confirmation, the move, the reminder and the
cancellation, by SMS and by e-mail with an ``.ics``, written to the outbox with the change that causes it.

A ``Notice`` is one appointment as the messages tell it, everything already resolved to text by the
caller (the motif's and the site's names, the manage link); this module reads no table but the outbox.
``send`` writes one SMS and one e-mail for all the notices it is given at once (a reception agent books
two appointments for one person: one SMS and one e-mail confirm both) and does not commit: the caller
commits them with the booking, the move or the cancellation.

Keys: ``appointment:{ids}:{kind}:{sequence}:{channel}``, ``ids`` the sorted appointment ids joined by
``+`` (their SHA-256 when that grows beyond ``IDS_CHARS``), ``sequence`` the highest of the notices'; a
retried command writes nothing. The holder's ids are in the keys, which outlive the outbox's purge: they
are no more secret there than in the appointments' own table.

Reminders: one per appointment (each can be moved or cancelled alone), SMS and e-mail, due at
``REMINDER_AT`` on the site's clock the day before, written with the confirmation or the move, none when
that moment has passed. A move withdraws the reminders of the appointment's earlier sequences still
pending; a cancellation all of them. Nothing is ever due at night: the confirmations go at once (the
holder has just booked), the reminders at 18:00.

Texts: the outbox's templates (``MessageTemplates``, a tenant's own first), ``appointment_{kind}.txt``
(the e-mail) and ``appointment_{kind}_sms.txt``, in the notice's language or French. They get
``tenant_name``, ``appointments`` (each with ``motif``, ``service``, ``site_name``, ``site_address``,
``start`` and ``end`` on the site's clock, ``code``, ``instructions``, ``documents``, ``manage_url``,
``ics_name``) and Babel's ``format_date`` and ``format_time`` in the template's language
(``format_date(a.start, "EEEE d MMMM")``: "mardi 12 janvier"). A single appointment's confirmation SMS
with our templates keeps within 3 segments for the names and links of a usual town hall (tests measure
it); longer names make a longer SMS, never a cut one.

The ``.ics`` (``ics``): one VCALENDAR, METHOD PUBLISH (or CANCEL), the VTIMEZONE of each zone used
(from the zoneinfo database, covering a year around the events), one VEVENT per appointment whose UID,
``{id}@guichet``, stays across moves while SEQUENCE counts them. A cancellation changes the event's
STATUS, which RFC 5545 counts as a revision: its SEQUENCE is one above the appointment's last. No
ORGANIZER: calendars that only honour a CANCEL from an organiser keep the event (the e-mail says it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from icalendar import Calendar, Event
from icalendar.enums import STATUS
from sqlmodel.ext.asyncio.session import AsyncSession

from queue_server.i18n import translations
from queue_server.platform.email import Attachment
from queue_server.platform.outbox import CHANNELS, Channel, MessageTemplates, enqueue, withdraw

Kind = Literal["confirmed", "moved", "reminder", "cancelled"]
KINDS: tuple[Kind, ...] = get_args(Kind)
REMINDER_AT = time(18, 0)  # the day before, on the site's clock: after work, never at night
IDS_CHARS = 150  # beyond, the ids in a key are hashed (keys hold 200 characters)
PRODID = "-//Guichet//Rendez-vous//FR"
TIMEZONE_MARGIN = timedelta(days=366)  # the VTIMEZONE's transitions span the events and this around them
DOMAIN = "guichet"  # the right part of every UID


@dataclass(frozen=True)
class Notice:
    """One appointment as its messages tell it (everything already resolved to text by the caller).

    ``appointment_id`` is opaque and unguessable (the holder's key, in links); ``code`` the 6 characters
    typed at the kiosk; ``zone`` the site's IANA zone; ``start`` and ``end`` aware datetimes (UTC);
    ``manage_url`` the absolute link to ``/a/{id}`` (see, add to a calendar, cancel, move); ``lang`` the
    holder's language (French when the templates have none in it); ``sequence`` 0 when booked, one more
    at each move (the ``.ics``'s SEQUENCE; its UID never changes)."""

    tenant: str
    tenant_name: str
    appointment_id: str
    code: str
    site_name: str
    site_address: str
    zone: str
    motif: str
    service: str
    start: datetime
    end: datetime
    instructions: str
    documents: tuple[str, ...]
    manage_url: str
    lang: str
    sequence: int = 0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a notice's start and end must be aware datetimes")
        ZoneInfo(self.zone)  # an unknown zone fails here, with the caller, not in the worker


# Keys and moments --------------------------------------------------------------------------------------


def _ids(ids: Iterable[str]) -> str:
    joined = "+".join(sorted(ids))
    return joined if len(joined) <= IDS_CHARS else "sha256-" + hashlib.sha256(joined.encode()).hexdigest()


def message_key(ids: Iterable[str], kind: Kind, sequence: int, channel: Channel) -> str:
    """The outbox key of the ``kind`` message on ``channel`` for the appointments ``ids`` at ``sequence``
    (the same whatever the order of ``ids``)."""
    return f"appointment:{_ids(ids)}:{kind}:{sequence}:{channel}"


def reminder_due(notice: Notice) -> datetime:
    """When ``notice``'s reminder goes (UTC): ``REMINDER_AT`` on the site's clock the day before."""
    zone = ZoneInfo(notice.zone)
    day_before = notice.start.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, REMINDER_AT, tzinfo=zone).astimezone(UTC)


# The .ics ----------------------------------------------------------------------------------------------


def ics_name(lang: str) -> str:
    """The attached file's name, in ``lang``."""
    return translations(lang).gettext("appointment.ics")


def _description(notice: Notice, lang: str) -> str:
    _ = translations(lang).gettext
    lines = [_("Code to type at the kiosk: {code}").format(code=notice.code)]
    if notice.instructions:
        lines += ["", notice.instructions]
    if notice.documents:
        lines += ["", _("To bring:"), *(f"- {document}" for document in notice.documents)]
    lines += ["", _("See, move or cancel: {url}").format(url=notice.manage_url)]
    return "\n".join(lines)


def ics(notices: Sequence[Notice], *, cancelled: bool = False, stamp: datetime | None = None,
        lang: str | None = None) -> bytes:
    """The calendar file of ``notices``: PUBLISH with each event CONFIRMED, or with ``cancelled`` CANCEL
    with each event CANCELLED (SEQUENCE one more). ``stamp`` is the DTSTAMP (now by default); the events'
    descriptions are in ``lang`` (the e-mail's), else in each notice's language."""
    if not notices:
        raise ValueError("an .ics needs at least one appointment")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    for notice in notices:
        zone = ZoneInfo(notice.zone)
        calendar.add_component(Event.new(
            uid=f"{notice.appointment_id}@{DOMAIN}", sequence=notice.sequence + (1 if cancelled else 0),
            stamp=(stamp or datetime.now(UTC)).astimezone(UTC),
            start=notice.start.astimezone(zone), end=notice.end.astimezone(zone),
            summary=notice.motif, location=f"{notice.site_name}, {notice.site_address}".strip(", "),
            description=_description(notice, lang or notice.lang), url=notice.manage_url,
            status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
        ))
    first = min(notice.start for notice in notices).date() - TIMEZONE_MARGIN
    last = max(notice.end for notice in notices).date() + TIMEZONE_MARGIN
    calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data


# Messages ----------------------------------------------------------------------------------------------


def _values(notices: Sequence[Notice], lang: str) -> dict[str, object]:
    """What the templates are given (the module's docstring lists it)."""
    appointments = []
    for notice in notices:
        zone = ZoneInfo(notice.zone)
        appointments.append({
            "motif": notice.motif, "service": notice.service, "site_name": notice.site_name,
            "site_address": notice.site_address, "start": notice.start.astimezone(zone),
            "end": notice.end.astimezone(zone), "code": notice.code, "instructions": notice.instructions,
            "documents": list(notice.documents), "manage_url": notice.manage_url,
        })
    dates: Callable[..., str] = partial(format_date, locale=lang)
    times: Callable[..., str] = partial(format_time, locale=lang)
    return {"tenant_name": notices[0].tenant_name, "appointments": appointments, "ics_name": ics_name(lang),
            "format_date": dates, "format_time": times}


def compose(templates: MessageTemplates, kind: Kind, notices: Sequence[Notice], channel: Channel) -> tuple[str, str]:
    """(subject, body) of the ``kind`` message on ``channel`` for ``notices`` (one person's, of one tenant),
    in the first notice's language or French; an SMS's subject is empty."""
    tenant = notices[0].tenant
    name = f"appointment_{kind}" + ("_sms" if channel == "sms" else "")
    lang = templates.language(tenant, name, notices[0].lang)
    return templates.render(tenant, name, lang, **_values(notices, lang))


async def _write(session: AsyncSession, templates: MessageTemplates, kind: Kind, notices: Sequence[Notice], *,
                 phone: str | None, email: str | None, at: datetime | None, stamp: datetime) -> None:
    """The SMS and the e-mail of ``kind`` for ``notices``, due at ``at`` (now when ``None``)."""
    tenant, ids = notices[0].tenant, [notice.appointment_id for notice in notices]
    sequence = max(notice.sequence for notice in notices)
    recipients: dict[Channel, str | None] = {"sms": phone, "email": email}
    for channel in CHANNELS:
        to = recipients[channel]
        if not to:
            continue
        subject, body = compose(templates, kind, notices, channel)
        attachments: tuple[Attachment, ...] = ()
        if channel == "email":
            cancelled = kind == "cancelled"
            method = "CANCEL" if cancelled else "PUBLISH"
            lang = templates.language(tenant, f"appointment_{kind}", notices[0].lang)
            attachments = (Attachment(ics_name(lang), f"text/calendar; method={method}; charset=utf-8",
                                      ics(notices, cancelled=cancelled, stamp=stamp, lang=lang)),)
        await enqueue(session, channel=channel, to=to, subject=subject, body=body, tenant=tenant, at=at,
                      key=message_key(ids, kind, sequence, channel), attachments=attachments)


async def send(session: AsyncSession, templates: MessageTemplates, kind: Kind, notices: Sequence[Notice], *,
               phone: str | None, email: str | None, now: datetime) -> None:
    """Write to the outbox, without committing, the ``kind`` messages for ``notices`` (one person's, of
    one tenant): one SMS to ``phone`` (E.164) and one e-mail to ``email`` (with the ``.ics``), each left
    out when its address is ``None``. "confirmed" and "moved" also write each appointment's reminder
    and withdraw its earlier sequences'; "cancelled" withdraws its pending reminders; "reminder" writes
    the reminder due now. A second call with the same notices and kind writes nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if not notices:
        raise ValueError("no appointment to tell about")
    if len({notice.tenant for notice in notices}) > 1:
        raise ValueError("one message tells of one tenant's appointments")
    await _write(session, templates, kind, notices, phone=phone, email=email, at=None, stamp=now)
    for notice in notices:
        if kind == "cancelled":
            await withdraw(session, prefix=f"appointment:{_ids([notice.appointment_id])}:reminder:")
        elif kind in ("confirmed", "moved"):
            await withdraw(session, [message_key([notice.appointment_id], "reminder", earlier, channel)
                                     for earlier in range(notice.sequence) for channel in CHANNELS])
            due = reminder_due(notice)
            if due > now:
                await _write(session, templates, "reminder", [notice], phone=phone, email=email, at=due,
                             stamp=now)


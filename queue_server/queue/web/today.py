"""What a citizen's page says of a site's day: its opening hours today, on its wall clock, as people write them
("8 h 30 – 12 h 00" in French, "8:30 AM – 12:00 PM" in English). The ticket page and the ticket widget use it;
what is open is the configuration's word (``Calendar``), never worked out again here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from babel.dates import format_time

from queue_server.i18n import translations
from queue_server.queue.domain.config import DAY_MINUTES, OpeningHours, SiteConfig


@dataclass(frozen=True, slots=True)
class HoursToday:
    """``text``: the day's hours in words, in the page's language ("8 h 30 – 12 h 00 · 13 h 30 – 17 h 00", "Open
    all day", "Closed today: Inventaire"); ``spans``: the same as ``HH:MM`` pairs on the site's clock (empty when
    closed all day; ``None`` when open all day)."""

    text: str
    spans: list[tuple[str, str]] | None


def clock(minutes: int, lang: str) -> str:
    """A time of day (minutes since local midnight; 1440 is midnight at the day's end) as ``lang`` writes it."""
    if minutes >= DAY_MINUTES:  # the day's end, as opening hours write it (a clock would say 0:00)
        return "24 h 00" if lang == "fr" else "24:00"
    at = time(minutes // 60, minutes % 60)
    if lang == "fr":
        return format_time(at, "H 'h' mm", locale="fr")
    return format_time(at, "short", locale=lang)


def opening_today(config: SiteConfig, now: datetime,
                  own: OpeningHours | None = None) -> tuple[str | None, list[tuple[int, int]] | None]:
    """The site's local day of ``now`` as the calendar says it: (the closure's reason or the holiday's name, "" for a
    closure without one, ``None`` when not closed; the day's spans in minutes since local midnight, sorted, ``None``
    when open all day, empty when closed). ``own``: a service's hours of its own instead of the site's. Limits: one
    day only; a span across midnight shows as two days' spans."""
    local = config.local(now)
    closed = config.calendar.closed_on(local.date())
    if closed is not None:
        return closed, []
    weekly = own if own is not None else config.calendar.weekly
    if weekly is None:
        return None, None
    return None, sorted(span for span in weekly.get(local.weekday(), ()) if span[1] > span[0])


def hours_today(config: SiteConfig, now: datetime, lang: str, own: OpeningHours | None = None) -> HoursToday:
    """The hours of the site's local day of ``now`` in words (``opening_today``), closures and public holidays
    included."""
    _ = translations(lang).gettext
    closed, spans = opening_today(config, now, own)
    if closed is not None:
        return HoursToday(_("Closed today: {reason}").replace("{reason}", closed) if closed else _("Closed today"), [])
    if spans is None:
        return HoursToday(_("Open all day"), None)
    if not spans:
        return HoursToday(_("Closed today"), [])
    joined = all(end >= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))
    if spans[0][0] == 0 and spans[-1][1] >= DAY_MINUTES and joined:
        return HoursToday(_("Open all day"), None)  # "0 h 00 – 24 h 00" is how a machine says it
    words = " · ".join(f"{clock(a, lang)} – {clock(b, lang)}" for a, b in spans)
    return HoursToday(words, [(hhmm(a), hhmm(b)) for a, b in spans])


def hhmm(minutes: int) -> str:
    """Minutes since local midnight as ``HH:MM`` (1440: ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

"""What to say: live-feed messages in, calls to speak out. No I/O and no clock (the time is an argument).

The rules are the display page's (``queue_server/queue/web/static/display.js``):

- ``ticket.called`` and ``ticket.recalled`` of a ticket at a counter are announced; a recall is a new
  call (announced again), told apart by the ticket's ``recalls`` count.
- A call older than ``announce_within_s`` when it arrives (the agent coming back after a cut, the server
  replaying what it missed) is not spoken: the citizen has probably gone to the counter already.
- The same call (ticket id and recalls count) is never spoken twice, whatever the feed replays.
- With ``services`` / ``counters`` filters, only the calls of those services / counters are spoken.
- A snapshot is never spoken: its recent calls carry no phrases, and they were made before the agent
  (re)connected.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.queue.codec import parse_iso

REMEMBER = 2000  # calls remembered as spoken: many times what a feed can replay
CALL_TYPES = frozenset({"ticket.called", "ticket.recalled"})


@dataclass(frozen=True)
class Phrase:
    """One language's sentence of a call, as the server wrote it (``data.announcements``)."""

    lang: str
    text: str


@dataclass(frozen=True)
class Call:
    """A call to speak: the chime, then each phrase in order."""

    key: str  # "<ticket id>:<recalls>": one call of one ticket
    number: str
    counter: str
    recall: bool
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class Stale:
    """A call that arrived too late to be spoken (``age_s`` seconds after it was made)."""

    number: str
    counter: str
    age_s: float


class Announcer:
    """Decides, message by message, which calls are spoken; remembers the last ``REMEMBER`` it let through."""

    def __init__(self, announce_within_s: float = 30.0, services: frozenset[str] | None = None,
                 counters: frozenset[str] | None = None, remember: int = REMEMBER) -> None:
        self.announce_within_s = announce_within_s
        self.services = services
        self.counters = counters
        self.remember = remember
        self._spoken: OrderedDict[str, None] = OrderedDict()

    def visible(self, ticket: Mapping[str, Any]) -> bool:
        """Whether the filters let this ticket's calls through (no filter: every call)."""
        return ((self.services is None or ticket.get("service") in self.services)
                and (self.counters is None or ticket.get("counter") in self.counters))

    def decide(self, message: Mapping[str, Any], now: datetime) -> Call | Stale | None:
        """The call ``message`` asks to speak at ``now`` (an aware datetime), a ``Stale`` one, or ``None``
        (not a call, filtered out, already spoken, or malformed)."""
        if message.get("type") not in CALL_TYPES:
            return None
        data = message.get("data")
        if not isinstance(data, Mapping):
            return None
        ticket = data.get("ticket")
        if not isinstance(ticket, Mapping) or not ticket.get("counter") or not self.visible(ticket):
            return None
        key = f"{ticket.get('id')}:{ticket.get('recalls', 0)}"
        if key in self._spoken:
            return None
        number, counter = str(ticket.get("number")), str(ticket["counter"])
        try:
            age_s = (now - parse_iso(str(message.get("at")))).total_seconds()
        except ValueError:
            return None
        if age_s >= self.announce_within_s:
            return Stale(number, counter, age_s)
        self._spoken[key] = None
        while len(self._spoken) > self.remember:
            self._spoken.popitem(last=False)
        phrases = tuple(Phrase(str(part["lang"]), str(part["text"])) for part in data.get("announcements") or ()
                        if isinstance(part, Mapping) and part.get("lang") and part.get("text"))
        return Call(key, number, counter, message.get("type") == "ticket.recalled", phrases)

"""When a request was received and when its acknowledgement of receipt is due (CRPA L112-11).

A request filed online, by e-mail, by phone or at the counter is received the moment it is filed. A letter is
received the day the town hall's mail came in, which the agent entering it later gives: a past day, within
``MAX_LETTER_AGE_DAYS`` (mail is entered within days; an older date is a typing mistake), never a future one.

A category may acknowledge in two steps: a registration receipt at once, then the acknowledgement of receipt,
which an agent sends, or which goes by itself before 7 calendar days have passed since the receipt: on the
``ACKNOWLEDGE_WITHIN_DAYS``-th day at the latest.
"""

from __future__ import annotations

from datetime import date, timedelta

from queue_server.requests.domain.errors import Refused
from queue_server.requests.domain.sender import Channel

MAX_LETTER_AGE_DAYS = 60
ACKNOWLEDGE_WITHIN_DAYS = 6  # received on day D, acknowledged on D + 6 at the latest: before 7 days have passed


def received_on(given: date | None, today: date, channel: Channel, *, staff: bool) -> date:
    """The day a request was received: ``today``, or for a letter entered by staff the day ``given`` (the site's
    local days). Raises ``Refused("invalid-receipt-date")`` naming ``received_on`` when a date is given by anyone
    else or for another channel, or is in the future, or more than ``MAX_LETTER_AGE_DAYS`` days ago."""
    if given is None:
        return today
    if not staff or channel != "postal":
        raise Refused("invalid-receipt-date", "received_on", "only staff entering a letter (channel postal) give "
                                                             "its date of receipt")
    if given > today:
        raise Refused("invalid-receipt-date", "received_on", "a letter's date of receipt is not in the future")
    if given < today - timedelta(days=MAX_LETTER_AGE_DAYS):
        raise Refused("invalid-receipt-date", "received_on",
                      f"a letter's date of receipt is at most {MAX_LETTER_AGE_DAYS} days ago")
    return given


def acknowledgement_due(received: date, today: date) -> bool:
    """Whether the acknowledgement of a request received on ``received`` must go today at the latest."""
    return today - received >= timedelta(days=ACKNOWLEDGE_WITHIN_DAYS)


def acknowledge_by(received: date) -> date:
    """The last day the acknowledgement of a request received on ``received`` may go."""
    return received + timedelta(days=ACKNOWLEDGE_WITHIN_DAYS)

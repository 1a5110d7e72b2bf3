"""What a request's page says of its acknowledgement of receipt (``demande.html``'s card; the list marks those still
to send): whether and when it went, the last day it may go (``domain/receipt.py``), and whether it can be sent by
e-mail from the page (a sender with an e-mail address) or goes on paper (the printable one, ``intake_page.py``).
Kept apart from ``staff.py`` so that the request's page only includes the card."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date

from queue_server.requests.domain.receipt import acknowledge_by
from queue_server.requests.tables import RequestRow
from queue_server.web.i18n import translations

PARIS = ZoneInfo("Europe/Paris")  # the days shown: mainland France's clock, as the staff pages' (a limit)


def card(row: RequestRow, lang: str) -> dict[str, Any]:
    """The card's facts and words for ``row``, in ``lang``."""
    _ = translations(lang).gettext
    sent = row.acknowledged_at
    return {
        "sent": format_date(sent.astimezone(PARIS).date(), "long", locale=lang) if sent is not None else "",
        "by": format_date(acknowledge_by(row.received_on), "long", locale=lang),
        "by_email": sent is None and bool(row.email),
        "url": f"/api/v1/tenants/{quote(row.tenant_id)}/requests/{quote(row.id)}/acknowledge",
        "printable": f"/demandes/{quote(row.id)}/accuse",
        "done": _("The acknowledgement of receipt is sent to %(email)s.") % {"email": row.email or ""},
        "failed": _("It could not be sent: {problem}"),
    }

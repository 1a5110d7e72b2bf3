"""When a visitor who left a phone number is told that their turn is near (the notifier only sends)."""

from __future__ import annotations

from queue_server.queue.domain.state import SiteState, Ticket


def sms_due(state: SiteState, ticket: Ticket) -> int | None:
    """The people ahead of ``ticket`` if its "your turn is near" SMS is due: it waits, its service sends
    one (``sms_ahead`` neither None nor 0) and no more than ``sms_ahead`` people are ahead. Else None.
    Due stays true until the ticket is called: the notifier sends it once (its own record)."""
    service = state.config.service(ticket.service)
    ahead = state.position(ticket)  # None unless waiting
    if service is None or not service.sms_ahead or ahead is None or ahead > service.sms_ahead:
        return None
    return ahead

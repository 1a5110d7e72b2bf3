"""The acknowledgements of receipt due today, sent by themselves: every ``every_s`` seconds (and at start), the
requests of a category that acknowledges in two steps whose acknowledgement no agent sent and that were received
6 days ago or more get it by e-mail (``Requests.send_due_acknowledgements``), so that none waits 7 days.

Every process runs it: a request claimed by one is acknowledged once (a conditional update, and the outbox's key),
so no lock is needed. The tracking links point at ``base_url`` (the public address, as the IMAP intake's)."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy.exc import SQLAlchemyError

from queue_server.requests.service import Requests

log = logging.getLogger(__name__)

EVERY_S = 600.0  # a day's deadline, looked at every ten minutes


class DueAcknowledgements:
    def __init__(self, requests: Requests, base_url: str, every_s: float = EVERY_S) -> None:
        self.requests, self.base_url, self.every_s = requests, base_url, every_s

    async def run_once(self) -> list[str]:
        """Send the acknowledgements due now; the references acknowledged."""
        sent = await self.requests.send_due_acknowledgements(self.base_url)
        if sent:
            log.info("requests: %s acknowledgement(s) of receipt sent on their last day", len(sent))
        return sent

    async def run(self) -> None:
        """``run_once`` at start and then every ``every_s`` seconds; never raises on a failure that may pass (SQL):
        it is logged and tried again at the next round."""
        while True:
            try:
                await self.run_once()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("requests' acknowledgements: %s: %s; trying again in %s s", type(exc).__name__, exc,
                            self.every_s)
            await anyio.sleep(self.every_s)

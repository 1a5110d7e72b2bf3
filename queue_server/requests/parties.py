"""A request linked by staff to a party of the citizen record ("Lier à une fiche citoyen"): the request then
names the party (``RequestRow.party``), its ``request.linked`` event puts it on that party's timeline (the
citizen record moves there what it had put elsewhere), and erasing that party erases its sender.

The requests never import the citizen record: whether a party exists is a callable the lifespan hands over
(``crm/links.py`` ``PartyLinks.party_exists``, as the queue and booking receive it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from queue_server.platform.audit import note
from queue_server.requests.errors import Refusal, unknown_request
from queue_server.requests.service import Found, Requests, Who
from queue_server.requests.tables import RequestMessage, RequestRow

PartyExists = Callable[[str, int], Awaitable[bool]]  # (tenant, party) -> whether the tenant's record has it


def unknown_party(party: int) -> Refusal:
    return Refusal(422, f"party: no party {party} in this collectivity's citizen record.", "unknown-party", "party")


class PartyLink:
    def __init__(self, requests: Requests, party_exists: PartyExists) -> None:
        self.requests = requests
        self.party_exists = party_exists

    async def link(self, tenant: str, request_id: str, party: int, who: Who) -> Found:
        """Link the request to ``party``: 404 ``unknown-request``, 422 ``unknown-party`` (naming ``party``) when the
        tenant's citizen record has no such party. Audited (``request.linked``); linking again to the same party
        changes nothing, to another one moves the request there."""
        requests = self.requests
        if not await self.party_exists(tenant, party):
            raise unknown_party(party)
        async with requests.db() as session:
            row = await session.get(RequestRow, request_id)
            if row is None or row.tenant_id != tenant:
                raise unknown_request()
            if row.party == party:
                return await requests.get(tenant, request_id)
            before = row.party
            row.party, row.updated_at = party, requests.clock()
            session.add(row)
            note(session, "request.linked", who.actor, tenant=tenant, target=row.reference, address=who.address,
                 detail=f"party:{before} -> party:{party}" if before is not None else f"party:{party}")
            await session.commit()
            answers = (await session.exec(select(RequestMessage).where(
                col(RequestMessage.request_id) == request_id, col(RequestMessage.author) == "staff",
                col(RequestMessage.internal).is_(False)).order_by(col(RequestMessage.id)))).all()
        await requests.publish("linked", row, answers=answers)
        return await requests.get(tenant, request_id)

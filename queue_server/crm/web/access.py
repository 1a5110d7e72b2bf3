"""Who may do what in the citizen record, for its JSON API and its pages alike (one rule, two answers: a
problem+json from the API, a page saying so from the pages).

The staff of the collectivity (agents, supervisors, administrators of any of its sites, or a device's staff
token) read and add; supervisors also export, merge and read the merge queue; administrators also erase and
set the sectors. A person counts with their best role in the collectivity, wherever it is held."""

from __future__ import annotations

from queue_server.platform.tokens import Principal
from queue_server.platform.users import Person

RANK = {"agent": 1, "supervisor": 2, "admin": 3}
AGENTS, SUPERVISORS, ADMINS = 1, 2, 3


def standing(caller: Principal | Person) -> tuple[str, str | None, int | None]:
    """The caller's best role in its collectivity, the site that reads the phone numbers they type (their
    first site; ``None``: the collectivity's first) and their user id (``None``: a device's token)."""
    if isinstance(caller, Person):
        role = max(caller.roles.values(), key=lambda r: RANK.get(r, 0), default="")
        return role, next((s for s in caller.roles if s is not None), None), caller.user_id
    return caller.role, caller.site_id, None


def rank_of(role: str) -> int:
    """0 for a role that opens nothing of the record (a kiosk, a display)."""
    return RANK.get(role, 0)

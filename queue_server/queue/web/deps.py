"""What the queue's endpoints work with, built once in the lifespan (``queue_server.web.app``)."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.queue.configuration import Configuration
from queue_server.queue.phones import NoteBook, PhoneBook
from queue_server.queue.reports import History
from queue_server.queue.service import QueueService
from queue_server.queue.visits import Visits
from queue_server.speech import Speech
from queue_server.web.deps import PlatformDeps


@dataclass(frozen=True, slots=True)
class QueueDeps:
    platform: PlatformDeps
    queue: QueueService  # each site's engine: state, decisions, the hub
    phones: PhoneBook  # mobile numbers for the SMS, kept outside the log
    notes: NoteBook  # notes for the next agent, kept outside the log
    # What the endpoints do beyond one decision (phones, notes, past tickets, reprints), and whether a staff ticket's
    # party exists: Visits.party_exists, the citizen record's callable (crm/links.py) that the lifespan hands it.
    visits: Visits
    history: History  # reports over the archived history
    speech: Speech  # spoken announcements of calls
    configuration: Configuration  # sites' services, counters, hours and settings, changed live

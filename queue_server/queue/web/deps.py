"""What the queue's endpoints work with, built once in the lifespan (``queue_server.web.app``)."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.queue.phones import NoteBook, PhoneBook
from queue_server.queue.service import QueueService
from queue_server.speech import Speech
from queue_server.web.deps import PlatformDeps


@dataclass(frozen=True, slots=True)
class QueueDeps:
    platform: PlatformDeps
    queue: QueueService  # each site's engine: state, decisions, the hub
    phones: PhoneBook  # mobile numbers for the SMS, kept outside the log
    notes: NoteBook  # notes for the next agent, kept outside the log
    speech: Speech  # spoken announcements of calls

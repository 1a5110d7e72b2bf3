"""Booking's refusals, in words for whoever asked; ``web/errors.py`` turns them into problem+json like every
``PlatformError`` (its status, its kind, the field it names)."""

from __future__ import annotations

from queue_server.platform.errors import PlatformError


class Refusal(PlatformError):
    """A refusal with its own status: 404 (an unknown motif or appointment), 409 (a slot taken, a status that
    forbids it), 422 (a start outside the hours, too soon...), 429 (too many)."""

    def __init__(self, status: int, message: str, kind: str, field: str = "") -> None:
        super().__init__(message, kind=kind, field=field, field_message=message)
        self.status = status


def unknown_motif(motif: str) -> Refusal:
    return Refusal(404, f"No motif {motif!r} may be booked here.", "unknown-motif", "motif")


def unknown_appointment() -> Refusal:
    return Refusal(404, "No such appointment.", "unknown-appointment")


def slot_taken() -> Refusal:
    return Refusal(409, "This slot is no longer free: choose another one.", "slot-taken", "start")

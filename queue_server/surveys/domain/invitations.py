"""Who is invited, and when: an invitation waits ``delay_s`` after the contact ended, then, when that falls in the
site's quiet hours (local clock: ``("20:00", "09:00")`` spans midnight), until they end; its link is valid
``VALID_DAYS`` from the moment it is due; a contact invited less than ``min_days_between`` days ago, or who refused
surveys, is not invited again. Times are aware datetimes; the zone is the site's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

VALID_DAYS = 14
KINDS = ("visit", "appointment", "request")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours without invitations, from ``start`` (included) to ``end`` (excluded); ``start > end`` spans
    midnight; ``start == end``: none."""

    start: time
    end: time

    def holds(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def quiet_hours(spec: tuple[str, ...] | list[str]) -> QuietHours | None:
    """``["20:00", "09:00"]`` as ``QuietHours``; ``[]``: none. ``ValueError`` for anything else."""
    if not spec:
        return None
    if len(spec) != 2:
        raise ValueError("quiet hours are two times, as [\"20:00\", \"09:00\"], or [] for none")
    start, end = (time.fromisoformat(part) for part in spec)
    return QuietHours(start, end)


def due_at(ended_at: datetime, delay_s: int, quiet: QuietHours | None, zone: tzinfo) -> datetime:
    """When the invitation of a contact that ended at ``ended_at`` goes: ``delay_s`` later, moved to the end of the
    quiet hours (on the site's clock, ``zone``) when it falls in them."""
    due = ended_at + timedelta(seconds=delay_s)
    if quiet is None or not quiet.holds(due.astimezone(zone).time().replace(tzinfo=None)):
        return due
    local = due.astimezone(zone)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:  # the quiet hours end tomorrow
        end = (local + timedelta(days=1)).replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0,
                                                  microsecond=0)
    # Built as a wall-clock time in the zone: a time skipped by a change of hour comes out after it.
    return datetime(end.year, end.month, end.day, end.hour, end.minute, tzinfo=zone)


def expires_at(due: datetime) -> datetime:
    """The moment a link sent at ``due`` stops answering (410)."""
    return due + timedelta(days=VALID_DAYS)


def expired(expires: datetime, now: datetime) -> bool:
    return now >= expires


def may_invite(last_invited: datetime | None, refused: bool, now: datetime, min_days_between: int) -> bool:
    """Whether a contact may be invited at ``now``: never if they refused surveys; else if their last invitation
    (its due time) is at least ``min_days_between`` days before ``now``, or they had none."""
    if refused:
        return False
    return last_invited is None or now - last_invited >= timedelta(days=min_days_between)

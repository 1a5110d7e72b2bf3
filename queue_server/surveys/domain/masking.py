"""What a comment keeps of the contacts typed into it: phone numbers (8 digits or more, with spaces, dots, dashes or
brackets between them, with or without a ``+`` and a country code) and e-mail addresses are replaced before the
comment is stored, so that a comment never brings back the contact the survey forgot. Other numbers stay: "2 heures",
a file number of fewer than 8 digits, a date "12/03/2026" (a slash separates no phone number's digits)."""

from __future__ import annotations

import re

PHONE_MASK = "[numéro masqué]"
EMAIL_MASK = "[adresse masquée]"
MAX_COMMENT = 2000

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A digit, then digits and separators, ending on a digit: at least 8 digits in all (checked below).
_PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\d \u00a0().\-]*\d)?")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    return PHONE_MASK if sum(ch.isdigit() for ch in text) >= 8 else text


def masked(comment: str) -> str:
    """``comment`` with its e-mail addresses and phone numbers masked."""
    return _PHONE.sub(_phone, _EMAIL.sub(EMAIL_MASK, comment))

"""What a party is known by, checked and put in one form: phone numbers in E.164 (libphonenumber, read in
the site's region), e-mail addresses (email-validator, without asking the DNS), SIRET and SIREN
(python-stdnum: digits and the Luhn key), RNA numbers (``W`` and nine digits). Each function raises
``InvalidField`` naming the field it was given, or returns the form that search compares."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from queue_server.crm.domain.text import digits, fold
from queue_server.platform.errors import invalid

RNA = re.compile(r"W\d{9}")


def phone(raw: str, region: str, field: str = "phone") -> str:
    """``raw`` (any format people type: "06 12 34 56 78", "+33612345678", "0612.34.56.78") in E.164."""
    number = phone_or_none(raw, region)
    if number is None:
        raise invalid(field, f"{raw!r} is not a valid phone number.")
    return number


def phone_or_none(raw: str, region: str) -> str | None:
    """``raw`` in E.164, or ``None`` if it reads as no valid number in ``region``."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(raw: str, field: str = "email") -> str:
    """``raw`` as an e-mail address, its domain in lower case (the DNS is not asked)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise invalid(field, f"{raw!r} is not a valid e-mail address.") from None
    return checked.normalized


def email_key(address: str) -> str:
    """What search compares of an address: all of it in lower case (mailboxes are case-insensitive in
    practice, whatever RFC 5321 allows)."""
    return address.strip().lower()


def siret(raw: str, field: str = "siret") -> str:
    """``raw`` as a SIRET: 14 digits (spaces allowed) whose Luhn key is right."""
    number = digits(raw) if set(raw) <= set("0123456789 .") else raw
    if not stdnum_siret.is_valid(number):
        raise invalid(field, f"{raw!r} is not a valid SIRET (14 digits with a valid key).")
    return number


def siren(raw: str, field: str = "siren") -> str:
    """``raw`` as a SIREN: 9 digits (spaces allowed) whose Luhn key is right."""
    number = digits(raw) if set(raw) <= set("0123456789 .") else raw
    if not stdnum_siren.is_valid(number):
        raise invalid(field, f"{raw!r} is not a valid SIREN (9 digits with a valid key).")
    return number


def rna(raw: str, field: str = "rna") -> str:
    """``raw`` as an RNA number: ``W`` and nine digits (a lower-case w and spaces are forgiven)."""
    number = raw.replace(" ", "").upper()
    if not RNA.fullmatch(number):
        raise invalid(field, f"{raw!r} is not a valid RNA number (W and 9 digits).")
    return number


def address_key(address: str) -> str:
    """What search compares of a postal address: its folded words."""
    return fold(address)

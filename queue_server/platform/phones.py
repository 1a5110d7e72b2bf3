"""Phone numbers as people type them, made E.164 (libphonenumber): one rule for every module."""

from __future__ import annotations

import phonenumbers

from queue_server.platform.errors import InvalidField

MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mobile_e164(raw: str, region: str, field: str = "phone") -> str:
    """``raw`` as an E.164 mobile number, a national number read in ``region`` (ISO 3166: "FR", "RE"...);
    ``InvalidField`` (naming ``field``) if it is no valid number or cannot receive text messages."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidField(f"{field}: {raw!r} is not a valid phone number.", kind="invalid-body", field=field,
                           field_message="not a valid phone number")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidField(f"{field}: {raw!r} cannot receive text messages (not a mobile number).",
                           kind="invalid-body", field=field, field_message="not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

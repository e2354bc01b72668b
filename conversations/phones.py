"""Phone numbers, through Google's libphonenumber (`phonenumbers`).

Numbers are stored in E.164 ("+5511987654321"). What a person types is read in the account's
country when it has no country code ("(11) 98765-4321" in Brazil), and numbers are shown the way
people of that country read them ("(11) 98765-4321"); numbers of other countries are shown in
the international format.

Brazil added a ninth digit to mobile numbers (2012–2016), and WhatsApp still reports some
accounts without it: 55 11 8765-4321 and 55 11 98765-4321 are one person. `brazil_ninth_digit`
gives the form with the 9, so both find the same contact.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

DEFAULT_REGION = "BR"
_DIGITS = re.compile(r"\D")


class InvalidPhone(ValueError):
    pass


def brazil_ninth_digit(digits: str) -> str:
    """ "551187654321" → "5511987654321": a Brazilian mobile number written without its ninth
    digit (12 digits, a subscriber starting with 6–9) gets it back; anything else is unchanged.
    Landlines (subscribers starting with 2–5) keep their eight digits."""
    if len(digits) == 12 and digits.startswith("55") and digits[4] in "6789":
        return digits[:4] + "9" + digits[4:]
    return digits


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION, strict: bool = True) -> str:
    """E.164 for what was typed or received; "" for nothing. Raises InvalidPhone.

    Without a country code the number is read in `region`; digits that only make sense with one
    ("5511987654321", a WhatsApp id) are read as international. `strict` (people typing) wants a
    number that exists in the numbering plan; a channel's number (WhatsApp already knows it
    exists) only needs to be possible."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    digits = _DIGITS.sub("", raw)
    if not digits:
        raise InvalidPhone(raw)
    candidates = [(raw, region)] if not raw.startswith("+") else []
    candidates.append(("+" + brazil_ninth_digit(digits), None))
    for text, default_region in candidates:
        try:
            number = phonenumbers.parse(text, default_region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or (
            not strict and phonenumbers.is_possible_number(number)
        ):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    raise InvalidPhone(raw)


def format_phone(e164: str, *, region: str = DEFAULT_REGION) -> str:
    """How a person reads a stored number: national format in its own country, international
    otherwise; what cannot be parsed is shown as stored."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)

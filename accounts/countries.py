"""The countries an account may read phone numbers in (those libphonenumber knows), named in
the active language: Brazil first, then the rest by name."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import get_language
from phonenumbers.geocoder import _region_display_name

FIRST = "BR"


def country_name(code: str, language: str | None = None) -> str:
    lang = (language or get_language() or "pt-br").split("-")[0]
    return _region_display_name(code, lang) or code


def country_choices() -> list[tuple[str, str]]:
    def label(code: str) -> str:
        calling = phonenumbers.country_code_for_region(code)
        return f"{country_name(code)} (+{calling})"

    rest = sorted((c for c in phonenumbers.SUPPORTED_REGIONS if c != FIRST), key=country_name)
    return [(FIRST, label(FIRST)), *((c, label(c)) for c in rest)]


def is_country(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS

"""The countries an account may read phone numbers in (those libphonenumber knows), named in
the active language: Brazil first, then the rest by name.

The names come from libphonenumber's locale table (`phonenumbers/geodata/locale.py`), read on
its own: importing it the usual way (`phonenumbers.geocoder`, or anything under
`phonenumbers.geodata`) first loads the package's per-prefix geocoding data, 40 MB of source
that took ~2 s and ~100 MB of every web and worker process for a form's country list.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import phonenumbers
from django.utils.translation import get_language

FIRST = "BR"


@functools.cache
def _names() -> dict[str, dict[str, str]]:
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its one import is phonenumbers.util, already loaded
    return module.LOCALE_DATA


def country_name(code: str, language: str | None = None) -> str:
    lang = (language or get_language() or "pt-br").split("-")[0]
    names = _names().get(code, {})
    name = names.get(lang, "")
    if name.startswith("*"):  # "*ca": the same as that language's name
        name = names.get(name[1:], "")
    return name or code


def country_choices() -> list[tuple[str, str]]:
    def label(code: str) -> str:
        calling = phonenumbers.country_code_for_region(code)
        return f"{country_name(code)} (+{calling})"

    rest = sorted((c for c in phonenumbers.SUPPORTED_REGIONS if c != FIRST), key=country_name)
    return [(FIRST, label(FIRST)), *((c, label(c)) for c in rest)]


def is_country(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS

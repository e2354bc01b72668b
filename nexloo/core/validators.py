"""Validators shared by the forms, the API and the services."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from nexloo.core.errors import ValidationError

# Control characters (newlines, tabs, escapes…) and the Unicode line and paragraph separators.
# A name travels into e-mail headers (subjects), where a line break is refused or worse.
_REFUSED = {"Cc", "Zl", "Zp"}


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(c) in _REFUSED for c in value)


def single_line_message() -> str:
    return _("Use a single line, without line breaks or control characters.")


def validate_single_line(value: str) -> None:
    """A form field's or serializer field's validator (raises Django's ValidationError)."""
    if value and has_control_characters(value):
        raise ValidationError(single_line_message(), code="control_characters")


def clean_name(value: str | None, field: str = "name") -> str:
    """A name as the services store it: stripped, on a single line (raises a field error)."""
    value = (value or "").strip()
    if has_control_characters(value):
        raise ValidationError({field: single_line_message()}, code="control_characters")
    return value

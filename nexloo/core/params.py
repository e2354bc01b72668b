"""Reading what clients send: ids, page numbers, timestamps, text and JSON, in one place.

Every parser answers `BadParameter` (a ValidationError naming the parameter) for input it cannot
take, so the API answers 422 and pages 400, with a message that says what is wrong — never a
500 from the database (a bigint out of range, a NUL byte PostgreSQL refuses, a year 33658).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from nexloo.core.errors import BadParameter

MAX_ID = 2**63 - 1  # PostgreSQL's bigint
MAX_INT = 2**31 - 1  # PostgreSQL's integer (PositiveIntegerField and friends)
MAX_PAGE = 100_000
# Unix seconds PostgreSQL and Python can both hold: 1970-01-01 to 9999-12-31.
MAX_TIMESTAMP = 253_402_300_799

_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}")
# C0 controls but tab, newline and carriage return; DEL; lone UTF-16 surrogates (not UTF-8).
_FORBIDDEN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# What PostgreSQL's jsonb cannot store: NUL, lone surrogates.
UNSTORABLE_TEXT = re.compile(r"[\x00\ud800-\udfff]")


def parse_int(value: Any, *, name: str, minimum: int | None = None, maximum: int = MAX_ID) -> int:
    """An integer given as a number or as ASCII digits, within [minimum, maximum]."""
    if isinstance(value, bool):
        raise BadParameter(name, _("must be a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise BadParameter(name, _("must be a whole number."))
    low = minimum if minimum is not None else -maximum - 1
    if not low <= number <= maximum:
        raise BadParameter(
            name, _("must be between %(low)s and %(high)s.") % {"low": low, "high": maximum}
        )
    return number


def query_int(
    params: Mapping, name: str, *, default: int | None = None, minimum: int = 1, maximum=MAX_ID
) -> int | None:
    """A whole-number query parameter; `default` when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(raw, name=name, minimum=minimum, maximum=maximum)


def query_page(params: Mapping, name: str = "page", *, maximum: int = MAX_PAGE) -> int:
    return query_int(params, name, default=1, minimum=1, maximum=maximum)


def clean_text(value: Any, *, name: str, max_length: int | None = None) -> str:
    """A string without control characters (tab and newlines allowed) nor lone surrogates."""
    if not isinstance(value, str):
        raise BadParameter(name, _("must be text."))
    if _FORBIDDEN_TEXT.search(value):
        raise BadParameter(name, _("must not contain control characters."))
    if max_length is not None and len(value) > max_length:
        raise BadParameter(name, _("must have at most %(n)s characters.") % {"n": max_length})
    return value


def query_text(params: Mapping, name: str, *, max_length: int = 100) -> str:
    """A search string: stripped, at most `max_length` characters (longer ones are cut)."""
    return clean_text((params.get(name) or "").strip()[:max_length], name=name)


def query_texts(params: Mapping, name: str, *, max_length: int = 100) -> tuple[str, ...]:
    """A repeated or comma-separated parameter (`labels=a,b` or `labels[]=a&labels[]=b`)."""
    raw = []
    if hasattr(params, "getlist"):
        raw = params.getlist(f"{name}[]") or params.getlist(name)
    elif params.get(name):
        raw = [params[name]]
    values = (t.strip() for item in raw for t in str(item).split(","))
    return tuple(clean_text(t[:max_length], name=name) for t in values if t)


def parse_timestamp(value: Any, *, name: str) -> datetime:
    """Unix seconds (a number or digits) as an aware UTC datetime, between 1970 and 9999."""
    if isinstance(value, bool):
        raise BadParameter(name, _("must be a Unix timestamp in seconds."))
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError as exc:
            raise BadParameter(name, _("must be a Unix timestamp in seconds.")) from exc
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise BadParameter(name, _("must be a Unix timestamp in seconds."))
    if not 0 <= value <= MAX_TIMESTAMP:
        raise BadParameter(name, _("must be a date between 1970 and 9999."))
    return datetime.fromtimestamp(value, tz=UTC)


def clean_json(value: Any, *, name: str) -> Any:
    """JSON that PostgreSQL can store: no NUL character nor lone surrogate in any key or string."""

    def check(item: Any) -> None:
        if isinstance(item, str):
            if UNSTORABLE_TEXT.search(item):
                raise BadParameter(name, _("must not contain NUL characters."))
        elif isinstance(item, dict):
            for key, inner in item.items():
                check(key)
                check(inner)
        elif isinstance(item, list | tuple):
            for inner in item:
                check(inner)

    check(value)
    return value


def json_validator(value: Any) -> None:
    """`clean_json` as a DRF field validator (DictField/JSONField): the field names itself."""
    from rest_framework.serializers import ValidationError

    try:
        clean_json(value, name="value")
    except BadParameter as exc:
        raise ValidationError(_("must not contain NUL characters.")) from exc

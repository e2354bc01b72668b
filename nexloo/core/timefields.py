"""Times of day typed as 24-hour HH:MM, whatever the browser's locale.

A native `<input type="time">` shows "06:00 PM" in a browser set to American English, whatever
the page's language, so times are text fields: "HH:MM" as the placeholder, a numeric keyboard on
phones, and the server reads what people type ("18:00", "8:30", "0830", "8h30", "18h") and
answers a clear error for anything else. A date and time is a native date field (no hours in it)
and such a time field."""

from __future__ import annotations

import re
from datetime import datetime, time

from django import forms
from django.forms.utils import from_current_timezone
from django.utils.translation import gettext_lazy as _

from nexloo.core.errors import ValidationError

# "18:00", "8:30", "18.00", "8h30", "18h", "0830", "830", "18".
_TYPED = re.compile(r"(\d{1,2})(?:\s*[:.hH]\s*(\d{2})?)?|(\d{1,2})(\d{2})")


def time_of_day_message():
    return _("Type the time as HH:MM, in 24 hours (for example 08:30 or 18:00).")


def normalize_time_of_day(text: str, *, end_of_day: bool = False) -> str:
    """What was typed as "HH:MM" ("" stays ""); "24:00" only where `end_of_day` allows it."""
    text = (text or "").strip()
    if not text:
        return ""
    match = _TYPED.fullmatch(text)
    if match:
        hours = int(match[1] or match[3])
        minutes = int(match[2] or match[4] or 0)
        if (hours < 24 and minutes < 60) or (end_of_day and (hours, minutes) == (24, 0)):
            return f"{hours:02d}:{minutes:02d}"
    raise ValidationError(time_of_day_message(), code="invalid_time")


class TimeOfDayInput(forms.TextInput):
    def __init__(self, attrs=None):
        defaults = {
            "class": "time-of-day",
            "inputmode": "numeric",
            "pattern": r"\d{1,2}([:.hH]\d{0,2})?|\d{3,4}",
            "placeholder": "HH:MM",
            "maxlength": "8",
            "size": "5",
            "autocomplete": "off",
        }
        super().__init__({**defaults, **(attrs or {})})


class TimeOfDayField(forms.CharField):
    """A time of day as "HH:MM" (its cleaned value is that text)."""

    widget = TimeOfDayInput

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        return normalize_time_of_day(super().to_python(value), end_of_day=self.end_of_day)


class DateAndTimeWidget(forms.MultiWidget):
    template_name = "nexloo/widgets/date_and_time.html"

    def __init__(self, attrs=None):
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "time": TimeOfDayInput(attrs={"aria-label": _("Time")}),
        }
        super().__init__(widgets, attrs)

    def id_for_label(self, id_):
        # The field's label names the date input (Django's MultiWidget points a label nowhere);
        # the time input has its own aria-label.
        return f"{id_}_0" if id_ else ""

    def decompress(self, value):
        if isinstance(value, datetime):
            return [value.date(), value.strftime("%H:%M")]
        return [None, ""]


class DateAndTimeField(forms.MultiValueField):
    """A date field and an HH:MM field; cleaned to an aware datetime in the active time zone."""

    widget = DateAndTimeWidget

    def __init__(self, **kwargs):
        fields = (
            forms.DateField(input_formats=["%Y-%m-%d"]),
            TimeOfDayField(),
        )
        kwargs.setdefault("require_all_fields", True)
        super().__init__(fields, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        day, hhmm = data_list
        if day is None or not hhmm:
            return None
        hours, minutes = (int(part) for part in hhmm.split(":"))
        return from_current_timezone(datetime.combine(day, time(hours, minutes)))

"""Times typed as 24-hour HH:MM (issue 7 §8): what people type is read, anything else refused
with a message that says how to write it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from nexloo.core.timefields import TimeOfDayField, normalize_time_of_day


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("18:00", "18:00"),
        ("8:30", "08:30"),
        (" 08:30 ", "08:30"),
        ("0830", "08:30"),
        ("830", "08:30"),
        ("8h30", "08:30"),
        ("18h", "18:00"),
        ("18", "18:00"),
        ("18.30", "18:30"),
        ("00:00", "00:00"),
        ("", ""),
    ],
)
def test_what_people_type_is_read_as_hh_mm(typed, read):
    assert normalize_time_of_day(typed) == read


@pytest.mark.parametrize(
    "typed", ["6:00 PM", "24:00", "25:00", "12:60", "1:2", "meio-dia", "12345"]
)
def test_anything_else_is_refused_with_how_to_write_it(typed):
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        normalize_time_of_day(typed)
    assert refused.value.messages == [
        "Digite o horário como HH:MM, em 24 horas (por exemplo 08:30 ou 18:00)."
    ]


def test_midnight_at_the_end_of_a_day_only_where_it_closes_one():
    assert normalize_time_of_day("24:00", end_of_day=True) == "24:00"
    assert TimeOfDayField(end_of_day=True).clean("24h") == "24:00"
    with pytest.raises(ValidationError):
        TimeOfDayField().clean("24:00")


def test_the_widget_is_a_text_field_for_digits():
    html = TimeOfDayField().widget.render("start", "08:30")
    assert 'type="text"' in html and 'inputmode="numeric"' in html
    assert 'placeholder="HH:MM"' in html and 'value="08:30"' in html

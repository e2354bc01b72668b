"""Small template filters shared by every app's templates."""

from __future__ import annotations

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def bcp47(language_code: str | None) -> str:
    """`pt-br` → `pt-BR`: the spelling of the `lang` attribute (browsers pick date and time
    formats from it)."""
    locale = translation.to_locale(language_code or "pt-br")
    return locale.replace("_", "-")


@register.filter
def in_sentence(weekday: str) -> str:
    """A weekday name as it reads mid-sentence: Portuguese writes them in lower case
    ("Abre terça-feira"), English capitalises them."""
    if (translation.get_language() or "").startswith("pt"):
        return weekday.lower()
    return weekday

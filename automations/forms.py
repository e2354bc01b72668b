"""The rule builder's fixed fields; its condition and action rows are in builder.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from automations.models import RuleEvent


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=255)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    event_name = forms.ChoiceField(label=_("Event"), choices=RuleEvent.choices)
    delay_minutes = forms.IntegerField(
        label=_("After how many minutes"),
        required=False,
        min_value=1,
        help_text=_(
            "Only for the events that wait. Waiting for an agent's reply: how long the customer "
            "has waited since a message nobody answered. No reply after assignment: how long "
            "since the conversation was assigned, with the customer waiting; once per "
            "assignment, and not at all once an agent has replied after it."
        ),
    )
